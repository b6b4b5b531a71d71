import { describe, expect, it } from 'vitest';
import { itemSize, type Item } from './attribute-values';
import { ItemStore } from './item-store';

function storeWith(keys: [string, string][]): ItemStore {
  const store = new ItemStore({ hash: { name: 'h', type: 'S' }, range: { name: 'r', type: 'N' } });
  for (const [h, r] of keys) {
    const item: Item = { h: { S: h }, r: { N: r } };
    store.put(item, itemSize(item));
  }
  return store;
}

const ranges = (it: Iterable<{ item: Item }>) => [...it].map((s) => (s.item.r as { N: string }).N);
const keys = (it: Iterable<{ item: Item }>) => [...it].map((s) => `${(s.item.h as { S: string }).S}/${(s.item.r as { N: string }).N}`);

describe('item store', () => {
  it('keeps range keys in numeric order and answers range conditions by binary search', () => {
    const store = storeWith([['a', '10'], ['a', '9'], ['a', '-1'], ['a', '100'], ['a', '9.5'], ['b', '1']]);
    expect(ranges(store.query('a', undefined, true))).toEqual(['-1', '9', '9.5', '10', '100']);
    expect(ranges(store.query('a', undefined, false))).toEqual(['100', '10', '9.5', '9', '-1']);
    expect(ranges(store.query('a', { op: '<', value: '9.5' }, true))).toEqual(['-1', '9']);
    expect(ranges(store.query('a', { op: '<=', value: '9.5' }, true))).toEqual(['-1', '9', '9.5']);
    expect(ranges(store.query('a', { op: '>', value: '9.5' }, true))).toEqual(['10', '100']);
    expect(ranges(store.query('a', { op: '>=', value: '10' }, true))).toEqual(['10', '100']);
    expect(ranges(store.query('a', { op: '=', value: '10' }, true))).toEqual(['10']);
    expect(ranges(store.query('a', { op: 'between', low: '0', high: '10' }, true))).toEqual(['9', '9.5', '10']);
    expect(ranges(store.query('a', undefined, true, { hash: 'a', range: '9.5' }))).toEqual(['10', '100']);
    expect(ranges(store.query('a', undefined, false, { hash: 'a', range: '9.5' }))).toEqual(['9', '-1']);
    expect(ranges(store.query('zzz', undefined, true))).toEqual([]);
  });

  it('begins_with selects the contiguous block of string keys sharing the prefix', () => {
    const store = new ItemStore({ hash: { name: 'h', type: 'S' }, range: { name: 'r', type: 'S' } });
    for (const r of ['ab', 'a', 'abc', 'b', 'aa', 'abd']) store.put({ h: { S: 'x' }, r: { S: r } }, 1);
    expect([...store.query('x', { op: 'begins_with', prefix: 'ab' }, true)].map((s) => s.range)).toEqual(['ab', 'abc', 'abd']);
  });

  it('scans in key order and resumes after a deleted start key', () => {
    const store = storeWith([['b', '2'], ['a', '1'], ['c', '1'], ['b', '1'], ['a', '2']]);
    expect(keys(store.scan())).toEqual(['a/1', 'a/2', 'b/1', 'b/2', 'c/1']);
    store.delete({ hash: 'b', range: '1' });
    expect(keys(store.scan({ hash: 'b', range: '1' }))).toEqual(['b/2', 'c/1']);
    store.delete({ hash: 'b', range: '2' });
    expect(keys(store.scan({ hash: 'b', range: '1' }))).toEqual(['c/1']);
    expect(store.itemCount).toBe(3);
  });

  it('counts items and bytes through replace and delete', () => {
    const store = new ItemStore({ hash: { name: 'h', type: 'S' } });
    store.put({ h: { S: 'x' } }, 10);
    expect(store.put({ h: { S: 'x' } }, 25)?.size).toBe(10);
    expect([store.itemCount, store.sizeBytes]).toEqual([1, 25]);
    store.delete({ hash: 'x', range: undefined });
    expect([store.itemCount, store.sizeBytes]).toEqual([0, 0]);
    expect([...store.scan()]).toEqual([]);
  });
});
