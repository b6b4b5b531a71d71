import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IndexedMinHeap } from './heap';

interface Item {
  key: number;
  heapIndex: number;
}

describe('IndexedMinHeap', () => {
  it('pops the minimum of what remains, whatever was removed or re-keyed in between', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), key: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('pop' as const) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('rekey' as const), pick: fc.nat(), key: fc.integer({ min: 0, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new IndexedMinHeap<Item>((i) => i.key);
        const live: Item[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            const item = { key: o.key, heapIndex: -1 };
            heap.push(item);
            live.push(item);
          } else if (o.kind === 'pop') {
            const top = heap.pop();
            const min = live.length ? Math.min(...live.map((i) => i.key)) : undefined;
            expect(top?.key).toBe(min);
            if (top) live.splice(live.indexOf(top), 1);
          } else if (live.length) {
            const item = live[o.pick % live.length]!;
            heap.remove(item);
            if (o.kind === 'remove') live.splice(live.indexOf(item), 1);
            else {
              item.key = o.key;
              heap.push(item);
            }
          }
          expect(heap.size).toBe(live.length);
        }
        const drained: number[] = [];
        for (let t = heap.pop(); t; t = heap.pop()) drained.push(t.key);
        expect(drained).toEqual(live.map((i) => i.key).sort((a, b) => a - b));
      }),
    );
  });
});
