import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageView, buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';
import { decodeCollectorPayload, type CollectorPayload } from '../core/collector-payload';
import { harness, type Harness, type TestCollector } from './testkit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TP2 = '/com.snowplowanalytics.snowplow/tp2';

describe('@snowplow/node-tracker → collector → raw stream (real client)', () => {
  let h: Harness;
  let c: TestCollector;
  beforeAll(async () => {
    h = await harness();
    c = await h.start();
  });
  afterAll(async () => h?.stop());

  const statuses: number[] = [];
  /** The emitter queues asynchronously: flush, then wait until the tracker heard `n` answers. */
  const settle = async (t: { flush(): Promise<void> }, n: number) => {
    const deadline = Date.now() + 10_000;
    while (statuses.length < n && Date.now() < deadline) {
      await t.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    return statuses.splice(0);
  };
  const tracker = (opts: { eventMethod?: 'get' | 'post'; serverAnonymization?: boolean; bufferSize?: number }, encodeBase64 = false) =>
    newTracker(
      { namespace: 'ns1', appId: 'furrow-test', encodeBase64 },
      {
        endpoint: '127.0.0.1',
        protocol: 'http',
        port: c.running.port,
        bufferSize: opts.bufferSize ?? 1,
        eventMethod: opts.eventMethod ?? 'post',
        serverAnonymization: opts.serverAnonymization,
        onRequestSuccess: (_b, res) => statuses.push(res.status),
        onRequestFailure: (f) => statuses.push(f.status ?? -1),
      },
    );

  it('POSTs a batch of page view, structured and self-describing events; every Thrift field checks out', async () => {
    const before = (await c.readRaw()).length;
    const t = tracker({ bufferSize: 3 });
    const t0 = Date.now();
    t.track(buildPageView({ pageUrl: 'https://shop.acme.com/p?id=1', pageTitle: 'Product 1', referrer: 'https://google.com/' }));
    t.track(buildStructEvent({ category: 'shop', action: 'add-to-basket', label: 'sku-1', property: 'red', value: 12.5 }));
    t.track(
      buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/checkout/jsonschema/1-0-0', data: { basket: 2, total: 25.5, currency: 'EUR' } } }),
      [{ schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { tier: 'gold' } }],
    );
    expect(await settle(t, 1)).toEqual([200]);

    const recs = (await c.readRaw()).slice(before);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.partitionKey).toMatch(UUID);
    const p = decodeCollectorPayload(recs[0]!.data);
    const ua = p.headers!.find((x) => x.toLowerCase().startsWith('user-agent: '));
    expect(p).toMatchObject<Partial<CollectorPayload>>({
      schema: 'iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0',
      ipAddress: '127.0.0.1',
      encoding: 'UTF-8',
      path: TP2,
      querystring: '',
      contentType: 'application/json; charset=utf-8',
      hostname: '127.0.0.1',
    });
    expect(p.collector).toMatch(/^furrow-collector-\d+\.\d+\.\d+-kinesis$/);
    expect(p.timestamp).toBeGreaterThanOrEqual(t0);
    expect(p.timestamp).toBeLessThanOrEqual(Date.now());
    expect(p.networkUserId).toMatch(UUID);
    expect(ua).toBeDefined();
    expect(p.userAgent).toBe(ua!.slice('user-agent: '.length));
    expect(p.refererUri).toBeUndefined();
    expect(p.headers!.at(-1)).toBe('application/json; charset=utf-8');
    expect(p.headers!.some((x) => /^content-type: application\/json; charset=UTF-8$/i.test(x))).toBe(true);
    expect(p.headers!.some((x) => x === `host: 127.0.0.1:${c.running.port}` || x === `Host: 127.0.0.1:${c.running.port}`)).toBe(true);

    const body = JSON.parse(p.body!);
    expect(body.schema).toBe('iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4');
    expect(body.data).toHaveLength(3);
    const [pv, se, ue] = body.data as Record<string, string>[];
    for (const e of [pv, se, ue]) {
      expect(e).toMatchObject({ aid: 'furrow-test', tna: 'ns1', p: 'srv' });
      expect(e!.eid).toMatch(UUID);
      expect(e!.tv).toMatch(/^node-4\./);
      expect(Number(e!.dtm)).toBeGreaterThanOrEqual(t0);
      expect(Number(e!.stm)).toBeGreaterThanOrEqual(Number(e!.dtm));
      for (const v of Object.values(e!)) expect(typeof v).toBe('string');
    }
    expect(pv).toMatchObject({ e: 'pv', url: 'https://shop.acme.com/p?id=1', page: 'Product 1', refr: 'https://google.com/' });
    expect(se).toMatchObject({ e: 'se', se_ca: 'shop', se_ac: 'add-to-basket', se_la: 'sku-1', se_pr: 'red', se_va: '12.5' });
    expect(ue!.e).toBe('ue');
    expect(JSON.parse(ue!.ue_pr!)).toEqual({
      schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
      data: { schema: 'iglu:com.acme/checkout/jsonschema/1-0-0', data: { basket: 2, total: 25.5, currency: 'EUR' } },
    });
    expect(JSON.parse(ue!.co!)).toEqual({
      schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
      data: [{ schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { tier: 'gold' } }],
    });
  });

  it('GET emitter: one pixel request per event on /i, querystring recorded raw, no body or content type', async () => {
    const before = (await c.readRaw()).length;
    const t = tracker({ eventMethod: 'get' }, true);
    t.track(buildPageView({ pageUrl: 'https://acme.com/a b', pageTitle: 'Ä title' }));
    t.track(buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/click/jsonschema/1-0-0', data: { id: 'x' } } }));
    expect(await settle(t, 2)).toEqual([200, 200]);
    const recs = (await c.readRaw()).slice(before).map((r) => decodeCollectorPayload(r.data));
    expect(recs.map((p) => p.path)).toEqual(['/i', '/i']);
    for (const p of recs) {
      expect(p.body).toBeUndefined();
      expect(p.contentType).toBeUndefined();
      expect(p.headers!.some((h) => /^content-type/i.test(h))).toBe(false);
    }
    const q0 = new URLSearchParams(recs[0]!.querystring);
    expect(q0.get('e')).toBe('pv');
    expect(q0.get('url')).toBe('https://acme.com/a b');
    expect(q0.get('page')).toBe('Ä title');
    expect(recs[0]!.querystring).toContain('url=https%3A%2F%2Facme.com%2Fa%20b');
    const q1 = new URLSearchParams(recs[1]!.querystring);
    expect(q1.get('e')).toBe('ue');
    expect(JSON.parse(Buffer.from(q1.get('ue_px')!, 'base64url').toString('utf8')).data).toEqual({ schema: 'iglu:com.acme/click/jsonschema/1-0-0', data: { id: 'x' } });
  });

  it('server anonymisation (SP-Anonymous): all-zero nuid and IP unknown', async () => {
    const before = (await c.readRaw()).length;
    const t = tracker({ serverAnonymization: true });
    t.track(buildPageView({ pageUrl: 'https://acme.com/' }));
    expect(await settle(t, 1)).toEqual([200]);
    const [p] = (await c.readRaw()).slice(before).map((r) => decodeCollectorPayload(r.data));
    expect(p!.networkUserId).toBe('00000000-0000-0000-0000-000000000000');
    expect(p!.ipAddress).toBe('unknown');
  });
});
