/**
 * Enrich's `RecordProcessor` (contract in streams/kinesis-consumer.ts): enrich every record of a batch,
 * hand good TSVs to the `enriched` producer and bad rows to `bad-1`, and resolve only when every write
 * is acknowledged, so the consumer checkpoints nothing that is not durably downstream.
 *
 * An Iglu outage (`IgluUnavailableError`) is a system error: the record is retried in place with
 * exponential back-off until Iglu answers (no bad row, no skip, no checkpoint meanwhile). On shutdown
 * the wait is abandoned and `processBatch` rejects, so the batch is re-read after a restart.
 */
import { randomUUID } from 'node:crypto';
import { serializeBadRow, sizeViolation, type BadRow } from '../core/bad-rows';
import { FIELD_INDEX, type FieldName } from '../core/enriched-event';
import { IgluUnavailableError } from '../iglu/errors';
import type { ConsumedRecord, RecordProcessor, ShardContext } from '../streams/kinesis-consumer';
import { enrichPayload, type EnrichSettings, type PayloadOutcome } from './pipeline';

/** Where records go: `KinesisProducer` fits (`put` resolves on acknowledgement). */
export interface RecordSink {
  put(record: { data: Uint8Array; partitionKey: string }): Promise<void>;
  /** Back-pressure: whether `bytes` more fit the sink's buffer now. */
  canAccept?(bytes: number): boolean;
}

export interface EnrichCounters {
  records: number;
  good: number;
  /** pii_transformation events written to the PII stream. */
  pii: number;
  bad: number;
  dropped: number;
  /** Atomic length violations let through by acceptInvalid. */
  invalid: number;
  /** Attempts that hit an Iglu outage and were retried. */
  igluRetries: number;
  /** Bad rows by type. */
  badByType: Record<string, number>;
  /** Latest collector→enrich latency seen, ms. */
  latencyMs: number;
}

export interface EnrichProcessorOptions {
  settings: EnrichSettings;
  good: RecordSink;
  bad: RecordSink;
  /** The PII stream (`enrich.output.pii`): pii_transformation events (PII enrichment `emitEvent`); unset = not written. */
  pii?: RecordSink;
  /** Enriched field whose value is the good record's partition key; unset or null value → random UUID. */
  partitionKey?: FieldName | null;
  /** Largest bad row (UTF-8 bytes); larger ones are replaced by a size_violation. Default 1,000,000. */
  maxBadRowSize?: number;
  /** Iglu outage back-off: first delay and cap, ms. Defaults 500 and 30,000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export class ProcessorStoppedError extends Error {
  constructor() {
    super('enrich processor stopped while waiting for Iglu; the batch will be re-read');
    this.name = 'ProcessorStoppedError';
  }
}

export class EnrichProcessor implements RecordProcessor {
  readonly counters: EnrichCounters = { records: 0, good: 0, pii: 0, bad: 0, dropped: 0, invalid: 0, igluRetries: 0, badByType: {}, latencyMs: 0 };
  private readonly keyIndex: number;
  private readonly maxBadRowSize: number;
  private readonly stopping = new AbortController();
  /** Set while a record waits for Iglu to come back (the app reports itself unhealthy meanwhile). */
  waitingForIglu = false;

  constructor(private readonly o: EnrichProcessorOptions) {
    this.keyIndex = o.partitionKey ? FIELD_INDEX[o.partitionKey] : -1;
    this.maxBadRowSize = o.maxBadRowSize ?? 1_000_000;
  }

  /** Abandon Iglu retries (shutdown): the batch in progress rejects and is not checkpointed. */
  stop(): void {
    this.stopping.abort();
  }

  async processBatch(records: ConsumedRecord[], _shard: ShardContext): Promise<void> {
    let acks: Promise<void>[] = [];
    const put = async (sink: RecordSink, data: Buffer, partitionKey: string) => {
      // Back-pressure: when the producer's buffer is full, wait for what this batch already sent.
      if (sink.canAccept && !sink.canAccept(data.length + partitionKey.length)) {
        await Promise.all(acks);
        acks = [];
      }
      acks.push(sink.put({ data, partitionKey }));
    };
    for (const r of records) {
      const outcome = await this.enrichWithRetry(r.data);
      this.count(outcome);
      for (const g of outcome.good) {
        const v = this.keyIndex >= 0 ? g.event.values[this.keyIndex] : null;
        await put(this.o.good, Buffer.from(g.tsv, 'utf8'), v ? v.slice(0, 256) : randomUUID());
        if (g.pii && this.o.pii) {
          const pv = this.keyIndex >= 0 ? g.pii.event.values[this.keyIndex] : null;
          await put(this.o.pii, Buffer.from(g.pii.tsv, 'utf8'), pv ? pv.slice(0, 256) : randomUUID());
          this.counters.pii++;
        }
      }
      for (const b of outcome.bad) await put(this.o.bad, this.badRowBytes(b), randomUUID());
      if (outcome.good.length) {
        const ts = outcome.good[0]!.event.collector_tstamp;
        if (ts) this.counters.latencyMs = Date.now() - Date.parse(`${ts.replace(' ', 'T')}Z`);
      }
    }
    await Promise.all(acks);
  }

  private async enrichWithRetry(data: Uint8Array): Promise<PayloadOutcome> {
    let delay = this.o.retryBaseMs ?? 500;
    const max = this.o.retryMaxMs ?? 30_000;
    for (;;) {
      try {
        return await enrichPayload(data, this.o.settings);
      } catch (err) {
        if (!(err instanceof IgluUnavailableError)) throw err;
        this.counters.igluRetries++;
        this.waitingForIglu = true;
        this.o.log?.('warn', 'Iglu unavailable; retrying the record (no bad row, no checkpoint)', { err: err.message, retryInMs: delay });
        try {
          await this.sleep(delay);
        } finally {
          this.waitingForIglu = false;
        }
        delay = Math.min(delay * 2, max);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.reject(new ProcessorStoppedError());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(t);
        reject(new ProcessorStoppedError());
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Serialised bad row, or a size_violation standing in for one that is too large. */
  badRowBytes(row: BadRow): Buffer {
    const text = serializeBadRow(row);
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= this.maxBadRowSize) return bytes;
    const max = this.maxBadRowSize;
    const replacement = sizeViolation({
      processor: this.o.settings.processor,
      timestamp: this.o.settings.now(),
      maximumAllowedSizeBytes: max,
      actualSizeBytes: text.length,
      expectation: `Bad row exceeds the maximum allowed size of ${max} bytes`,
      payload: text.slice(0, Math.floor(max / 10)),
    });
    this.counters.badByType.size_violation = (this.counters.badByType.size_violation ?? 0) + 1;
    return Buffer.from(serializeBadRow(replacement), 'utf8');
  }

  private count(o: PayloadOutcome): void {
    const c = this.counters;
    c.records++;
    c.good += o.good.length;
    c.bad += o.bad.length;
    c.dropped += o.dropped;
    c.invalid += o.invalidAccepted;
    for (const b of o.bad) {
      const type = b.schema.split('/')[1] ?? 'unknown';
      c.badByType[type] = (c.badByType[type] ?? 0) + 1;
    }
  }
}
