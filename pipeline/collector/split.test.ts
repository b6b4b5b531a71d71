import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCollectorPayload, encodeCollectorPayload, type CollectorPayload } from '../core/collector-payload';
import { splitAndSerialize } from './split';

const processor = { artifact: 'furrow-collector', version: '0.1.0' };
const base: CollectorPayload = {
  schema: 'iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0',
  ipAddress: '1.2.3.4',
  timestamp: 1,
  encoding: 'UTF-8',
  collector: 'c',
  path: '/com.snowplowanalytics.snowplow/tp2',
  querystring: '',
  headers: ['Host: x', 'application/json'],
  contentType: 'application/json',
  networkUserId: 'n',
};
const PD = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const event = (i: number, pad: number) => ({ e: 'pv', eid: String(i), pad: 'x'.repeat(pad) });
const post = (events: unknown[], extra: Partial<CollectorPayload> = {}): CollectorPayload => ({ ...base, body: JSON.stringify({ schema: PD, data: events }), ...extra });
const parse = (b: Buffer) => JSON.parse(b.toString('utf8'));

describe('splitAndSerialize (the three size tiers)', () => {
  it('emits one record, byte-identical to the encoder, below the record limit', () => {
    const p = post([event(1, 10)]);
    const r = splitAndSerialize(p, { maxBytes: 1000, maxPayloadSize: 2000, processor });
    expect(r.bad).toEqual([]);
    expect(r.good).toHaveLength(1);
    expect(r.good[0]!.equals(encodeCollectorPayload(p))).toBe(true);
  });

  it('rejects a payload above maxPayloadSize with one size_violation truncated to max/10 characters', () => {
    const p = post([event(1, 3000)]);
    const size = encodeCollectorPayload(p).length;
    const r = splitAndSerialize(p, { maxBytes: 1000, maxPayloadSize: 2000, processor, now: 0 });
    expect(r.good).toEqual([]);
    expect(r.bad).toHaveLength(1);
    const row = parse(r.bad[0]!);
    expect(row.schema).toBe('iglu:com.snowplowanalytics.snowplow.badrows/size_violation/jsonschema/1-0-0');
    expect(row.data.processor).toEqual(processor);
    expect(row.data.failure).toEqual({
      timestamp: '1970-01-01T00:00:00.000Z',
      maximumAllowedSizeBytes: 2000,
      actualSizeBytes: size,
      expectation: `oversized collector payload: Payload exceeds max size of 2000. Actual length: ${size}`,
    });
    expect(row.data.payload).toBe('CollectorPayload(schema:iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0, ipAddress:1.2.3.4, timestamp:1, encoding:UTF-8, collector:c, path:/com.snowplowanalytics.snowplow/tp2, querystring:, body:{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","eid":"1","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'.slice(0, 200));
  });

  it('splits a POST batch into records below the limit with the same metadata, keeping every event once and in order', () => {
    const events = Array.from({ length: 30 }, (_, i) => event(i, 50));
    const p = post(events);
    const r = splitAndSerialize(p, { maxBytes: 1000, maxPayloadSize: 100_000, processor });
    expect(r.bad).toEqual([]);
    expect(r.good.length).toBeGreaterThan(1);
    const seen: unknown[] = [];
    for (const rec of r.good) {
      expect(rec.length).toBeLessThan(1000);
      const d = decodeCollectorPayload(rec);
      const { body, ...meta } = d;
      const { body: _b, ...origMeta } = p;
      expect(meta).toEqual(origMeta);
      const b = JSON.parse(body!);
      expect(b.schema).toBe(PD);
      seen.push(...b.data);
    }
    expect(seen).toEqual(events);
  });

  it('turns a single oversized event into its own size_violation and keeps its siblings', () => {
    const events = [event(1, 10), event(2, 2000), event(3, 10)];
    const r = splitAndSerialize(post(events), { maxBytes: 1000, maxPayloadSize: 100_000, processor });
    expect(r.good).toHaveLength(1);
    expect(JSON.parse(decodeCollectorPayload(r.good[0]!).body!).data).toEqual([events[0], events[2]]);
    expect(r.bad).toHaveLength(1);
    const f = parse(r.bad[0]!).data.failure;
    expect(f.expectation).toBe('oversized collector payload: this POST request split is still too large');
    expect(f.maximumAllowedSizeBytes).toBe(1000);
    expect(f.actualSizeBytes).toBe(JSON.stringify(events[1]).length);
    expect(parse(r.bad[0]!).data.payload).toHaveLength(100);
  });

  it.each([
    ['GET (no body)', { ...base, querystring: 'x='.padEnd(1500, 'a') }, 'GET requests cannot be split'],
    ['not JSON', { ...base, body: 'z'.repeat(1500) }, 'cannot split POST requests which are not json'],
    ['not self-describing', { ...base, body: JSON.stringify({ data: ['x'.repeat(1500)] }) }, 'cannot split POST requests which are not self-describing'],
    ['no data array', { ...base, body: JSON.stringify({ schema: PD, data: { a: 'x'.repeat(1500) } }) }, 'cannot split POST requests which do not contain a data array'],
    ['metadata alone too big', post([event(1, 1)], { userAgent: 'u'.repeat(1500) }), 'event without "data" field is still too big'],
    ['empty data array padded elsewhere', { ...base, body: JSON.stringify({ schema: PD, data: [], junk: 'x'.repeat(1500) }) }, 'data array is empty'],
  ])('rejects a payload that cannot be split (%s) as one size_violation at the record limit', (_name, p, message) => {
    const r = splitAndSerialize(p as CollectorPayload, { maxBytes: 1000, maxPayloadSize: 100_000, processor });
    expect(r.good).toEqual([]);
    expect(r.bad).toHaveLength(1);
    const f = parse(r.bad[0]!).data.failure;
    expect(f.maximumAllowedSizeBytes).toBe(1000);
    expect(f.expectation).toContain(message);
    expect(f.expectation.length).toBeLessThanOrEqual(256);
  });

  it('property: every request yields at least one record; good records are below the limit; no event is lost or duplicated', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1200 }), { maxLength: 40 }), fc.nat({ max: 600 }), (pads, ua) => {
        const events = pads.map((n, i) => event(i, n));
        const p = post(events, { userAgent: 'u'.repeat(ua) });
        const r = splitAndSerialize(p, { maxBytes: 1000, maxPayloadSize: 50_000, processor });
        expect(r.good.length + r.bad.length).toBeGreaterThanOrEqual(1);
        for (const g of r.good) expect(g.length).toBeLessThan(1000);
        if (encodeCollectorPayload(p).length > 50_000) {
          expect(r.bad).toHaveLength(1);
          return;
        }
        const kept = r.good.flatMap((g) => JSON.parse(decodeCollectorPayload(g).body!).data);
        // split (or rejected whole): kept events are an in-order subsequence, each dropped one has a bad row
        if (r.good.length > 0) expect(kept.length + r.bad.length).toBe(events.length);
        expect(kept).toEqual(events.filter((e) => kept.some((k: { eid: string }) => k.eid === e.eid)));
      }),
      { numRuns: 300 },
    );
  });
  it('property: a body handed over as its UTF-8 bytes (rawBody) gives exactly the records and bad rows of its string', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 900 }), fc.constantFrom('x', 'é', '€', '😀')), { maxLength: 30 }),
        fc.constantFrom(1000, 5000),
        fc.boolean(),
        (pads, maxBytes, selfDescribing) => {
          const events = pads.map(([n, c], i) => ({ e: 'pv', eid: String(i), pad: c.repeat(n) }));
          const p = selfDescribing ? post(events) : { ...base, body: JSON.stringify(events) };
          const o = { maxBytes, maxPayloadSize: 20_000, processor, now: 1_700_000_000_000 };
          const fromString = splitAndSerialize(p, o);
          const withoutBody = { ...p };
          delete withoutBody.body;
          const fromBytes = splitAndSerialize(withoutBody, o, Buffer.from(p.body!, 'utf8'));
          expect(fromBytes.good.map((b) => b.toString('hex'))).toEqual(fromString.good.map((b) => b.toString('hex')));
          expect(fromBytes.bad.map((b) => b.toString('utf8'))).toEqual(fromString.bad.map((b) => b.toString('utf8')));
        },
      ),
      { numRuns: 200 },
    );
  });
});
