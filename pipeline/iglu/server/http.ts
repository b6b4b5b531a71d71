/** Small HTTP plumbing for the Iglu servers: typed 4xx errors, bounded JSON bodies, JSON/text replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error that becomes `{status, {"message": ...}}` — always a deliberate, client-facing answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface Reply {
  status: number;
  body: unknown;
  /** Send `body` as text/plain instead of JSON. */
  text?: boolean;
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown): Reply => ({ status, body });
export const message = (status: number, text: string, extra: Record<string, unknown> = {}): Reply => ({ status, body: { message: text, ...extra } });

/** Read the request body, refusing (413) more than `limit` bytes without buffering them. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError(413, `Request body is larger than the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new HttpError(413, `Request body is larger than the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parse a JSON body; empty or malformed input is a 400 that says why. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const buf = await readBody(req, limit);
  const text = buf.toString('utf8');
  if (!text.trim()) throw new HttpError(400, 'Request body is empty; a JSON document is expected');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `Request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  const body = reply.text ? String(reply.body) : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': reply.text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...reply.headers,
  });
  res.end(body);
}

/** Split `/a/b%2Fc` into decoded segments; a malformed escape is a 400. */
export function pathSegments(pathname: string): string[] {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(400, 'The request path is not valid URL encoding');
  }
}

export function boolParam(value: string | null, name: string, fallback: boolean): boolean {
  if (value === null || value === '') return fallback;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new HttpError(400, `Query parameter ${name} must be true or false, got '${value}'`);
}
