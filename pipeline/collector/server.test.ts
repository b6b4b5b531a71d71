import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCollectorPayload, type CollectorPayload } from '../core/collector-payload';
import { harness, type Harness, type TestCollector } from './testkit';
import { send } from './http.testkit';
import { PIXEL, ROBOTS_TXT } from './server';

const TP2 = '/com.snowplowanalytics.snowplow/tp2';
const PIXEL_HEX = '47494638396101000100f00000ffffff00000021f90405000000002c00000000010001000002024401003b';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('collector HTTP API', () => {
  let h: Harness;
  let c: TestCollector;
  let redirects: TestCollector;
  beforeAll(async () => {
    h = await harness();
    c = await h.start({ paths: { '/com.acme/track': TP2, '/com.acme/go': '/r/tp2' } });
    redirects = await h.start({
      enableDefaultRedirect: true,
      redirectDomains: ['example.com'],
      crossDomain: { enabled: true, domains: ['*.acme.com', 'acme.org'], secure: false },
      rootResponse: { enabled: true, statusCode: 302, headers: { Location: 'https://acme.com/' }, body: 'moved' },
      redirectMacro: { enabled: true, placeholder: '$NUID' },
    });
  });
  afterAll(async () => h?.stop());

  const records = async (tc: TestCollector) => (await tc.readRaw()).map((r) => ({ key: r.partitionKey, p: decodeCollectorPayload(r.data) }));

  it('GET /i, /ice.png and any GET /{vendor}/{version}: 200, the exact 43-byte pixel, no-cache; HEAD without a body', async () => {
    expect(PIXEL.toString('hex')).toBe(PIXEL_HEX);
    for (const path of ['/i?e=pv', '/ice.png', `${TP2}?e=pv`, '/com.acme/v1']) {
      const r = await send(c.url, { path });
      expect(r.status, path).toBe(200);
      expect(r.body.toString('hex')).toBe(PIXEL_HEX);
      expect(r.headers['content-type']).toBe('image/gif');
      expect(r.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
      expect(r.headers['access-control-allow-credentials']).toBe('true');
    }
    const head = await send(c.url, { method: 'HEAD', path: '/i' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe('43');
  });

  it('POST /{vendor}/{version} (tp2, iglu webhook, any vendor): 200 text/plain "ok", whatever the body', async () => {
    for (const [path, body, type] of [
      [TP2, '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv"}]}', 'application/json'],
      [TP2, '{not json', 'application/json'],
      ['/com.snowplowanalytics.iglu/v1', '{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{}}', 'application/json'],
      ['/com.mailchimp/v1', 'type=subscribe&data%5Bemail%5D=a%40b.c', 'application/x-www-form-urlencoded'],
      ['/com.acme/anything', '\u0000\uffff binary-ish', 'application/octet-stream'],
    ]) {
      const r = await send(c.url, { method: 'POST', path, body, headers: { 'content-type': type! } });
      expect(r.status, `${path} ${body}`).toBe(200);
      expect(r.text).toBe('ok');
      expect(r.headers['content-type']).toBe('text/plain; charset=UTF-8');
      expect(r.headers['cache-control']).toBeUndefined();
    }
  });

  it('answers 404 for other methods, paths and shapes, and records nothing for them', async () => {
    const before = (await c.readRaw()).length;
    for (const [method, path] of [
      ['POST', '/i'],
      ['PUT', '/com.acme/v1'],
      ['DELETE', TP2],
      ['GET', '/a/b/c'],
      ['GET', '/nothing'],
      ['GET', '/'],
      ['GET', '/crossdomain.xml'],
      ['POST', '/health'],
    ]) {
      const r = await send(c.url, { method, path });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    expect((await c.readRaw()).length).toBe(before);
  });

  it('OPTIONS on any path: 200 empty with CORS headers, echoing the first Origin host', async () => {
    for (const path of [TP2, '/anything/at/all']) {
      const r = await send(c.url, { method: 'OPTIONS', path, headers: { origin: 'https://shop.acme.com:8443 https://other.org' } });
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(0);
      expect(r.headers['access-control-allow-origin']).toBe('https://shop.acme.com:8443');
      expect(r.headers['access-control-allow-credentials']).toBe('true');
      expect(r.headers['access-control-allow-headers']).toBe('Content-Type, SP-Anonymous');
      expect(r.headers['access-control-max-age']).toBe('3600');
    }
    expect((await send(c.url, { method: 'OPTIONS', path: TP2 })).headers['access-control-allow-origin']).toBe('*');
    expect((await send(c.url, { method: 'OPTIONS', path: TP2, headers: { origin: 'null' } })).headers['access-control-allow-origin']).toBe('*');
  });

  it('/health and /sink-health answer "ok", /robots.txt disallows all, /metrics speaks Prometheus', async () => {
    for (const path of ['/health', '/sink-health']) {
      const r = await send(c.url, { path });
      expect(r.status).toBe(200);
      expect(r.text).toBe('ok');
    }
    const robots = await send(c.url, { path: '/robots.txt' });
    expect(robots.status).toBe(200);
    expect(robots.text).toBe(ROBOTS_TXT);
    expect(robots.text).toBe('User-agent: *\nDisallow: /\n\nUser-agent: Googlebot\nDisallow: /\n\nUser-agent: AdsBot-Google\nDisallow: /');
    const m = await send(c.url, { path: '/metrics' });
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.text).toMatch(/furrow_collector_http_requests_total\{route="pixel",status="200"\} \d+/);
    expect(m.text).toMatch(/furrow_collector_http_requests_total\{route="not-found",status="404"\} \d+/);
    expect(m.text).toMatch(/furrow_collector_records_written_total\{stream="raw-\d+"\} \d+/);
    expect(m.text).toMatch(/furrow_collector_buffer_bytes\{stream="raw-\d+"\} \d+/);
    expect(m.text).toMatch(/furrow_collector_sink_latency_seconds_bucket\{le="0.005",stream="raw-\d+"\} \d+/);
    expect(m.text).toContain('furrow_collector_process_resident_memory_bytes');
  });

  it('/crossdomain.xml and the root response when enabled', async () => {
    const x = await send(redirects.url, { path: '/crossdomain.xml' });
    expect(x.status).toBe(200);
    expect(x.headers['content-type']).toBe('text/xml');
    expect(x.text).toBe(
      '<?xml version="1.0"?>\n<cross-domain-policy>\n<allow-access-from domain="*.acme.com" secure="false" />\n<allow-access-from domain="acme.org" secure="false" />\n</cross-domain-policy>',
    );
    const root = await send(redirects.url, { path: '/' });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('https://acme.com/');
    expect(root.text).toBe('moved');
  });

  it('rejects /r/* with 404 "redirects disabled" by default, but a custom path mapped to /r/tp2 redirects', async () => {
    const before = (await c.readRaw()).length;
    for (const method of ['GET', 'POST']) {
      const r = await send(c.url, { method, path: '/r/tp2?u=https%3A%2F%2Fexample.com%2F' });
      expect(r.status).toBe(404);
      expect(r.text).toBe('redirects disabled');
    }
    expect((await c.readRaw()).length).toBe(before);
    const r = await send(c.url, { path: '/com.acme/go?e=se&u=https%3A%2F%2Fexample.com%2Fx' });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('https://example.com/x');
    const all = await records(c);
    expect(all.at(-1)!.p.path).toBe('/r/tp2');
  });

  it('redirect mode: 302 to u (macro replaced), 400 when u is missing, invalid or off-list; every hit is recorded', async () => {
    const before = (await redirects.readRaw()).length;
    const ok = await send(redirects.url, { path: '/r/tp2?e=pv&u=https%3A%2F%2Fexample.com%2Flanding%3Fid%3D%24NUID', headers: { cookie: 'sp=abc-123' } });
    expect(ok.status).toBe(302);
    expect(ok.headers.location).toBe('https://example.com/landing?id=abc-123');
    expect(ok.headers['set-cookie']?.[0]).toMatch(/^sp=abc-123; /);
    for (const q of ['e=pv', 'u=not%20a%20uri', 'u=https%3A%2F%2Fevil.com%2F']) expect((await send(redirects.url, { path: `/r/tp2?${q}` })).status, q).toBe(400);
    const got = (await records(redirects)).slice(before);
    expect(got.map((r) => r.p.path)).toEqual(['/r/tp2', '/r/tp2', '/r/tp2', '/r/tp2']);
    expect(got[0]!.p.querystring).toBe('e=pv&u=https%3A%2F%2Fexample.com%2Flanding%3Fid%3D%24NUID');
  });

  it('records every CollectorPayload field for a POST, in the form Enrich expects', async () => {
    const before = (await c.readRaw()).length;
    const t0 = Date.now();
    const body = '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","p":"web"}]}';
    const r = await send(c.url, {
      method: 'POST',
      path: '/com.acme/track?aid=shop',
      headers: [
        ['Host', 'collector.acme.com:9090'],
        ['User-Agent', 'Mozilla/5.0 (test)'],
        ['Referer', 'https://shop.acme.com/cart'],
        ['Cookie', 'sp=11111111-2222-4333-8444-555555555555; bad"cookie=x; other=1'],
        ['X-Forwarded-For', '203.0.113.7, 10.0.0.1'],
        ['Content-Type', 'Application/JSON;Charset=UTF-8'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ],
      body,
    });
    expect(r.status).toBe(200);
    const all = await records(c);
    expect(all.length).toBe(before + 1);
    const { key, p } = all.at(-1)!;
    expect(key).toMatch(UUID);
    expect(p.timestamp).toBeGreaterThanOrEqual(t0);
    expect(p.timestamp).toBeLessThanOrEqual(Date.now());
    expect(p).toEqual<CollectorPayload>({
      schema: 'iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0',
      ipAddress: '203.0.113.7',
      timestamp: p.timestamp,
      encoding: 'UTF-8',
      collector: expect.stringMatching(/^furrow-collector-\d+\.\d+\.\d+-kinesis$/) as unknown as string,
      userAgent: 'Mozilla/5.0 (test)',
      refererUri: 'https://shop.acme.com/cart',
      path: TP2,
      querystring: 'aid=shop',
      body,
      headers: [
        'Host: collector.acme.com:9090',
        'User-Agent: Mozilla/5.0 (test)',
        'Referer: https://shop.acme.com/cart',
        'Cookie: sp=11111111-2222-4333-8444-555555555555;other=1',
        'X-Forwarded-For: 203.0.113.7, 10.0.0.1',
        'Content-Type: Application/JSON;Charset=UTF-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        'application/json; charset=utf-8',
      ],
      contentType: 'application/json; charset=utf-8',
      hostname: 'collector.acme.com',
      networkUserId: '11111111-2222-4333-8444-555555555555',
    });
  });

  it('records GET payloads with no body and no content type, and an empty POST body as ""', async () => {
    const before = (await c.readRaw()).length;
    await send(c.url, { path: '/i?e=pv&url=x', headers: [['Content-Type', 'text/plain']] });
    await send(c.url, { method: 'POST', path: TP2, headers: [['Content-Length', '0']] });
    const [get, post] = (await records(c)).slice(before).map((r) => r.p);
    expect(get!.body).toBeUndefined();
    expect(get!.contentType).toBeUndefined();
    expect(get!.querystring).toBe('e=pv&url=x');
    expect(get!.headers!.at(-1)).toBe('Connection: close');
    expect(post!.body).toBe('');
    expect(post!.contentType).toBeUndefined();
    expect(post!.querystring).toBe('');
  });

  it('records a POST body in valid UTF-8 byte for byte, and one with invalid sequences decoded with U+FFFD', async () => {
    const before = (await c.readRaw()).length;
    const valid = Buffer.from('{"page":"Caf\u00e9 \u20ac \ud83d\ude00"}', 'utf8');
    const invalid = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x7d]);
    for (const body of [valid, invalid]) expect((await send(c.url, { method: 'POST', path: '/com.acme.utf8/v1', body })).status).toBe(200);
    const [v, i] = (await c.readRaw()).slice(before).map((r) => r.data);
    const bodyBytes = (record: Buffer, body: Buffer) => record.includes(body);
    expect(bodyBytes(v!, valid)).toBe(true);
    expect(decodeCollectorPayload(v!).body).toBe(valid.toString('utf8'));
    expect(bodyBytes(i!, invalid)).toBe(false);
    expect(decodeCollectorPayload(i!).body).toBe(invalid.toString('utf8'));
    expect(decodeCollectorPayload(i!).body).toContain('\ufffd');
  });

  it('client IP: first X-Forwarded-For, else Forwarded for=, else the socket; IPv6 in brackets; unparseable XFF ignored', async () => {
    const before = (await c.readRaw()).length;
    const cases: [string, [string, string][]][] = [
      ['198.51.100.1', [['X-Forwarded-For', '198.51.100.1'], ['Forwarded', 'for=192.0.2.60']]],
      ['192.0.2.60', [['Forwarded', 'for=192.0.2.60;proto=https, for=10.0.0.1']]],
      ['[2001:db8:cafe::17]', [['Forwarded', 'For="[2001:db8:cafe::17]:4711"']]],
      ['[2001:db8::1]', [['X-Forwarded-For', '2001:DB8:0::1']]],
      ['[fe80::1%eth0]', [['X-Forwarded-For', 'fe80::1%eth0']]],
      ['127.0.0.1', [['X-Forwarded-For', 'not-an-ip, 1.2.3.4']]],
      ['unknown', [['X-Forwarded-For', 'unknown, 1.2.3.4']]],
      ['127.0.0.1', []],
    ];
    for (const [, headers] of cases) expect((await send(c.url, { path: '/i', headers })).status).toBe(200);
    const got = (await records(c)).slice(before).map((r) => r.p.ipAddress);
    expect(got).toEqual(cases.map(([ip]) => ip));
  });

  it('size tiers: 413 above dropPayloadSize (nothing recorded), a size_violation above maxPayloadSize, splitting above the record limit', async () => {
    const rawBefore = (await c.readRaw()).length;
    const badBefore = (await c.readBad()).length;
    const PD = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
    const event = (i: number) => ({ e: 'pv', eid: String(i), pad: 'x'.repeat(60_000) });

    // > 2 MiB: 413, whether declared or chunked
    const huge = JSON.stringify({ schema: PD, data: Array.from({ length: 40 }, (_, i) => event(i)) });
    expect((await send(c.url, { method: 'POST', path: TP2, body: huge, headers: { 'content-type': 'application/json' } })).status).toBe(413);
    expect((await send(c.url, { method: 'POST', path: TP2, body: huge, headers: [['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']] })).status).toBe(413);

    // between 1,000,000 and 1,048,576 encoded: split into several records with the same metadata and partition key
    const splittable = JSON.stringify({ schema: PD, data: Array.from({ length: 17 }, (_, i) => event(i)) });
    const s = await send(c.url, { method: 'POST', path: TP2, body: splittable, headers: { 'content-type': 'application/json', 'user-agent': 'splitter' } });
    expect(s.status).toBe(200);

    // > 1,048,576 encoded but < 2 MiB: one size_violation, nothing on raw
    const oversized = JSON.stringify({ schema: PD, data: Array.from({ length: 25 }, (_, i) => event(i)) });
    const o = await send(c.url, { method: 'POST', path: TP2, body: oversized, headers: { 'content-type': 'application/json' } });
    expect(o.status).toBe(200);
    expect(o.text).toBe('ok');

    const raw = (await c.readRaw()).slice(rawBefore);
    expect(raw.length).toBe(2);
    expect(new Set(raw.map((r) => r.partitionKey)).size).toBe(1);
    const parts = raw.map((r) => decodeCollectorPayload(r.data));
    for (const part of parts) {
      expect(part.userAgent).toBe('splitter');
      expect(part.path).toBe(TP2);
    }
    expect(parts[0]!.networkUserId).toBe(parts[1]!.networkUserId);
    expect(parts[0]!.timestamp).toBe(parts[1]!.timestamp);
    for (const r of raw) expect(r.data.length).toBeLessThan(1_000_000);
    expect(parts.flatMap((p) => JSON.parse(p.body!).data.map((e: { eid: string }) => e.eid))).toEqual(Array.from({ length: 17 }, (_, i) => String(i)));

    const bad = (await c.readBad()).slice(badBefore);
    expect(bad.length).toBe(1);
    const row = JSON.parse(bad[0]!.data.toString('utf8'));
    expect(row.schema).toBe('iglu:com.snowplowanalytics.snowplow.badrows/size_violation/jsonschema/1-0-0');
    expect(row.data.processor.artifact).toBe('furrow-collector');
    expect(row.data.failure.maximumAllowedSizeBytes).toBe(1_048_576);
    expect(row.data.failure.actualSizeBytes).toBeGreaterThan(1_048_576);
    expect(row.data.failure.expectation).toBe(`oversized collector payload: Payload exceeds max size of 1048576. Actual length: ${row.data.failure.actualSizeBytes}`);
    expect(row.data.payload).toHaveLength(104_857);
    expect(row.data.payload.startsWith('CollectorPayload(schema:iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0, ipAddress:127.0.0.1, timestamp:')).toBe(true);
  });

  it('answers 408 to a client that does not send its body within bodyReadTimeoutMs, and records nothing', async () => {
    const slow = await h.start({ networking: { bodyReadTimeoutMs: 400 } });
    const { connect } = await import('node:net');
    const socket = connect(slow.running.port, '127.0.0.1');
    const t0 = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (d) => (got += d.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
      socket.write(`POST ${TP2} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await slow.readRaw()).toEqual([]);
  });

  it('ignores an Expect it does not know (Node would answer 417): 200 and recorded, like any other request', async () => {
    const r = await send(c.url, { method: 'POST', path: `${TP2}?expect=nonsense`, headers: { expect: 'nonsense', 'content-type': 'application/json' }, body: '{}' });
    expect([r.status, r.text]).toEqual([200, 'ok']);
    expect((await records(c)).filter((x) => x.p.querystring === 'expect=nonsense')).toHaveLength(1);
  });

  it('at maxConnections, closes keep-alive connections idle between requests so a new client still gets in', async () => {
    const small = await h.start({ networking: { maxConnections: 8 } });
    const { connect } = await import('node:net');
    const hogs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new Promise<import('node:net').Socket>((resolve) => {
          const s = connect(small.running.port, '127.0.0.1', () => s.write(`GET /i?hog=${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
          s.once('data', () => resolve(s)); // answered; the connection stays open (keep-alive)
          s.on('error', () => undefined);
        }),
      ),
    );
    const r = await send(small.url, { path: '/i?after=hogs' });
    expect(r.status).toBe(200);
    for (const s of hogs) s.destroy();
  });

  it('answers a complete request before the 400 for malformed bytes after it on the same connection (in order)', async () => {
    const { connect } = await import('node:net');
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      const s = connect(c.running.port, '127.0.0.1', () =>
        s.write(`POST ${TP2}?inorder=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}{"rest":"of a body longer than declared"}\r\n\r\n`),
      );
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 400 /);
    expect((await records(c)).filter((x) => x.p.querystring === 'inorder=1')).toHaveLength(1);
  });

  it('answers 400 to a request whose headers exceed maxHeadersLength', async () => {
    const r = await send(c.url, { path: '/i', headers: { 'x-big': 'a'.repeat(70_000) } });
    expect(r.status).toBe(400);
  });
});

