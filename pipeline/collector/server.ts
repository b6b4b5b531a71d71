/**
 * The collector's HTTP server (node:http): routes, cookies, payload recording, size tiers, back-pressure.
 * Validity-blind: the answer never depends on what the payload contains, only on size, capacity and
 * routing (200 `ok` / pixel, 302 redirect or bounce, 400, 404, 408, 413, 503).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Processor } from '../core/bad-rows';
import type { ResolvedCollectorConfig } from './config';
import { allowOrigin, compileDntRegex, cookieValue as findCookie, doNotTrack, parseOrigin, resolveNuid, setCookieHeaders } from './cookies';
import { buildPayload, clientIp, hostWithoutPort, normaliseContentType, scanHeaders, type SeenHeaders } from './payload';
import { Router, type TrackRoute } from './routes';
import { splitAndSerialize } from './split';
import { proxyToMicro } from './micro-proxy';
import type { CollectorMetrics } from './metrics';

/** The 43-byte transparent GIF (spec §1.2). */
export const PIXEL = Buffer.from('R0lGODlhAQABAPAAAP///wAAACH5BAUAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
export const ROBOTS_TXT = 'User-agent: *\nDisallow: /\n\nUser-agent: Googlebot\nDisallow: /\n\nUser-agent: AdsBot-Google\nDisallow: /';
const TEXT = 'text/plain; charset=UTF-8';
const EMPTY = Buffer.alloc(0);
const NO_CACHE = 'no-cache, no-store, must-revalidate';

/** What the server writes records to; `KinesisProducer` is one. */
export interface RecordSink {
  readonly streamName: string;
  readonly healthy: boolean;
  readonly bufferedBytes: number;
  canAccept(bytes: number): boolean;
  /** Resolves when the record is acknowledged (ack mode waits for it). */
  put(record: { data: Uint8Array; partitionKey: string }): Promise<void>;
  /** `put` without a promise (buffered mode): `onFailed` if the record is refused or given up on. */
  add(record: { data: Uint8Array; partitionKey: string }, onFailed: (err: Error) => void): void;
}

export interface CollectorServerOptions {
  config: ResolvedCollectorConfig;
  good: RecordSink;
  bad: RecordSink;
  logger: Logger;
  metrics: CollectorMetrics;
  processor: Processor;
  /** The thrift `collector` field, e.g. `furrow-collector-0.1.0-kinesis`. */
  collectorName: string;
  now?: () => number;
}

class BodyTooLarge extends Error {}

export class CollectorServer {
  readonly server: Server;
  private readonly cfg: ResolvedCollectorConfig;
  private readonly router: Router;
  private readonly dnt: RegExp | null;
  private readonly now: () => number;
  private readonly sockets = new Set<Socket>();
  private draining = false;
  private readonly crossDomainXml: string;
  private readonly microUpstream: URL | undefined;
  private readonly recordLost = (err: Error) => this.opts.logger.error({ err: String(err) }, 'record lost: sink gave up on it');

  constructor(private readonly opts: CollectorServerOptions) {
    this.cfg = opts.config;
    this.router = new Router(this.cfg);
    this.dnt = compileDntRegex(this.cfg);
    this.now = opts.now ?? Date.now;
    const n = this.cfg.networking;
    this.server = createServer(
      {
        maxHeaderSize: n.maxHeadersLength,
        requestTimeout: n.bodyReadTimeoutMs,
        headersTimeout: Math.min(n.bodyReadTimeoutMs, 60_000),
        keepAliveTimeout: n.idleTimeoutMs,
        // Node checks those timeouts every 30 s by default; slow clients should get their 408 on time.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(n.bodyReadTimeoutMs / 2))),
      },
      (req, res) => this.handle(req, res),
    );
    this.server.maxConnections = n.maxConnections;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      // At the limit Node drops every new socket: keep-alive connections idle between requests would lock
      // all other clients out for idleTimeoutMs (a slowloris with finished requests), so make room.
      if (this.sockets.size >= n.maxConnections) this.server.closeIdleConnections();
    });
    // An Expect other than 100-continue: Node would answer 417 and record nothing; the collector's answer
    // never depends on what the client sends beyond size and routing, so handle the request as usual.
    this.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
    // Malformed requests, oversized request lines/headers, and timeouts: Snowplow answers 400 (408 on timeout).
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      this.opts.metrics.request('invalid', Number(status.slice(0, 3)));
      const answer = () => (socket.writable ? socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`) : socket.destroy());
      // Bytes after a complete request (a Content-Length shorter than the body): that request is recorded and
      // still being answered; HTTP answers in order, so the 400 goes after its answer, not before it. (A request
      // still waiting for its body is not complete: its timeout is answered at once.)
      const pending = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      if (pending && !pending.writableFinished && pending.req.complete) return void pending.once('close', answer);
      answer();
    });
    this.microUpstream = this.cfg.microUpstream ? new URL(this.cfg.microUpstream) : undefined;
    const cd = this.cfg.crossDomain;
    this.crossDomainXml =
      '<?xml version="1.0"?>\n<cross-domain-policy>\n' +
      cd.domains.map((d) => `<allow-access-from domain="${escapeXml(d)}" secure="${cd.secure}" />\n`).join('') +
      '</cross-domain-policy>';
  }

  /** Listen on the configured interface and port (0 picks a free one); resolves to the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.cfg.port, this.cfg.interface, () => {
        this.server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /** /health answers 503 from now on (SIGTERM: let the load balancer stop sending). */
  startDraining(): void {
    this.draining = true;
  }

  /** Stop accepting connections and wait (at most `timeoutMs`) for requests in progress to be answered. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    // Keep-alive connections that finish their request later: close them as soon as they are idle.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    const deadline = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([closed, deadline]);
    clearInterval(sweep);
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
  }

  get healthy(): boolean {
    return !this.draining && this.opts.good.healthy && this.opts.bad.healthy;
  }

  // -------------------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let url = req.url ?? '/';
    let authorityHost: string | undefined;
    if (!url.startsWith('/')) {
      // absolute-form request target (via a proxy): `http://host:port/path?query`
      const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/i.exec(url);
      if (m) {
        authorityHost = hostWithoutPort(m[1]!.replace(/^.*@/, ''));
        url = m[2] || '/';
      }
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const route = this.router.route(method, path);
    switch (route.kind) {
      case 'track':
        return this.track(req, res, route, query, authorityHost);
      case 'options':
        return this.preflight(req, res);
      case 'micro':
        return proxyToMicro(this.microUpstream!, req, res, (status) => this.opts.metrics.request('micro', status));
      case 'health':
      case 'sink-health': {
        const ok = this.healthy;
        return this.reply(res, route.kind, ok ? 200 : 503, { 'content-type': TEXT }, ok ? 'ok' : 'Service Unavailable');
      }
      case 'metrics':
        return void this.opts.metrics
          .text()
          .then((text) => this.reply(res, 'metrics', 200, { 'content-type': this.opts.metrics.registry.contentType }, text))
          .catch((err) => this.internalError(res, 'metrics', err));
      case 'robots':
        return this.reply(res, 'robots', 200, { 'content-type': TEXT }, ROBOTS_TXT);
      case 'crossdomain':
        return this.reply(res, 'crossdomain', 200, { 'content-type': 'text/xml' }, this.crossDomainXml);
      case 'root': {
        const r = this.cfg.rootResponse;
        return this.reply(res, 'root', r.statusCode, { ...r.headers }, r.body);
      }
      case 'redirects-disabled':
        return this.reply(res, 'redirect', 404, { 'content-type': TEXT }, 'redirects disabled');
      case 'not-found':
        return this.reply(res, 'not-found', 404, { 'content-type': TEXT }, 'Not found');
    }
  }

  private preflight(req: IncomingMessage, res: ServerResponse): void {
    const origin = allowOrigin(parseOrigin(headerValue(req.headers.origin)));
    this.reply(
      res,
      'options',
      200,
      {
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'Content-Type, SP-Anonymous',
        'access-control-max-age': String(this.cfg.corsMaxAgeSeconds),
      },
      undefined,
    );
  }

  /** Read the body if there is one (the common GET has none: stay synchronous), then record and answer. */
  private track(req: IncomingMessage, res: ServerResponse, route: TrackRoute, query: string, authorityHost: string | undefined): void {
    // The headers from rawHeaders in one pass; `req.headers` (a lazily built object) is never touched here.
    const seen = scanHeaders(req.rawHeaders, this.cfg.cookieBounce.enabled ? this.cfg.cookieBounce.forwardedProtocolHeader : undefined);
    const declared = seen.contentLength;
    if (declared === '0' || (declared === undefined && !seen.transferEncoding)) {
      req.resume();
      return this.guardedRecord(req, res, route, query, authorityHost, seen, undefined);
    }
    this.readBody(req, declared, (err, body) => {
      if (err === undefined) return this.guardedRecord(req, res, route, query, authorityHost, seen, body);
      if (err instanceof BodyTooLarge) return this.reply(res, route.label, 413, { 'content-type': TEXT }, 'Request Entity Too Large');
      this.internalError(res, route.label, err);
    });
  }

  /** `record`, with any failure (a bug, never input) answered 500 and logged instead of crashing. */
  private guardedRecord(
    req: IncomingMessage,
    res: ServerResponse,
    route: TrackRoute,
    query: string,
    authorityHost: string | undefined,
    seen: SeenHeaders,
    body: Buffer | undefined,
  ): void {
    try {
      const pending = this.record(req, res, route, query, authorityHost, seen, body);
      if (pending) pending.catch((err) => this.internalError(res, route.label, err));
    } catch (err) {
      this.internalError(res, route.label, err);
    }
  }

  private record(
    req: IncomingMessage,
    res: ServerResponse,
    route: TrackRoute,
    query: string,
    authorityHost: string | undefined,
    seen: SeenHeaders,
    body: Buffer | undefined,
  ): void | Promise<void> {
    const cfg = this.cfg;
    const now = this.now();
    const origins = parseOrigin(seen.origin);
    const params = query.length > 0 && (query.includes('nuid=') || query.includes(`${cfg.cookieBounce.name}=`) || route.redirect) ? new URLSearchParams(query) : null;
    const cookieValue = seen.cookies.length > 0 ? findCookie(seen.cookies, cfg.cookie.name) : undefined;
    const bouncing = cfg.cookieBounce.enabled && params !== null && params.has(cfg.cookieBounce.name);
    const { nuid, bounce } = resolveNuid(
      cfg,
      { spAnonymous: seen.spAnonymous, nuidParam: params?.get('nuid') ?? undefined, cookieValue, bouncing, pixelExpected: route.pixel, redirect: route.redirect },
      randomUUID,
    );
    const dnt = doNotTrack(cfg, this.dnt, seen.cookies);

    const headers: Record<string, string | string[]> = {
      'access-control-allow-origin': allowOrigin(origins),
      'access-control-allow-credentials': 'true',
    };
    if (!dnt) {
      const setCookie = setCookieHeaders(cfg, { nuid, spAnonymous: seen.spAnonymous, hadCookie: cookieValue !== undefined, origins, now });
      if (setCookie.length > 0) headers['set-cookie'] = setCookie;
    }
    if (cfg.hsts.enable) headers['strict-transport-security'] = `max-age=${cfg.hstsMaxAgeSeconds}`;

    if (bounce) {
      headers.location = this.bounceLocation(req, seen.forwardedProto, seen.host, query);
      return this.reply(res, route.label, 302, headers, undefined);
    }

    if (!dnt) {
      const isPost = req.method === 'POST';
      const contentType = isPost ? normaliseContentType(seen.contentType) : undefined;
      const ipAddress = clientIp(seen, req.socket.remoteAddress);
      // A body in valid UTF-8 goes into the record as the bytes it came in (what encoding its string would write);
      // any other is decoded, invalid sequences becoming U+FFFD, as Snowplow's collector reads it.
      const rawBody = isPost && body !== undefined && isUtf8(body) ? body : undefined;
      const payload = buildPayload({
        now,
        collector: this.opts.collectorName,
        ipAddress,
        path: route.path,
        querystring: query,
        body: !isPost || rawBody !== undefined ? undefined : body ? body.toString('utf8') : '',
        rawHeaders: req.rawHeaders,
        seen,
        contentType,
        hostname: authorityHost ?? hostWithoutPort(seen.host),
        networkUserId: nuid,
      });
      const partitionKey = cfg.useIpAddressAsPartitionKey && ipAddress !== 'unknown' ? ipAddress.slice(0, 256) : randomUUID();
      const records = splitAndSerialize(payload, { maxBytes: cfg.sink.maxBytes, maxPayloadSize: cfg.networking.maxPayloadSize, processor: this.opts.processor, now }, rawBody);
      const keyBytes = Buffer.byteLength(partitionKey);
      const goodBytes = records.good.reduce((n, r) => n + r.length + keyBytes, 0);
      const badBytes = records.bad.reduce((n, r) => n + r.length + keyBytes, 0);
      // Back-pressure: refuse the whole request rather than grow memory or keep half of it.
      if ((goodBytes > 0 && !this.opts.good.canAccept(goodBytes)) || (badBytes > 0 && !this.opts.bad.canAccept(badBytes)))
        return this.reply(res, route.label, 503, { ...headers, 'content-type': TEXT, 'retry-after': '1' }, 'Service Unavailable');
      this.opts.metrics.sizeViolation(records.bad.length);
      if (cfg.ackMode === 'ack') {
        const acks: Promise<void>[] = [];
        for (const data of records.good) acks.push(this.opts.good.put({ data, partitionKey }));
        for (const data of records.bad) acks.push(this.opts.bad.put({ data, partitionKey }));
        return this.awaitAcks(acks).then((answered) => {
          if (answered === 'ok') return this.answer(req, res, route, headers, nuid, query);
          const status = answered === 'timeout' ? 408 : 503;
          this.reply(res, route.label, status, { ...headers, 'content-type': TEXT }, status === 408 ? 'Request Timeout' : 'Service Unavailable');
        });
      }
      for (const data of records.good) this.opts.good.add({ data, partitionKey }, this.recordLost);
      for (const data of records.bad) this.opts.bad.add({ data, partitionKey }, this.recordLost);
    }
    return this.answer(req, res, route, headers, nuid, query);
  }

  /** The success answer of a tracking route: redirect, pixel or `ok`. */
  private answer(req: IncomingMessage, res: ServerResponse, route: TrackRoute, headers: Record<string, string | string[]>, nuid: string, query: string): void {
    if (route.redirect) return this.redirect(req, res, route, headers, nuid, query);
    if (route.pixel) {
      headers['cache-control'] = NO_CACHE;
      headers['content-type'] = 'image/gif';
      return this.reply(res, route.label, 200, headers, PIXEL);
    }
    headers['content-type'] = TEXT;
    return this.reply(res, route.label, 200, headers, 'ok');
  }

  /** ack mode: every record acknowledged → 'ok'; a sink gave up → 'failed'; too slow → 'timeout'. */
  private async awaitAcks(acks: Promise<void>[]): Promise<'ok' | 'failed' | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.cfg.networking.responseHeaderTimeoutMs)));
    try {
      return await Promise.race([Promise.all(acks).then(() => 'ok' as const, () => 'failed' as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private redirect(req: IncomingMessage, res: ServerResponse, route: TrackRoute, headers: Record<string, string | string[]>, nuid: string, query: string): void {
    const u = new URLSearchParams(query).get('u');
    let target: URL | null = null;
    if (u !== null) {
      const macro = this.cfg.redirectMacro;
      const raw = macro.enabled ? u.split(macro.placeholder ?? '${SP_NUID}').join(nuid) : u;
      try {
        target = new URL(raw);
      } catch {
        target = null;
      }
    }
    const domains = this.cfg.redirectDomains;
    if (!target || (domains.length > 0 && !domains.includes(target.hostname))) return this.reply(res, route.label, 400, headers, undefined);
    headers.location = target.href;
    return this.reply(res, route.label, 302, headers, undefined);
  }

  private bounceLocation(req: IncomingMessage, forwardedProto: string | undefined, host: string | undefined, query: string): string {
    const proto = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : 'encrypted' in req.socket ? 'https' : 'http';
    const path = (req.url ?? '/').split('?')[0];
    const q = query.length > 0 ? `${query}&${this.cfg.cookieBounce.name}=true` : `${this.cfg.cookieBounce.name}=true`;
    const location = `${proto}://${host ?? `${this.cfg.interface}:${this.port}`}${path}?${q}`;
    // Never echo characters a header cannot carry.
    return location.replace(/[^\t\x20-\x7e\x80-\xff]/g, encodeURIComponent);
  }

  /**
   * The request body, at most `dropPayloadSize` bytes, to `done` (once). Beyond the limit: BodyTooLarge
   * once the client has finished sending (the excess is discarded as it arrives, so memory stays bounded
   * and the client reads a clean 413 instead of a reset); a client that keeps going far beyond the limit
   * is cut off. Callbacks rather than a promise: this runs for every POST.
   */
  private readBody(req: IncomingMessage, declared: string | undefined, done: (err: Error | undefined, body?: Buffer) => void): void {
    const limit = this.cfg.networking.dropPayloadSize;
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    let tooLarge = declared !== undefined && Number(declared) > limit;
    let settled = false;
    const finish = (err: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      done(err, body);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > 8 * limit) req.socket.destroy();
        return;
      }
      if (size > limit) {
        tooLarge = true;
        first = more = undefined;
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return finish(new BodyTooLarge());
      finish(undefined, more !== undefined ? Buffer.concat(more) : (first ?? EMPTY));
    });
    req.on('error', (err) => finish(err));
    req.on('aborted', () => finish(new Error('request aborted')));
  }

  private reply(
    res: ServerResponse,
    route: string,
    status: number,
    headers: Record<string, string | string[]>,
    body: string | Buffer | undefined,
  ): void {
    this.opts.metrics.request(route, status);
    if (res.headersSent || res.destroyed) return;
    if (body !== undefined) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    else headers['content-length'] = '0';
    res.writeHead(status, headers);
    res.end(body);
  }

  private internalError(res: ServerResponse, route: string, err: unknown): void {
    if ((err as Error)?.message === 'request aborted') return void res.destroy();
    this.opts.logger.error({ err: (err as Error)?.stack ?? String(err), route }, 'request failed');
    this.opts.metrics.request(route, 500);
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { 'content-type': TEXT, 'content-length': '21' });
      res.end('Internal Server Error');
    }
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
