/**
 * `/micro/*` on the collector port (the Snowplow Micro-compatible API of `npm run emulate`): when
 * `collector.microUpstream` is set, such requests are forwarded as they are to that server and its answer
 * is relayed. Off the tracking path; an unreachable upstream answers 502.
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http';

export function isMicroPath(path: string): boolean {
  return path === '/micro' || path.startsWith('/micro/');
}

export function proxyToMicro(upstream: URL, req: IncomingMessage, res: ServerResponse, onDone: (status: number) => void): void {
  const headers = { ...req.headers, host: upstream.host };
  delete headers.connection;
  const out = request(
    { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('end', () => onDone(up.statusCode ?? 502));
      up.on('error', () => res.destroy());
    },
  );
  out.on('error', (err) => {
    onDone(502);
    if (res.headersSent) return void res.destroy();
    const body = `Micro API unreachable: ${err.message}`;
    res.writeHead(502, { 'content-type': 'text/plain; charset=UTF-8', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  req.pipe(out);
}
