import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { checksumOf } from './checksums';
import { errorCode, raw, recordSentHeaders, startS3, type S3Harness } from './test-kit';

/** CRC32 from zlib, independent of the emulator's checksum code. */
const crc32 = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlib.crc32(b));
  return out.toString('base64');
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const MiB = 1024 * 1024;

/** A stream the SDK cannot measure, in uneven chunks, so it must frame the body itself. */
const streamOf = (data: Buffer, chunk = 64 * 1024 + 7) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts);
};

describe('S3 uploads: aws-chunked bodies, flexible checksums, multipart', () => {
  let h: S3Harness;
  let s3: S3Client;
  let whenRequired: S3Client;
  beforeAll(async () => {
    h = await startS3();
    s3 = h.s3;
    whenRequired = h.client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
  });
  afterAll(async () => {
    await h.stop();
  });

  const fetchBytes = async (client: S3Client, Key: string) => {
    const out = await client.send(new GetObjectCommand({ Bucket: 'uploads', Key }));
    return { out, body: Buffer.from(await out.Body!.transformToByteArray()) };
  };

  describe('PutObject with a stream body', () => {
    it('default client (aws-chunked + trailing CRC32): stores exactly the payload', async () => {
      const data = randomBytes(300_001);
      const sent = recordSentHeaders(s3);
      const put = await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'stream/default', Body: streamOf(data), ContentLength: data.length }));
      // The SDK really framed the body: otherwise this test would not test the decoder.
      expect(sent.at(-1)).toMatchObject({
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-trailer': 'x-amz-checksum-crc32',
        'x-amz-decoded-content-length': String(data.length),
      });
      expect(put.ETag).toBe(`"${md5(data).toString('hex')}"`);
      expect(put.ChecksumCRC32).toBe(crc32(data));
      const { out, body } = await fetchBytes(s3, 'stream/default');
      expect(body.length).toBe(data.length);
      expect(sha256(body)).toBe(sha256(data));
      // The transport encoding is not part of the object, and the SDK validated the returned checksum.
      expect(out.ContentEncoding).toBeUndefined();
      expect(out.ChecksumCRC32).toBe(crc32(data));
    });

    it('keeps a real Content-Encoding and drops only the aws-chunked token', async () => {
      const data = randomBytes(10_000);
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'stream/gzip', Body: streamOf(data), ContentLength: data.length, ContentEncoding: 'gzip' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'stream/gzip' }));
      expect(head.ContentEncoding).toBe('gzip');
      expect(head.ContentLength).toBe(data.length);
    });

    it('WHEN_REQUIRED client (plain body, no checksum): stores exactly the payload', async () => {
      const data = randomBytes(200_000);
      const sent = recordSentHeaders(whenRequired);
      await whenRequired.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'stream/when-required', Body: streamOf(data), ContentLength: data.length }));
      expect(sent.at(-1)?.['content-encoding']).toBeUndefined();
      expect(sent.at(-1)?.['x-amz-trailer']).toBeUndefined();
      const { out, body } = await fetchBytes(whenRequired, 'stream/when-required');
      expect(sha256(body)).toBe(sha256(data));
      expect(out.ChecksumCRC32).toBeUndefined();
    });

    it.each(['CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const)('verifies and returns a %s checksum', async (ChecksumAlgorithm) => {
      const data = randomBytes(50_000);
      const Key = `algo/${ChecksumAlgorithm}`;
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key, Body: streamOf(data), ContentLength: data.length, ChecksumAlgorithm }));
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: `${Key}-buffer`, Body: data, ChecksumAlgorithm }));
      for (const k of [Key, `${Key}-buffer`]) {
        const out = await s3.send(new GetObjectCommand({ Bucket: 'uploads', Key: k, ChecksumMode: 'ENABLED' }));
        const body = Buffer.from(await out.Body!.transformToByteArray());
        expect(sha256(body)).toBe(sha256(data));
        expect(out[`Checksum${ChecksumAlgorithm}`]).toBe(checksumOf(ChecksumAlgorithm, data));
      }
    });

    it('returns checksums only when asked (x-amz-checksum-mode: ENABLED) and never for ranges', async () => {
      const plain = await raw(h.emu, { method: 'GET', path: '/uploads/stream/default' });
      expect(plain.status).toBe(200);
      expect(plain.headers['x-amz-checksum-crc32']).toBeUndefined();
      const asked = await raw(h.emu, { method: 'GET', path: '/uploads/stream/default', headers: { 'x-amz-checksum-mode': 'ENABLED' } });
      expect(asked.headers['x-amz-checksum-crc32']).toBe(crc32(asked.body));
      const ranged = await raw(h.emu, { method: 'GET', path: '/uploads/stream/default', headers: { 'x-amz-checksum-mode': 'ENABLED', range: 'bytes=0-9' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers['x-amz-checksum-crc32']).toBeUndefined();
    });
  });

  describe('integrity failures on the wire', () => {
    const chunked = (payload: Buffer, trailer: string) =>
      Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from(`\r\n0\r\n${trailer}\r\n\r\n`)]);

    it('rejects a wrong trailing CRC32 with BadDigest and stores nothing', async () => {
      const payload = Buffer.from('payload bytes');
      const res = await raw(h.emu, {
        method: 'PUT',
        path: '/uploads/wire/bad-trailer',
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'x-amz-decoded-content-length': payload.length,
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
        body: chunked(payload, `x-amz-checksum-crc32:${crc32(Buffer.from('other'))}`),
      });
      expect(res.status).toBe(400);
      expect(errorCode(res.text)).toBe('BadDigest');
      await expect(s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'wire/bad-trailer' }))).rejects.toMatchObject({ name: 'NotFound' });
    });

    it('decodes signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER) without checking signatures', async () => {
      const a = Buffer.from('first chunk;');
      const b = Buffer.from(' second');
      const sig = 'chunk-signature=' + 'ab'.repeat(32);
      const body = Buffer.concat([
        Buffer.from(`${a.length.toString(16)};${sig}\r\n`),
        a,
        Buffer.from(`\r\n${b.length.toString(16)};${sig}\r\n`),
        b,
        Buffer.from(`\r\n0;${sig}\r\nx-amz-checksum-crc32c:${checksumOf('CRC32C', Buffer.concat([a, b]))}\r\nx-amz-trailer-signature:${'cd'.repeat(32)}\r\n\r\n`),
      ]);
      const res = await raw(h.emu, {
        method: 'PUT',
        path: '/uploads/wire/signed',
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
          'x-amz-decoded-content-length': a.length + b.length,
          'x-amz-trailer': 'x-amz-checksum-crc32c',
        },
        body,
      });
      expect(res.status).toBe(200);
      expect((await fetchBytes(s3, 'wire/signed')).body.toString()).toBe('first chunk; second');
    });

    it('answers truncated framing, a wrong decoded length and a missing trailer with 400s', async () => {
      const headers = { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' };
      const truncated = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/t', headers, body: 'ff\r\nshort' });
      expect([truncated.status, errorCode(truncated.text)]).toEqual([400, 'IncompleteBody']);
      const garbage = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/t', headers, body: 'zz\r\nabc\r\n0\r\n\r\n' });
      expect([garbage.status, errorCode(garbage.text)]).toEqual([400, 'InvalidRequest']);
      const wrongLength = await raw(h.emu, {
        method: 'PUT',
        path: '/uploads/wire/t',
        headers: { ...headers, 'x-amz-decoded-content-length': 99 },
        body: '3\r\nabc\r\n0\r\n\r\n',
      });
      expect([wrongLength.status, errorCode(wrongLength.text)]).toEqual([400, 'IncompleteBody']);
      const noTrailer = await raw(h.emu, {
        method: 'PUT',
        path: '/uploads/wire/t',
        headers: { ...headers, 'x-amz-trailer': 'x-amz-checksum-crc32' },
        body: '3\r\nabc\r\n0\r\n\r\n',
      });
      expect([noTrailer.status, errorCode(noTrailer.text)]).toEqual([400, 'MalformedTrailerError']);
    });

    it('checks Content-MD5, x-amz-checksum-* headers and a hex x-amz-content-sha256', async () => {
      const body = Buffer.from('integrity');
      const badMd5 = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/md5', headers: { 'content-md5': md5(Buffer.from('x')).toString('base64') }, body });
      expect([badMd5.status, errorCode(badMd5.text)]).toEqual([400, 'BadDigest']);
      const notMd5 = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/md5', headers: { 'content-md5': 'bm90IGFuIG1kNQ==' }, body });
      expect([notMd5.status, errorCode(notMd5.text)]).toEqual([400, 'InvalidDigest']);
      const goodMd5 = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/md5', headers: { 'content-md5': md5(body).toString('base64') }, body });
      expect(goodMd5.status).toBe(200);
      const badSha1 = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/sha1', headers: { 'x-amz-checksum-sha1': checksumOf('SHA1', Buffer.from('x')) }, body });
      expect([badSha1.status, errorCode(badSha1.text)]).toEqual([400, 'BadDigest']);
      const malformedCrc = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/crc', headers: { 'x-amz-checksum-crc32': 'not-base64!' }, body });
      expect([malformedCrc.status, errorCode(malformedCrc.text)]).toEqual([400, 'InvalidRequest']);
      const badSha256 = await raw(h.emu, { method: 'PUT', path: '/uploads/wire/sha', headers: { 'x-amz-content-sha256': sha256(Buffer.from('x')) }, body });
      expect([badSha256.status, errorCode(badSha256.text)]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    });
  });

  describe('multipart', () => {
    it('lib-storage Upload of ~12 MiB in 5 MiB parts assembles the object with the multipart ETag', async () => {
      const data = randomBytes(12 * MiB + 12_345);
      const upload = new Upload({ client: s3, params: { Bucket: 'uploads', Key: 'mpu/lib-storage.bin', Body: streamOf(data, MiB) }, partSize: 5 * MiB, queueSize: 2 });
      const out = await upload.done();
      const partMd5s = [0, 1, 2].map((i) => md5(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB)));
      const expectedEtag = `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-3"`;
      expect(out.ETag).toBe(expectedEtag);
      expect(out.Location).toBe(`${h.emu.endpoint}/uploads/mpu/lib-storage.bin`);
      // COMPOSITE CRC32: the checksum of the part checksums, suffixed with the part count.
      const partCrcs = [0, 1, 2].map((i) => crc32(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB)));
      expect(out.ChecksumCRC32).toBe(`${crc32(Buffer.concat(partCrcs.map((c) => Buffer.from(c, 'base64'))))}-3`);
      const { out: got, body } = await fetchBytes(s3, 'mpu/lib-storage.bin');
      expect(body.length).toBe(data.length);
      expect(sha256(body)).toBe(sha256(data));
      expect(got.ETag).toBe(expectedEtag);
      const ranged = await s3.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'mpu/lib-storage.bin', Range: `bytes=${5 * MiB - 2}-${5 * MiB + 1}` }));
      expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(data.subarray(5 * MiB - 2, 5 * MiB + 2))).toBe(true);
    });

    it('lib-storage Upload with the WHEN_REQUIRED client (no checksums) works too', async () => {
      const data = randomBytes(11 * MiB);
      const out = await new Upload({ client: whenRequired, params: { Bucket: 'uploads', Key: 'mpu/when-required.bin', Body: data }, partSize: 5 * MiB }).done();
      expect(out.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
      expect(sha256((await fetchBytes(whenRequired, 'mpu/when-required.bin')).body)).toBe(sha256(data));
    });

    it('rejects parts under 5 MiB other than the last (EntityTooSmall), lists and aborts uploads', async () => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: 'mpu/small', ContentType: 'text/csv', Metadata: { m: '1' } }));
      const p1 = await s3.send(new UploadPartCommand({ Bucket: 'uploads', Key: 'mpu/small', UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }));
      const p2 = await s3.send(new UploadPartCommand({ Bucket: 'uploads', Key: 'mpu/small', UploadId, PartNumber: 2, Body: Buffer.alloc(1024, 2) }));
      const parts = await s3.send(new ListPartsCommand({ Bucket: 'uploads', Key: 'mpu/small', UploadId }));
      expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
        [1, 1024, p1.ETag],
        [2, 1024, p2.ETag],
      ]);
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads', Prefix: 'mpu/small' }));
      expect(uploads.Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
      const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
        s3.send(new CompleteMultipartUploadCommand({ Bucket: 'uploads', Key: 'mpu/small', UploadId, MultipartUpload: { Parts } }));
      await expect(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }])).rejects.toMatchObject({
        name: 'EntityTooSmall',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }])).rejects.toMatchObject({ name: 'InvalidPartOrder' });
      await expect(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }])).rejects.toMatchObject({ name: 'InvalidPart' });
      // A single small part is fine: the last part has no minimum.
      await complete([{ PartNumber: 1, ETag: p1.ETag }]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'mpu/small' }));
      expect(head).toMatchObject({ ContentLength: 1024, ContentType: 'text/csv', Metadata: { m: '1' } });
      expect(head.ETag).toMatch(/-1"$/);
      await expect(complete([{ PartNumber: 1, ETag: p1.ETag }])).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });

      const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: 'mpu/aborted' }));
      await s3.send(new UploadPartCommand({ Bucket: 'uploads', Key: 'mpu/aborted', UploadId: second.UploadId, PartNumber: 1, Body: 'x' }));
      const aborted = await s3.send(new AbortMultipartUploadCommand({ Bucket: 'uploads', Key: 'mpu/aborted', UploadId: second.UploadId }));
      expect(aborted.$metadata.httpStatusCode).toBe(204);
      await expect(
        s3.send(new UploadPartCommand({ Bucket: 'uploads', Key: 'mpu/aborted', UploadId: second.UploadId, PartNumber: 2, Body: 'x' })),
      ).rejects.toMatchObject({ name: 'NoSuchUpload' });
      await expect(s3.send(new AbortMultipartUploadCommand({ Bucket: 'uploads', Key: 'mpu/aborted', UploadId: 'bogus' }))).rejects.toMatchObject({
        name: 'NoSuchUpload',
      });
    });

    it('validates part numbers and copies parts from existing objects (UploadPartCopy)', async () => {
      const source = randomBytes(6 * MiB);
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'mpu/source', Body: source }));
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: 'mpu/copied' }));
      await expect(
        s3.send(new UploadPartCommand({ Bucket: 'uploads', Key: 'mpu/copied', UploadId, PartNumber: 10_001, Body: 'x' })),
      ).rejects.toMatchObject({ name: 'InvalidArgument' });
      const c1 = await s3.send(
        new UploadPartCopyCommand({ Bucket: 'uploads', Key: 'mpu/copied', UploadId, PartNumber: 1, CopySource: 'uploads/mpu/source', CopySourceRange: `bytes=0-${5 * MiB - 1}` }),
      );
      const p2 = await s3.send(new UploadPartCommand({ Bucket: 'uploads', Key: 'mpu/copied', UploadId, PartNumber: 2, Body: 'tail' }));
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'uploads',
          Key: 'mpu/copied',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: c1.CopyPartResult?.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
        }),
      );
      const { body } = await fetchBytes(s3, 'mpu/copied');
      expect(sha256(body)).toBe(sha256(Buffer.concat([source.subarray(0, 5 * MiB), Buffer.from('tail')])));
    });
  });
});
