import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { emulatorSettings, s3Client } from '../../../pipeline/streams/aws-clients';
import { startS3 } from './test-kit';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'furrow-s3-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bytesOf = async (s3: S3Client, Bucket: string, Key: string) =>
  Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());

describe('S3 persistence with a data dir', () => {
  it('keeps buckets, objects, metadata and open multipart uploads across restarts', async () => {
    const dataDir = freshDir();
    const streamed = randomBytes(150_000);
    const big = randomBytes(11 * MiB);
    const part1 = randomBytes(5 * MiB);

    let h = await startS3({ dataDir });
    let uploadId: string;
    let bigEtag: string | undefined;
    try {
      const s3 = h.s3;
      await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
      await s3.send(new CreateBucketCommand({ Bucket: 'kept-empty' }));
      await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'meta.txt', Body: 'v1', ContentType: 'text/plain', Metadata: { owner: 'furrow' } }));
      await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'meta.txt', Body: 'v2', ContentType: 'text/plain', Metadata: { owner: 'furrow' } }));
      await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'streamed.bin', Body: Readable.from([streamed]), ContentLength: streamed.length }));
      await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'deleted', Body: 'x' }));
      await s3.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'deleted' }));
      await s3.send(new CopyObjectCommand({ Bucket: 'kept', Key: 'copy.txt', CopySource: 'kept/meta.txt' }));
      bigEtag = (await new Upload({ client: s3, params: { Bucket: 'kept', Key: 'big.bin', Body: big }, partSize: 5 * MiB }).done()).ETag;
      uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: 'kept', Key: 'later.bin' }))).UploadId!;
      await s3.send(new UploadPartCommand({ Bucket: 'kept', Key: 'later.bin', UploadId: uploadId, PartNumber: 1, Body: part1 }));
    } finally {
      await h.stop();
    }
    // One body file per live object (meta, streamed, copy, big) and per uploaded part: nothing leaked.
    expect(readdirSync(join(dataDir, 's3-bodies'))).toHaveLength(5);

    for (const round of [1, 2]) {
      h = await startS3({ dataDir });
      try {
        const s3 = h.s3;
        const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
        expect(buckets).toEqual(['kept', 'kept-empty']);
        const keys = (await s3.send(new ListObjectsV2Command({ Bucket: 'kept' }))).Contents!.map((c) => c.Key);
        expect(keys).toEqual(round === 1 ? ['big.bin', 'copy.txt', 'meta.txt', 'streamed.bin'] : ['big.bin', 'copy.txt', 'later.bin', 'meta.txt', 'streamed.bin']);
        const head = await s3.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'meta.txt' }));
        expect(head).toMatchObject({ ContentType: 'text/plain', Metadata: { owner: 'furrow' }, ContentLength: 2 });
        expect((await bytesOf(s3, 'kept', 'meta.txt')).toString()).toBe('v2');
        expect((await bytesOf(s3, 'kept', 'copy.txt')).toString()).toBe('v2');
        const streamedBack = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'streamed.bin' }));
        expect(sha256(Buffer.from(await streamedBack.Body!.transformToByteArray()))).toBe(sha256(streamed));
        expect(streamedBack.ContentEncoding).toBeUndefined();
        const bigBack = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'big.bin' }));
        expect(bigBack.ETag).toBe(bigEtag);
        expect(sha256(Buffer.from(await bigBack.Body!.transformToByteArray()))).toBe(sha256(big));
        await expect(s3.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'deleted' }))).rejects.toMatchObject({ name: 'NotFound' });
        if (round === 1) {
          // The multipart upload started before the restart can be finished after it.
          const p2 = await s3.send(new UploadPartCommand({ Bucket: 'kept', Key: 'later.bin', UploadId: uploadId, PartNumber: 2, Body: 'tail' }));
          await s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: 'kept',
              Key: 'later.bin',
              UploadId: uploadId,
              MultipartUpload: {
                Parts: [
                  { PartNumber: 1, ETag: `"${createHash('md5').update(part1).digest('hex')}"` },
                  { PartNumber: 2, ETag: p2.ETag },
                ],
              },
            }),
          );
        } else {
          expect(sha256(await bytesOf(s3, 'kept', 'later.bin'))).toBe(sha256(Buffer.concat([part1, Buffer.from('tail')])));
        }
      } finally {
        await h.stop();
      }
    }
  });

  it('keeps every acknowledged write when the process is killed with SIGKILL, and sweeps orphaned body files', async () => {
    const dataDir = freshDir();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    const payload = randomBytes(64 * 1024);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /READY (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`crash-child exited early (${code})`)));
      });
      const s3 = s3Client(emulatorSettings(`http://127.0.0.1:${port}`, { maxAttempts: 1 }));
      try {
        await s3.send(new CreateBucketCommand({ Bucket: 'crashy' }));
        for (let i = 0; i < 20; i++) await s3.send(new PutObjectCommand({ Bucket: 'crashy', Key: `k${i}`, Body: payload.subarray(0, 1000 * (i + 1)) }));
        await s3.send(new DeleteObjectCommand({ Bucket: 'crashy', Key: 'k0' }));
      } finally {
        s3.destroy();
      }
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    // A body written by a request that died before its journal record: must not survive start-up.
    writeFileSync(join(dataDir, 's3-bodies', 'orphan-from-a-crash'), 'junk');

    const h = await startS3({ dataDir });
    try {
      const keys = (await h.s3.send(new ListObjectsV2Command({ Bucket: 'crashy' }))).Contents!.map((c) => c.Key);
      expect(keys).toHaveLength(19);
      expect(keys).not.toContain('k0');
      expect((await bytesOf(h.s3, 'crashy', 'k19')).equals(payload.subarray(0, 20_000))).toBe(true);
      expect(readdirSync(join(dataDir, 's3-bodies'))).not.toContain('orphan-from-a-crash');
      expect(readdirSync(join(dataDir, 's3-bodies'))).toHaveLength(19);
      // Start-up compacted the journal (22 records: bucket, 20 puts, 1 delete) to the live state.
      expect(readFileSync(join(dataDir, 's3.jsonl'), 'utf8').trim().split('\n')).toHaveLength(20);
    } finally {
      await h.stop();
    }
  });
});
