import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  type KinesisClient,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LeaseLostError, LeaseTable, type Lease } from './lease-table';
import type { ConsumedRecord, RecordProcessor, ShardContext } from './kinesis-consumer';

export interface KinesisConsumerOptions {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  streamName: string;
  /** Application name = lease table name (one table per application, like KCL). */
  applicationName: string;
  processor: RecordProcessor;
  /** Default `<hostname>:<pid>:<random>`. */
  workerId?: string;
  /** Where a brand-new application starts reading. Default TRIM_HORIZON. */
  initialPosition?: 'TRIM_HORIZON' | 'LATEST' | { timestamp: Date };
  /** Checkpoint after every resolved batch (default true); false = the processor checkpoints itself. */
  autoCheckpoint?: boolean;
  /** KCL failoverTimeMillis: a lease whose counter has not moved for this long is expired. Default 10 s. */
  failoverTimeMs?: number;
  /** How often to look for leases to take. Default (failover + 25 ms) × 2, like KCL. */
  leaseTakeIntervalMs?: number;
  /** Most leases stolen per take cycle. Default 1. */
  maxLeasesToStealAtOneTime?: number;
  /** GetRecords Limit. Default 1,000. */
  maxRecordsPerBatch?: number;
  /** Pause between polls of a shard that returned nothing. Default 500 ms (KCL: 1 s). */
  idleTimeBetweenReadsMs?: number;
  /** How often a child shard checks whether its parents reached SHARD_END. Default 1 s (KCL: 10 s). */
  parentPollIntervalMs?: number;
  /** Structured log sink; default silent. */
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface ConsumerMetrics {
  workerId: string;
  leasesHeld: string[];
  recordsProcessed: number;
  /** Max MillisBehindLatest over the shards this worker reads. */
  millisBehindLatest: number;
  perShard: Record<string, { millisBehindLatest: number; records: number; checkpoint: string }>;
}

const SHARD_END = 'SHARD_END';
/** Sleep that ends early on abort, without leaving a listener behind on the (long-lived) signal. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Serialises the lease writes of one shard so renewals and checkpoints never race on the counter. */
class HeldLease {
  private chain: Promise<unknown> = Promise.resolve();
  lost = false;
  constructor(public lease: Lease) {}
  write(fn: (l: Lease) => Promise<Lease>): Promise<Lease> {
    const next = this.chain.then(async () => {
      if (this.lost) throw new LeaseLostError(this.lease.leaseKey);
      try {
        this.lease = await fn(this.lease);
        return this.lease;
      } catch (err) {
        if (err instanceof LeaseLostError) this.lost = true;
        throw err;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Reads one shard while this worker holds its lease. */
class ShardReader {
  readonly abort = new AbortController();
  done: Promise<void> = Promise.resolve();
  millisBehindLatest = 0;
  records = 0;
  /** Set when the loop ended by reading the shard to its end. */
  reachedEnd = false;

  constructor(
    readonly held: HeldLease,
    private readonly consumer: KinesisConsumer,
  ) {}

  get shardId(): string {
    return this.held.lease.leaseKey;
  }

  context(): ShardContext {
    const reader = () => this;
    return {
      shardId: this.shardId,
      get millisBehindLatest() {
        return reader().millisBehindLatest;
      },
      checkpoint: (seq: string) => this.consumer.checkpointLease(this.held, seq).then(() => undefined),
    };
  }
}

/**
 * A KCL-compatible consumer: LeaseCoordinator (renew, take, steal, shard sync) + one ShardReader per held
 * lease. One batch in flight per shard and no prefetch, so memory is bounded by
 * shards × maxRecordsPerBatch × record size and a slow processor slows reading.
 */
export class KinesisConsumer {
  readonly workerId: string;
  readonly leases: LeaseTable;
  private readonly readers = new Map<string, ShardReader>();
  /** leaseKey → last counter seen and when it last changed (local clock), for expiry like KCL. */
  private readonly seen = new Map<string, { counter: bigint; changedAt: number }>();
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];
  private recordsProcessed = 0;
  private readonly o: Required<Omit<KinesisConsumerOptions, 'workerId' | 'log' | 'initialPosition'>> & Pick<KinesisConsumerOptions, 'initialPosition'>;
  private readonly log: NonNullable<KinesisConsumerOptions['log']>;

  constructor(options: KinesisConsumerOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const failoverTimeMs = options.failoverTimeMs ?? 10_000;
    this.o = {
      autoCheckpoint: true,
      failoverTimeMs,
      leaseTakeIntervalMs: (failoverTimeMs + 25) * 2,
      maxLeasesToStealAtOneTime: 1,
      maxRecordsPerBatch: 1_000,
      idleTimeBetweenReadsMs: 500,
      parentPollIntervalMs: 1_000,
      ...options,
    } as KinesisConsumer['o'];
    this.log = options.log ?? (() => undefined);
    this.leases = new LeaseTable(options.dynamodb, options.applicationName);
  }

  /** Create the lease table if needed, sync shards to leases, then start renewing and taking leases. */
  async start(): Promise<void> {
    await this.leases.ensure();
    await this.syncShards();
    await this.takeLeases();
    const signal = this.stopping.signal;
    this.loops.push(this.every(Math.max(50, Math.floor(this.o.failoverTimeMs / 3) - 25), () => this.renewLeases(), signal));
    this.loops.push(
      this.every(this.o.leaseTakeIntervalMs, async () => {
        await this.syncShards();
        await this.takeLeases();
      }, signal),
    );
  }

  /**
   * Graceful shutdown: stop reading, let each processor flush and checkpoint ('shutdown'), then release
   * the leases so other workers take them at once instead of waiting for them to expire.
   */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    await Promise.all(this.loops);
    await Promise.all([...this.readers.values()].map((r) => this.stopReader(r, 'shutdown')));
  }

  /** Simulates a crash for tests: stop everything without flushing, checkpointing or releasing. */
  async kill(): Promise<void> {
    this.stopping.abort();
    for (const r of this.readers.values()) {
      r.held.lost = true;
      r.abort.abort();
    }
    await Promise.all(this.loops);
    await Promise.allSettled([...this.readers.values()].map((r) => r.done));
    this.readers.clear();
  }

  metrics(): ConsumerMetrics {
    const perShard: ConsumerMetrics['perShard'] = {};
    let behind = 0;
    for (const [id, r] of this.readers) {
      perShard[id] = { millisBehindLatest: r.millisBehindLatest, records: r.records, checkpoint: r.held.lease.checkpoint };
      behind = Math.max(behind, r.millisBehindLatest);
    }
    return { workerId: this.workerId, leasesHeld: [...this.readers.keys()].sort(), recordsProcessed: this.recordsProcessed, millisBehindLatest: behind, perShard };
  }

  /** Used by ShardContext.checkpoint. */
  checkpointLease(held: HeldLease, checkpoint: string, childShardIds?: string[]): Promise<Lease> {
    return held.write((l) => this.leases.checkpoint(l, checkpoint, childShardIds));
  }

  private async every(ms: number, fn: () => Promise<void>, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(ms, signal);
      if (signal.aborted) return;
      try {
        await fn();
      } catch (err) {
        this.log('warn', 'lease coordinator cycle failed', { error: String(err) });
      }
    }
  }

  /** Create leases for shards that have none (new stream, new app, or new children after a reshard). */
  private async syncShards(): Promise<void> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.o.kinesis.send(
        token ? new ListShardsCommand({ NextToken: token }) : new ListShardsCommand({ StreamName: this.o.streamName }),
      );
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    const existing = new Map((await this.leases.list()).map((l) => [l.leaseKey, l]));
    const brandNew = existing.size === 0;
    const byId = new Map(shards.map((s) => [s.ShardId!, s]));
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (existing.has(id)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => Boolean(p));
      const closed = Boolean(shard.SequenceNumberRange?.EndingSequenceNumber);
      let checkpoint: string;
      if (brandNew) {
        const initial = this.o.initialPosition ?? 'TRIM_HORIZON';
        // A new app starting at LATEST or a timestamp has nothing to read in closed shards.
        if (closed && initial !== 'TRIM_HORIZON') continue;
        // Children of shards we will read start at TRIM_HORIZON, so nothing between parent end and child start is skipped.
        const hasLeasedParent = parents.some((p) => byId.has(p));
        checkpoint = hasLeasedParent ? 'TRIM_HORIZON' : typeof initial === 'string' ? initial : 'AT_TIMESTAMP';
      } else {
        checkpoint = 'TRIM_HORIZON';
      }
      await this.leases.create({
        leaseKey: id,
        leaseCounter: 0n,
        checkpoint,
        checkpointSubSequenceNumber: 0n,
        ownerSwitchesSinceCheckpoint: 0n,
        parentShardIds: parents,
        childShardIds: [],
        startingHashKey: shard.HashKeyRange?.StartingHashKey,
        endingHashKey: shard.HashKeyRange?.EndingHashKey,
      });
    }
  }

