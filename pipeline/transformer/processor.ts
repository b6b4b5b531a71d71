import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Processor } from '../core/bad-rows';
import { serializeShreddingComplete, type ShreddingComplete } from '../core/shredding-complete';
import type { SnowplowEntity } from '../core/wide-row';
import type { ConsumedRecord, RecordProcessor, ShardContext } from '../streams/kinesis-consumer';
import { LeaseLostError } from '../streams/lease-table';
import { parseS3Path } from '../s3-loader/naming';
import type { TransformerConfig } from './config';
import { transformLine } from './wide-row';

export interface TransformerEvents {
  onSealed?: (message: ShreddingComplete, info: { files: number; ms: number }) => void;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `run=YYYY-MM-DD-HH-MM-SS-<uuid>` for the window starting at `ms` (Snowplow's run folder; seconds are 00 for minute windows). */
export function runFolder(ms: number, appId: string): string {
  const d = new Date(ms);
  return `run=${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${appId}`;
}

/** Processing-time window start for `now` (UTC epoch arithmetic; equals Snowplow's `minute - minute % n` for divisors of 60). */
export function windowStart(now: number, windowMs: number): number {
  return now - (now % windowMs);
}

/**
 * The lines of one sink file being filled, already UTF-8 encoded and separated by `\n` (no trailing
 * newline): each line is written into one growing buffer as it arrives, so a window holds bytes rather
 * than strings, and the memory is reused from one sink file to the next.
 */
export class LineBuffer {
  private buf: Buffer | null = null;
  private pos = 0;
  /** Lines appended since the last `drain`. */
  lines = 0;

  append(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit; +1 for the separator.
    const need = this.pos + line.length * 3 + 1;
    if (this.buf === null || need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(1 << 20, need, this.buf === null ? 0 : this.buf.length * 2));
      if (this.buf !== null) this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
    if (this.lines > 0) this.buf[this.pos++] = 0x0a;
    this.pos += this.buf.write(line, this.pos);
    this.lines++;
  }

  /**
   * Hand the bytes so far (the lines joined by `\n`) to `use`, then start over reusing the memory: `use`
   * must be done with them when it returns (copy them to keep them).
   */
  drain<T>(use: (bytes: Buffer) => T): T {
    const bytes = this.buf === null ? Buffer.alloc(0) : this.buf.subarray(0, this.pos);
    try {
      return use(bytes);
    } finally {
      this.pos = 0;
      this.lines = 0;
    }
  }
}

/** Everything one window has accumulated. */
class Window {
  readonly good = new LineBuffer();
  readonly bad = new LineBuffer();
  readonly types = new Map<string, SnowplowEntity>();
  readonly shards = new Map<string, { ctx: ShardContext; seq: string }>();
  readonly writes: Promise<void>[] = [];
  files = 0;
  goodCount = 0;
  badCount = 0;
  min: number | null = null;
  max: number | null = null;
  constructor(readonly start: number, readonly folder: string) {}
  get empty(): boolean {
    return this.goodCount + this.badCount === 0;
  }
}

/**
 * The transformer's RecordProcessor (RDB stream transformer, wide-row JSON): enriched events are grouped
 * into processing-time windows; each window becomes `run=…/output=good|bad/sink-<uuid>.txt.gz` files, then
 * is sealed: write `shredding_complete.json`, send the same message to the FIFO queue, then checkpoint the
 * window's records (see `seal`). Empty windows produce nothing.
 */
export class TransformerProcessor implements RecordProcessor {
  private window: Window | null = null;
  private readonly appId = randomUUID();
  private readonly dest;
  private sealing: Promise<void> = Promise.resolve();
  private readonly ticker: NodeJS.Timeout;
  /** Sink file writes in flight (all windows). */
  private readonly pending = new Set<Promise<void>>();
  private failing = false;
  private readonly windowMs: number;

  constructor(
    private readonly config: TransformerConfig,
    private readonly s3: S3Client,
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly processor: Processor,
    private readonly events: TransformerEvents = {},
  ) {
    this.dest = parseS3Path(config.output.path);
    this.windowMs = Math.round(config.windowSeconds * 1000);
    // Re-evaluate the window often enough that a window is sealed soon after it ends.
    this.ticker = setInterval(() => this.tick(), Math.max(20, Math.min(1_000, Math.floor(this.windowMs / 10))));
    this.ticker.unref();
  }

  get healthy(): boolean {
    return !this.failing;
  }

  async processBatch(records: ConsumedRecord[], shard: ShardContext): Promise<void> {
    if (records.length === 0) return;
    const w = this.current();
    for (const r of records) {
      const out = transformLine(r.data.toString('utf8'), this.processor);
      if (out.kind === 'bad') {
        w.bad.append(out.line);
        w.badCount++;
      } else {
        w.good.append(out.line);
        w.goodCount++;
        for (const [key, entity] of out.types) w.types.set(`${entity}|${key}`, entity);
        const t = out.collectorMs;
        if (w.min === null || t < w.min) w.min = t;
        if (w.max === null || t > w.max) w.max = t;
      }
    }
    w.shards.set(shard.shardId, { ctx: shard, seq: records[records.length - 1]!.sequenceNumber });
    if (w.good.lines >= this.config.output.bufferSize) this.writeSink(w, 'good');
    if (w.bad.lines >= this.config.output.bufferSize) this.writeSink(w, 'bad');
    // Back-pressure: never more than maxPendingWrites sink files in flight.
    while (this.pending.size >= this.config.maxPendingWrites) await Promise.race(this.pending);
  }

  async shardEnded(shard: ShardContext, reason: 'shutdown' | 'lease-lost' | 'shard-end'): Promise<void> {
    if (reason === 'lease-lost') {
      this.window?.shards.delete(shard.shardId);
      return;
    }
    // The consumer writes SHARD_END (or releases the lease) after this: seal now so nothing unsealed is left behind.
    await this.sealCurrent();
  }

  /** Seal the open window (if it has data) and wait for every seal in progress. */
  async sealCurrent(): Promise<void> {
    const w = this.window;
    this.window = null;
    if (w && !w.empty) this.sealing = this.sealing.then(() => this.seal(w));
    await this.sealing;
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.sealCurrent();
  }

  private current(): Window {
    const start = windowStart(Date.now(), this.windowMs);
    if (this.window && this.window.start !== start) this.rotate();
    if (!this.window) this.window = new Window(start, runFolder(start, this.appId));
    return this.window;
  }

  private tick(): void {
    if (this.window && this.window.start !== windowStart(Date.now(), this.windowMs)) this.rotate();
  }

  private rotate(): void {
    const w = this.window!;
    this.window = null;
    if (w.empty) return;
    // Seals run one after another so checkpoints and messages keep window order.
    this.sealing = this.sealing.then(() => this.seal(w));
  }

  private key(w: Window, rest: string): string {
    return `${this.dest.prefix}${w.folder}/${rest}`;
  }

  private writeSink(w: Window, output: 'good' | 'bad'): void {
    const sink = output === 'good' ? w.good : w.bad;
    if (sink.lines === 0) return;
    const gzip = this.config.output.compression === 'GZIP';
    // gzipSync reads the bytes before it returns; uncompressed, they are copied (the put outlives the buffer).
    const body = sink.drain((bytes) => (gzip ? gzipSync(bytes) : Buffer.from(bytes)));
    const key = this.key(w, `output=${output}/sink-${randomUUID()}.txt${gzip ? '.gz' : ''}`);
    w.files++;
    const p: Promise<void> = this.putWithRetry(key, body, gzip).finally(() => this.pending.delete(p));
    this.pending.add(p);
    w.writes.push(p);
  }

  private async putWithRetry(key: string, body: Buffer, gzip: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.s3.send(
          new PutObjectCommand({ Bucket: this.dest.bucket, Key: key, Body: body, ContentType: 'application/json', ...(gzip ? { ContentEncoding: 'gzip' } : {}) }),
        );
        this.failing = false;
        return;
      } catch (err) {
        this.failing = true;
        this.events.log?.('warn', 'S3 write failed; retrying', { key, attempt, error: String(err) });
        await new Promise((r) => setTimeout(r, Math.min(10_000, 100 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random() / 2)));
      }
    }
  }

