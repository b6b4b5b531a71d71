/**
 * KinesisProducer: buffered, batched, retried writes to one Kinesis stream, shared by every stage.
 *
 * - `put()` resolves when Kinesis acknowledged the record (its promise is the ack; callers that answer
 *   before the ack just don't await it).
 * - Batching: a PutRecords call goes out when `recordLimit` records or `byteLimit` bytes are queued, or
 *   when the oldest queued record is `timeLimitMs` old (Snowplow's buffer.{recordLimit,byteLimit,timeLimit}).
 * - Bounded memory: `bufferedBytes` counts every record not yet acknowledged (queued, in flight or waiting
 *   to be retried). `put()` refuses records beyond `maxBufferBytes` with `BufferFullError`; `canAccept()`
 *   lets a caller turn that into back-pressure (the collector answers 503) before doing any work.
 * - Retries: entries a PutRecords response marks as failed (throttling, internal errors) and whole calls
 *   that fail are retried after exponential backoff with full jitter, as long as `maxAttempts` allows
 *   (default: forever; a stage that must not lose data keeps trying while `healthy` is false).
 * - Health: unhealthy after `unhealthyAfterFailures` consecutive failed calls, healthy again on a success.
 * Give it a client built with SDK retries off (`maxAttempts: 1`) so this class owns the retry policy.
 */
