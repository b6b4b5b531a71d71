/**
 * Model-based test of the Kinesis service through the real SDK: random puts (random partition keys, some with
 * ExplicitHashKey), splits, merges and reads against a small in-memory model of shards and their lineage.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../index';
import { emulatorSettings, kinesisClient } from '../../../pipeline/streams/aws-clients';

const TOP = (1n << 128n) - 1n;
const MAX_OPEN = 8;

interface MRecord {
  data: string;
  key: string;
  seq: string;
}

interface MShard {
  id: string;
  start: bigint;
  end: bigint;
  open: boolean;
  parents: string[];
  children: string[];
  records: MRecord[];
}

interface Model {
  shards: MShard[];
  /** Every acknowledged record, in acknowledgement order. */
  acked: MRecord[];
  nextData: number;
}

interface Real {
  client: KinesisClient;
  stream: string;
}

const md5 = (key: string) => BigInt('0x' + createHash('md5').update(key, 'utf8').digest('hex'));
const openShards = (m: Model) => m.shards.filter((s) => s.open).sort((a, b) => (a.start < b.start ? -1 : 1));
const route = (m: Model, hash: bigint) => openShards(m).find((s) => s.start <= hash && hash <= s.end)!;
const shardId = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

function addShard(m: Model, start: bigint, end: bigint, parents: string[]): MShard {
  const s: MShard = { id: shardId(m.shards.length), start, end, open: true, parents, children: [], records: [] };
  m.shards.push(s);
  for (const p of parents) m.shards.find((x) => x.id === p)!.children.push(s.id);
  return s;
}

/** Read one shard from `type` to its end: all records, and the last response. */
async function readShard(r: Real, id: string, limit: number | undefined, start: { type: 'TRIM_HORIZON' } | { type: 'AFTER_SEQUENCE_NUMBER'; seq: string }) {
  let it = (
    await r.client.send(
      new GetShardIteratorCommand({
        StreamName: r.stream,
        ShardId: id,
        ShardIteratorType: start.type,
        StartingSequenceNumber: start.type === 'AFTER_SEQUENCE_NUMBER' ? start.seq : undefined,
      }),
    )
  ).ShardIterator;
  const records: MRecord[] = [];
  let last: GetRecordsCommandOutput | undefined;
  for (let guard = 0; it && guard < 10_000; guard++) {
    last = await r.client.send(new GetRecordsCommand({ ShardIterator: it, Limit: limit }));
    for (const rec of last.Records!) records.push({ data: dec(rec.Data), key: rec.PartitionKey!, seq: rec.SequenceNumber! });
    if (last.Records!.length === 0 && last.NextShardIterator) break; // caught up on an open shard
    it = last.NextShardIterator;
  }
  return { records, last: last! };
}

class PutRecords implements fc.AsyncCommand<Model, Real> {
  constructor(readonly entries: Array<{ key: string; explicit?: bigint }>) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const batch = this.entries.map((e) => ({ ...e, data: `d${m.nextData++}` }));
    const out = await r.client.send(
      new PutRecordsCommand({
        StreamName: r.stream,
        Records: batch.map((e) => ({ PartitionKey: e.key, ExplicitHashKey: e.explicit?.toString(), Data: new TextEncoder().encode(e.data) })),
      }),
    );
    expect(out.FailedRecordCount).toBe(0);
    batch.forEach((e, i) => {
      const shard = route(m, e.explicit ?? md5(e.key));
      const got = out.Records![i]!;
      expect(got.ShardId).toBe(shard.id);
      const rec = { data: e.data, key: e.key, seq: got.SequenceNumber! };
      if (m.acked.length) expect(BigInt(rec.seq) > BigInt(m.acked[m.acked.length - 1]!.seq)).toBe(true);
      shard.records.push(rec);
      m.acked.push(rec);
    });
  }
  toString = () => `PutRecords(${this.entries.length})`;
}

class PutRecord implements fc.AsyncCommand<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const data = `d${m.nextData++}`;
    const out = await r.client.send(new PutRecordCommand({ StreamName: r.stream, PartitionKey: this.key, Data: new TextEncoder().encode(data) }));
    const shard = route(m, md5(this.key));
    expect(out.ShardId).toBe(shard.id);
    const rec = { data, key: this.key, seq: out.SequenceNumber! };
    shard.records.push(rec);
    m.acked.push(rec);
  }
  toString = () => `PutRecord(${JSON.stringify(this.key)})`;
}

class Split implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly frac: number,
  ) {}
  check = (m: Readonly<Model>) => openShards(m as Model).length < MAX_OPEN;
  async run(m: Model, r: Real) {
    const open = openShards(m);
    const parent = open[this.pick % open.length]!;
    const span = parent.end - parent.start;
    if (span < 1n) return;
    const newStart = parent.start + 1n + ((span - 1n) * BigInt(Math.floor(this.frac * 1_000_000))) / 1_000_000n;
    await r.client.send(new SplitShardCommand({ StreamName: r.stream, ShardToSplit: parent.id, NewStartingHashKey: newStart.toString() }));
    parent.open = false;
    addShard(m, parent.start, newStart - 1n, [parent.id]);
    addShard(m, newStart, parent.end, [parent.id]);
  }
  toString = () => `Split(${this.pick}, ${this.frac})`;
}

