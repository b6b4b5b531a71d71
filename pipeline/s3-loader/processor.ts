import { randomUUID } from 'node:crypto';
import { createGzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { badRow, isoInstant, serializeBadRow, type Processor } from '../core/bad-rows';
import type { ConsumedRecord, RecordProcessor, ShardContext } from '../streams/kinesis-consumer';
import { LeaseLostError } from '../streams/lease-table';
import type { KinesisProducer } from '../streams/kinesis-producer';
import type { S3LoaderConfig } from './config';
import { objectKey, parseS3Path, partitionPath, schemaParts, type SchemaParts } from './naming';

export interface S3LoaderEvents {
  onUpload?: (info: { key: string; records: number; bytes: number; compressedBytes: number; ms: number }) => void;
  onUploadError?: (err: unknown, attempt: number) => void;
  onBadRow?: () => void;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** One output file being filled: a streaming gzip (or plain) body for one partition. */
class PartitionFile {
  readonly chunks: Buffer[] = [];
  private readonly gzip;
  private done: Promise<void> | null = null;
  records = 0;

  constructor(readonly partition: string, compress: boolean) {
    this.gzip = compress ? createGzip({ level: 6 }) : null;
    this.gzip?.on('data', (c: Buffer) => this.chunks.push(c));
  }

  write(line: Buffer): void {
    this.records++;
    if (this.gzip) this.gzip.write(line);
    else this.chunks.push(line);
  }

  /** Finish compression and return the whole body. */
  async body(): Promise<Buffer> {
    if (this.gzip) {
      this.done ??= new Promise<void>((resolve, reject) => {
        this.gzip!.once('end', resolve);
        this.gzip!.once('error', reject);
        this.gzip!.end();
      });
      await this.done;
    }
    return Buffer.concat(this.chunks);
  }
}

/** Records buffered for one flush: files per partition plus, per shard, the last sequence number included. */
class Batch {
  readonly files = new Map<string, PartitionFile>();
  readonly shards = new Map<string, { ctx: ShardContext; seq: string }>();
  bytes = 0;
  records = 0;
  readonly createdAt = Date.now();
  readonly at = new Date();
}

const NEWLINE = Buffer.from('\n');

/**
 * The s3-loader's RecordProcessor: every shard feeds one buffer (S3 Loader 3.x: fewer, bigger files);
 * a buffer becomes one gzip file per partition when a size, count or age limit is hit; each shard is
 * checkpointed only after every file holding its records is uploaded, in flush order. At most
 * `uploadParallelism` uploads run at once; beyond that `processBatch` waits, which stops reading.
 */
export class S3LoaderProcessor implements RecordProcessor {
  private batch = new Batch();
  private readonly inFlight = new Set<Promise<void>>();
  /** Checkpoints happen in flush order, so a later file never checkpoints past an earlier failed one. */
  private checkpointChain: Promise<void> = Promise.resolve();
  private readonly dest;
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private readonly processor: Processor;

  constructor(
    private readonly config: S3LoaderConfig,
    private readonly s3: S3Client,
    private readonly bad: KinesisProducer,
    processor: Processor,
    private readonly events: S3LoaderEvents = {},
  ) {
    this.dest = parseS3Path(config.output.path);
    this.processor = processor;
    // Time limit: check often enough that a file is never much older than maxDelayMs.
    this.timer = setInterval(() => {
      if (this.batch.records > 0 && Date.now() - this.batch.createdAt >= this.config.buffer.maxDelayMs) void this.flush();
    }, Math.max(10, Math.min(1_000, Math.floor(config.buffer.maxDelayMs / 4))));
    this.timer.unref();
  }

  /** True while uploads keep failing (S3 unreachable or refusing). */
  get healthy(): boolean {
    return !this.failing;
  }

  get bufferedBytes(): number {
    return this.batch.bytes;
  }

  async processBatch(records: ConsumedRecord[], shard: ShardContext): Promise<void> {
    for (const r of records) {
      const line = this.lineFor(r);
      if (line === null) continue;
      const file = this.fileFor(line.partition);
      file.write(line.bytes);
      file.write(NEWLINE);
      this.batch.bytes += line.bytes.length + 1;
      this.batch.records++;
    }
    if (records.length) this.batch.shards.set(shard.shardId, { ctx: shard, seq: records[records.length - 1]!.sequenceNumber });
    const { maxBytes, maxRecords } = this.config.buffer;
    if (this.batch.bytes >= maxBytes || this.batch.records >= maxRecords) await this.flush();
  }

  async shardEnded(shard: ShardContext, reason: 'shutdown' | 'lease-lost' | 'shard-end'): Promise<void> {
    if (reason === 'lease-lost') {
      // Another worker re-reads this shard from its checkpoint; our buffered copies become duplicates, never losses.
      this.batch.shards.delete(shard.shardId);
      return;
    }
    await this.flush();
    await this.drain();
  }

  /** Seal the current buffer and start its upload (waits for a free upload slot: back-pressure). */
  async flush(): Promise<void> {
    if (this.batch.records === 0 && this.batch.shards.size === 0) return;
    const batch = this.batch;
    this.batch = new Batch();
    while (this.inFlight.size >= this.config.uploadParallelism) await Promise.race(this.inFlight);
    const uploaded = this.uploadWithRetry(batch);
    this.checkpointChain = this.checkpointChain.then(() => uploaded).then(() => this.checkpoint(batch));
    const tracked = this.checkpointChain.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Wait until every started upload is written and checkpointed. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.drain();
  }

  /** The bytes to archive for one record and its partition; null when it went to the bad stream instead. */
  private lineFor(r: ConsumedRecord): { bytes: Buffer; partition: string } | null {
    switch (this.config.purpose) {
      case 'raw':
        // Thrift is binary: one base64 line per record keeps gzip's newline framing safe.
        return { bytes: Buffer.from(r.data.toString('base64')), partition: partitionPath(this.config.output.partitionFormat, null, this.batch.at) };
      case 'enriched':
        return { bytes: r.data, partition: partitionPath(this.config.output.partitionFormat, null, this.batch.at) };
      case 'bad': {
        let schema: SchemaParts | null = null;
        let error: string | null = null;
        try {
          const json = JSON.parse(r.data.toString('utf8')) as { schema?: unknown };
          schema = schemaParts(json?.schema);
          if (!schema) error = `Can't extract schema from self-describing JSON: ${JSON.stringify(json?.schema ?? null).slice(0, 200)}`;
        } catch (err) {
          error = `Can't parse JSON holding self-describing event: ${(err as Error).message}`;
        }
        if (error) {
          this.toBadStream(r, error);
          return null;
        }
        return { bytes: r.data, partition: partitionPath(this.config.output.partitionFormat, schema, this.batch.at) };
      }
    }
  }

  private toBadStream(r: ConsumedRecord, error: string): void {
    const row = badRow('generic_error', this.processor, { timestamp: isoInstant(Date.now()), errors: [error] }, r.data.toString('base64'));
    this.events.onBadRow?.();
    // The consumer re-reads the shard if this never gets acknowledged before the checkpoint: chain it in.
    const written = this.bad.put({ data: Buffer.from(serializeBadRow(row)), partitionKey: randomUUID() });
    this.checkpointChain = this.checkpointChain
      .then(() => written)
      .catch((err) => this.events.log?.('error', 'bad row could not be written to the bad stream', { error: String(err) }));
  }

  private fileFor(partition: string): PartitionFile {
    let f = this.batch.files.get(partition);
    if (!f) {
      f = new PartitionFile(partition, this.config.output.compression === 'gzip');
      this.batch.files.set(partition, f);
    }
    return f;
  }

  private async uploadWithRetry(batch: Batch): Promise<void> {
    for (const file of batch.files.values()) {
      const body = await file.body();
      const key = objectKey(this.dest.prefix, file.partition, this.config.output.filenamePrefix, batch.at, randomUUID(), this.config.output.compression === 'gzip');
      let attempt = 0;
      while (true) {
        const started = Date.now();
        try {
          await new Upload({
            client: this.s3,
            params: {
              Bucket: this.dest.bucket,
              Key: key,
              Body: body,
              ContentType: this.config.purpose === 'raw' ? 'text/plain' : this.config.purpose === 'enriched' ? 'text/tab-separated-values' : 'application/x-ndjson',
              ...(this.config.output.compression === 'gzip' ? { ContentEncoding: 'gzip' } : {}),
            },
            queueSize: 2,
          }).done();
          this.failing = false;
          this.events.onUpload?.({ key, records: file.records, bytes: batch.bytes, compressedBytes: body.length, ms: Date.now() - started });
          break;
        } catch (err) {
          // Never skip a file: keep retrying (unhealthy meanwhile) and never checkpoint past it.
          attempt++;
          this.failing = true;
          this.events.onUploadError?.(err, attempt);
          this.events.log?.('warn', 'S3 upload failed; retrying', { key, attempt, error: String(err) });
          await new Promise((r) => setTimeout(r, Math.min(10_000, 100 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random() / 2)));
        }
      }
    }
  }

  private async checkpoint(batch: Batch): Promise<void> {
    for (const [shardId, { ctx, seq }] of batch.shards) {
      try {
        await ctx.checkpoint(seq);
      } catch (err) {
        if (err instanceof LeaseLostError) this.events.log?.('info', 'lease lost before checkpoint; the new owner re-reads', { shardId });
        else this.events.log?.('warn', 'checkpoint failed', { shardId, error: String(err) });
      }
    }
  }
}