import { Buffer } from 'node:buffer';
import { PutRecordsCommand, type KinesisClient, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { installFastPutRecords } from './kinesis-producer-serializer';

/** One AWS PutRecords call takes at most 500 records and 5 MiB (data + partition keys). */
export const PUT_RECORDS_MAX_RECORDS = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
/** One record: data + partition key at most 1 MiB; key 1-256 characters. */
export const KINESIS_MAX_RECORD_BYTES = 1024 * 1024;

export interface ProducerRecord {
  data: Uint8Array;
  partitionKey: string;
}

/** What one PutRecords call did, for metrics. */
export interface PutRecordsReport {
  stream: string;
  records: number;
  bytes: number;
  /** Entries the response marked failed (all of them when the call itself failed). */
  failed: number;
  latencyMs: number;
  /** Set when the call itself failed. */
  error?: unknown;
  /** 1 for a first attempt. */
  attempt: number;
}

export interface KinesisProducerOptions {
  client: KinesisClient;
  streamName: string;
  /** Flush when this many records are queued (default 500, at most 500). */
  recordLimit?: number;
  /** Flush when this many bytes are queued (default 3 MiB like Snowplow's collector, at most 5 MiB). */
  byteLimit?: number;
  /** Flush the oldest record after this long (default 500 ms). */
  timeLimitMs?: number;
  /** Bound on unacknowledged bytes (default 64 MiB; at least one maximal record). */
  maxBufferBytes?: number;
  /** PutRecords calls in flight at once (default 4). */
  maxInFlight?: number;
  /** Attempts per record before `put()` rejects with `RetriesExhaustedError` (default Infinity). */
  maxAttempts?: number;
  /** Backoff: first ceiling in ms (default 100), doubling per attempt up to maxBackoffMs (default 10 s). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Consecutive failed calls before `healthy` turns false (default 3). */
  unhealthyAfterFailures?: number;
  /** Metrics hooks. */
  onPutRecords?: (report: PutRecordsReport) => void;
  onHealthChange?: (healthy: boolean) => void;
  /** Jitter source, injectable for tests. */
  random?: () => number;
  /** Write PutRecords bodies with `installFastPutRecords` (same bytes as the SDK's serializer, faster; default true). */
  fastSerializer?: boolean;
}

export class BufferFullError extends Error {
  constructor(stream: string, buffered: number, wanted: number, max: number) {
    super(`producer buffer for stream ${stream} is full: ${buffered} + ${wanted} bytes > ${max}`);
    this.name = 'BufferFullError';
  }
}

export class RecordTooLargeError extends Error {
  constructor(stream: string, size: number) {
    super(`record for stream ${stream} is ${size} bytes (data + partition key), above Kinesis's ${KINESIS_MAX_RECORD_BYTES}`);
    this.name = 'RecordTooLargeError';
  }
}

export class InvalidPartitionKeyError extends Error {
  constructor(length: number) {
    super(`partition key must be 1-256 characters, got ${length}`);
    this.name = 'InvalidPartitionKeyError';
  }
}

export class RetriesExhaustedError extends Error {
  constructor(stream: string, attempts: number, readonly lastError: string) {
    super(`gave up on a record for stream ${stream} after ${attempts} attempt(s): ${lastError}`);
    this.name = 'RetriesExhaustedError';
  }
}

export class ProducerClosedError extends Error {
  constructor(stream: string) {
    super(`producer for stream ${stream} is closed`);
    this.name = 'ProducerClosedError';
  }
}

interface Entry {
  data: Uint8Array;
  key: string;
  bytes: number;
  enqueuedAt: number;
  attempts: number;
  lastError: string;
  resolve(): void;
  reject(err: Error): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const noop = () => {};

export class KinesisProducer {
  readonly streamName: string;
  private readonly client: KinesisClient;
  private readonly recordLimit: number;
  private readonly byteLimit: number;
  private readonly timeLimitMs: number;
  private readonly maxBufferBytes: number;
  private readonly maxInFlight: number;
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly unhealthyAfter: number;
  private readonly random: () => number;
  private readonly opts: KinesisProducerOptions;

  /** Queued entries not yet sent: a deque as array + head index (shift() is O(n)). */
  private queue: Entry[] = [];
  private head = 0;
  private queuedBytes = 0;
  private unacked = 0;
  private unackedCount = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing = 0;
  private closed = false;
  /** Set when close() timed out: retry loops give up instead of keeping the process alive. */
  private aborted = false;
  private consecutiveFailures = 0;
  private _healthy = true;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(options: KinesisProducerOptions) {
    this.opts = options;
    this.client = options.client;
    this.streamName = options.streamName;
    this.recordLimit = clamp(options.recordLimit ?? 500, 1, PUT_RECORDS_MAX_RECORDS);
    this.byteLimit = clamp(options.byteLimit ?? 3 * 1024 * 1024, 1, PUT_RECORDS_MAX_BYTES);
    this.timeLimitMs = Math.max(0, options.timeLimitMs ?? 500);
    this.maxBufferBytes = Math.max(options.maxBufferBytes ?? 64 * 1024 * 1024, KINESIS_MAX_RECORD_BYTES);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? Infinity);
    this.baseBackoffMs = Math.max(1, options.baseBackoffMs ?? 100);
    this.maxBackoffMs = Math.max(this.baseBackoffMs, options.maxBackoffMs ?? 10_000);
    this.unhealthyAfter = Math.max(1, options.unhealthyAfterFailures ?? 3);
    this.random = options.random ?? Math.random;
    if (options.fastSerializer !== false) installFastPutRecords(this.client);
  }

  /** Bytes of records not yet acknowledged (queued, in flight, or waiting for a retry). */
  get bufferedBytes(): number {
    return this.unacked;
  }

  /** Records not yet acknowledged. */
  get bufferedRecords(): number {
    return this.unackedCount;
  }

  private get queuedRecords(): number {
    return this.queue.length - this.head;
  }

  get healthy(): boolean {
    return this._healthy;
  }

  get capacityBytes(): number {
    return this.maxBufferBytes;
  }

  /** Whether `bytes` more would fit the buffer now (the back-pressure signal). */
  canAccept(bytes: number): boolean {
    return !this.closed && this.unacked + bytes <= this.maxBufferBytes;
  }

  /** Queue one record; the promise resolves when Kinesis acknowledged it. */
  put(record: ProducerRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => this.add(record, reject, resolve));
  }

  /**
   * `put` without a promise, for callers that do not wait for the ack (the collector's buffered mode):
   * `onFailed` runs if the record is refused now or given up on later, `onAcked` once Kinesis acknowledged it.
   */
  add(record: ProducerRecord, onFailed: (err: Error) => void, onAcked: () => void = noop): void {
    const bytes = admitRecord(this.streamName, record, this.closed, this.unacked, this.maxBufferBytes);
    if (typeof bytes !== 'number') return onFailed(bytes);
    const key = record.partitionKey;
    this.queue.push({ data: record.data, key, bytes, enqueuedAt: Date.now(), attempts: 0, lastError: '', resolve: onAcked, reject: onFailed });
    this.queuedBytes += bytes;
    this.unacked += bytes;
    this.unackedCount++;
    this.pump();
  }

  /** Send everything queued now, without waiting for the batching limits; resolves when the buffer is empty. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.pump();
      while (this.unacked > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    } finally {
      this.flushing--;
    }
  }

  /**
   * Stop accepting records and flush. With `timeoutMs`, records still unacknowledged after it are
   * rejected (the caller logs what it lost) and `close` resolves to their count; otherwise 0.
   */
  async close(timeoutMs = Infinity): Promise<number> {
    this.closed = true;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = Number.isFinite(timeoutMs) ? new Promise<'timeout'>((r) => (timeout = setTimeout(() => r('timeout'), timeoutMs))) : null;
    const result = await (timedOut ? Promise.race([this.flush(), timedOut]) : this.flush());
    clearTimeout(timeout);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (result !== 'timeout') return 0;
    this.aborted = true;
    const unsettled = this.unackedCount;
    const dropped = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    for (const e of dropped) this.fail(e, new ProducerClosedError(this.streamName));
    return unsettled;
  }

  // -------------------------------------------------------------------------------------------------------

  /** Start as many PutRecords calls as the limits and the batching rules allow. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queuedRecords > 0) {
      const full = this.queuedRecords >= this.recordLimit || this.queuedBytes >= this.byteLimit;
      const due = this.flushing > 0 || this.closed || Date.now() - this.queue[this.head]!.enqueuedAt >= this.timeLimitMs;
      if (!full && !due) break;
      const batch = this.take();
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
        this.notifyIdle();
      });
    }
    if (this.queuedRecords > 0 && !this.timer && this.inFlight < this.maxInFlight) {
      const wait = Math.max(0, this.queue[this.head]!.enqueuedAt + this.timeLimitMs - Date.now());
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
    }
  }

  private take(): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && batch.length < this.recordLimit) {
      const e = this.queue[this.head]!;
      if (batch.length > 0 && bytes + e.bytes > this.byteLimit) break;
      batch.push(e);
      bytes += e.bytes;
      this.head++;
    }
    this.queuedBytes -= bytes;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    } else if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return batch;
  }

  /** One batch until every entry is acknowledged or out of attempts; holds its in-flight slot while backing off. */
  private async send(entries: Entry[]): Promise<void> {
    let attempt = 0;
    while (entries.length > 0) {
      attempt++;
      const started = performance.now();
      const bytes = entries.reduce((n, e) => n + e.bytes, 0);
      let failed: Entry[];
      let out: PutRecordsCommandOutput | undefined;
      let error: unknown;
      try {
        out = await this.client.send(
          new PutRecordsCommand({ StreamName: this.streamName, Records: entries.map((e) => ({ Data: e.data, PartitionKey: e.key })) }),
        );
      } catch (err) {
        error = err;
      }
      if (out) {
        failed = [];
        const results = out.Records ?? [];
        entries.forEach((e, i) => {
          const r = results[i];
          if (r && !r.ErrorCode && r.SequenceNumber) this.ack(e);
          else {
            e.lastError = r?.ErrorCode ? `${r.ErrorCode}: ${r.ErrorMessage ?? ''}` : 'no result for entry';
            failed.push(e);
          }
        });
      } else {
        failed = entries;
        const msg = errorMessage(error);
        for (const e of failed) e.lastError = msg;
      }
      this.opts.onPutRecords?.({
        stream: this.streamName,
        records: entries.length,
        bytes,
        failed: failed.length,
        latencyMs: performance.now() - started,
        error,
        attempt,
      });
      this.recordOutcome(failed.length < entries.length);
      const retry: Entry[] = [];
      for (const e of failed) {
        e.attempts++;
        if (e.attempts >= this.maxAttempts) this.fail(e, new RetriesExhaustedError(this.streamName, e.attempts, e.lastError));
        else if (this.aborted) this.fail(e, new ProducerClosedError(this.streamName));
        else retry.push(e);
      }
      entries = retry;
      if (entries.length > 0) await sleep(this.backoff(attempt));
      if (this.aborted) {
        for (const e of entries) this.fail(e, new ProducerClosedError(this.streamName));
        entries = [];
      }
    }
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** Math.min(attempt - 1, 30));
    return Math.floor(this.random() * ceiling);
  }

  private ack(e: Entry): void {
    this.unacked -= e.bytes;
    this.unackedCount--;
    e.resolve();
  }

  private fail(e: Entry, err: Error): void {
    this.unacked -= e.bytes;
    this.unackedCount--;
    e.reject(err);
  }

  private recordOutcome(success: boolean): void {
    if (success) this.consecutiveFailures = 0;
    else this.consecutiveFailures++;
    const healthy = this.consecutiveFailures < this.unhealthyAfter;
    if (healthy !== this._healthy) {
      this._healthy = healthy;
      this.opts.onHealthChange?.(healthy);
    }
  }

  /** Wake `flush()` callers after every call; each re-checks whether the buffer is empty. */
  private notifyIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/**
 * The checks every producer makes before taking a record: its size (data + partition key bytes), or the
 * error to fail it with now (closed, key length, Kinesis's record limit, the buffer bound).
 */
export function admitRecord(stream: string, record: ProducerRecord, closed: boolean, unacked: number, maxBufferBytes: number): number | Error {
  const key = record.partitionKey;
  if (closed) return new ProducerClosedError(stream);
  if (key.length < 1 || key.length > 256) return new InvalidPartitionKeyError(key.length);
  const bytes = record.data.byteLength + Buffer.byteLength(key, 'utf8');
  if (bytes > KINESIS_MAX_RECORD_BYTES) return new RecordTooLargeError(stream, bytes);
  if (unacked + bytes > maxBufferBytes) return new BufferFullError(stream, unacked, bytes, maxBufferBytes);
  return bytes;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.floor(n)));
}

/** `Name: message` of a thrown value, for logs and for records' last error. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; message?: string };
    return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
  }
  return String(err);
}
