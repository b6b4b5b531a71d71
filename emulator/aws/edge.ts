import { isAscii } from 'node:buffer';
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Duplex } from 'node:stream';
import { AwsError } from './errors';
import { FaultInjector, validateFaultRule, type FaultRule } from './faults';
import { RawJson, type EdgeRequest, type JsonService, type RestService, type ServiceName } from './types';

type AnyReq = IncomingMessage | Http2ServerRequest;
type AnyRes = ServerResponse | Http2ServerResponse;

/** Largest request body the edge buffers (S3 PutObject's single-request limit is 5 GB; ours is a laptop's). */
const MAX_BODY_BYTES = 512 * 1024 * 1024;

const JSON_TARGETS: Record<string, { service: 'kinesis' | 'sqs' | 'dynamodb'; contentType: string; typePrefix: string }> = {
  Kinesis_20131202: { service: 'kinesis', contentType: 'application/x-amz-json-1.1', typePrefix: '' },
  AmazonSQS: { service: 'sqs', contentType: 'application/x-amz-json-1.0', typePrefix: 'com.amazonaws.sqs#' },
  DynamoDB_20120810: { service: 'dynamodb', contentType: 'application/x-amz-json-1.0', typePrefix: 'com.amazonaws.dynamodb.v20120810#' },
};

export interface EdgeOptions {
  json: Record<'kinesis' | 'sqs' | 'dynamodb', JsonService>;
  s3: RestService;
  faults: FaultInjector;
  /** Called on a handler crash (a bug): the request gets a 500, the process keeps serving. */
  onInternalError?: (err: unknown, service: ServiceName, operation: string) => void;
}

/** Counters for `GET /_furrow/health` and the benchmark. */
export interface EdgeStats {
  requests: Record<ServiceName, number>;
  errors: Record<ServiceName, number>;
}

/**
 * The edge: one TCP port that speaks HTTP/1.1 and cleartext HTTP/2 (prior knowledge, which is what the
 * Kinesis client's default handler sends), and routes by `X-Amz-Target` to the JSON services, `/_furrow/*`
 * to the admin API, and everything else to S3.
 */
export class Edge {
  readonly stats: EdgeStats = {
    requests: { kinesis: 0, sqs: 0, dynamodb: 0, s3: 0 },
    errors: { kinesis: 0, sqs: 0, dynamodb: 0, s3: 0 },
  };
  private readonly net: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly startedAt = Date.now();

