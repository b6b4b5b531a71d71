import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3Client as S3ClientType } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { errorCode, raw, recordSentHeaders, startS3, type S3Harness } from './test-kit';

/**
 * `*.localhost` does not resolve on every machine (this one: ENOTFOUND), so the virtual-host client gets
 * a resolver that maps every `*.localhost` name to the emulator's loopback address. The SDK still builds
 * `bucket.localhost:PORT` URLs and sends that Host header, which is what the emulator routes on.
 */
const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

describe('S3 over HTTP: addressing styles, bad requests, operation names', () => {
  let h: S3Harness;
  let s3: S3ClientType;
  beforeAll(async () => {
    h = await startS3();
    s3 = h.s3;
    await s3.send(new CreateBucketCommand({ Bucket: 'vhost' }));
  });
  afterAll(async () => {
    await h.stop();
  });

  it('serves virtual-host style requests from an SDK client with forcePathStyle: false', async () => {
    const agent = new Agent({ keepAlive: true, lookup: loopbackLookup });
    const vhost = new S3Client({
      region: 'us-east-1',
      endpoint: `http://localhost:${h.emu.port}`,
      forcePathStyle: false,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    const sent = recordSentHeaders(vhost);
    try {
      await vhost.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'dir/file name.txt', Body: 'virtual' }));
      expect(sent.at(-1)?.host).toBe(`vhost.localhost:${h.emu.port}`);
      const got = await vhost.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'dir/file name.txt' }));
      expect(await got.Body!.transformToString()).toBe('virtual');
      const list = await vhost.send(new ListObjectsV2Command({ Bucket: 'vhost' }));
      expect(list.Contents?.map((c) => c.Key)).toEqual(['dir/file name.txt']);
      await expect(vhost.send(new GetObjectCommand({ Bucket: 'other-bucket', Key: 'x' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
    } finally {
      vhost.destroy();
      agent.destroy();
    }
    // And the path-style client sees the same object.
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'dir/file name.txt' }))).Body!.transformToString()).toBe('virtual');
  });

  it('routes raw requests by Host: <bucket>.localhost and <bucket>.s3.localhost', async () => {
    const put = await raw(h.emu, { method: 'PUT', path: '/raw%20key', headers: { host: `vhost.s3.localhost:${h.emu.port}` }, body: 'raw body' });
    expect(put.status).toBe(200);
    const get = await raw(h.emu, { method: 'GET', path: '/raw%20key', headers: { host: 'vhost.localhost' } });
    expect([get.status, get.text]).toEqual([200, 'raw body']);
    const list = await raw(h.emu, { method: 'GET', path: '/?list-type=2', headers: { host: `vhost.localhost:${h.emu.port}` } });
    expect(list.text).toContain('<Key>raw key</Key>');
    // s3.localhost alone is path style.
    const pathStyle = await raw(h.emu, { method: 'GET', path: '/vhost/raw%20key', headers: { host: 's3.localhost' } });
    expect(pathStyle.text).toBe('raw body');
  });

  it('answers bad requests with S3 errors, never a crash', async () => {
    const malformedDelete = await raw(h.emu, { method: 'POST', path: '/vhost?delete', body: '<Delete><Object><Key>a</Key></Delete>' });
    expect([malformedDelete.status, errorCode(malformedDelete.text)]).toEqual([400, 'MalformedXML']);
    const emptyDelete = await raw(h.emu, { method: 'POST', path: '/vhost?delete', body: '<Delete></Delete>' });
    expect([emptyDelete.status, errorCode(emptyDelete.text)]).toEqual([400, 'MalformedXML']);
    const notXml = await raw(h.emu, { method: 'POST', path: '/vhost?delete', body: 'not xml at all' });
    expect([notXml.status, errorCode(notXml.text)]).toEqual([400, 'MalformedXML']);

    const { text } = await raw(h.emu, { method: 'POST', path: '/vhost/mpu?uploads' });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(text)![1]!;
    const badComplete = await raw(h.emu, { method: 'POST', path: `/vhost/mpu?uploadId=${uploadId}`, body: '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>' });
    expect([badComplete.status, errorCode(badComplete.text)]).toEqual([400, 'MalformedXML']);

    await raw(h.emu, { method: 'PUT', path: '/vhost/small', body: 'abc' });
    const badRange = await raw(h.emu, { method: 'GET', path: '/vhost/small', headers: { range: 'bytes=10-20' } });
    expect([badRange.status, errorCode(badRange.text)]).toEqual([416, 'InvalidRange']);
    expect(badRange.headers['content-range']).toBe('bytes */3');
    expect(badRange.text).toContain('<RangeRequested>bytes=10-20</RangeRequested>');

    const badBucket = await raw(h.emu, { method: 'PUT', path: '/Bad_Bucket' });
    expect([badBucket.status, errorCode(badBucket.text)]).toEqual([400, 'InvalidBucketName']);
    const badCreateBody = await raw(h.emu, { method: 'PUT', path: '/good-name-but-bad-xml', body: '<CreateBucketConfiguration>' });
    expect([badCreateBody.status, errorCode(badCreateBody.text)]).toEqual([400, 'MalformedXML']);
    const badUri = await raw(h.emu, { method: 'GET', path: '/vhost/%E0%A4%A' });
    expect([badUri.status, errorCode(badUri.text)]).toEqual([400, 'InvalidURI']);
    const longKey = await raw(h.emu, { method: 'PUT', path: `/vhost/${'k'.repeat(1025)}`, body: 'x' });
    expect([longKey.status, errorCode(longKey.text)]).toEqual([400, 'KeyTooLongError']);
    const badCopy = await raw(h.emu, { method: 'PUT', path: '/vhost/copy', headers: { 'x-amz-copy-source': 'just-a-bucket' } });
    expect([badCopy.status, errorCode(badCopy.text)]).toEqual([400, 'InvalidArgument']);
    const badPart = await raw(h.emu, { method: 'PUT', path: `/vhost/mpu?partNumber=0&uploadId=${uploadId}`, body: 'x' });
    expect([badPart.status, errorCode(badPart.text)]).toEqual([400, 'InvalidArgument']);
    const unsupported = await raw(h.emu, { method: 'GET', path: '/vhost?versioning' });
    expect([unsupported.status, errorCode(unsupported.text)]).toEqual([501, 'NotImplemented']);

    // HEAD errors carry no body; the SDK derives NotFound from the status.
    const head = await raw(h.emu, { method: 'HEAD', path: '/vhost/absent' });
    expect([head.status, head.body.length]).toEqual([404, 0]);
    // Errors name the resource.
    const missing = await raw(h.emu, { method: 'GET', path: '/vhost/absent%20key' });
    expect(missing.text).toContain('<Code>NoSuchKey</Code>');
    expect(missing.text).toContain('<Key>absent key</Key>');
  });

  it('answers random, mostly malformed requests with an S3 status below 500 (or 501), never a handler crash', async () => {
    const segment = fc.oneof(
      fc.constantFrom('vhost', 'fuzz-bucket', 'no-such', 'a', 'Bad_Name', '%ZZ', '%E2%82', 'k%20y', '..', '%2F', 'x'.repeat(70)),
      fc.string({ maxLength: 8 }).map(encodeURIComponent),
    );
    const queryParam = fc.constantFrom(
      'list-type=2', 'delete', 'uploads', 'location', 'versioning', 'uploadId=bogus', 'partNumber=1', 'partNumber=-3', 'max-keys=-1',
      'max-keys=2', 'continuation-token=1AAA', 'continuation-token=!!', 'delimiter=%2F', 'prefix=k', 'encoding-type=url', 'start-after=zz',
      'marker=a', 'max-buckets=0', 'part-number-marker=x', 'response-content-type=text%2Fplain',
    );
    const headerPair = fc.constantFrom<[string, string]>(
      ['range', 'bytes=0-1'], ['range', 'bytes=-0'], ['range', 'bytes=5-2'], ['range', 'lines=1-2'], ['content-md5', 'AAAA'],
      ['content-md5', '1B2M2Y8AsgTpgAmY7PhCfg=='], ['x-amz-checksum-crc32', 'AAAAAA=='], ['x-amz-checksum-sha256', 'bad'],
      ['content-encoding', 'aws-chunked'], ['x-amz-content-sha256', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'], ['x-amz-content-sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['x-amz-decoded-content-length', '3'], ['x-amz-trailer', 'x-amz-checksum-crc32'], ['x-amz-copy-source', 'vhost/small'],
      ['x-amz-copy-source', '%'], ['x-amz-copy-source-range', 'bytes=0-100'], ['x-amz-metadata-directive', 'MOVE'], ['if-match', '"x"'],
      ['if-none-match', '*'], ['if-modified-since', 'yesterday'], ['x-amz-checksum-algorithm', 'MD7'], ['x-amz-checksum-type', 'PARTIAL'],
      ['x-amz-storage-class', 'COLD'], ['x-amz-meta-big', 'm'.repeat(2100)], ['host', 'vhost.localhost'], ['x-amz-checksum-mode', 'ENABLED'],
    );
    const body = fc.oneof(
      fc.constant(''),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.constantFrom(
        '3\r\nabc\r\n0\r\n\r\n', '<Delete><Object><Key>k</Key></Object></Delete>', '<Delete><Quiet>true</Quiet></Delete>',
        '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>',
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>', '<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>',
      ),
    );
    await raw(h.emu, { method: 'PUT', path: '/fuzz-bucket' });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'),
        fc.array(segment, { maxLength: 3 }),
        fc.uniqueArray(queryParam, { maxLength: 3 }),
        fc.uniqueArray(headerPair, { maxLength: 4, selector: ([name]) => name }),
        body,
        async (method, segments, query, headers, payload) => {
          const path = '/' + segments.join('/') + (query.length ? `?${query.join('&')}` : '');
          const res = await raw(h.emu, { method, path, headers: Object.fromEntries(headers), body: method === 'GET' || method === 'HEAD' ? undefined : payload });
          expect(res.status === 501 || res.status < 500).toBe(true);
          if (res.status >= 400 && method !== 'HEAD') expect(errorCode(res.text)).toBeTruthy();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names operations for fault injection (an S3 fault on GetObject leaves PutObject alone)', async () => {
    await fetch(`${h.emu.endpoint}/_furrow/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ service: 's3', operation: 'GetObject', error: '500' }] }),
    });
    try {
      await s3.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'faulty', Body: 'x' }));
      await expect(s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'faulty' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    } finally {
      await fetch(`${h.emu.endpoint}/_furrow/faults`, { method: 'DELETE' });
    }
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'faulty' }))).Body!.transformToString()).toBe('x');
  });
});
