/**
 * A raw HTTP/1.1 client over node:net for the fuzz and security suites: writes exactly the bytes it is
 * given (malformed request lines, CR/LF in header values, invalid UTF-8, wrong framing) and reads the
 * first final response the server writes back, or notes that the server closed the connection without
 * one. Nothing is normalised, so what the server sees is what the test built.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header lines in order, names as sent (use `header()` to look one up case-insensitively). */
  headers: [string, string][];
  /** Status line + header lines, as received (latin1). */
  head: string;
  body: Buffer;
}

export interface Exchange {
  /** The first final (non-1xx) response, if one arrived complete. */
  response?: RawResponse;
  /** The server closed the connection (with or without a response). */
  closed: boolean;
  /** Neither a complete response nor a close within the time limit. */
  timedOut: boolean;
  /** A socket error (ECONNRESET, EPIPE) seen on the way; not a failure by itself. */
  error?: string;
  ms: number;
}

export function header(r: RawResponse | undefined, name: string): string | undefined {
  const n = name.toLowerCase();
  return r?.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function headerAll(r: RawResponse | undefined, name: string): string[] {
  const n = name.toLowerCase();
  return (r?.headers ?? []).filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

/** Try to take one complete response from the front of `buf`; undefined when more bytes are needed. */
function parseResponse(buf: Buffer, headRequest: boolean, closed: boolean): { response: RawResponse; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine ?? '');
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head.slice(0, 200))}`);
  const status = Number(m[1]);
  const headers = lines.map((l): [string, string] => {
    const c = l.indexOf(':');
    return c < 0 ? [l, ''] : [l.slice(0, c), l.slice(c + 1).trim()];
  });
  const response: RawResponse = { status, headers, head, body: Buffer.alloc(0) };
  const start = end + 4;
  if (status < 200 || headRequest || status === 204 || status === 304) return { response, rest: buf.subarray(start) };
  const cl = header(response, 'content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    if (buf.length - start < n) return undefined;
    response.body = buf.subarray(start, start + n);
    return { response, rest: buf.subarray(start + n) };
  }
  // No length: the body runs to the close (the collector always sends Content-Length; this is for completeness).
  if (!closed) return undefined;
  response.body = buf.subarray(start);
  return { response, rest: Buffer.alloc(0) };
}

/** The first final (non-1xx) response complete in `buf`, skipping interim ones. */
function firstFinal(buf: Buffer, headRequest: boolean, closed: boolean): RawResponse | undefined {
  let rest = buf;
  for (;;) {
    const parsed = parseResponse(rest, headRequest, closed);
    if (!parsed) return undefined;
    if (parsed.response.status >= 200) return parsed.response;
    rest = parsed.rest;
  }
}

export interface ExchangeOptions {
  timeoutMs: number;
  /** The request is HEAD: the response has no body whatever Content-Length says. */
  headRequest?: boolean;
  /** Write the chunks this far apart (a slow client); 0 writes them back to back. */
  gapMs?: number;
  /** Keep the connection after the response (the caller gets the socket); default: destroy it. */
  keep?: boolean;
}

/** Open a connection, write `chunks`, and wait for the first final response or the server's close. */
export function exchange(port: number, chunks: Buffer | Buffer[], opts: ExchangeOptions): Promise<Exchange & { socket?: Socket }> {
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    let error: string | undefined;
    let closed = false;
    const finish = (extra: Partial<Exchange>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      let response: RawResponse | undefined;
      try {
        response = firstFinal(buf, opts.headRequest ?? false, closed);
      } catch (err) {
        error = String((err as Error).message);
      }
      if (!opts.keep || !response) socket.destroy();
      resolve({ response, closed, timedOut: false, error, ms: Date.now() - started, ...extra, ...(opts.keep && response ? { socket } : {}) });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), opts.timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      try {
        if (firstFinal(buf, opts.headRequest ?? false, false)) finish({});
      } catch {
        finish({});
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => {
      closed = true;
      finish({});
    });
    socket.on('connect', () => {
      void (async () => {
        for (let i = 0; i < parts.length && !socket.destroyed; i++) {
          if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
          if (socket.destroyed) return;
          socket.write(parts[i]!);
        }
      })();
    });
  });
}

/** A minimal well-formed request: `Host` and `Connection: close` added unless present. */
export function request(method: string, target: string, headers: [string, string][] = [], body?: Buffer | string): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`];
  const has = (n: string) => headers.some(([k]) => k.toLowerCase() === n);
  if (!has('host')) lines.push('Host: collector.test');
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  const b = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  if (b !== undefined && !has('content-length') && !has('transfer-encoding')) lines.push(`Content-Length: ${b.length}`);
  if (!has('connection')) lines.push('Connection: close');
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), b ?? Buffer.alloc(0)]);
}
