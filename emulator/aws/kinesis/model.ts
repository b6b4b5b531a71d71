import * as crypto from 'node:crypto';
import { RecordLog, type HotBudget, type StoredRecord } from './log';

export type { StoredRecord };

/**
 * Kinesis data model: streams, shards, records, sequence numbers and hash keys. Pure state, no HTTP:
 * `index.ts` validates requests and turns them into calls here.
 */

/** 2^128 - 1, the top of the partition-key hash space. */
export const MAX_HASH_KEY = (1n << 128n) - 1n;

/** Token bucket (strict mode): `rate` tokens per second, holding at most `capacity`; may go into debt. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    readonly rate: number,
    readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }
  refill(now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
    }
    return this.tokens;
  }
  /** Take `n` tokens if available (after refilling); false leaves the bucket unchanged. */
  tryTake(n: number, now: number): boolean {
    if (this.refill(now) < n) return false;
    this.tokens -= n;
    return true;
  }
  /** Take `n` tokens unconditionally (the bucket may go negative: later calls wait for it to refill). */
  spend(n: number): void {
    this.tokens -= n;
  }
}

export interface ShardLimits {
  inRecords: TokenBucket;
  inBytes: TokenBucket;
  outCalls: TokenBucket;
  outBytes: TokenBucket;
}

export class Shard {
  /** The shard's records: the newest as objects, older ones off the JS heap. */
  readonly log: RecordLog;
  endSeq: string | undefined;
  closedAt: number | undefined;
  /** Strict-mode buckets, created on first use. */
  limits: ShardLimits | undefined;
  readonly hexStart: string;
  readonly hexEnd: string;
  /** The last 18 digits of every sequence number in this shard: its index and six zeros. */
  readonly seqSuffix: string;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly hashStart: bigint,
    readonly hashEnd: bigint,
    readonly startSeq: string,
    readonly createdAt: number,
    /** The stream's sequence-number prefix. */
    readonly seqPrefix: string,
    hotBudget: HotBudget,
    readonly parent?: string,
    readonly adjacentParent?: string,
  ) {
    this.hexStart = toHex32(hashStart);
    this.hexEnd = toHex32(hashEnd);
    this.seqSuffix = seqSuffixOf(index);
    this.log = new RecordLog(hotBudget, (c) => this.seqOf(c));
  }

  get open(): boolean {
    return this.endSeq === undefined;
  }

  /** Absolute index of the oldest kept record. */
  get base(): number {
    return this.log.base;
  }

  /** Absolute index one past the newest record. */
  get end(): number {
    return this.log.end;
  }

  seqOf(counter: number): string {
    const c = String(counter);
    return this.seqPrefix + ZEROS_24.slice(c.length) + c + this.seqSuffix;
  }

  /** Records [from, to) (absolute indexes) in GetRecords' wire shape. */
  read(from: number, to: number): StoredRecord[] {
    return this.log.read(from, to);
  }

  describe(): Record<string, unknown> {
    const out: Record<string, unknown> = { ShardId: this.id };
    if (this.parent) out.ParentShardId = this.parent;
    if (this.adjacentParent) out.AdjacentParentShardId = this.adjacentParent;
    out.HashKeyRange = { StartingHashKey: this.hashStart.toString(), EndingHashKey: this.hashEnd.toString() };
    out.SequenceNumberRange = this.endSeq
      ? { StartingSequenceNumber: this.startSeq, EndingSequenceNumber: this.endSeq }
      : { StartingSequenceNumber: this.startSeq };
    return out;
  }

  /** First absolute index whose sequence counter is >= (or >) the given one. */
  lowerBoundCounter(counter: number, inclusive: boolean): number {
    return this.log.lowerBoundCounter(counter, inclusive);
  }

  /** First absolute index whose arrival time (epoch seconds) is >= ts. */
  lowerBoundTime(tsSeconds: number): number {
    return this.log.lowerBoundTime(tsSeconds);
  }

  /** Drop records that arrived before `cutoffSeconds` (retention). */
  trimBefore(cutoffSeconds: number): void {
    this.log.trimBefore(cutoffSeconds);
  }
}

export type StreamMode = 'PROVISIONED' | 'ON_DEMAND';

