import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startS3, type S3Harness } from './test-kit';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('S3 buckets and objects through @aws-sdk/client-s3', () => {
  let h: S3Harness;
  let s3: S3Client;
  beforeAll(async () => {
    h = await startS3();
    s3 = h.s3;
    await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
  });
  afterAll(async () => {
    await h.stop();
  });

  const get = async (Key: string, extra: Partial<ConstructorParameters<typeof GetObjectCommand>[0]> = {}) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key, ...extra }));
    return { out, body: Buffer.from(await out.Body!.transformToByteArray()) };
  };

  describe('buckets', () => {
    it('creates, lists, heads and deletes a bucket; a repeat create is BucketAlreadyOwnedByYou', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'life-cycle.bucket' }));
      await expect(s3.send(new CreateBucketCommand({ Bucket: 'life-cycle.bucket' }))).rejects.toMatchObject({
        name: 'BucketAlreadyOwnedByYou',
        $metadata: { httpStatusCode: 409 },
      });
      const list = await s3.send(new ListBucketsCommand({}));
      expect(list.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['life-cycle.bucket', 'objects']));
      expect(list.Buckets?.find((b) => b.Name === 'objects')?.CreationDate).toBeInstanceOf(Date);
      expect(list.Owner?.ID).toBeTruthy();
      const head = await s3.send(new HeadBucketCommand({ Bucket: 'life-cycle.bucket' }));
      expect(head.BucketRegion).toBe('us-east-1');
      expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'life-cycle.bucket' }))).LocationConstraint).toBeUndefined();
      await s3.send(new DeleteBucketCommand({ Bucket: 'life-cycle.bucket' }));
      await expect(s3.send(new HeadBucketCommand({ Bucket: 'life-cycle.bucket' }))).rejects.toMatchObject({
        name: 'NotFound',
        $metadata: { httpStatusCode: 404 },
      });
    });

    it('records the LocationConstraint of a bucket created in another region', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'in-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
      expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'in-eu' }))).LocationConstraint).toBe('eu-west-1');
      expect((await s3.send(new HeadBucketCommand({ Bucket: 'in-eu' }))).BucketRegion).toBe('eu-west-1');
    });

    it.each([
      ['ab', 'too short'],
      ['a'.repeat(64), 'too long'],
      ['Upper-Case', 'upper case'],
      ['under_score', 'underscore'],
      ['-leading-dash', 'leading dash'],
      ['two..dots', 'adjacent periods'],
      ['192.168.5.4', 'IP address'],
      ['xn--punycode', 'reserved prefix'],
      ['ends-s3alias', 'reserved suffix'],
    ])('rejects the bucket name %s (%s) with InvalidBucketName', async (Bucket) => {
      await expect(s3.send(new CreateBucketCommand({ Bucket }))).rejects.toMatchObject({
        name: 'InvalidBucketName',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('refuses to delete a bucket with objects (BucketNotEmpty), then deletes it once emptied', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'not-empty' }));
      await s3.send(new PutObjectCommand({ Bucket: 'not-empty', Key: 'k', Body: 'x' }));
      await expect(s3.send(new DeleteBucketCommand({ Bucket: 'not-empty' }))).rejects.toMatchObject({
        name: 'BucketNotEmpty',
        $metadata: { httpStatusCode: 409 },
      });
      await s3.send(new DeleteObjectCommand({ Bucket: 'not-empty', Key: 'k' }));
      await s3.send(new DeleteBucketCommand({ Bucket: 'not-empty' }));
      await expect(s3.send(new DeleteBucketCommand({ Bucket: 'not-empty' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
    });
  });

  describe('objects', () => {
    it('keeps content headers and user metadata; ETag is the quoted MD5', async () => {
      const body = 'hello, furrow';
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: 'objects',
          Key: 'docs/hello.txt',
          Body: body,
          ContentType: 'text/plain; charset=utf-8',
          ContentEncoding: 'identity',
          CacheControl: 'max-age=60',
          ContentDisposition: 'attachment; filename="hello.txt"',
          ContentLanguage: 'en',
          Metadata: { 'run-id': 'r-42', Origin: 'test' },
        }),
      );
      expect(put.ETag).toBe(`"${md5(body)}"`);
      const { out, body: got } = await get('docs/hello.txt');
      expect(got.toString()).toBe(body);
      expect(out).toMatchObject({
        ETag: `"${md5(body)}"`,
        ContentType: 'text/plain; charset=utf-8',
        ContentEncoding: 'identity',
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="hello.txt"',
        ContentLanguage: 'en',
        ContentLength: body.length,
        Metadata: { 'run-id': 'r-42', origin: 'test' },
      });
      expect(out.LastModified).toBeInstanceOf(Date);
      expect(Math.abs(out.LastModified!.getTime() - Date.now())).toBeLessThan(60_000);

      const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'docs/hello.txt' }));
      expect(head).toMatchObject({ ContentLength: body.length, ETag: `"${md5(body)}"`, Metadata: { 'run-id': 'r-42', origin: 'test' } });
    });

    it('stores keys with spaces, unicode, plus signs, percent signs and double slashes verbatim', async () => {
      const keys = ['a b/c+d', 'ünï/çødé 🌾', '100%/done', 'dir//x', '/leading', 'q?x=1&y#frag'];
      for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'objects', Key, Body: Key }));
      for (const Key of keys) expect((await get(Key)).body.toString()).toBe(Key);
    });

    it('overwrites in place and reports NoSuchKey (with the key) and NoSuchBucket as typed errors', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'over', Body: 'one' }));
      await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'over', Body: 'two!' }));
      expect((await get('over')).body.toString()).toBe('two!');
      await expect(get('never-written')).rejects.toMatchObject({ name: 'NoSuchKey', Key: 'never-written', $metadata: { httpStatusCode: 404 } });
      await expect(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))).rejects.toMatchObject({
        name: 'NoSuchBucket',
        BucketName: 'no-such-bucket',
      });
      await expect(s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
      await expect(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'never-written' }))).rejects.toMatchObject({
        name: 'NotFound',
        $metadata: { httpStatusCode: 404 },
      });
    });

    it('deletes idempotently with 204', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'gone', Body: 'x' }));
      const first = await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'gone' }));
      const again = await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'gone' }));
      expect(first.$metadata.httpStatusCode).toBe(204);
      expect(again.$metadata.httpStatusCode).toBe(204);
      await expect(get('gone')).rejects.toMatchObject({ name: 'NoSuchKey' });
    });

    it('DeleteObjects reports each key, and only errors when Quiet', async () => {
      for (const k of ['batch/1', 'batch/2', 'batch/3']) await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: k, Body: k }));
      const loud = await s3.send(
        new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [{ Key: 'batch/1' }, { Key: 'batch/missing' }, { Key: 'x'.repeat(1025) }] } }),
      );
      expect(loud.Deleted?.map((d) => d.Key)).toEqual(['batch/1', 'batch/missing']);
      expect(loud.Errors).toEqual([expect.objectContaining({ Code: 'KeyTooLongError', Key: 'x'.repeat(1025) })]);
      const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Quiet: true, Objects: [{ Key: 'batch/2' }, { Key: 'batch/3' }] } }));
      expect(quiet.Deleted ?? []).toEqual([]);
      for (const k of ['batch/1', 'batch/2', 'batch/3']) await expect(get(k)).rejects.toMatchObject({ name: 'NoSuchKey' });
    });

    it('DeleteObjects keeps keys with XML specials and line breaks intact', async () => {
      const Key = 'odd <&> "quoted" \'single\'\r\nline';
      await s3.send(new PutObjectCommand({ Bucket: 'objects', Key, Body: 'x' }));
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [{ Key }] } }));
      expect(out.Deleted?.[0]?.Key).toBe(Key);
      await expect(get(Key)).rejects.toMatchObject({ name: 'NoSuchKey' });
    });
  });

  describe('ranges and conditionals', () => {
    const body = Buffer.from('0123456789abcdefghij');
    beforeAll(async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'ranged', Body: body }));
    });

    it.each([
      ['bytes=0-4', 0, 4],
      ['bytes=5-', 5, 19],
      ['bytes=-3', 17, 19],
      ['bytes=15-100', 15, 19],
      ['bytes=-100', 0, 19],
    ])('%s answers 206 with Content-Range', async (Range, start, end) => {
      const { out, body: got } = await get('ranged', { Range });
      expect(out.$metadata.httpStatusCode).toBe(206);
      expect(out.ContentRange).toBe(`bytes ${start}-${end}/20`);
      expect(out.ContentLength).toBe(end - start + 1);
      expect(got.equals(body.subarray(start, end + 1))).toBe(true);
    });

    it('answers an unsatisfiable range with 416 InvalidRange, and ignores syntax S3 ignores', async () => {
      await expect(get('ranged', { Range: 'bytes=20-' })).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
      await expect(get('ranged', { Range: 'bytes=-0' })).rejects.toMatchObject({ name: 'InvalidRange' });
      const multi = await get('ranged', { Range: 'bytes=0-1,4-5' });
      expect(multi.out.$metadata.httpStatusCode).toBe(200);
      expect(multi.body.equals(body)).toBe(true);
      const backwards = await get('ranged', { Range: 'bytes=9-3' });
      expect(backwards.body.length).toBe(20);
    });

    it('honours If-None-Match / If-Match / If-Modified-Since', async () => {
      const etag = `"${md5(body)}"`;
      await expect(get('ranged', { IfNoneMatch: etag })).rejects.toMatchObject({ $metadata: { httpStatusCode: 304 } });
      await expect(get('ranged', { IfMatch: '"nope"' })).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      expect((await get('ranged', { IfMatch: etag })).body.equals(body)).toBe(true);
      await expect(get('ranged', { IfModifiedSince: new Date(Date.now() + 60_000) })).rejects.toMatchObject({ $metadata: { httpStatusCode: 304 } });
      expect((await get('ranged', { IfModifiedSince: new Date(Date.now() - 3_600_000) })).body.length).toBe(20);
    });

    it('refuses a PutObject with If-None-Match: * over an existing key', async () => {
      await expect(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'ranged', Body: 'x', IfNoneMatch: '*' }))).rejects.toMatchObject({
        name: 'PreconditionFailed',
        $metadata: { httpStatusCode: 412 },
      });
      await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'fresh-conditional', Body: 'x', IfNoneMatch: '*' }));
      expect((await get('fresh-conditional')).body.toString()).toBe('x');
    });
  });

  describe('CopyObject', () => {
    beforeAll(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'copy-target' }));
      await s3.send(
        new PutObjectCommand({ Bucket: 'objects', Key: 'src/ä b+c.json', Body: '{"a":1}', ContentType: 'application/json', Metadata: { stage: 'raw' } }),
      );
    });

    it('copies bytes and metadata (COPY) from a URL-encoded source across buckets', async () => {
      const out = await s3.send(
        new CopyObjectCommand({ Bucket: 'copy-target', Key: 'dst.json', CopySource: `objects/${encodeURIComponent('src/ä b+c.json')}` }),
      );
      expect(out.CopyObjectResult?.ETag).toBe(`"${md5('{"a":1}')}"`);
      expect(out.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'copy-target', Key: 'dst.json' }));
      expect(await got.Body!.transformToString()).toBe('{"a":1}');
      expect(got.ContentType).toBe('application/json');
      expect(got.Metadata).toEqual({ stage: 'raw' });
    });

    it('replaces metadata with REPLACE, and refuses a no-op copy onto itself', async () => {
      const src = `objects/${encodeURIComponent('src/ä b+c.json')}`;
      await s3.send(
        new CopyObjectCommand({
          Bucket: 'objects',
          Key: 'src/ä b+c.json',
          CopySource: src,
          MetadataDirective: 'REPLACE',
          ContentType: 'text/plain',
          Metadata: { stage: 'cooked' },
        }),
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'src/ä b+c.json' }));
      expect(head.ContentType).toBe('text/plain');
      expect(head.Metadata).toEqual({ stage: 'cooked' });
      await expect(s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'src/ä b+c.json', CopySource: src }))).rejects.toMatchObject({
        name: 'InvalidRequest',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('reports a missing source as NoSuchKey and a failed copy-source condition as 412', async () => {
      await expect(s3.send(new CopyObjectCommand({ Bucket: 'copy-target', Key: 'x', CopySource: 'objects/absent' }))).rejects.toMatchObject({
        name: 'NoSuchKey',
      });
      await expect(
        s3.send(new CopyObjectCommand({ Bucket: 'copy-target', Key: 'x', CopySource: `objects/${encodeURIComponent('src/ä b+c.json')}`, CopySourceIfMatch: '"0"' })),
      ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    });
  });
});
