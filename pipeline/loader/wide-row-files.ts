/**
 * Reads a window's wide-row files from S3 (`<base>output=good/…`, gzip or plain, one JSON event per
 * line) one file at a time, so memory holds one file (the transformer writes a few thousand events per
 * file), not the window. Used by the Postgres target, which loads the rows itself (Snowflake reads the
 * same files through its stage).
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

const gunzipAsync = promisify(gunzip);

export class WideRowFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WideRowFileError';
  }
}

export async function listWindowFiles(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** Every event of the window as a parsed JSON object, file by file, line by line. */
export async function* readWindowRows(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<Record<string, unknown>> {
  const keys = await listWindowFiles(s3, bucket, prefix);
  // fetch the next file while this one is parsed
  const fetch = (key: string) =>
    s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      .then(async (r) => Buffer.from(await r.Body!.transformToByteArray()))
      .catch((err: Error) => {
        throw new WideRowFileError(`s3://${bucket}/${key}: ${err.message}`);
      });
  let next = keys.length ? fetch(keys[0]!) : null;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    let body = await next!;
    next = k + 1 < keys.length ? fetch(keys[k + 1]!) : null;
    next?.catch(() => {}); // surfaced when awaited
    // gzip is told by its magic bytes (the transformer names files .txt.gz, but do not trust names)
    if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
      try {
        body = await gunzipAsync(body);
      } catch (err) {
        throw new WideRowFileError(`s3://${bucket}/${key}: not valid gzip (${(err as Error).message})`);
      }
    }
    const lines = body.toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (err) {
        throw new WideRowFileError(`s3://${bucket}/${key} line ${i + 1}: not JSON (${(err as Error).message})`);
      }
      if (!row || typeof row !== 'object' || Array.isArray(row)) throw new WideRowFileError(`s3://${bucket}/${key} line ${i + 1}: not a JSON object`);
      yield row as Record<string, unknown>;
    }
  }
}
