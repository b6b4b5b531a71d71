import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorCode, raw, startS3, type S3Harness } from './test-kit';

/** 2,500 keys: 25 top-level "folders" of 100 keys each, zero-padded so string order is numeric order. */
const KEYS = Array.from({ length: 2500 }, (_, i) => `events/d${String(Math.floor(i / 100)).padStart(2, '0')}/e${String(i).padStart(4, '0')}.json`);

describe('S3 listings', () => {
  let h: S3Harness;
  let s3: S3Client;
  beforeAll(async () => {
    h = await startS3();
    s3 = h.s3;
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    // Insert in a scrambled order: the listing must sort, not echo insertion order. Seeding goes over plain
    // keep-alive HTTP because the SDK's per-request overhead would dominate this file's run time; the
    // listings under test all go through the SDK.
    const order = [...KEYS].sort((a, b) => (a.split('').reverse().join('') < b.split('').reverse().join('') ? -1 : 1));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < order.length) {
            const Key = order[next++]!;
            const res = await raw(h.emu, { method: 'PUT', path: `/listing/${Key}`, body: Key, agent });
            if (res.status !== 200) throw new Error(`seeding ${Key}: ${res.status} ${res.text}`);
          }
        }),
      );
    } finally {
      agent.destroy();
    }
    await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: KEYS[0], Body: KEYS[0] })); // and one through the SDK
  });
  afterAll(async () => {
    await h.stop();
  });

  it('pages 2,500 keys in three pages of at most 1,000 with continuation tokens', async () => {
    const pages: ListObjectsV2CommandOutput[] = [];
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'listing', Prefix: 'events/' })) pages.push(page);
    expect(pages.map((p) => p.KeyCount)).toEqual([1000, 1000, 500]);
    expect(pages.map((p) => p.IsTruncated)).toEqual([true, true, false]);
    expect(pages[0]!.NextContinuationToken).toBeTruthy();
    expect(pages[1]!.ContinuationToken).toBe(pages[0]!.NextContinuationToken);
    expect(pages[2]!.NextContinuationToken).toBeUndefined();
    const keys = pages.flatMap((p) => p.Contents!.map((c) => c.Key));
    expect(keys).toEqual(KEYS);
    const first = pages[0]!.Contents![0]!;
    expect(first).toMatchObject({ Key: KEYS[0], Size: KEYS[0]!.length, StorageClass: 'STANDARD' });
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.LastModified).toBeInstanceOf(Date);
  });

  it('caps MaxKeys at 1,000 and honours smaller values and StartAfter', async () => {
    const big = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 5000 }));
    expect(big.KeyCount).toBe(1000);
    expect(big.IsTruncated).toBe(true);
    const small = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 7, StartAfter: KEYS[1234] }));
    expect(small.Contents!.map((c) => c.Key)).toEqual(KEYS.slice(1235, 1242));
    expect(small.StartAfter).toBe(KEYS[1234]);
  });

  it('rolls keys up into CommonPrefixes with a delimiter, and pages across them', async () => {
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    expect(top.CommonPrefixes).toEqual([{ Prefix: 'events/' }]);
    expect(top.Contents).toBeUndefined();
    expect(top.KeyCount).toBe(1);

    const folders: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'events/', Delimiter: '/', MaxKeys: 10, ContinuationToken: token }));
      folders.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      expect(page.Contents).toBeUndefined();
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(folders).toEqual(Array.from({ length: 25 }, (_, i) => `events/d${String(i).padStart(2, '0')}/`));

    const inside = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'events/d07/', Delimiter: '/' }));
    expect(inside.KeyCount).toBe(100);
    expect(inside.CommonPrefixes).toBeUndefined();
  });

  it('mixes keys and common prefixes in one page, counting each prefix once', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'mixed' }));
    for (const Key of ['a', 'b/1', 'b/2', 'c', 'd/x/y', 'e']) await s3.send(new PutObjectCommand({ Bucket: 'mixed', Key, Body: 'x' }));
    const page1 = await s3.send(new ListObjectsV2Command({ Bucket: 'mixed', Delimiter: '/', MaxKeys: 3 }));
    expect(page1.Contents?.map((c) => c.Key)).toEqual(['a', 'c']);
    expect(page1.CommonPrefixes).toEqual([{ Prefix: 'b/' }]);
    expect(page1.KeyCount).toBe(3);
    const page2 = await s3.send(new ListObjectsV2Command({ Bucket: 'mixed', Delimiter: '/', MaxKeys: 3, ContinuationToken: page1.NextContinuationToken }));
    expect(page2.Contents?.map((c) => c.Key)).toEqual(['e']);
    expect(page2.CommonPrefixes).toEqual([{ Prefix: 'd/' }]);
    expect(page2.IsTruncated).toBe(false);
  });

  it('sorts keys in UTF-8 byte order (astral characters after U+FFFD), not UTF-16 order', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'utf8-order' }));
    const keys = ['z', '\uFFFD', '\u{1F33E}', 'é', 'A', 'a', '\uE000'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'utf8-order', Key, Body: 'x' }));
    const out = await s3.send(new ListObjectsV2Command({ Bucket: 'utf8-order' }));
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(out.Contents!.map((c) => c.Key)).toEqual(expected);
    expect(expected.indexOf('\u{1F33E}')).toBe(expected.length - 1);
  });

  it('URL-encodes names with EncodingType=url', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'encoded' }));
    await s3.send(new PutObjectCommand({ Bucket: 'encoded', Key: 'dir one/a+b&c\u0001.txt', Body: 'x' }));
    const out = await s3.send(new ListObjectsV2Command({ Bucket: 'encoded', EncodingType: 'url', Delimiter: '/' }));
    expect(out.EncodingType).toBe('url');
    expect(out.CommonPrefixes).toEqual([{ Prefix: 'dir+one/' }]);
    const inner = await s3.send(new ListObjectsV2Command({ Bucket: 'encoded', EncodingType: 'url', Prefix: 'dir one/' }));
    expect(inner.Contents![0]!.Key).toBe('dir+one/a%2Bb%26c%01.txt');
    expect(inner.Prefix).toBe('dir+one/');
  });

  it('serves ListObjects (v1) with Marker and NextMarker', async () => {
    const page = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Prefix: 'events/d03/', MaxKeys: 40, Marker: KEYS[309] }));
    expect(page.Contents!.map((c) => c.Key)).toEqual(KEYS.slice(310, 350));
    expect(page.IsTruncated).toBe(true);
    expect(page.Contents![0]!.Owner?.ID).toBeTruthy();
    const folders = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Prefix: 'events/', Delimiter: '/', MaxKeys: 5 }));
    expect(folders.NextMarker).toBe('events/d04/');
    const after = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Prefix: 'events/', Delimiter: '/', MaxKeys: 1, Marker: folders.NextMarker }));
    expect(after.CommonPrefixes).toEqual([{ Prefix: 'events/d05/' }]);
  });

  it('rejects bad list parameters with S3 errors', async () => {
    const badToken = await raw(h.emu, { method: 'GET', path: '/listing?list-type=2&continuation-token=%24%24' });
    expect([badToken.status, errorCode(badToken.text)]).toEqual([400, 'InvalidArgument']);
    const badMax = await raw(h.emu, { method: 'GET', path: '/listing?list-type=2&max-keys=ten' });
    expect([badMax.status, errorCode(badMax.text)]).toEqual([400, 'InvalidArgument']);
    const badEncoding = await raw(h.emu, { method: 'GET', path: '/listing?list-type=2&encoding-type=base64' });
    expect([badEncoding.status, errorCode(badEncoding.text)]).toEqual([400, 'InvalidArgument']);
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('answers list XML in S3 shape with its namespace', async () => {
    const res = await raw(h.emu, { method: 'GET', path: '/mixed?list-type=2&max-keys=1' });
    expect(res.headers['content-type']).toBe('application/xml');
    expect(res.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListBucketResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/">/);
    expect(res.text).toContain('<Name>mixed</Name><Prefix></Prefix><MaxKeys>1</MaxKeys><KeyCount>1</KeyCount><IsTruncated>true</IsTruncated>');
    expect(res.text).toMatch(/<ETag>&quot;[0-9a-f]{32}&quot;<\/ETag>/);
  });
});
