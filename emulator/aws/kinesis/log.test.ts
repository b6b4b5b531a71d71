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
});
