import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, SortedKeys } from './keys';
import { bucketFromHost } from './routing';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
/** Keys mixing ASCII, the U+E000..U+FFFF block and astral characters: where UTF-16 and UTF-8 orders disagree. */
const key = fc.string({ unit: fc.oneof(fc.constantFrom('a', '/', 'Z', '~'), fc.constantFrom('\uE000', '\uFFFD', 'é'), fc.constantFrom('\u{1F33E}', '\u{10000}')), maxLength: 6 });

describe('S3 key order', () => {
  it('compareKeys agrees in sign with UTF-8 byte order', () => {
    fc.assert(fc.property(key, key, (a, b) => Math.sign(compareKeys(a, b)) === Math.sign(utf8Order(a, b))));
  });

  it('SortedKeys stays sorted and de-duplicated under inserts and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), key), { maxLength: 60 }), (ops) => {
        const sorted = new SortedKeys();
        const model = new Set<string>();
        for (const [add, k] of ops) {
          if (add) {
            sorted.add(k);
            model.add(k);
          } else {
            sorted.delete(k);
            model.delete(k);
          }
        }
        const got = Array.from({ length: sorted.size }, (_, i) => sorted.at(i));
        expect(got).toEqual([...model].sort(utf8Order));
      }),
    );
  });
});

describe('virtual-host bucket from Host', () => {
  it.each([
    ['my-bucket.localhost:4566', 'my-bucket'],
    ['my.dotted.bucket.localhost', 'my.dotted.bucket'],
    ['my-bucket.s3.localhost:4566', 'my-bucket'],
    ['MY-BUCKET.LOCALHOST', 'my-bucket'],
    ['localhost:4566', null],
    ['s3.localhost', null],
    ['127.0.0.1:4566', null],
    ['[::1]:4566', null],
    [undefined, null],
  ])('%s -> %s', (host, bucket) => {
    expect(bucketFromHost(host)).toBe(bucket);
  });
});