  private async sendWithRetry(body: string, dedupId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body, MessageGroupId: 'shredding', MessageDeduplicationId: dedupId }));
        this.failing = false;
        return;
      } catch (err) {
        this.failing = true;
        this.events.log?.('warn', 'SQS send failed; retrying', { attempt, error: String(err) });
        await new Promise((r) => setTimeout(r, Math.min(10_000, 100 * 2 ** Math.min(attempt, 7))));
      }
    }
  }

  /**
   * Seal order: files, shredding_complete.json, the queue message, then the checkpoint — a checkpoint only
   * after the downstream write. Killed between the message and the checkpoint, the window's records are
   * read again into a new window, and the loader skips the events it already has; checkpointing first
   * (Snowplow's order) would lose the whole window if the process died while SQS was failing.
   */
  private async seal(w: Window): Promise<void> {
    const started = Date.now();
    this.writeSink(w, 'good');
    this.writeSink(w, 'bad');
    await Promise.all(w.writes);
    const base = `s3://${this.dest.bucket}/${this.dest.prefix}${w.folder}/`;
    const message: ShreddingComplete = {
      base,
      compression: this.config.output.compression,
      typesInfo: {
        transformation: 'WIDEROW',
        fileFormat: 'JSON',
        types: [...w.types.entries()].map(([k, entity]) => ({ schemaKey: k.slice(k.indexOf('|') + 1), snowplowEntity: entity })).sort((a, b) => (a.schemaKey < b.schemaKey ? -1 : 1)),
      },
      timestamps: {
        jobStarted: new Date(w.start).toISOString(),
        jobCompleted: new Date().toISOString(),
        min: w.min === null ? null : new Date(w.min).toISOString(),
        max: w.max === null ? null : new Date(w.max).toISOString(),
      },
      processor: this.processor,
      count: { good: w.goodCount, bad: w.badCount },
    };
    const body = serializeShreddingComplete(message);
    await this.putWithRetry(this.key(w, 'shredding_complete.json'), Buffer.from(body), false);
    await this.sendWithRetry(body, createHash('sha256').update(base).digest('hex'));
    for (const [shardId, { ctx, seq }] of w.shards) {
      for (let attempt = 1; ; attempt++) {
        try {
          await ctx.checkpoint(seq);
          break;
        } catch (err) {
          if (err instanceof LeaseLostError) {
            this.events.log?.('info', 'lease lost before the window was sealed; the new owner re-reads', { shardId });
            break;
          }
          this.events.log?.('warn', 'checkpoint failed; retrying', { shardId, attempt, error: String(err) });
          await new Promise((r) => setTimeout(r, Math.min(10_000, 100 * 2 ** Math.min(attempt, 7))));
        }
      }
    }
    this.events.onSealed?.(message, { files: w.files, ms: Date.now() - started });
  }
}
