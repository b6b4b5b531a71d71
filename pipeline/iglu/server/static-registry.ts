/**
 * A read-only static Iglu registry: serves `GET /schemas/{vendor}/{name}/{format}/{version}` from a folder
 * or an S3 prefix laid out the same way (what Snowplow's static registries on S3 websites serve, and what
 * the resolver's HTTP repository reads). No listing, no writes.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isPathSafeVendor, makeSchemaKey, schemaKeyToPath } from '../../core/schema-key';
import { HttpError, message, pathSegments, send, type Reply } from './http';

export interface StaticSource {
  /** Human description for logs, e.g. `dir:/srv/iglu` or `s3://bucket/prefix`. */
  readonly description: string;
  /** File body at `schemas/<path>`, or undefined when absent. */
  get(path: string): Promise<Buffer | undefined>;
}

export class DirectorySource implements StaticSource {
  readonly root: string;
  constructor(dir: string) {
    this.root = resolve(dir);
  }
  get description(): string {
    return `dir:${this.root}`;
  }
  async get(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.root, 'schemas', path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw err;
    }
  }
}

export class S3Source implements StaticSource {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    /** Key prefix holding `schemas/…`, e.g. `iglu/` (may be empty). */
    readonly prefix: string,
  ) {}
  get description(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }
  async get(path: string): Promise<Buffer | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix.replace(/^\/+/, '')}schemas/${path}` }));
      return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : undefined;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }
}

/** `s3://bucket/prefix` → bucket and prefix (with a trailing slash when non-empty). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new Error(`'${url}' is not an s3://bucket/prefix URL`);
  const prefix = m[2] ?? '';
  return { bucket: m[1]!, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix };
}

export function staticRegistryListener(source: StaticSource): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage): Promise<Reply> => {
    const seg = pathSegments(new URL(req.url ?? '/', 'http://static.local').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'This registry is read-only: only GET and HEAD are allowed');
    if (seg.length === 1 && seg[0] === 'health') return { status: 200, body: 'OK', text: true };
    if (seg.length !== 5 || seg[0] !== 'schemas') throw new HttpError(404, 'The endpoint does not exist');
    let path: string;
    try {
      path = schemaKeyToPath(makeSchemaKey(seg[1]!, seg[2]!, seg[3]!, seg[4]!)); // no `/` or `\\` in any part
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    if (!isPathSafeVendor(seg[1]!)) throw new HttpError(404, 'The schema is not found'); // `..` would leave schemas/
    const body = await source.get(path);
    if (!body) throw new HttpError(404, 'The schema is not found');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(500, `The stored schema ${path} is not valid JSON`);
    }
    return { status: 200, body: parsed, headers: { 'cache-control': 'public, max-age=60' } };
  };
  return (req, res) => {
    handle(req)
      .catch((err: unknown) => (err instanceof HttpError ? message(err.status, err.message) : message(500, 'Internal server error')))
      .then((reply) => send(res, reply));
  };
}

export interface RunningStaticRegistry {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startStaticRegistry(source: StaticSource, opts: { host?: string; port?: number } = {}): Promise<RunningStaticRegistry> {
  const server = createServer(staticRegistryListener(source));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, host, () => res());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
      }),
  };
}
