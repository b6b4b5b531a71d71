/**
 * KCL-compatible Kinesis consumer: shards are shared among the workers of one application through a
 * DynamoDB lease table (one table per application, KCL's item shape), and each worker checkpoints a
 * shard only after its processor has acknowledged the downstream write.
 *
 * Contract for stage apps (enrich, s3-loader, transformer): implement `RecordProcessor`.
 * - Streaming stages (enrich): resolve `processBatch` only once the batch's downstream writes are
 *   acknowledged (e.g. the Kinesis producer's `put` promises); the consumer then checkpoints the batch's
 *   last sequence number (`autoCheckpoint`, the default).
 * - Buffering stages (s3-loader, transformer): set `autoCheckpoint: false`, resolve `processBatch` as soon
 *   as the records are buffered, and call `shard.checkpoint(sequenceNumber)` once the buffer holding them
 *   is durably written. The consumer stops fetching a shard while the processor has not resolved, so a
 *   slow sink slows the source (back-pressure).
 * If `processBatch` rejects, the worker releases the shard's lease and it is re-read from the last
 * checkpoint (at-least-once).
 */
export interface ConsumedRecord {
  data: Buffer;
  partitionKey: string;
  sequenceNumber: string;
  approximateArrivalTimestamp: Date;
  shardId: string;
}

export interface ShardContext {
  readonly shardId: string;
  /** Checkpoint up to and including `sequenceNumber` (only while this worker still holds the lease). */
  checkpoint(sequenceNumber: string): Promise<void>;
  /** Milliseconds behind the tip of the stream at the last GetRecords. */
  readonly millisBehindLatest: number;
}

export interface RecordProcessor {
  /** Process one batch from one shard (see the contract above). */
  processBatch(records: ConsumedRecord[], shard: ShardContext): Promise<void>;
  /**
   * Called when this worker stops processing a shard: graceful shutdown, lease lost to another worker, or
   * the shard's end after a split/merge. On 'shutdown' and 'shard-end' a buffering processor should flush
   * and checkpoint through `shard` before resolving; on 'lease-lost' it must drop that shard's buffer
   * (another worker now owns it and will re-read from the checkpoint).
   */
  shardEnded?(shard: ShardContext, reason: 'shutdown' | 'lease-lost' | 'shard-end'): Promise<void>;
}

export { KinesisConsumer, type KinesisConsumerOptions, type ConsumerMetrics } from './kinesis-consumer-impl';
export { LeaseTable, LeaseLostError, type Lease } from './lease-table';