  private async renewLeases(): Promise<void> {
    await Promise.all(
      [...this.readers.values()].map(async (r) => {
        try {
          await r.held.write((l) => this.leases.renew(l));
        } catch (err) {
          if (err instanceof LeaseLostError) {
            this.log('warn', 'lease lost', { shardId: r.shardId, workerId: this.workerId });
            await this.stopReader(r, 'lease-lost');
          } else this.log('warn', 'lease renewal failed', { shardId: r.shardId, error: String(err) });
        }
      }),
    );
  }

  /** KCL's take: expired leases first, then steal from the busiest worker, up to ceil(leases / workers). */
  private async takeLeases(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const now = Date.now();
    const all = await this.leases.list();
    // Leases of shards read to their end need no owner; they stay as markers for their children.
    const active = all.filter((l) => l.checkpoint !== SHARD_END);
    const expired: Lease[] = [];
    const owners = new Map<string, Lease[]>();
    for (const l of active) {
      const s = this.seen.get(l.leaseKey);
      if (!s || s.counter !== l.leaseCounter) this.seen.set(l.leaseKey, { counter: l.leaseCounter, changedAt: now });
      const stale = s !== undefined && s.counter === l.leaseCounter && now - s.changedAt > this.o.failoverTimeMs;
      if (this.readers.has(l.leaseKey)) continue;
      if (!l.leaseOwner || stale) expired.push(l);
      else owners.set(l.leaseOwner, [...(owners.get(l.leaseOwner) ?? []), l]);
    }
    for (const key of this.seen.keys()) if (!all.some((l) => l.leaseKey === key)) this.seen.delete(key);
    const workers = new Set([...owners.keys(), this.workerId]);
    const target = Math.max(1, Math.ceil(active.length / workers.size));
    let need = target - this.readers.size;
    if (need <= 0) return;
    const toTake: Lease[] = expired.sort(() => Math.random() - 0.5).slice(0, need);
    need -= toTake.length;
    if (toTake.length === 0 && need > 0) {
      // Steal only when nothing expired is available: from the worker with the most leases, if above target.
      const [victim, theirs] = [...owners.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
      if (victim && theirs && theirs.length > target) {
        toTake.push(...theirs.sort(() => Math.random() - 0.5).slice(0, Math.min(need, this.o.maxLeasesToStealAtOneTime)));
      }
    }
    for (const l of toTake) {
      try {
        const taken = await this.leases.take(l, this.workerId);
        this.log('info', 'lease taken', { shardId: l.leaseKey, from: l.leaseOwner ?? null, workerId: this.workerId });
        this.startReader(new HeldLease(taken));
      } catch (err) {
        if (!(err instanceof LeaseLostError)) throw err;
      }
    }
  }

  private startReader(held: HeldLease): void {
    const reader = new ShardReader(held, this);
    this.readers.set(reader.shardId, reader);
    reader.done = this.readShard(reader).catch(async (err) => {
      // A reader that stopped on an unexpected error (DynamoDB or Kinesis failing where no retry was
      // planned) must not leave its shard held but unread: read it again from the last checkpoint while the
      // lease is still ours (records processed since then come again: at-least-once).
      this.log('error', 'shard reader failed; reading the shard again from its checkpoint', { shardId: reader.shardId, error: String(err) });
      await sleep(1_000, reader.abort.signal);
      if (this.readers.get(reader.shardId) !== reader || reader.abort.signal.aborted || held.lost || this.stopping.signal.aborted) return;
      this.readers.delete(reader.shardId);
      this.startReader(held);
    });
  }

  private async stopReader(r: ShardReader, reason: 'shutdown' | 'lease-lost' | 'shard-end'): Promise<void> {
    if (this.readers.get(r.shardId) !== r) return;
    r.abort.abort();
    await r.done;
    this.readers.delete(r.shardId);
    if (reason === 'lease-lost') r.held.lost = true;
    try {
      await this.o.processor.shardEnded?.(r.context(), reason);
    } catch (err) {
      this.log('warn', 'processor shardEnded failed', { shardId: r.shardId, reason, error: String(err) });
    }
    if (reason === 'shutdown' && !r.held.lost) {
      await r.held.write((l) => this.leases.release(l)).catch(() => undefined);
    }
  }

  /** Wait until every parent lease is at SHARD_END (or gone), so a key's records are read in order. */
  private async waitForParents(r: ShardReader): Promise<boolean> {
    while (!r.abort.signal.aborted) {
      const parents = r.held.lease.parentShardIds;
      if (parents.length === 0) return true;
      const all = new Map((await this.leases.list()).map((l) => [l.leaseKey, l]));
      if (parents.every((p) => !all.has(p) || all.get(p)!.checkpoint === SHARD_END)) return true;
      await sleep(this.o.parentPollIntervalMs, r.abort.signal);
    }
    return false;
  }

  private async iteratorFor(shardId: string, checkpoint: string): Promise<string | undefined> {
    let type: ShardIteratorType;
    let extra: { StartingSequenceNumber?: string; Timestamp?: Date } = {};
    if (checkpoint === 'TRIM_HORIZON' || checkpoint === 'LATEST') type = checkpoint;
    else if (checkpoint === 'AT_TIMESTAMP') {
      type = 'AT_TIMESTAMP';
      const ip = this.o.initialPosition;
      extra = { Timestamp: typeof ip === 'object' ? ip.timestamp : new Date(0) };
    } else {
      type = 'AFTER_SEQUENCE_NUMBER';
      extra = { StartingSequenceNumber: checkpoint };
    }
    const out = await this.o.kinesis.send(
      new GetShardIteratorCommand({ StreamName: this.o.streamName, ShardId: shardId, ShardIteratorType: type, ...extra }),
    );
    return out.ShardIterator;
  }

  private async readShard(r: ShardReader): Promise<void> {
    const signal = r.abort.signal;
    if (r.held.lease.checkpoint === SHARD_END) return;
    if (!(await this.waitForParents(r))) return;
    // Position of the last record handed to the processor; re-read from here after an iterator expires.
    let position = r.held.lease.checkpoint;
    let iterator = await this.iteratorFor(r.shardId, position);
    let backoff = 100;
    while (!signal.aborted) {
      if (!iterator) {
        await this.finishShard(r);
        return;
      }
      let out;
      try {
        out = await this.o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.o.maxRecordsPerBatch }), { abortSignal: signal });
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ExpiredIteratorException) {
          iterator = await this.iteratorFor(r.shardId, position);
          continue;
        }
        if (err instanceof ResourceNotFoundException) {
          this.log('error', 'stream or shard not found', { shardId: r.shardId });
          await sleep(5_000, signal);
          continue;
        }
        if (!(err instanceof ProvisionedThroughputExceededException)) this.log('warn', 'GetRecords failed', { shardId: r.shardId, error: String(err) });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      backoff = 100;
      r.millisBehindLatest = out.MillisBehindLatest ?? 0;
      const records: ConsumedRecord[] = (out.Records ?? []).map((rec) => ({
        data: Buffer.from(rec.Data!.buffer, rec.Data!.byteOffset, rec.Data!.byteLength),
        partitionKey: rec.PartitionKey!,
        sequenceNumber: rec.SequenceNumber!,
        approximateArrivalTimestamp: rec.ApproximateArrivalTimestamp ?? new Date(),
        shardId: r.shardId,
      }));
      if (records.length > 0) {
        await this.processWithRetry(r, records);
        if (signal.aborted || r.held.lost) return;
        position = records[records.length - 1]!.sequenceNumber;
        r.records += records.length;
        this.recordsProcessed += records.length;
        if (this.o.autoCheckpoint) {
          // A failed checkpoint (DynamoDB throttling, a 500) is retried until it holds or the lease is lost.
          for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
            try {
              await this.checkpointLease(r.held, position);
              break;
            } catch (err) {
              if (err instanceof LeaseLostError) {
                void this.stopReader(r, 'lease-lost');
                return;
              }
              this.log('warn', 'checkpoint failed; retrying', { shardId: r.shardId, error: String(err), retryInMs: delay });
              await sleep(delay, signal);
              if (signal.aborted) return;
            }
          }
        }
      }
      iterator = out.NextShardIterator;
      if (iterator && records.length === 0) await sleep(this.o.idleTimeBetweenReadsMs, signal);
    }
  }

  /** Retry a failed batch in place with backoff (e.g. Iglu or a sink is down): never skip, never checkpoint past it. */
  private async processWithRetry(r: ShardReader, records: ConsumedRecord[]): Promise<void> {
    let delay = 200;
    while (!r.abort.signal.aborted && !r.held.lost) {
      try {
        await this.o.processor.processBatch(records, r.context());
        return;
      } catch (err) {
        this.log('warn', 'processBatch failed; retrying the same batch', { shardId: r.shardId, error: String(err), retryInMs: delay });
        await sleep(delay, r.abort.signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** The shard is closed and fully read: let the processor flush, write SHARD_END, then pick up children. */
  private async finishShard(r: ShardReader): Promise<void> {
    r.reachedEnd = true;
    try {
      await this.o.processor.shardEnded?.(r.context(), 'shard-end');
      await this.checkpointLease(r.held, SHARD_END);
      this.log('info', 'shard end', { shardId: r.shardId });
    } catch (err) {
      this.log('warn', 'could not checkpoint SHARD_END', { shardId: r.shardId, error: String(err) });
    }
    this.readers.delete(r.shardId);
    if (!this.stopping.signal.aborted) {
      await this.syncShards().catch(() => undefined);
      await this.takeLeases().catch(() => undefined);
    }
  }
}