describe('collector /micro/* forwarding (collector.microUpstream)', () => {
  let h: Harness;
  let upstream: import('node:http').Server;
  let c: TestCollector;
  let dead: TestCollector;
  beforeAll(async () => {
    const { createServer } = await import('node:http');
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        res.writeHead(req.url === '/micro/missing' ? 404 : 200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    h = await harness();
    c = await h.start({ microUpstream: `http://127.0.0.1:${(upstream.address() as { port: number }).port}` });
    dead = await h.start({ microUpstream: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await h?.stop();
    await new Promise((r) => upstream?.close(r));
  });

  it('relays method, path, query, body, status and headers, and records nothing', async () => {
    const get = await send(c.url, { path: '/micro/all?x=1' });
    expect(get.status).toBe(200);
    expect(get.headers['x-upstream']).toBe('yes');
    expect(JSON.parse(get.text)).toEqual({ method: 'GET', url: '/micro/all?x=1', body: '' });
    const post = await send(c.url, { method: 'POST', path: '/micro/good', body: '{"limit":1}', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(post.text)).toEqual({ method: 'POST', url: '/micro/good', body: '{"limit":1}' });
    expect((await send(c.url, { path: '/micro/missing' })).status).toBe(404);
    expect((await send(c.url, { path: '/micro/ui/assets/app.js' })).status).toBe(200);
    expect(await c.readRaw()).toEqual([]);
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const r = await send(dead.url, { path: '/micro/all' });
    expect(r.status).toBe(502);
    expect(r.text).toContain('Micro API unreachable');
  });
});
