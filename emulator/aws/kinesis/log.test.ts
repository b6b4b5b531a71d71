import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecordLog, type HotBudget, type StoredRecord } from './log';

const seqOf = (c: number) => `seq-${c}`;
const rec = (c: number, at: number, key = `k${c}`): StoredRecord => ({ SequenceNumber: seqOf(c), ApproximateArrivalTimestamp: at, Data: `ZGF0YQ${c}==`, PartitionKey: key });

describe('RecordLog', () => {
  it('reads back exactly what was pushed across hot and cold tiers, with trimming and binary search', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 5 }), fc.integer({ min: 0, max: 3 })), { maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (perShard, entries, trims) => {
          const budget: HotBudget = { perShard, total: 1 << 30, used: 0 };
          const log = new RecordLog(budget, seqOf);
          const all: StoredRecord[] = [];
          let at = 1000;
          entries.forEach(([key, gap], i) => {
            at += gap;
            const r = rec(i * 2 + 1, at, key);
            log.push(i * 2 + 1, r);
            all.push(r);
          });
          let kept = all;
          for (const t of trims) {
            if (!all.length) break;
            const ts = all[t % all.length]!.ApproximateArrivalTimestamp;
            log.trimBefore(ts);
            kept = kept.filter((r) => r.ApproximateArrivalTimestamp >= ts);
          }
          expect(log.length).toBe(kept.length);
          expect(log.end - log.base).toBe(kept.length);
          expect(log.read(log.base, log.end)).toEqual(kept);
          expect(log.recordsJson(log.base, log.end, '{"Records":', '}').toString()).toBe(JSON.stringify({ Records: kept }));
          kept.forEach((r, i) => {
            const c = Number(r.SequenceNumber.slice(4));
            expect(log.lowerBoundCounter(c, true)).toBe(log.base + i);
            expect(log.lowerBoundCounter(c, false)).toBe(log.base + i + 1);
            expect(log.lowerBoundCounter(c - 1, false)).toBe(log.base + i);
            expect(log.read(log.base + i, log.base + i + 1)).toEqual([r]);
          });
          expect(budget.used).toBeLessThanOrEqual(Math.max(perShard, 0) + 64);
          log.release();
          expect(budget.used).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: pushBytes and push interleave in order, and recordsJson is byte for byte JSON.stringify of read (escaped data too)', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((b) => ({ text: Buffer.from(b).toString('base64'), bytes: true })),
      // text only the generic path stores: quotes, backslashes, control and non-ASCII characters
      fc.string({ unit: 'grapheme', maxLength: 8 }).map((t) => ({ text: t, bytes: false })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.tuple(data, fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 120 }), fc.nat(), (perShard, entries, cut) => {
        const log = new RecordLog({ perShard, total: 1 << 30, used: 0 }, seqOf);
        const all: StoredRecord[] = [];
        entries.forEach(([d, key], i) => {
          const r: StoredRecord = { SequenceNumber: seqOf(i), ApproximateArrivalTimestamp: 1000 + i / 8, Data: d.text, PartitionKey: key };
          if (d.bytes) {
            // as the PutRecords scanner hands it over: a range of a larger body
            const body = Buffer.from(`{"Data":"${d.text}"}`, 'latin1');
            log.pushBytes(i, r.ApproximateArrivalTimestamp, key, body, 9, 9 + d.text.length);
          } else log.push(i, r);
          all.push(r);
        });
        // what a latin1 store keeps of non-latin1 text once demoted
        const expected = log.read(log.base, log.end);
        expect(expected.map((r) => r.SequenceNumber)).toEqual(all.map((r) => r.SequenceNumber));
        expect(expected.map((r) => r.PartitionKey)).toEqual(all.map((r) => r.PartitionKey));
        all.forEach((r, i) => {
          if (/^[A-Za-z0-9+/=]*$/.test(r.Data)) expect(expected[i]!.Data).toBe(r.Data);
        });
        const from = log.base + (all.length ? cut % (all.length + 1) : 0);
        expect(log.recordsJson(from, log.end, '{"Records":', ',"MillisBehindLatest":0}').toString()).toBe(
          `{"Records":${JSON.stringify(log.read(from, log.end))},"MillisBehindLatest":0}`,
        );
      }),
      { numRuns: 300 },
    );
  });
});
