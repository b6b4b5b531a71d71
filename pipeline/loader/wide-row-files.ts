/**
 * Reads a window's wide-row files from S3 (`<base>output=good/…`, gzip or plain, one JSON event per
 * line) one file at a time, so memory holds one file, not the window. Used by the Postgres target,
 * which loads the rows itself (Snowflake reads the same files through its stage).
 */
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

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
  for (const key of await listWindowFiles(s3, bucket, prefix)) {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let stream = r.Body as Readable;
    // gzip is told by its magic bytes (the transformer names files .txt.gz, but do not trust names)
    const first: Buffer[] = [];
    const iterator = stream[Symbol.asyncIterator]();
    const head = await iterator.next();
    if (head.done) continue;
    first.push(Buffer.from(head.value as Uint8Array));
    const rest = Readable.from(
      (async function* () {
        yield first[0]!;
        for (;;) {
          const n = await iterator.next();
          if (n.done) return;
          yield Buffer.from(n.value as Uint8Array);
        }
      })(),
    );
    stream = first[0]![0] === 0x1f && first[0]![1] === 0x8b ? rest.pipe(createGunzip()) : rest;
    let lineNo = 0;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        lineNo++;
        if (line.trim() === '') continue;
        let row: unknown;
        try {
          row = JSON.parse(line);
        } catch (err) {
          throw new WideRowFileError(`s3://${bucket}/${key} line ${lineNo}: not JSON (${(err as Error).message})`);
        }
        if (!row || typeof row !== 'object' || Array.isArray(row)) throw new WideRowFileError(`s3://${bucket}/${key} line ${lineNo}: not a JSON object`);
        yield row as Record<string, unknown>;
      }
    } catch (err) {
      if (err instanceof WideRowFileError) throw err;
      throw new WideRowFileError(`s3://${bucket}/${key}: ${(err as Error).message}`);
    } finally {
      lines.close();
      stream.destroy();
    }
  }
}
