import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { decodeCollectorPayload } from '../core/collector-payload';
import { harness, type Harness, type TestCollector } from './testkit';
import { send } from './http.testkit';

/** Reads a one-shard stream incrementally: each call returns what arrived since the last. */
async function tail(client: KinesisClient, stream: string): Promise<() => Promise<Buffer[]>> {
  let it = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  return async () => {
    const out: Buffer[] = [];
    for (;;) {
      const got = await client.send(new GetRecordsCommand({ ShardIterator: it }));
      it = got.NextShardIterator;
      for (const r of got.Records ?? []) out.push(Buffer.from(r.Data!));
      if (!got.Records?.length) return out;
    }
  };
}

const PD = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const token = fc.stringMatching(/^[a-z][a-z0-9.-]{0,11}$/);
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

const pathArb = fc.oneof(
  fc.constantFrom('/i', '/ice.png', '/com.snowplowanalytics.snowplow/tp2', '/com.snowplowanalytics.iglu/v1', '/com.snowplowanalytics.snowplow/tp1', '/r/tp2', '/com.mailchimp/v1'),
  fc.tuple(token, token).map(([v, n]) => `/${v}/${n}`),
  token.map((t) => `/${t}`),
  fc.tuple(token, token, token).map(([a, b, c]) => `/${a}/${b}/${c}`),
);

const validEvent = fc.record({ e: fc.constantFrom('pv', 'se', 'ue', 'pp'), eid: fc.uuid(), tv: fc.constant('js-4.0.0'), p: fc.constantFrom('web', 'srv'), url: printable });
const bodyArb = fc.oneof(
  { weight: 3, arbitrary: fc.array(validEvent, { minLength: 1, maxLength: 5 }).map((data) => JSON.stringify({ schema: PD, data })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.array(fc.record({ e: fc.constant('pv'), pad: fc.nat({ max: 3000 }).map((n) => 'p'.repeat(n)) }), { minLength: 1, maxLength: 12 }).map((data) => JSON.stringify({ schema: PD, data })) },
  { weight: 1, arbitrary: fc.integer({ min: 3000, max: 60_000 }).map((n) => 'z'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('') },
);
const headersArb = fc.record(
  {
    'user-agent': printable,
    'content-type': fc.constantFrom('application/json', 'application/json; charset=UTF-8', 'text/plain', 'garbage', 'application/x-www-form-urlencoded'),
    cookie: fc.tuple(fc.option(printable.filter((s) => !/[;\s]/.test(s)), { nil: undefined }), printable).map(([sp, other]) => `${sp !== undefined ? `sp=${sp}; ` : ''}x=${other}`),
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), printable),
    origin: fc.oneof(fc.webUrl().map((u) => new URL(u).origin), printable),
    'sp-anonymous': fc.constant('*'),
    referer: fc.webUrl(),
  },
  { requiredKeys: [] },
);

/** A body that is certainly valid tracker input, of exactly `bytes` bytes (or as close as JSON allows above). */
function validTwin(bytes: number): string {
  const base = JSON.stringify({ schema: PD, data: [{ e: 'pv', tv: 'js-4.0.0', p: 'web', pad: '' }] });
  return base.replace('"pad":""', `"pad":"${'v'.repeat(Math.max(0, bytes - Buffer.byteLength(base)))}"`);
}

describe('collector properties', () => {
  let h: Harness;
  let c: TestCollector;
  let readRaw: () => Promise<Buffer[]>;
  let readBad: () => Promise<Buffer[]>;
  beforeAll(async () => {
    h = await harness();
    c = await h.start({
      networking: { dropPayloadSize: 50_000, maxPayloadSize: 20_000 },
      sink: { maxBytes: 4096, buffer: { timeLimitMs: 0, recordLimit: 500, byteLimit: 3_145_728 } },
    });
    readRaw = await tail(h.client, c.raw);
    readBad = await tail(h.client, c.bad);
  });
  afterAll(async () => h?.stop());

  it('property: the status never depends on payload validity, and every tracked request yields >= 1 raw record or exactly one size_violation', async () => {
    let n = 0;
    const seen = { recorded: 0, split: 0, sizeViolation: 0, tooLarge: 0, notFound: 0 };
    const batch = (events: number, pad: number) => JSON.stringify({ schema: PD, data: Array.from({ length: events }, () => ({ e: 'pv', pad: 'p'.repeat(pad) })) });
    const TP2 = '/com.snowplowanalytics.snowplow/tp2';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'), pathArb, headersArb, bodyArb, fc.option(printable, { nil: undefined }), async (method, path, headers, body, extraQuery) => {
        const marker = `pt${++n}`;
        const query = `pt=${marker}${extraQuery ? `&q=${encodeURIComponent(extraQuery)}` : ''}`;
        const sendBody = method === 'GET' || method === 'HEAD' ? undefined : body;
        const r = await send(c.url, { method, path: `${path}?${query}`, headers, body: sendBody });
        expect([200, 302, 400, 404, 413, 503]).toContain(r.status);

        await c.running.good.flush();
        await c.running.bad.flush();
        const raw = (await readRaw()).map((b) => decodeCollectorPayload(b)).filter((p) => p.querystring?.startsWith(`pt=${marker}`));
        const bad = (await readBad()).map((b) => b.toString('utf8'));
        if (r.status === 413) seen.tooLarge++;
        if (r.status === 404) seen.notFound++;
        if (r.status === 200) {
          seen.recorded++;
          if (raw.length > 1) seen.split++;
          if (raw.length === 0) seen.sizeViolation++;
          // recorded: at least one good record, or exactly one size_violation naming this request
          const mine = bad.filter((b) => b.includes(`querystring:pt=${marker}`));
          if (raw.length === 0) {
            expect(bad).toHaveLength(1);
            expect(JSON.parse(bad[0]!).schema).toBe('iglu:com.snowplowanalytics.snowplow.badrows/size_violation/jsonschema/1-0-0');
            expect(mine).toHaveLength(1);
          }
          for (const p of raw) expect(p.path).toBeDefined();
        } else {
          expect(raw).toEqual([]);
          expect(bad).toEqual([]);
        }

        // the same request with a certainly-valid payload of the same size gets the same status
        if (sendBody !== undefined) {
          const twinBody = validTwin(Buffer.byteLength(sendBody));
          const twin = await send(c.url, { method, path: `${path}?pt=twin${marker}`, headers: { ...headers, 'content-type': 'application/json' }, body: twinBody });
          expect(twin.status).toBe(r.status);
          await c.running.good.flush();
          await c.running.bad.flush();
          await readRaw();
          await readBad();
        }
      }),
      {
        numRuns: 80,
        examples: [
          ['POST', TP2, {}, 'z'.repeat(60_000), undefined],
          ['POST', TP2, {}, 'z'.repeat(30_000), undefined],
          ['POST', TP2, { 'content-type': 'application/json' }, batch(8, 1500), undefined],
          ['GET', '/a/b/c', {}, '', undefined],
        ],
      },
    );
    // every outcome class was exercised
    expect(Object.values(seen).every((v) => v > 0), JSON.stringify(seen)).toBe(true);
    // 80 runs of HTTP + stream reads: a few seconds on a quiet machine, much longer on a loaded one.
  }, 120_000);
});
