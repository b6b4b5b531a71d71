import { AwsError } from '../errors';
import type { Journal } from '../journal';
import { RawJson, type EdgeRequest, type JsonService, type ServiceContext } from '../types';
import {
  MAX_HASH_KEY,
  Shard,
  Stream,
  TokenBucket,
  decodeSeq,
  evenRanges,
  javaDate,
  partitionHashHex,
  shardIdOf,
  toHex32,
  type StreamMode,
} from './model';
import type { HotBudget } from './log';
import { scanPutRecords } from './put-records-scan';
import { Checks, HASH_KEY, SEQUENCE_NUMBER, SHARD_ID, STREAM_ARN, STREAM_NAME, typeError } from './validate';

export interface KinesisOptions {
  /** Enforce AWS per-shard limits with the real throttling errors (1 MiB/s and 1,000 records/s in; 2 MiB/s and 5 GetRecords/s out). */
  strict?: boolean;
  /** How long a shard iterator (and a ListShards NextToken) stays valid. Default 300,000 ms, as on AWS. */
  iteratorTtlMs?: number;
  /** How long a new stream stays CREATING before it turns ACTIVE. Default 0 (ACTIVE at once). */
  createDelayMs?: number;
  /** Open shards allowed across the account (AWS's default quota is 500 in most regions). */
  shardLimit?: number;
  /**
   * Bytes of each shard's newest records kept as ready-to-send objects (default 64 MiB); older records move off
   * the JS heap and are rebuilt when read. Tests set it tiny to exercise both tiers. The trade-off, measured in
   * session 3: 4 MiB made PutRecords ~20% cheaper per record (the young-generation GC copies every hot record
   * before it is demoted) but GetRecords ~35% dearer in `npm run bench -- emulator`; reads won.
   */
  hotBytesPerShard?: number;
  /** The same bound across all shards together (default 512 MiB), well under V8's heap limit. */
  hotBytesTotal?: number;
}

/** What the journal holds: one line per acknowledged mutation (or a snapshot after compaction). */
type JournalRecord =
  | { t: 'create'; name: string; shards: number; mode: StreamMode; at: number; activeAt: number; tags?: Record<string, string> }
  | { t: 'delete'; name: string }
  /** Records as [shardIndex, sequenceNumber, arrival (epoch s), base64 data, partition key]. */
  | { t: 'put'; name: string; r: Array<[number, string, number, string, string]> }
  | { t: 'split'; name: string; shard: string; newStart: string; at: number }
  | { t: 'merge'; name: string; shard: string; adjacent: string; at: number }
  | { t: 'retention'; name: string; hours: number }
  | { t: 'tags'; name: string; add?: Record<string, string>; remove?: string[] }
  | { t: 'snapshot'; name: string; createdAt: number; activeAt: number; mode: StreamMode; counter: number; retentionHours: number; lastArrival: number; tags: Record<string, string>; shards: SnapshotShard[] };

interface SnapshotShard {
  hs: string;
  he: string;
  ss: string;
  es?: string;
  ca: number;
  cl?: number;
  p?: string;
  ap?: string;
  base: number;
}

const MIB = 1024 * 1024;
const MAX_RECORD_BYTES = MIB;
const MAX_PUT_RECORDS_BYTES = 5 * MIB;
const MAX_GET_RECORDS_BYTES = 10 * MIB;
const ITERATOR_PREFIX = 'AAAAAAAAAAF';
const PUT_RECORDS_MAX = 500;
const ITERATOR_TYPES = ['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'] as const;
const SHARD_FILTER_TYPES = ['AFTER_SHARD_ID', 'AT_TRIM_HORIZON', 'FROM_TRIM_HORIZON', 'AT_LATEST', 'AT_TIMESTAMP', 'FROM_TIMESTAMP'] as const;

/**
 * Kinesis Data Streams over JSON 1.1 (`X-Amz-Target: Kinesis_20131202.<Op>`), in memory, journaled when the
 * emulator has a data dir. Semantics follow AWS: MD5 partition-key routing over [0, 2^128-1], strictly
 * increasing 56-digit sequence numbers, opaque iterators that expire, resharding with closed parents and
 * ChildShards, and (strict mode) AWS's per-shard throughput limits.
 */
export class KinesisService implements JsonService {
  readonly name = 'kinesis' as const;
  private readonly streams = new Map<string, Stream>();
  private readonly journal: Journal<JournalRecord> | null;
  private readonly ttl: number;
  private readonly strict: boolean;
  private readonly createDelayMs: number;
  private readonly shardLimit: number;
  private readonly hotBudget: HotBudget;
  private readonly ops: Record<string, (input: Record<string, unknown>) => unknown>;

  constructor(
    private readonly ctx: ServiceContext,
    options: KinesisOptions = {},
  ) {
    this.ttl = options.iteratorTtlMs ?? 300_000;
    this.strict = options.strict ?? false;
    this.createDelayMs = options.createDelayMs ?? 0;
    this.shardLimit = options.shardLimit ?? 500;
    this.hotBudget = { perShard: options.hotBytesPerShard ?? 64 * MIB, total: options.hotBytesTotal ?? 512 * MIB, used: 0 };
    this.ops = {
      CreateStream: (i) => this.createStream(i),
      DeleteStream: (i) => this.deleteStream(i),
      DescribeStream: (i) => this.describeStream(i),
      DescribeStreamSummary: (i) => this.describeStreamSummary(i),
      ListStreams: (i) => this.listStreams(i),
      ListShards: (i) => this.listShards(i),
      PutRecord: (i) => this.putRecord(i),
      PutRecords: (i) => this.putRecords(i),
      GetShardIterator: (i) => this.getShardIterator(i),
      GetRecords: (i) => this.getRecords(i),
      SplitShard: (i) => this.splitShard(i),
      MergeShards: (i) => this.mergeShards(i),
      IncreaseStreamRetentionPeriod: (i) => this.retention(i, 'increase'),
      DecreaseStreamRetentionPeriod: (i) => this.retention(i, 'decrease'),
      AddTagsToStream: (i) => this.addTags(i),
      RemoveTagsFromStream: (i) => this.removeTags(i),
      ListTagsForStream: (i) => this.listTags(i),
      DescribeLimits: () => this.describeLimits(),
      ListStreamConsumers: (i) => {
        this.resolveStream(new Checks(i), i, 'StreamARN');
        return { Consumers: [] };
      },
    };
    this.journal = ctx.journal<JournalRecord>('kinesis');
    if (this.journal) {
      const records = this.journal.read();
      for (const rec of records) this.replay(rec);
      // Start from a snapshot, so a journal that was never compacted (a killed emulator) does not keep growing.
      if (records.length > 0) this.journal.compact(this.snapshot());
    }
  }

