/**
 * KinesisProducerThread: `KinesisProducer`s that run in a worker thread, behind a main-thread stand-in with
 * the same API (`ThreadedKinesisProducer`).
 *
 * Why: a PutRecords call costs CPU per record (SigV4 hashes the whole body, the body is serialised, the
 * response parsed, a megabyte pushed through a socket). In the collector that was a third of the main
 * thread's time per request, time not spent answering HTTP. In the worker it runs beside the HTTP loop.
 *
 * The main thread keeps what callers need synchronously — the unacknowledged-bytes bound (`canAccept`,
 * back-pressure), the health flag, the per-record callbacks — and hands records over in batches: they are
 * framed into a 256 KiB chunk that is transferred (zero-copy) every `handOffMs` or when full, so one message
 * carries many records. The worker feeds them to ordinary `KinesisProducer`s (same batching, retries,
 * health) and reports back which records were acknowledged or given up, per PutRecords call. Once every
 * record of a chunk is settled the worker transfers the chunk back and it is written again: the hand-over
 * allocates nothing in the steady state, and the memory in circulation follows the unacknowledged bytes.
 *
 * Frame of one record: u8 stream, u32 id, u16 key bytes, key (UTF-8), u32 data bytes, data.
 */
import { Buffer } from 'node:buffer';
import type { Worker } from 'node:worker_threads';
import { typeScriptWorker } from '../runtime/index';
import type { AwsSettings } from './aws-clients';
import {
  admitRecord,
  KINESIS_MAX_RECORD_BYTES,
  ProducerClosedError,
  type KinesisProducerOptions,
  type ProducerRecord,
  type PutRecordsReport,
} from './kinesis-producer';

/** What a stream consumer of the collector's sinks needs; `KinesisProducer` and `ThreadedKinesisProducer` both are one. */
export interface RecordProducer {
  readonly streamName: string;
  readonly healthy: boolean;
  readonly bufferedBytes: number;
  readonly bufferedRecords: number;
  canAccept(bytes: number): boolean;
  put(record: ProducerRecord): Promise<void>;
  add(record: ProducerRecord, onFailed: (err: Error) => void, onAcked?: () => void): void;
  flush(): Promise<void>;
  close(timeoutMs?: number): Promise<number>;
}

/** A producer's options as the worker receives them (no client, no hooks: the thread owns those). */
export type ThreadedProducerOptions = Omit<KinesisProducerOptions, 'client' | 'onPutRecords' | 'onHealthChange' | 'random' | 'fastSerializer'>;

export interface KinesisProducerThreadOptions {
  /** The worker builds its own Kinesis client from these (SDK retries off: the producers retry). */
  aws: AwsSettings;
  streams: ThreadedProducerOptions[];
  /**
   * How long records may wait on the main thread before they are handed to the worker (default 1 ms;
   * 0 = at the end of the current event-loop turn, for callers that wait for the ack).
   */
  handOffMs?: number;
  onPutRecords?: (report: PutRecordsReport) => void;
  onHealthChange?: (stream: string, healthy: boolean) => void;
  /** The worker died (a bug, never input): every record it held has been failed with this error. */
  onThreadError?: (err: Error) => void;
}

/** Worker → main messages. */
export type FromWorker =
  | { t: 'settled'; stream: number; acked: Uint32Array; failed: Array<[id: number, name: string, message: string]> }
  | { t: 'report'; report: Omit<PutRecordsReport, 'error'> & { error?: string } }
  | { t: 'health'; stream: number; healthy: boolean }
  | { t: 'closed'; stream: number; lost: number }
  /** The worker loaded its code and built its producers. */
  | { t: 'ready' }
  | { t: 'chunk'; buf: ArrayBuffer };

/** Main → worker messages. */
export type ToWorker =
  | { t: 'records'; buf: ArrayBuffer; length: number }
  | { t: 'flush'; stream: number }
  | { t: 'close'; stream: number; timeoutMs: number };

export interface WorkerData {
  aws: AwsSettings;
  streams: ThreadedProducerOptions[];
}

const CHUNK_BYTES = 256 * 1024;
/** Free chunks kept for reuse (beyond that, returned chunks are left to the GC). */
const POOL_MAX = 64;
const noop = () => {};

interface Pending {
  bytes: number;
  onFailed: (err: Error) => void;
  onAcked: () => void;
}

