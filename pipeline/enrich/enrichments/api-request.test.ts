import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derived, enrichOne, settingsWith } from './testing';

let server: Server;
let base: string;
const hits: Array<{ method: string; url: string; auth?: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      if (req.url!.startsWith('/slow')) {
        setTimeout(() => res.end('{}'), 1500).unref();
        return;
      }
      if (req.url!.startsWith('/boom')) {
        res.statusCode = 500;
        res.end('no');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: { sku: `sku-for-${decodeURIComponent(req.url!.split('/').pop()!)}`, price: 9.5 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function apiConfig(uri: string, extra: Record<string, unknown> = {}, method = 'GET', timeout = 2000) {
  return {
    schema: 'iglu:com.snowplowanalytics.snowplow.enrichments/api_request_enrichment_config/jsonschema/1-0-2',
    data: {
      vendor: 'com.snowplowanalytics.snowplow.enrichments',
      name: 'api_request_enrichment_config',
      enabled: true,
      parameters: {
        inputs: [{ key: 'uid', pojo: { field: 'user_id' } }],
        api: { http: { method, uri, timeout, authentication: { httpBasic: { username: 'u', password: 'p' } } } },
        outputs: [{ schema: 'iglu:com.acme/product/jsonschema/1-0-0', json: { jsonPath: '$.user' } }],
        cache: { size: 100, ttl: 60 },
        ...extra,
      },
    },
  };
}
const EV = { e: 'pv', tv: 't', p: 'web', uid: 'alice smith' };

describe('api_request_enrichment_config (against a local HTTP server)', () => {
  it('calls the API with the inputs, adds the output context, caches identical requests', async () => {
    hits.length = 0;
    const s = await settingsWith([apiConfig(`${BASE()}/users/{{uid}}`)]);
    const a = await enrichOne(s, EV);
    const b = await enrichOne(s, EV);
    expect(a.bad).toBeUndefined();
    expect(derived(a.good!)).toEqual([{ schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'sku-for-alice smith', price: 9.5 } }]);
    expect(derived(b.good!)).toEqual(derived(a.good!));
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ method: 'GET', url: '/users/alice%20smith', auth: 'Basic ' + Buffer.from('u:p').toString('base64') });
    // No input → no request, no context.
    const none = await enrichOne(s, { e: 'pv', tv: 't', p: 'web' });
    expect(none.good!.derived_contexts).toBeNull();
    expect(hits).toHaveLength(1);
  });

  it('POST sends the inputs as JSON', async () => {
    hits.length = 0;
    const s = await settingsWith([apiConfig(`${BASE()}/users/post`, {}, 'POST')]);
    expect((await enrichOne(s, EV)).good).toBeDefined();
    expect(hits[0]).toMatchObject({ method: 'POST', body: JSON.stringify({ uid: 'alice smith' }) });
  });

  it('timeouts and HTTP errors are enrichment failures, unless ignoreOnError', async () => {
    const slow = await enrichOne(await settingsWith([apiConfig(`${BASE()}/slow/{{uid}}`, {}, 'GET', 200)]), EV);
    expect(slow.bad!.schema).toContain('enrichment_failures');
    expect(slow.bad!.data.failure.messages[0].message.error).toMatch(/timed out after 200 ms/);
    expect(slow.bad!.data.failure.messages[0].enrichment.identifier).toBe('api-request');
    const boom = await enrichOne(await settingsWith([apiConfig(`${BASE()}/boom/{{uid}}`)]), EV);
    expect(boom.bad!.data.failure.messages[0].message.error).toMatch(/responded 500/);
    const ignored = await enrichOne(await settingsWith([apiConfig(`${BASE()}/boom/{{uid}}`, { ignoreOnError: true })]), EV);
    expect(ignored.good).toBeDefined();
  });

  it('only reaches the configured host: a value that changes the origin is refused before any request', async () => {
    hits.length = 0;
    const s = await settingsWith([apiConfig('http://{{uid}}/users')]);
    const { bad } = await enrichOne(s, { ...EV, uid: 'evil.example' });
    expect(bad!.data.failure.messages[0].message.error).toMatch(/refused: http:\/\/evil\.example is not the configured host http:\/\/x/);
    const other = await enrichOne(s, { ...EV, uid: BASE().replace('http://', '') });
    expect(other.bad!.schema).toContain('enrichment_failures');
    expect(hits).toHaveLength(0);
  });
});

function BASE(): string {
  return base;
}