  handle(operation: string, input: any, _req: EdgeRequest): unknown {
    const op = this.ops[operation];
    if (!op) throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported by Kinesis`, 400);
    return op(input as Record<string, unknown>);
  }

  /** Rewrite the journal as a snapshot of the current state. */
  close(): void {
    if (!this.journal) return;
    this.journal.compact(this.snapshot());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Streams

  private createStream(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const name = c.str('StreamName', { required: true, ...STREAM_NAME });
    const shardCount = c.int('ShardCount', { min: 1, max: 100_000 });
    const modeDetails = c.obj('StreamModeDetails');
    let mode: StreamMode = shardCount === undefined ? 'ON_DEMAND' : 'PROVISIONED';
    if (modeDetails) {
      const m = new Checks(modeDetails).enumOf('StreamMode', ['PROVISIONED', 'ON_DEMAND'] as const, { required: true });
      if (m) mode = m;
    }
    const tags = this.tagMap(c, input.Tags, 'Tags');
    c.done();
    if (mode === 'PROVISIONED' && shardCount === undefined)
      throw new AwsError('ValidationException', 'ShardCount is required for a PROVISIONED stream.', 400);
    const shards = shardCount ?? 4;
    if (this.streams.has(name!))
      throw new AwsError('ResourceInUseException', `Stream ${name} under account ${this.ctx.accountId} already exists.`, 400);
    const current = this.openShardTotal();
    if (current + shards > this.shardLimit)
      throw new AwsError(
        'LimitExceededException',
        `This request would exceed the shard limit for the account ${this.ctx.accountId} in ${this.ctx.region}. Current shard count for the account: ${current}. Limit: ${this.shardLimit}. Number of additional shards that would have resulted from this request: ${shards}.`,
        400,
      );
    const at = this.ctx.now();
    const rec: JournalRecord = { t: 'create', name: name!, shards, mode, at, activeAt: at + this.createDelayMs };
    if (tags && Object.keys(tags).length) rec.tags = tags;
    this.log(rec);
    this.applyCreate(rec);
    return {};
  }

  private applyCreate(rec: Extract<JournalRecord, { t: 'create' }>): Stream {
    const s = new Stream(rec.name, this.arnOf(rec.name), rec.at, rec.mode, rec.activeAt, this.hotBudget);
    for (const [lo, hi] of evenRanges(rec.shards)) s.addShard(lo, hi, rec.at);
    s.refreshOpen();
    s.lastArrival = rec.at;
    for (const [k, v] of Object.entries(rec.tags ?? {})) s.tags.set(k, v);
    this.streams.set(rec.name, s);
    return s;
  }

  private deleteStream(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    c.bool('EnforceConsumerDeletion');
    const s = this.resolveStream(c, input);
    this.log({ t: 'delete', name: s.name });
    this.dropStream(s);
    return {};
  }

  private describeStream(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const limit = c.int('Limit', { min: 1, max: 10_000 }) ?? 100;
    const after = c.str('ExclusiveStartShardId', SHARD_ID);
    const s = this.resolveStream(c, input);
    const now = this.ctx.now();
    let start = 0;
    if (after !== undefined) {
      const idx = s.shards.findIndex((sh) => sh.id === after);
      start = idx === -1 ? s.shards.filter((sh) => sh.id <= after).length : idx + 1;
    }
    const page = s.shards.slice(start, start + limit);
    return {
      StreamDescription: {
        StreamName: s.name,
        StreamARN: s.arn,
        StreamStatus: s.status(now),
        StreamModeDetails: { StreamMode: s.mode },
        Shards: page.map((sh) => sh.describe()),
        HasMoreShards: start + page.length < s.shards.length,
        RetentionPeriodHours: s.retentionHours,
        StreamCreationTimestamp: s.createdAt / 1000,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
      },
    };
  }

  private describeStreamSummary(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const s = this.resolveStream(c, input);
    return {
      StreamDescriptionSummary: {
        StreamName: s.name,
        StreamARN: s.arn,
        StreamStatus: s.status(this.ctx.now()),
        StreamModeDetails: { StreamMode: s.mode },
        RetentionPeriodHours: s.retentionHours,
        StreamCreationTimestamp: s.createdAt / 1000,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
        OpenShardCount: s.openShards.length,
        ConsumerCount: 0,
      },
    };
  }

  private listStreams(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const limit = c.int('Limit', { min: 1, max: 10_000 }) ?? 100;
    let after = c.str('ExclusiveStartStreamName', STREAM_NAME);
    const token = c.str('NextToken', { min: 1, max: 1048576 });
    c.done();
    if (token !== undefined) {
      const t = decodeToken(token);
      if (!t || typeof t.after !== 'string') throw new AwsError('InvalidArgumentException', 'Invalid NextToken.', 400);
      after = t.after;
    }
    const names = [...this.streams.keys()].sort();
    const rest = after === undefined ? names : names.filter((n) => n > after!);
    const page = rest.slice(0, limit);
    const now = this.ctx.now();
    const out: Record<string, unknown> = {
      StreamNames: page,
      HasMoreStreams: rest.length > page.length,
      StreamSummaries: page.map((n) => {
        const s = this.streams.get(n)!;
        return {
          StreamName: s.name,
          StreamARN: s.arn,
          StreamStatus: s.status(now),
          StreamModeDetails: { StreamMode: s.mode },
          StreamCreationTimestamp: s.createdAt / 1000,
        };
      }),
    };
    if (rest.length > page.length) out.NextToken = encodeToken({ after: page[page.length - 1] });
    return out;
  }

  private listShards(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const token = c.str('NextToken', { min: 1, max: 1048576 });
    const maxResults = c.int('MaxResults', { min: 1, max: 10_000 }) ?? 1000;
    let after = c.str('ExclusiveStartShardId', SHARD_ID);
    c.timestamp('StreamCreationTimestamp');
    const filterIn = c.obj('ShardFilter');
    let filter: { Type: string; ShardId?: string; Timestamp?: number } | undefined;
    if (filterIn) {
      const fc = new Checks(filterIn);
      const type = fc.enumOf('Type', SHARD_FILTER_TYPES, { required: true });
      const shardId = fc.str('ShardId', SHARD_ID);
      const ts = fc.timestamp('Timestamp');
      fc.done();
      filter = { Type: type!, ShardId: shardId, Timestamp: ts };
    }
    let s: Stream;
    if (token !== undefined) {
      c.done();
      if (input.StreamName !== undefined || input.StreamARN !== undefined)
        throw new AwsError('InvalidArgumentException', 'NextToken and StreamName cannot be provided together.', 400);
      if (after !== undefined) throw new AwsError('InvalidArgumentException', 'NextToken and ExclusiveStartShardId cannot be provided together.', 400);
      const t = decodeToken(token);
      if (!t || typeof t.stream !== 'string' || typeof t.createdAt !== 'number' || typeof t.issued !== 'number')
        throw new AwsError('InvalidArgumentException', 'Invalid NextToken.', 400);
      if (this.ctx.now() - t.issued > this.ttl) throw new AwsError('ExpiredNextTokenException', 'The NextToken has expired.', 400);
      const found = this.streams.get(t.stream);
      if (!found || found.createdAt !== t.createdAt) throw this.streamNotFound(t.stream);
      s = found;
      after = t.after as string | undefined;
      filter = t.filter as typeof filter;
    } else {
      s = this.resolveStream(c, input);
    }
    const now = this.ctx.now();
    const th = Math.max(s.createdAt, now - s.retentionHours * 3_600_000);
    const openAt = (sh: Shard, t: number) => sh.createdAt <= t && (sh.closedAt === undefined || sh.closedAt > t);
    const notClosedBefore = (sh: Shard, t: number) => sh.closedAt === undefined || sh.closedAt > t;
    let shards = s.shards;
    if (filter) {
      const f = filter;
      const tsMs = f.Timestamp === undefined ? undefined : Math.max(f.Timestamp * 1000, th);
      switch (f.Type) {
        case 'AFTER_SHARD_ID': {
          if (!f.ShardId) throw new AwsError('InvalidArgumentException', 'ShardId must be provided for the AFTER_SHARD_ID ShardFilter.', 400);
          const id = f.ShardId;
          shards = shards.filter((sh) => sh.id > id);
          break;
        }
        case 'AT_TRIM_HORIZON':
          shards = shards.filter((sh) => openAt(sh, th));
          break;
        case 'FROM_TRIM_HORIZON':
          shards = shards.filter((sh) => notClosedBefore(sh, th));
          break;
        case 'AT_LATEST':
          shards = shards.filter((sh) => sh.open);
          break;
        case 'AT_TIMESTAMP':
          if (tsMs === undefined) throw new AwsError('InvalidArgumentException', 'Timestamp must be provided for the AT_TIMESTAMP ShardFilter.', 400);
          shards = shards.filter((sh) => openAt(sh, tsMs));
          break;
        case 'FROM_TIMESTAMP':
          if (tsMs === undefined) throw new AwsError('InvalidArgumentException', 'Timestamp must be provided for the FROM_TIMESTAMP ShardFilter.', 400);
          shards = shards.filter((sh) => notClosedBefore(sh, tsMs));
          break;
      }
    }
    if (after !== undefined) {
      const a = after;
      shards = shards.filter((sh) => sh.id > a);
    }
    const page = shards.slice(0, maxResults);
    const out: Record<string, unknown> = { Shards: page.map((sh) => sh.describe()) };
    if (shards.length > page.length)
      out.NextToken = encodeToken({ stream: s.name, createdAt: s.createdAt, after: page[page.length - 1]!.id, filter, issued: now });
    return out;
  }

  private retention(input: Record<string, unknown>, dir: 'increase' | 'decrease'): unknown {
    const c = new Checks(input);
    const hours = c.int('RetentionPeriodHours', { required: true, min: 1, max: 8760 });
    const s = this.resolveStream(c, input);
    if (hours! < 24 || hours! > 8760)
      throw new AwsError('InvalidArgumentException', `Minimum allowed retention period is 24 hours. Maximum allowed retention period is 8760 hours. Requested retention period (${hours} hours) is out of range.`, 400);
    if (dir === 'increase' && hours! < s.retentionHours)
      throw new AwsError('InvalidArgumentException', `Requested retention period (${hours} hours) for stream ${s.name} can not be shorter than existing retention period (${s.retentionHours} hours). Use DecreaseRetentionPeriod API.`, 400);
    if (dir === 'decrease' && hours! > s.retentionHours)
      throw new AwsError('InvalidArgumentException', `Requested retention period (${hours} hours) for stream ${s.name} can not be longer than existing retention period (${s.retentionHours} hours). Use IncreaseRetentionPeriod API.`, 400);
    this.log({ t: 'retention', name: s.name, hours: hours! });
    s.retentionHours = hours!;
    return {};
  }

  private tagMap(c: Checks, v: unknown, member: string): Record<string, string> | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw typeError(member, 'a map', v);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val !== 'string') throw typeError(`${member}.${k}`, 'a string', val);
      if (k.length < 1 || k.length > 128) c.add(k, member, 'have keys of length 1 to 128');
      if (val.length > 256) c.add(val, member, 'have values of length at most 256');
      out[k] = val;
    }
    if (Object.keys(out).length > 50) c.add(`${Object.keys(out).length} tags`, member, 'have length less than or equal to 50');
    return out;
  }

  private addTags(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    if (input.Tags === undefined || input.Tags === null) c.add(null, 'Tags', 'not be null');
    const tags = this.tagMap(c, input.Tags, 'Tags') ?? {};
    const s = this.resolveStream(c, input);
    const keys = new Set([...s.tags.keys(), ...Object.keys(tags)]);
    if (keys.size > 50) throw new AwsError('LimitExceededException', `Failed to add tags to stream ${s.name} under account ${this.ctx.accountId} because a given stream can have a maximum of 50 tags.`, 400);
    this.log({ t: 'tags', name: s.name, add: tags });
    for (const [k, v] of Object.entries(tags)) s.tags.set(k, v);
    return {};
  }

  private removeTags(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const keys = input.TagKeys;
    if (keys === undefined || keys === null) c.add(null, 'TagKeys', 'not be null');
    else if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw typeError('TagKeys', 'a list of strings', keys);
    const s = this.resolveStream(c, input);
    this.log({ t: 'tags', name: s.name, remove: keys as string[] });
    for (const k of keys as string[]) s.tags.delete(k);
    return {};
  }

  private listTags(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const after = c.str('ExclusiveStartTagKey', { min: 1, max: 128 });
    const limit = c.int('Limit', { min: 1, max: 50 }) ?? 50;
    const s = this.resolveStream(c, input);
    const all = [...s.tags.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).filter(([k]) => after === undefined || k > after);
    const page = all.slice(0, limit);
    return { Tags: page.map(([Key, Value]) => ({ Key, Value })), HasMoreTags: all.length > page.length };
  }

  private describeLimits(): unknown {
    let onDemand = 0;
    for (const s of this.streams.values()) if (s.mode === 'ON_DEMAND') onDemand++;
    return { ShardLimit: this.shardLimit, OpenShardCount: this.openShardTotal(), OnDemandStreamCount: onDemand, OnDemandStreamCountLimit: 50 };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Writes

  private putRecord(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const data = input.Data;
    if (data === undefined || data === null) c.add(null, 'Data', 'not be null');
    else if (typeof data !== 'string') throw typeError('Data', 'a base64 string', data);
    const key = c.str('PartitionKey', { required: true, min: 1, max: 256 });
    const explicit = c.str('ExplicitHashKey', HASH_KEY);
    c.str('SequenceNumberForOrdering', SEQUENCE_NUMBER);
    const bytes = typeof data === 'string' ? base64Bytes(data) : 0;
    if (bytes < 0) throw new AwsError('SerializationException', 'Base64 decoding of Data failed.', 400);
    if (bytes > MAX_RECORD_BYTES) c.add(`${bytes} bytes`, 'Data', `have length less than or equal to ${MAX_RECORD_BYTES}`);
    const s = this.resolveStream(c, input, 'StreamARN', true);
    if (bytes + key!.length > MAX_RECORD_BYTES)
      throw new AwsError('InvalidArgumentException', `The size of the record (data plus partition key) exceeds the limit of ${MAX_RECORD_BYTES} bytes.`, 400);
    const shard = s.route(explicit !== undefined ? explicitHex(explicit) : partitionHashHex(key!));
    const now = this.ctx.now();
    if (this.strict && !this.admitPut(shard, bytes + key!.length, now)) throw this.throttled(s, shard);
    const at = this.arrival(s, now);
    const counter = s.counter++;
    const seq = shard.seqOf(counter);
    if (this.journal) this.journal.append({ t: 'put', name: s.name, r: [[shard.index, seq, at, data as string, key!]] });
    shard.log.push(counter, { SequenceNumber: seq, ApproximateArrivalTimestamp: at, Data: data as string, PartitionKey: key! });
    s.maybeTrim(now);
    return { ShardId: shard.id, SequenceNumber: seq, EncryptionType: 'NONE' };
  }

  private putRecords(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const list = input.Records;
    if (list === undefined || list === null) c.add(null, 'Records', 'not be null');
    else if (!Array.isArray(list)) throw typeError('Records', 'a list', list);
    else if (list.length < 1) c.add('[]', 'Records', 'have length greater than or equal to 1');
    else if (list.length > PUT_RECORDS_MAX) c.add(`${list.length} records`, 'Records', `have length less than or equal to ${PUT_RECORDS_MAX}`);
    const s = this.resolveStream(c, input, 'StreamARN', true);
    const entries = list as Array<Record<string, unknown>>;
    const n = entries.length;
    // Pass 1: validate every entry and route it (nothing is stored unless the whole request is valid).
    const route = new PutRouter(s, n);
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      if (typeof e !== 'object' || e === null || Array.isArray(e)) throw typeError(`Records.${i + 1}`, 'a structure', e);
      const data = e.Data;
      const key = e.PartitionKey;
      const explicit = e.ExplicitHashKey;
      if (typeof data !== 'string') {
        if (data === undefined || data === null) route.v.add(null, `records.${i + 1}.member.data`, 'not be null');
        else throw typeError(`Records.${i + 1}.Data`, 'a base64 string', data);
        continue;
      }
      if (typeof key !== 'string') {
        if (key === undefined || key === null) route.v.add(null, `records.${i + 1}.member.partitionKey`, 'not be null');
        else throw typeError(`Records.${i + 1}.PartitionKey`, 'a string', key);
        continue;
      }
      route.entry(i, base64Bytes(data), key, explicit);
    }
    // Pass 2: admit (strict mode), number and store.
    const data = (i: number) => entries[i]!.Data as string;
    return this.storePut(s, route, (log, i, counter, SequenceNumber, at) =>
      log.push(counter, { SequenceNumber, ApproximateArrivalTimestamp: at, Data: data(i), PartitionKey: route.keys[i]! }), data);
  }

  /**
   * PutRecords read in place from the request body (see put-records-scan.ts): each record's base64 text is
   * copied from the body straight into its shard's storage, never becoming a JS string. Undefined when the body
   * is not in the plain shape the SDKs send; the edge then parses it and calls `handle`.
   */
  handleRaw(operation: string, body: Buffer): unknown {
    if (operation !== 'PutRecords') return undefined;
    const scan = scanPutRecords(body);
    if (scan === undefined) return undefined;
    const input: Record<string, unknown> = {};
    if (scan.streamName !== undefined) input.StreamName = scan.streamName;
    if (scan.streamArn !== undefined) input.StreamARN = scan.streamArn;
    const s = this.resolveStream(new Checks(input), input, 'StreamARN', true);
    const route = new PutRouter(s, scan.n);
    const { dataStart, dataEnd } = scan;
    for (let i = 0; i < scan.n; i++) route.entry(i, base64BytesAt(body, dataStart[i]!, dataEnd[i]!), scan.partitionKeys[i]!, scan.explicitHashKeys[i]);
    return this.storePut(s, route, (log, i, counter, _seq, at) => log.pushBytes(counter, at, route.keys[i]!, body, dataStart[i]!, dataEnd[i]!), (i) =>
      body.toString('latin1', dataStart[i]!, dataEnd[i]!),
    );
  }

  /** PutRecords' second pass, whatever the records' source: admit (strict mode), number, store, journal, answer. */
  private storePut(
    s: Stream,
    route: PutRouter,
    store: (log: Shard['log'], i: number, counter: number, sequenceNumber: string, arrival: number) => void,
    dataText: (i: number) => string,
  ): unknown {
    route.done();
    const { n, shards, sizes, keys } = route;
    const now = this.ctx.now();
    const at = this.arrival(s, now);
    const out = new Array<Record<string, string>>(n);
    const journaled: Array<[number, string, number, string, string]> | null = this.journal ? [] : null;
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const shard = shards[i]!;
      if (this.strict && !this.admitPut(shard, sizes[i]!, now)) {
        failed++;
        out[i] = {
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: `Rate exceeded for shard ${shard.id} in stream ${s.name} under account ${this.ctx.accountId}.`,
        };
        continue;
      }
      const counter = s.counter++;
      const seq = shard.seqOf(counter);
      store(shard.log, i, counter, seq, at);
      if (journaled) journaled.push([shard.index, seq, at, dataText(i), keys[i]!]);
      out[i] = { SequenceNumber: seq, ShardId: shard.id };
    }
    // Journaled before the answer leaves; the records are already applied in memory but not yet visible to anyone.
    if (journaled && journaled.length) this.journal!.append({ t: 'put', name: s.name, r: journaled });
    s.maybeTrim(now);
    return { FailedRecordCount: failed, Records: out, EncryptionType: 'NONE' };
  }

  /** Arrival time (epoch seconds) for a record put now: never earlier than the stream's previous one. */
  private arrival(s: Stream, now: number): number {
    if (now < s.lastArrival) now = s.lastArrival;
    s.lastArrival = now;
    return now / 1000;
  }

  private limitsOf(shard: Shard, now: number) {
    return (shard.limits ??= {
      inRecords: new TokenBucket(1000, 1000, now),
      inBytes: new TokenBucket(MIB, MIB, now),
      outCalls: new TokenBucket(5, 5, now),
      outBytes: new TokenBucket(2 * MIB, 2 * MIB, now),
    });
  }

  private admitPut(shard: Shard, bytes: number, now: number): boolean {
    const l = this.limitsOf(shard, now);
    if (l.inRecords.refill(now) < 1 || l.inBytes.refill(now) < bytes) return false;
    l.inRecords.spend(1);
    l.inBytes.spend(bytes);
    return true;
  }

  private throttled(s: Stream, shard: Shard): AwsError {
    return new AwsError('ProvisionedThroughputExceededException', `Rate exceeded for shard ${shard.id} in stream ${s.name} under account ${this.ctx.accountId}.`, 400);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reads

  private getShardIterator(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const shardId = c.str('ShardId', { required: true, ...SHARD_ID });
    const type = c.enumOf('ShardIteratorType', ITERATOR_TYPES, { required: true });
    const startSeq = c.str('StartingSequenceNumber', SEQUENCE_NUMBER);
    const ts = c.timestamp('Timestamp');
    const s = this.resolveStream(c, input, 'StreamARN', true);
    const shard = s.shard(shardId!);
    if (!shard) throw this.shardNotFound(s, shardId!);
    const now = this.ctx.now();
    s.maybeTrim(now);
    let pos: number;
    switch (type) {
      case 'TRIM_HORIZON':
        pos = shard.base;
        break;
      case 'LATEST':
        pos = shard.end;
        break;
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        if (startSeq === undefined)
          throw new AwsError('InvalidArgumentException', `StartingSequenceNumber must be provided for ShardIteratorType ${type}.`, 400);
        const d = decodeSeq(startSeq);
        if (!d || d.shardIndex !== shard.index || d.prefix !== s.seqPrefix)
          throw new AwsError(
            'InvalidArgumentException',
            `StartingSequenceNumber ${startSeq} used in GetShardIterator on shard ${shard.id} in stream ${s.name} under account ${this.ctx.accountId} is invalid because it did not come from this stream.`,
            400,
          );
        pos = shard.lowerBoundCounter(d.counter, type === 'AT_SEQUENCE_NUMBER');
        break;
      }
      case 'AT_TIMESTAMP': {
        if (ts === undefined) throw new AwsError('InvalidArgumentException', 'Timestamp must be provided for ShardIteratorType AT_TIMESTAMP.', 400);
        pos = shard.lowerBoundTime(ts);
        break;
      }
      default:
        throw new AwsError('InvalidArgumentException', `Invalid ShardIteratorType ${type}.`, 400);
    }
    return { ShardIterator: encodeIterator(s, shard.index, pos, now) };
  }

  private getRecords(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const iterator = c.str('ShardIterator', { required: true, min: 1, max: 512 });
    const limit = c.int('Limit', { min: 1, max: 10_000 }) ?? 10_000;
    const arn = c.str('StreamARN', STREAM_ARN);
    c.done();
    const it = decodeIterator(iterator!);
    if (!it) throw new AwsError('InvalidArgumentException', `Invalid ShardIterator.`, 400);
    const now = this.ctx.now();
    if (now - it.issued > this.ttl)
      throw new AwsError(
        'ExpiredIteratorException',
        `Iterator expired. The iterator was created at time ${javaDate(it.issued)} while right now it is ${javaDate(now)} which is further in the future than the tolerated delay of ${this.ttl} milliseconds.`,
        400,
      );
    const s = this.streams.get(it.stream);
    if (arn !== undefined && arn !== this.arnOf(it.stream))
      throw new AwsError('InvalidArgumentException', `StreamARN ${arn} does not match the stream of the ShardIterator.`, 400);
    if (!s || s.createdAt !== it.createdAt) throw this.streamNotFound(it.stream);
    const shard = s.shards[it.shard];
    if (!shard) throw new AwsError('InvalidArgumentException', 'Invalid ShardIterator.', 400);
    if (this.strict) {
      const l = this.limitsOf(shard, now);
      if (l.outCalls.refill(now) < 1 || l.outBytes.refill(now) <= 0)
        throw new AwsError('ProvisionedThroughputExceededException', `Rate exceeded for Shard - ${shard.id} in stream ${s.name} under account ${this.ctx.accountId}.`, 400);
      l.outCalls.spend(1);
    }
    const log = shard.log;
    const from = Math.max(it.pos, log.base);
    const end = log.end;
    const stop = Math.min(end, from + limit);
    let to = from;
    let bytes = 0;
    while (to < stop) {
      const b = log.dataBytesAt(to);
      if (to > from && bytes + b > MAX_GET_RECORDS_BYTES) break;
      bytes += b;
      to++;
    }
    if (this.strict) this.limitsOf(shard, now).outBytes.spend(bytes);
    const out: Record<string, unknown> = {};
    const atEnd = to === end;
    // The records' JSON is built from their stored bytes; the other members follow it.
    const answer = () => new RawJson(log.recordsJson(from, to, '{"Records":', JSON.stringify(out).replace(/^\{/, ',')));
    if (atEnd && !shard.open) {
      // A closed shard read to its end: no next iterator, and where to go next.
      out.MillisBehindLatest = 0;
      out.ChildShards = s.shards
        .filter((ch) => ch.parent === shard.id || ch.adjacentParent === shard.id)
        .map((ch) => ({
          ShardId: ch.id,
          ParentShards: ch.adjacentParent ? [ch.parent!, ch.adjacentParent] : [ch.parent!],
          HashKeyRange: { StartingHashKey: ch.hashStart.toString(), EndingHashKey: ch.hashEnd.toString() },
        }));
      return answer();
    }
    out.NextShardIterator = encodeIterator(s, shard.index, to, now);
    out.MillisBehindLatest = atEnd ? 0 : Math.max(0, Math.round(now - log.arrivalAt(to) * 1000));
    return answer();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Resharding

  private splitShard(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const shardId = c.str('ShardToSplit', { required: true, ...SHARD_ID });
    const newStart = c.str('NewStartingHashKey', { required: true, ...HASH_KEY });
    const s = this.resolveStream(c, input, 'StreamARN', true);
    const shard = s.shard(shardId!);
    if (!shard) throw this.shardNotFound(s, shardId!);
    this.requireOpen(s, shard);
    const key = BigInt(newStart!);
    if (key <= shard.hashStart || key > shard.hashEnd)
      throw new AwsError(
        'InvalidArgumentException',
        `NewStartingHashKey ${newStart} used in SplitShard() on shard ${shard.id} in stream ${s.name} under account ${this.ctx.accountId} is not both greater than one plus the shard's StartingHashKey ${shard.hashStart} and less than the shard's EndingHashKey ${shard.hashEnd}.`,
        400,
      );
    if (this.openShardTotal() + 1 > this.shardLimit)
      throw new AwsError('LimitExceededException', `This request would exceed the shard limit for the account ${this.ctx.accountId} in ${this.ctx.region}. Limit: ${this.shardLimit}.`, 400);
    const rec: JournalRecord = { t: 'split', name: s.name, shard: shard.id, newStart: newStart!, at: this.ctx.now() };
    this.log(rec);
    this.applySplit(s, rec);
    return {};
  }

  private applySplit(s: Stream, rec: Extract<JournalRecord, { t: 'split' }>): void {
    const shard = s.shard(rec.shard)!;
    const key = BigInt(rec.newStart);
    s.closeShard(shard, rec.at);
    s.addShard(shard.hashStart, key - 1n, rec.at, shard.id);
    s.addShard(key, shard.hashEnd, rec.at, shard.id);
    s.refreshOpen();
  }

  private mergeShards(input: Record<string, unknown>): unknown {
    const c = new Checks(input);
    const aId = c.str('ShardToMerge', { required: true, ...SHARD_ID });
    const bId = c.str('AdjacentShardToMerge', { required: true, ...SHARD_ID });
    const s = this.resolveStream(c, input, 'StreamARN', true);
    const a = s.shard(aId!);
    if (!a) throw this.shardNotFound(s, aId!);
    const b = s.shard(bId!);
    if (!b) throw this.shardNotFound(s, bId!);
    this.requireOpen(s, a);
    this.requireOpen(s, b);
    if (a.hashEnd + 1n !== b.hashStart && b.hashEnd + 1n !== a.hashStart)
      throw new AwsError(
        'InvalidArgumentException',
        `Shards ${a.id} and ${b.id} in stream ${s.name} under account ${this.ctx.accountId} are not an adjacent pair of shards eligible for merging`,
        400,
      );
    const rec: JournalRecord = { t: 'merge', name: s.name, shard: a.id, adjacent: b.id, at: this.ctx.now() };
    this.log(rec);
    this.applyMerge(s, rec);
    return {};
  }

  private applyMerge(s: Stream, rec: Extract<JournalRecord, { t: 'merge' }>): void {
    const a = s.shard(rec.shard)!;
    const b = s.shard(rec.adjacent)!;
    s.closeShard(a, rec.at);
    s.closeShard(b, rec.at);
    const lo = a.hashStart < b.hashStart ? a.hashStart : b.hashStart;
    const hi = a.hashEnd > b.hashEnd ? a.hashEnd : b.hashEnd;
    s.addShard(lo, hi, rec.at, a.id, b.id);
    s.refreshOpen();
  }

  private requireOpen(s: Stream, shard: Shard): void {
    if (!shard.open)
      throw new AwsError(
        'InvalidArgumentException',
        `Shard ${shard.id} in stream ${s.name} under account ${this.ctx.accountId} has already been merged or split, and thus is not eligible for merging or splitting.`,
        400,
      );
  }

  // ---------------------------------------------------------------------------------------------------------
  // Helpers

  /**
   * The stream named by StreamName or StreamARN (every stream operation takes either). Runs `c.done()` first,
   * so validation errors win over a missing stream, as on AWS.
   */
  private resolveStream(c: Checks, input: Record<string, unknown>, arnMember = 'StreamARN', mustBeActive = false): Stream {
    const name = c.str('StreamName', STREAM_NAME);
    const arn = c.str(arnMember, STREAM_ARN);
    c.done();
    let target = name;
    if (arn !== undefined) {
      const m = /^arn:aws[^:]*:kinesis:([^:]*):(\d{12}):stream\/(.+)$/.exec(arn);
      if (!m) throw new AwsError('InvalidArgumentException', `Invalid StreamARN ${arn}.`, 400);
      if (name !== undefined && name !== m[3]) throw new AwsError('InvalidArgumentException', `StreamName ${name} and StreamARN ${arn} do not name the same stream.`, 400);
      if (m[1] !== this.ctx.region || m[2] !== this.ctx.accountId) throw this.streamNotFound(m[3]!);
      target = m[3];
    }
    if (target === undefined) throw new AwsError('ValidationException', 'Either StreamName or StreamARN should be provided.', 400);
    const s = this.streams.get(target);
    if (!s) throw this.streamNotFound(target);
    if (mustBeActive && s.status(this.ctx.now()) !== 'ACTIVE')
      throw new AwsError('ResourceInUseException', `Stream ${s.name} under account ${this.ctx.accountId} not ACTIVE, instead in state ${s.status(this.ctx.now())}`, 400);
    return s;
  }

  private dropStream(s: Stream): void {
    for (const sh of s.shards) sh.log.release();
    this.streams.delete(s.name);
  }

  private streamNotFound(name: string): AwsError {
    return new AwsError('ResourceNotFoundException', `Stream ${name} under account ${this.ctx.accountId} not found.`, 400);
  }

  private shardNotFound(s: Stream, id: string): AwsError {
    return new AwsError('ResourceNotFoundException', `Could not find shard ${id} in stream ${s.name} under account ${this.ctx.accountId}.`, 400);
  }

  private arnOf(name: string): string {
    return `arn:aws:kinesis:${this.ctx.region}:${this.ctx.accountId}:stream/${name}`;
  }

  private openShardTotal(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.openShards.length;
    return n;
  }

  private log(rec: JournalRecord): void {
    this.journal?.append(rec);
  }

  private replay(rec: JournalRecord): void {
    if (rec.t === 'create') {
      this.applyCreate(rec);
      return;
    }
    if (rec.t === 'snapshot') {
      this.applySnapshot(rec);
      return;
    }
    const s = this.streams.get(rec.name);
    if (!s) return;
    switch (rec.t) {
      case 'delete':
        this.dropStream(s);
        break;
      case 'put':
        for (const [idx, seq, at, data, key] of rec.r) {
          const shard = s.shards[idx];
          if (!shard) continue;
          const d = decodeSeq(seq);
          if (!d) continue;
          shard.log.push(d.counter, { SequenceNumber: seq, ApproximateArrivalTimestamp: at, Data: data, PartitionKey: key });
          if (d.counter >= s.counter) s.counter = d.counter + 1;
          if (at * 1000 > s.lastArrival) s.lastArrival = Math.round(at * 1000);
        }
        break;
      case 'split':
        this.applySplit(s, rec);
        break;
      case 'merge':
        this.applyMerge(s, rec);
        break;
      case 'retention':
        s.retentionHours = rec.hours;
        break;
      case 'tags':
        for (const [k, v] of Object.entries(rec.add ?? {})) s.tags.set(k, v);
        for (const k of rec.remove ?? []) s.tags.delete(k);
        break;
    }
  }

  private applySnapshot(rec: Extract<JournalRecord, { t: 'snapshot' }>): void {
    const s = new Stream(rec.name, this.arnOf(rec.name), rec.createdAt, rec.mode, rec.activeAt, this.hotBudget);
    s.counter = rec.counter;
    s.retentionHours = rec.retentionHours;
    s.lastArrival = rec.lastArrival;
    for (const [k, v] of Object.entries(rec.tags)) s.tags.set(k, v);
    rec.shards.forEach((sh, i) => {
      const shard = new Shard(i, shardIdOf(i), BigInt(sh.hs), BigInt(sh.he), sh.ss, sh.ca, s.seqPrefix, this.hotBudget, sh.p, sh.ap);
      shard.endSeq = sh.es;
      shard.closedAt = sh.cl;
      shard.log.base = sh.base;
      s.shards.push(shard);
    });
    s.refreshOpen();
    this.streams.set(rec.name, s);
  }

  private *snapshot(): Generator<JournalRecord> {
    for (const s of this.streams.values()) {
      yield {
        t: 'snapshot',
        name: s.name,
        createdAt: s.createdAt,
        activeAt: s.activeAt,
        mode: s.mode,
        counter: s.counter,
        retentionHours: s.retentionHours,
        lastArrival: s.lastArrival,
        tags: Object.fromEntries(s.tags),
        shards: s.shards.map((sh) => {
          const o: SnapshotShard = { hs: sh.hashStart.toString(), he: sh.hashEnd.toString(), ss: sh.startSeq, ca: sh.createdAt, base: sh.base };
          if (sh.endSeq !== undefined) o.es = sh.endSeq;
          if (sh.closedAt !== undefined) o.cl = sh.closedAt;
          if (sh.parent) o.p = sh.parent;
          if (sh.adjacentParent) o.ap = sh.adjacentParent;
          return o;
        }),
      };
      for (const sh of s.shards)
        for (let i = sh.base; i < sh.end; i += 1000)
          yield {
            t: 'put',
            name: s.name,
            r: sh.read(i, Math.min(sh.end, i + 1000)).map((r) => [sh.index, r.SequenceNumber, r.ApproximateArrivalTimestamp, r.Data, r.PartitionKey]),
          };
    }
  }
}

/**
 * Decoded size of a base64 string, or -1 when its length cannot be base64. The characters themselves are not
 * checked: a full scan costs as much as parsing the request, and SDKs always send valid base64.
 */
/** PutRecords' first pass: validate each entry's sizes and key, and route it to a shard. */
class PutRouter {
  readonly v = new Checks({});
  readonly shards: Shard[];
  readonly sizes: number[];
  readonly keys: string[];
  private total = 0;

  constructor(
    private readonly s: Stream,
    readonly n: number,
  ) {
    this.shards = new Array<Shard>(n);
    this.sizes = new Array<number>(n);
    this.keys = new Array<string>(n);
  }

  /** `bytes`: the decoded size of the entry's data (-1: not base64). */
  entry(i: number, bytes: number, key: string, explicit: unknown): void {
    const v = this.v;
    if (bytes < 0) throw new AwsError('SerializationException', `Base64 decoding of Records.${i + 1}.Data failed.`, 400);
    if (bytes > MAX_RECORD_BYTES) v.add(`${bytes} bytes`, `records.${i + 1}.member.data`, `have length less than or equal to ${MAX_RECORD_BYTES}`);
    if (key.length < 1 || key.length > 256)
      v.add(key, `records.${i + 1}.member.partitionKey`, key.length < 1 ? 'have length greater than or equal to 1' : 'have length less than or equal to 256');
    let hex: string;
    if (explicit !== undefined && explicit !== null) {
      if (typeof explicit !== 'string') throw typeError(`Records.${i + 1}.ExplicitHashKey`, 'a string', explicit);
      if (!HASH_KEY.pattern.test(explicit)) {
        v.add(explicit, `records.${i + 1}.member.explicitHashKey`, `satisfy regular expression pattern: ${HASH_KEY.patternText}`);
        return;
      }
      hex = explicitHex(explicit);
    } else {
      hex = partitionHashHex(key);
    }
    const size = bytes + key.length;
    if (size > MAX_RECORD_BYTES)
      throw new AwsError('InvalidArgumentException', `The size of record ${i + 1} (data plus partition key) exceeds the limit of ${MAX_RECORD_BYTES} bytes.`, 400);
    this.sizes[i] = size;
    this.keys[i] = key;
    this.total += size;
    this.shards[i] = this.s.route(hex);
  }

  /** Throws the collected validation errors, or the request-size error. */
  done(): void {
    this.v.done();
    if (this.total > MAX_PUT_RECORDS_BYTES) throw new AwsError('InvalidArgumentException', `Records size exceeds 5 MB limit`, 400);
  }
}

/** Decoded size of `len` chars of base64 whose last two char codes are `last` and `beforeLast`; -1 if the length cannot be base64. */
function base64Size(len: number, last: number | undefined, beforeLast: number | undefined): number {
  if (len === 0) return 0;
  if ((len & 3) !== 0) return -1;
  const pad = last === 61 ? (beforeLast === 61 ? 2 : 1) : 0;
  return (len >>> 2) * 3 - pad;
}

function base64Bytes(s: string): number {
  return base64Size(s.length, s.charCodeAt(s.length - 1), s.charCodeAt(s.length - 2));
}

/** `base64Bytes` of the text in body[start, end). */
function base64BytesAt(body: Buffer, start: number, end: number): number {
  return base64Size(end - start, body[end - 1], body[end - 2]);
}

function explicitHex(dec: string): string {
  const n = BigInt(dec);
  if (n > MAX_HASH_KEY)
    throw new AwsError('InvalidArgumentException', `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${dec}`, 400);
  return toHex32(n);
}

/** Opaque shard iterator: which stream (and its incarnation), shard, absolute position, and when it was issued. */
function encodeIterator(s: Stream, shard: number, pos: number, issued: number): string {
  return ITERATOR_PREFIX + Buffer.from(`${s.createdAt}|${shard}|${pos}|${issued}|${s.name}`).toString('base64');
}

function decodeIterator(it: string): { createdAt: number; shard: number; pos: number; issued: number; stream: string } | undefined {
  if (!it.startsWith(ITERATOR_PREFIX)) return undefined;
  const text = Buffer.from(it.slice(ITERATOR_PREFIX.length), 'base64').toString('utf8');
  const m = /^(\d+)\|(\d+)\|(\d+)\|(\d+)\|([a-zA-Z0-9_.-]{1,128})$/.exec(text);
  if (!m) return undefined;
  return { createdAt: Number(m[1]), shard: Number(m[2]), pos: Number(m[3]), issued: Number(m[4]), stream: m[5]! };
}

function encodeToken(o: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(o)).toString('base64');
}

function decodeToken(t: string): Record<string, unknown> | undefined {
  try {
    const o = JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as unknown;
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
