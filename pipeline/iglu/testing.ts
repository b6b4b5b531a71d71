/**
 * Test helpers for Iglu: a schema builder and a tiny fault proxy that can take a registry "down"
 * (connection refused-like resets, or 503s) without stopping it, counting the requests that reach it.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { META_SCHEMA_URI } from '../core/schema-key';

export function selfDescribingSchema(uri: string, body: Record<string, unknown> = {}): Record<string, unknown> {
  const m = /^iglu:([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`bad uri ${uri}`);
  return {
    $schema: META_SCHEMA_URI,
    description: `test schema ${m[2]}`,
    self: { vendor: m[1], name: m[2], format: m[3], version: m[4] },
    type: 'object',
    properties: { id: { type: 'string', maxLength: 10 } },
    additionalProperties: false,
    ...body,
  };
}

export type FaultMode = 'up' | 'reset' | '503';

export interface FaultProxy {
  url: string;
  /** Requests that reached the proxy, by path. */
  readonly requests: string[];
  mode: FaultMode;
  stop(): Promise<void>;
}

/** Forward everything to `target` while `mode` is 'up'; otherwise reset the connection or answer 503. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const t = new URL(target);
  const state = { mode: 'up' as FaultMode, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    if (state.mode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (state.mode === '503') {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"message":"down"}');
      return;
    }
    const upstream = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get mode() {
      return state.mode;
    },
    set mode(m: FaultMode) {
      state.mode = m;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