  constructor(private readonly opts: EdgeOptions) {
    const onRequest = (req: AnyReq, res: AnyRes) => void this.dispatch(req, res);
    const h1 = createHttp1Server({ keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 0 }, onRequest);
    const h2 = createHttp2Server({}, onRequest);
    h2.on('sessionError', () => undefined);
    this.net = createNetServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      // Sniff the first bytes: the HTTP/2 connection preface starts with "PRI", no HTTP/1 method does.
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        if (chunk.length >= 3 && chunk[0] === 0x50 && chunk[1] === 0x52 && chunk[2] === 0x49) {
          // http2 reads the native handle directly and would miss unshifted bytes, so it gets a JS duplex.
          h2.emit('connection', replayingDuplex(socket, chunk));
        } else {
          socket.unshift(chunk);
          h1.emit('connection', socket);
          socket.resume();
        }
      });
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.net.once('error', onError);
      this.net.listen(port, host, () => {
        this.net.off('error', onError);
        const addr = this.net.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.net.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private async dispatch(req: AnyReq, res: AnyRes): Promise<void> {
    const ac = new AbortController();
    // Only a client that went away mid-request aborts (long polls stop); a finished answer needs no abort.
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const requestId = randomUUID();
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      return this.send(res, 413, { 'content-type': 'application/json' }, JSON.stringify({ message: String((err as Error).message) }));
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const edgeReq: EdgeRequest = {
      method: req.method ?? 'GET',
      path,
      query: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)),
      headers: req.headers,
      body,
      signal: ac.signal,
    };

    if (path.startsWith('/_furrow/')) return this.admin(edgeReq, res);

    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const dot = target.indexOf('.');
      const spec = JSON_TARGETS[target.slice(0, dot)];
      if (spec) return this.json(spec, target.slice(dot + 1), edgeReq, res, requestId);
      return this.send(res, 400, { 'content-type': 'application/x-amz-json-1.1' },
        JSON.stringify({ __type: 'UnknownOperationException', message: `Unknown target ${target}` }));
    }
    return this.rest(edgeReq, res, requestId);
  }

  private async json(
    spec: (typeof JSON_TARGETS)[string],
    operation: string,
    req: EdgeRequest,
    res: AnyRes,
    requestId: string,
  ): Promise<void> {
    const service = spec.service;
    this.stats.requests[service]++;
    const headers: Record<string, string> = { 'content-type': spec.contentType, 'x-amzn-requestid': requestId };
    try {
      await this.applyFaults(service, operation, res);
      if (res.destroyed) return;
      const handler = this.opts.json[service];
      const ascii = isAscii(req.body);
      // A service may read the body in place (Kinesis PutRecords); undefined means parse it as usual.
      let out = ascii && handler.handleRaw ? handler.handleRaw(operation, req.body) : undefined;
      if (out === undefined) {
        let input: unknown = {};
        if (req.body.length > 0) {
          try {
            // Kinesis bodies are base64 and ASCII keys: decoding ASCII as latin1 is a plain copy, far cheaper than UTF-8.
            input = JSON.parse(ascii ? req.body.toString('latin1') : req.body.toString('utf8'));
          } catch {
            throw new AwsError('SerializationException', 'Malformed JSON request body', 400);
          }
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input))
          throw new AwsError('SerializationException', 'The request body must be a JSON object', 400);
        out = await handler.handle(operation, input, req);
      }
      if (res.destroyed) return;
      this.send(res, 200, headers, out instanceof RawJson ? out.bytes : JSON.stringify(out ?? {}));
    } catch (err) {
      this.stats.errors[service]++;
      const e = this.asAwsError(err, service, operation);
      Object.assign(headers, e.headers);
      this.send(res, e.status, headers, JSON.stringify({ ...e.jsonFields, __type: spec.typePrefix + e.code, message: e.message }));
    }
  }

  private async rest(req: EdgeRequest, res: AnyRes, requestId: string): Promise<void> {
    this.stats.requests.s3++;
    let operation = 'Unknown';
    try {
      operation = this.opts.s3.operation(req);
      await this.applyFaults('s3', operation, res);
      if (res.destroyed) return;
      const out = await this.opts.s3.handle(operation, req);
      if (res.destroyed) return;
      this.send(res, out.status, { 'x-amz-request-id': requestId, ...(out.headers ?? {}) }, out.body);
    } catch (err) {
      this.stats.errors.s3++;
      const e = this.asAwsError(err, 's3', operation);
      const extra = Object.entries(e.extra).map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('');
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message>` +
        `${extra}<RequestId>${requestId}</RequestId></Error>`;
      // HEAD answers carry no body; the SDK derives the error from the status code.
      this.send(res, e.status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...e.headers }, req.method === 'HEAD' ? undefined : xml);
    }
  }

  private async applyFaults(service: ServiceName, operation: string, res: AnyRes): Promise<void> {
    const d = this.opts.faults.decide(service, operation);
    if (d.latencyMs > 0) await sleep(d.latencyMs);
    if (d.kind === 'error') throw d.error;
    if (d.kind === 'timeout') {
      await sleep(d.timeoutMs);
      (res as ServerResponse).socket?.destroy();
      (res as Http2ServerResponse).stream?.close?.();
      res.destroy?.();
    }
  }

  private asAwsError(err: unknown, service: ServiceName, operation: string): AwsError {
    if (err instanceof AwsError) return err;
    this.opts.onInternalError?.(err, service, operation);
    return new AwsError(service === 's3' ? 'InternalError' : 'InternalFailure', `Internal error: ${(err as Error)?.message ?? err}`, 500);
  }

  private admin(req: EdgeRequest, res: AnyRes): void {
    const json = (status: number, body: unknown) =>
      this.send(res, status, { 'content-type': 'application/json' }, JSON.stringify(body));
    try {
      if (req.path === '/_furrow/health' && req.method === 'GET')
        return json(200, { status: 'ok', uptimeMs: Date.now() - this.startedAt, ...this.stats, faults: this.opts.faults.list() });
      if (req.path === '/_furrow/faults') {
        if (req.method === 'GET') return json(200, { rules: this.opts.faults.list() });
        if (req.method === 'DELETE') {
          this.opts.faults.clear();
          return json(200, { rules: [] });
        }
        if (req.method === 'POST' || req.method === 'PUT') {
          const parsed = JSON.parse(req.body.toString('utf8') || '{}') as { rules?: unknown; rule?: unknown };
          if (parsed.rule !== undefined) this.opts.faults.add(validateFaultRule(parsed.rule));
          else if (Array.isArray(parsed.rules)) this.opts.faults.set(parsed.rules as FaultRule[]);
          else throw new Error('expected {"rules": [...]} to replace the rules or {"rule": {...}} to add one');
          return json(200, { rules: this.opts.faults.list() });
        }
      }
      return json(404, { error: `no admin route ${req.method} ${req.path}` });
    } catch (err) {
      return json(400, { error: (err as Error).message });
    }
  }

  private send(res: AnyRes, status: number, headers: Record<string, string | number>, body?: Buffer | string): void {
    if (res.headersSent || res.destroyed) return;
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    if (payload !== undefined && headers['content-length'] === undefined) headers['content-length'] = payload.length;
    (res as ServerResponse).writeHead(status, headers);
    (res as ServerResponse).end(payload);
  }
}

/** A duplex over `socket` that first yields `first` (the sniffed bytes), then the socket's data. */
function replayingDuplex(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  duplex.push(first);
  socket.on('data', (d: Buffer) => {
    if (!duplex.push(d)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

function readBody(req: AnyReq): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
