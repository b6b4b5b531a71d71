import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type ConsumedRecord, type RecordProcessor } from '../../pipeline/streams/kinesis-consumer';
import { badEventFromJson, goodEventFromTsv, type MicroStore } from './store';

export interface MicroFeedOptions {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  store: MicroStore;
  enrichedStream: string;
  /** bad-1 and bad-2. */
  badStreams: string[];
  /** Lease-table prefix (one table per stream). Default `furrow-micro`. */
  applicationName?: string;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Feeds the Micro store from the real pipeline's output streams: enriched TSV → good events, bad rows →
 * bad events. Each stream is read by a KinesisConsumer with its own lease table, like any stage.
 */
export class MicroFeed {
  private readonly consumers: KinesisConsumer[] = [];

  constructor(o: MicroFeedOptions) {
    const app = o.applicationName ?? 'furrow-micro';
    const good: RecordProcessor = {
      processBatch: async (records: ConsumedRecord[]) => {
        for (const r of records) {
          try {
            o.store.addGood(goodEventFromTsv(r.data.toString('utf8')));
          } catch (err) {
            o.log?.('warn', 'micro: unparsable enriched record', { error: String(err) });
          }
        }
      },
    };
    const bad: RecordProcessor = {
      processBatch: async (records: ConsumedRecord[]) => {
        for (const r of records) o.store.addBad(badEventFromJson(r.data.toString('utf8')));
      },
    };
    const common = { kinesis: o.kinesis, dynamodb: o.dynamodb, idleTimeBetweenReadsMs: 100, failoverTimeMs: 10_000, log: o.log };
    this.consumers.push(new KinesisConsumer({ ...common, streamName: o.enrichedStream, applicationName: `${app}-${o.enrichedStream}`, processor: good }));
    for (const s of o.badStreams) this.consumers.push(new KinesisConsumer({ ...common, streamName: s, applicationName: `${app}-${s}`, processor: bad }));
  }

  async start(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  /** Max lag over the streams read. */
  millisBehindLatest(): number {
    return Math.max(0, ...this.consumers.map((c) => c.metrics().millisBehindLatest));
  }
}
