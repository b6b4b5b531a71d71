/** A raw HTTP client for collector tests: exact headers in, status/headers/bytes out (no fetch defaults). */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export function send(
  url: string,
  opts: { method?: string; path?: string; headers?: Record<string, string | string[]> | [string, string][]; body?: string | Buffer; agent?: false } = {},
): Promise<Reply> {
  const u = new URL(url);
  let headers = opts.headers;
  // Raw (array) headers are sent exactly as given, so add the Host HTTP/1.1 requires unless the test set one.
  if (Array.isArray(headers) && !headers.some(([k]) => k.toLowerCase() === 'host')) headers = [['Host', u.host], ...headers];
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: Array.isArray(headers) ? headers.flat() : headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