export class KinesisProducerThread {
  readonly producers: ThreadedKinesisProducer[];
  private readonly worker: Worker;
  private readonly handOffMs: number;
  /** The chunk being filled with frames, and the free chunks the worker gave back. */
  private chunk: Buffer | undefined;
  private used = 0;
  private readonly pool: ArrayBuffer[] = [];
  private handOffScheduled = false;
  private readonly handOffNow = () => {
    this.handOffScheduled = false;
    this.handOff();
  };
  private readonly closeWaiters = new Map<number, (lost: number) => void>();
  private dead: Error | undefined;
  private exited: Promise<void>;
  private markReady!: () => void;
  private readyFailed!: (err: Error) => void;
  /**
   * Resolves once the worker has loaded and built its producers; rejects if it dies first (say, its code cannot
   * be loaded). Await it before serving, so a broken thread stops start-up instead of losing records.
   */
  readonly ready: Promise<void>;

  constructor(private readonly opts: KinesisProducerThreadOptions) {
    this.handOffMs = Math.max(0, opts.handOffMs ?? 1);
    const data: WorkerData = { aws: opts.aws, streams: opts.streams };
    // Bundled (bin/build.mjs), the worker's module is an entry of its own beside this chunk.
    const entry = import.meta.url.endsWith('.ts') ? './producer-thread.worker.ts' : './producer-thread.worker.mjs';
    this.worker = typeScriptWorker(new URL(entry, import.meta.url).href, { workerData: data });
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.readyFailed = reject;
    });
    this.ready.catch(() => undefined); // a caller that never awaits it still learns of a death from onThreadError
    // The stand-ins' close() decides when the thread ends; an idle worker must not keep a stopped process alive.
    this.worker.unref();
    this.producers = opts.streams.map((s, i) => new ThreadedKinesisProducer(this, i, s));
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.die(err instanceof Error ? err : new Error(String(err))));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.die(new Error(`producer thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  /** Hand everything over, close every producer (at most `timeoutMs`), stop the worker; resolves to the records lost. */
  async close(timeoutMs = Infinity): Promise<number> {
    const lost = (await Promise.all(this.producers.map((p) => p.close(timeoutMs)))).reduce((a, b) => a + b, 0);
    await this.worker.terminate();
    await this.exited;
    return lost;
  }

  // ---- used by ThreadedKinesisProducer -------------------------------------------------------------------

  /** Frame one record for the worker. */
  enqueue(stream: number, id: number, key: string, data: Uint8Array): void {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    const size = 11 + keyBytes + data.byteLength;
    if (this.chunk !== undefined && this.used + size > this.chunk.length) this.handOff();
    if (this.chunk === undefined) {
      const ab = size <= CHUNK_BYTES ? (this.pool.pop() ?? new ArrayBuffer(CHUNK_BYTES)) : new ArrayBuffer(size);
      this.chunk = Buffer.from(ab);
    }
    const b = this.chunk;
    let o = this.used;
    b[o] = stream;
    b.writeUInt32LE(id, o + 1);
    b.writeUInt16LE(keyBytes, o + 5);
    o += 7;
    o += b.write(key, o, keyBytes === key.length ? 'latin1' : 'utf8');
    b.writeUInt32LE(data.byteLength, o);
    b.set(data, o + 4);
    this.used = o + 4 + data.byteLength;
    if (this.used === b.length) this.handOff();
    else if (!this.handOffScheduled) {
      this.handOffScheduled = true;
      if (this.handOffMs === 0) setImmediate(this.handOffNow);
      else setTimeout(this.handOffNow, this.handOffMs);
    }
  }

  post(message: ToWorker): void {
    this.handOff();
    this.worker.postMessage(message);
  }

  /** Ask the worker to close a stream's producer; resolves to the records it gave up on. */
  closeStream(stream: number, timeoutMs: number): Promise<number> {
    if (this.dead) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.closeWaiters.set(stream, resolve);
      this.post({ t: 'close', stream, timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : -1 });
    });
  }

  private handOff(): void {
    const chunk = this.chunk;
    if (chunk === undefined || this.used === 0) return;
    const length = this.used;
    this.chunk = undefined;
    this.used = 0;
    if (this.dead) return;
    const buf = chunk.buffer as ArrayBuffer;
    this.worker.postMessage({ t: 'records', buf, length } satisfies ToWorker, [buf]);
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'settled':
        return this.producers[m.stream]!.settle(m.acked, m.failed);
      case 'report':
        return this.opts.onPutRecords?.({ ...m.report, error: m.report.error === undefined ? undefined : new Error(m.report.error) });
      case 'health':
        this.producers[m.stream]!.setHealthy(m.healthy);
        return this.opts.onHealthChange?.(this.producers[m.stream]!.streamName, m.healthy);
      case 'chunk':
        if (m.buf.byteLength === CHUNK_BYTES && this.pool.length < POOL_MAX) this.pool.push(m.buf);
        return;
      case 'ready':
        return this.markReady();
      case 'closed': {
        const w = this.closeWaiters.get(m.stream);
        this.closeWaiters.delete(m.stream);
        return w?.(m.lost);
      }
    }
  }

  /** The worker is gone: fail what it held (nothing else can deliver it) and refuse new records. */
  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.readyFailed(err);
    const expected = this.producers.every((p) => p.isClosed);
    if (!expected) this.opts.onThreadError?.(err);
    for (const p of this.producers) p.abandon(err);
    for (const [, w] of this.closeWaiters) w(0);
    this.closeWaiters.clear();
  }

  get deadReason(): Error | undefined {
    return this.dead;
  }
}

/**
 * The main-thread face of one stream's producer in the worker: the same contract as `KinesisProducer`
 * (`put`/`add` callbacks, `canAccept`, `bufferedBytes`, `healthy`, `flush`, `close`).
 */
export class ThreadedKinesisProducer implements RecordProducer {
  readonly streamName: string;
  private readonly maxBufferBytes: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private unacked = 0;
  private _healthy = true;
  private closed = false;
  private closing: Promise<number> | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly thread: KinesisProducerThread,
    private readonly index: number,
    options: ThreadedProducerOptions,
  ) {
    this.streamName = options.streamName;
    this.maxBufferBytes = Math.max(options.maxBufferBytes ?? 64 * 1024 * 1024, KINESIS_MAX_RECORD_BYTES);
  }

  get bufferedBytes(): number {
    return this.unacked;
  }

  get bufferedRecords(): number {
    return this.pending.size;
  }

  get healthy(): boolean {
    return this._healthy;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  canAccept(bytes: number): boolean {
    return !this.closed && this.unacked + bytes <= this.maxBufferBytes;
  }

  put(record: ProducerRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => this.add(record, reject, resolve));
  }

  add(record: ProducerRecord, onFailed: (err: Error) => void, onAcked: () => void = noop): void {
    const bytes = admitRecord(this.streamName, record, this.closed || this.thread.deadReason !== undefined, this.unacked, this.maxBufferBytes);
    if (typeof bytes !== 'number') return onFailed(bytes);
    const id = this.nextId;
    this.nextId = id === 0xffffffff ? 1 : id + 1;
    this.pending.set(id, { bytes, onFailed, onAcked });
    this.unacked += bytes;
    this.thread.enqueue(this.index, id, record.partitionKey, record.data);
  }

  /** Send everything now (no batching wait); resolves when every record so far is acknowledged or given up. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    this.thread.post({ t: 'flush', stream: this.index });
    while (this.pending.size > 0 && !this.thread.deadReason) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Stop accepting and flush; records still unacknowledged after `timeoutMs` are failed and counted. */
  close(timeoutMs = Infinity): Promise<number> {
    this.closed = true;
    // Records the worker gave up on but was still retrying when it answered: failed here, as KinesisProducer does.
    return (this.closing ??= this.thread.closeStream(this.index, timeoutMs).then((lost) => {
      this.failAll(new ProducerClosedError(this.streamName));
      return lost;
    }));
  }

  // ---- called by the thread ------------------------------------------------------------------------------

  settle(acked: Uint32Array, failed: Array<[number, string, string]>): void {
    for (let i = 0; i < acked.length; i++) {
      const p = this.pending.get(acked[i]!);
      if (p === undefined) continue;
      this.pending.delete(acked[i]!);
      this.unacked -= p.bytes;
      p.onAcked();
    }
    for (const [id, name, message] of failed) {
      const p = this.pending.get(id);
      if (p === undefined) continue;
      this.pending.delete(id);
      this.unacked -= p.bytes;
      const err = new Error(message);
      err.name = name;
      p.onFailed(err);
    }
    if (this.pending.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  setHealthy(healthy: boolean): void {
    this._healthy = healthy;
  }

  abandon(err: Error): void {
    this._healthy = false;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    const lost = [...this.pending.values()];
    this.pending.clear();
    this.unacked = 0;
    for (const p of lost) p.onFailed(err);
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