export class Stream {
  readonly shards: Shard[] = [];
  /** Open shards ordered by hash range (routing does a binary search over them). */
  openShards: Shard[] = [];
  /** Next sequence counter; every record, shard start and shard end takes one, so they strictly increase. */
  counter = 1;
  retentionHours = 24;
  readonly tags = new Map<string, string>();
  /** Last arrival time handed out (ms); arrival times never go backwards within a stream. */
  lastArrival = 0;
  lastTrimCheck = 0;
  /** The first 14 digits every sequence number of this stream starts with. */
  readonly seqPrefix: string;

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly createdAt: number,
    readonly mode: StreamMode,
    /** Epoch ms at which a CREATING stream turns ACTIVE (createdAt when there is no delay). */
    readonly activeAt: number,
    /** Byte budget of records kept as objects (see RecordLog). */
    readonly hotBudget: HotBudget,
  ) {
    this.seqPrefix = '49' + String(Math.floor(createdAt / 1000)).padStart(12, '0');
  }

  status(now: number): 'CREATING' | 'ACTIVE' {
    return now < this.activeAt ? 'CREATING' : 'ACTIVE';
  }

  /**
   * A 56-digit sequence number: `49`, the stream's creation second (12 digits), a stream-wide counter (24),
   * the shard index (12) and six zeros. Fixed width, so string order is numeric order.
   */
  nextSeq(shardIndex: number): string {
    return makeSeq(this.seqPrefix, this.counter++, shardIndex);
  }

  /** Shard that owns a hash key given as 32 lowercase hex digits (binary search over open shards). */
  route(hex: string): Shard {
    const open = this.openShards;
    let lo = 0;
    let hi = open.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (open[mid]!.hexStart <= hex) lo = mid;
      else hi = mid - 1;
    }
    return open[lo]!;
  }

  addShard(hashStart: bigint, hashEnd: bigint, at: number, parent?: string, adjacentParent?: string): Shard {
    const index = this.shards.length;
    const shard = new Shard(index, shardIdOf(index), hashStart, hashEnd, this.nextSeq(index), at, this.seqPrefix, this.hotBudget, parent, adjacentParent);
    this.shards.push(shard);
    return shard;
  }

  closeShard(shard: Shard, at: number): void {
    shard.endSeq = this.nextSeq(shard.index);
    shard.closedAt = at;
  }

  refreshOpen(): void {
    this.openShards = this.shards.filter((s) => s.open).sort((a, b) => (a.hexStart < b.hexStart ? -1 : 1));
  }

  shard(id: string): Shard | undefined {
    const m = /^shardId-(\d{12})$/.exec(id);
    if (m) {
      const s = this.shards[Number(m[1])];
      return s && s.id === id ? s : undefined;
    }
    // AWS also accepts the bare number or shorter forms in some calls; look the id up as given.
    return this.shards.find((s) => s.id === id);
  }

  /** Seconds; the oldest arrival time retention keeps. */
  trimHorizon(now: number): number {
    return (now - this.retentionHours * 3_600_000) / 1000;
  }

  maybeTrim(now: number): void {
    if (now - this.lastTrimCheck < 60_000) return;
    this.lastTrimCheck = now;
    const cutoff = this.trimHorizon(now);
    for (const s of this.shards) s.trimBefore(cutoff);
  }
}

const ZEROS_24 = '0'.repeat(24);

export function makeSeq(prefix: string, counter: number, shardIndex: number): string {
  return prefix + String(counter).padStart(24, '0') + seqSuffixOf(shardIndex);
}

function seqSuffixOf(shardIndex: number): string {
  return String(shardIndex).padStart(12, '0') + '000000';
}

/** Decode one of our sequence numbers: which shard and which counter value; undefined if it is not one of ours. */
export function decodeSeq(seq: string): { counter: number; shardIndex: number; prefix: string } | undefined {
  if (seq.length !== 56 || !/^\d+$/.test(seq)) return undefined;
  return { prefix: seq.slice(0, 14), counter: Number(seq.slice(14, 38)), shardIndex: Number(seq.slice(38, 50)) };
}

export function shardIdOf(index: number): string {
  return 'shardId-' + String(index).padStart(12, '0');
}

export function toHex32(n: bigint): string {
  return n.toString(16).padStart(32, '0');
}

/** MD5 of the partition key as 32 hex digits: the 128-bit unsigned hash key AWS routes by. */
export function partitionHashHex(key: string): string {
  return oneShotHash ? oneShotHash('md5', key, 'hex') : crypto.createHash('md5').update(key, 'utf8').digest('hex');
}

/** `crypto.hash` (Node >= 20.12) is several times cheaper than a Hash object per key. */
const oneShotHash = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

/** The hash key ranges AWS gives `n` evenly split shards: [floor(i*2^128/n), floor((i+1)*2^128/n) - 1]. */
export function evenRanges(n: number): Array<[bigint, bigint]> {
  const total = 1n << 128n;
  const out: Array<[bigint, bigint]> = [];
  for (let i = 0; i < n; i++) out.push([(BigInt(i) * total) / BigInt(n), (BigInt(i + 1) * total) / BigInt(n) - 1n]);
  return out;
}

/** Java's `Date.toString()` in UTC, which AWS puts in ExpiredIteratorException messages. */
export function javaDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(
    d.getUTCSeconds(),
  )} UTC ${d.getUTCFullYear()}`;
}