class Merge implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly swap: boolean,
  ) {}
  check = (m: Readonly<Model>) => openShards(m as Model).length >= 2;
  async run(m: Model, r: Real) {
    const open = openShards(m);
    const i = this.pick % (open.length - 1);
    const [a, b] = this.swap ? [open[i + 1]!, open[i]!] : [open[i]!, open[i + 1]!];
    await r.client.send(new MergeShardsCommand({ StreamName: r.stream, ShardToMerge: a.id, AdjacentShardToMerge: b.id }));
    a.open = false;
    b.open = false;
    addShard(m, open[i]!.start, open[i + 1]!.end, [a.id, b.id]);
  }
  toString = () => `Merge(${this.pick}, ${this.swap})`;
}

/** Read one shard (open or closed) from TRIM_HORIZON, or after one of its records, and compare with the model. */
class ReadShard implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly limit: number | undefined,
    readonly afterPick: number | undefined,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const shard = m.shards[this.pick % m.shards.length]!;
    let expected = shard.records;
    let start: Parameters<typeof readShard>[3] = { type: 'TRIM_HORIZON' };
    if (this.afterPick !== undefined && shard.records.length) {
      const k = this.afterPick % shard.records.length;
      start = { type: 'AFTER_SEQUENCE_NUMBER', seq: shard.records[k]!.seq };
      expected = shard.records.slice(k + 1);
    }
    const { records, last } = await readShard(r, shard.id, this.limit, start);
    expect(records).toEqual(expected);
    if (shard.open) {
      expect(last.NextShardIterator).toBeTruthy();
      expect(last.MillisBehindLatest).toBe(0);
    } else {
      expect(last.NextShardIterator).toBeUndefined();
      const children = m.shards.filter((c) => shard.children.includes(c.id));
      expect(last.ChildShards!.map((c) => ({ id: c.ShardId, parents: c.ParentShards }))).toEqual(children.map((c) => ({ id: c.id, parents: c.parents })));
    }
  }
  toString = () => `ReadShard(${this.pick}, limit ${this.limit}, after ${this.afterPick})`;
}

const keyArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const commands = fc.commands(
  [
    fc
      .array(fc.record({ key: keyArb, explicit: fc.option(fc.bigInt({ min: 0n, max: TOP }), { nil: undefined, freq: 5 }) }), { minLength: 1, maxLength: 30 })
      .map((e) => new PutRecords(e)),
    keyArb.map((k) => new PutRecord(k)),
    fc.tuple(fc.nat(), fc.double({ min: 0, max: 1, noNaN: true })).map(([p, f]) => new Split(p, f)),
    fc.tuple(fc.nat(), fc.boolean()).map(([p, s]) => new Merge(p, s)),
    fc
      .tuple(fc.nat(), fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }), fc.option(fc.nat(), { nil: undefined }))
      .map(([p, l, a]) => new ReadShard(p, l, a)),
  ],
  { maxCommands: 25 },
);

describe('kinesis model', () => {
  let emu: RunningEmulator;
  let client: KinesisClient;
  let run = 0;
  beforeAll(async () => {
    // A tiny hot tier, so records keep moving off-heap and reads span both tiers.
    emu = await startEmulator({ port: 0, kinesis: { hotBytesPerShard: 200 } });
    client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
  });
  afterAll(async () => {
    client.destroy();
    await emu.stop();
  });

  it('every acknowledged record is read exactly once per shard lineage, in order (per partition key), through splits and merges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), commands, async (shardCount, cmds) => {
        const stream = `model-${run++}`;
        await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shardCount }));
        const model: Model = { shards: [], acked: [], nextData: 0 };
        const total = 1n << 128n;
        for (let i = 0; i < shardCount; i++)
          addShard(model, (BigInt(i) * total) / BigInt(shardCount), (BigInt(i + 1) * total) / BigInt(shardCount) - 1n, []);
        const real: Real = { client, stream };
        await fc.asyncModelRun(() => ({ model, real }), cmds);

        // The shard tree matches the model.
        const listed = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
        expect(
          listed.map((s) => ({
            id: s.ShardId,
            start: BigInt(s.HashKeyRange!.StartingHashKey!),
            end: BigInt(s.HashKeyRange!.EndingHashKey!),
            open: s.SequenceNumberRange!.EndingSequenceNumber === undefined,
            parents: [s.ParentShardId, s.AdjacentParentShardId].filter(Boolean),
          })),
        ).toEqual(model.shards.map((s) => ({ id: s.id, start: s.start, end: s.end, open: s.open, parents: s.parents })));

        // Walk the lineage like a KCL consumer: roots first, a child only after all of its parents are finished,
        // following ChildShards. Every acknowledged record shows up exactly once, and each key's records in put order.
        const done = new Set<string>();
        const queue = listed.filter((s) => !s.ParentShardId).map((s) => s.ShardId!);
        const seen: MRecord[] = [];
        while (queue.length) {
          const id = queue.shift()!;
          if (done.has(id)) continue;
          const { records, last } = await readShard(real, id, undefined, { type: 'TRIM_HORIZON' });
          seen.push(...records);
          done.add(id);
          for (const child of last.ChildShards ?? [])
            if (child.ParentShards!.every((p) => done.has(p))) queue.push(child.ShardId!);
        }
        expect(done.size).toBe(model.shards.length);
        expect(seen.map((r) => r.data).sort()).toEqual(model.acked.map((r) => r.data).sort());
        const byKey = (rs: MRecord[]) => {
          const m = new Map<string, string[]>();
          for (const r of rs) m.set(r.key, [...(m.get(r.key) ?? []), r.data]);
          return m;
        };
        expect(byKey(seen)).toEqual(byKey(model.acked));
      }),
      { numRuns: 40 },
    );
  }, 180_000);
});
