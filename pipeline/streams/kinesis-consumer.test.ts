import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateStreamCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { dynamoDbClient, emulatorSettings, kinesisClient } from './aws-clients';
import { KinesisConsumer, type ConsumedRecord, type RecordProcessor, type ShardContext } from './kinesis-consumer';

/** Collects what each worker processed; optionally slow or failing. */
class CollectingProcessor implements RecordProcessor {
  readonly seen: ConsumedRecord[] = [];
  /** Optional log shared by several workers, in global processing order. */
  constructor(private readonly sharedLog?: ConsumedRecord[]) {}
  failNext = 0;
  delayMs = 0;
  async processBatch(records: ConsumedRecord[], _shard: ShardContext): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('downstream unavailable');
    }
    this.seen.push(...records);
    this.sharedLog?.push(...records);
  }
}

const waitFor = async (cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('KinesisConsumer with DynamoDB leases', () => {
  let emu: RunningEmulator;
  let kinesis: KinesisClient;
  let dynamodb: DynamoDBClient;
  const consumers: KinesisConsumer[] = [];
  let streamNo = 0;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    kinesis = kinesisClient(emulatorSettings(emu.endpoint));
    dynamodb = dynamoDbClient(emulatorSettings(emu.endpoint));
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.kill()));
  });
  afterAll(async () => {
    kinesis.destroy();
    dynamodb.destroy();
    await emu.stop();
  });

  async function stream(shards: number): Promise<string> {
    const name = `s${++streamNo}`;
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    return name;
  }

  async function put(streamName: string, from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i += 500) {
      const n = Math.min(500, from + count - i);
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: Array.from({ length: n }, (_, j) => ({ Data: Buffer.from(String(i + j)), PartitionKey: `key-${(i + j) % 37}` })),
        }),
      );
      expect(out.FailedRecordCount ?? 0).toBe(0);
    }
  }

  function worker(streamName: string, processor: RecordProcessor, id: string, extra: Partial<ConstructorParameters<typeof KinesisConsumer>[0]> = {}) {
    const c = new KinesisConsumer({
      kinesis,
      dynamodb,
      streamName,
      applicationName: `app-${streamName}`,
      processor,
      workerId: id,
      failoverTimeMs: 1_000,
      leaseTakeIntervalMs: 300,
      idleTimeBetweenReadsMs: 50,
      parentPollIntervalMs: 100,
      ...extra,
    });
    consumers.push(c);
    return c;
  }

  const values = (ps: CollectingProcessor[]) => ps.flatMap((p) => p.seen.map((r) => Number(r.data.toString())));

  it('balances a 4-shard stream across 3 workers with every shard held exactly once', async () => {
    const s = await stream(4);
    const ws = ['a', 'b', 'c'].map((id) => worker(s, new CollectingProcessor(), id));
    for (const w of ws) await w.start();
    await waitFor(() => {
      const held = ws.map((w) => w.metrics().leasesHeld.length);
      return held.reduce((a, b) => a + b, 0) === 4 && Math.max(...held) <= 2 && Math.min(...held) >= 1;
    }, 10_000, 'balanced leases');
    const all = ws.flatMap((w) => w.metrics().leasesHeld);
    expect(new Set(all).size).toBe(4);
    // The items use KCL's attribute names and types, so KCL tooling can read our lease tables.
    const items = (await dynamodb.send(new ScanCommand({ TableName: `app-${s}` }))).Items!;
    expect(items).toHaveLength(4);
    for (const item of items) {
      expect(item.leaseKey?.S).toMatch(/^shardId-\d{12}$/);
      expect(['a', 'b', 'c']).toContain(item.leaseOwner?.S);
      expect(item.leaseCounter?.N).toMatch(/^\d+$/);
      expect(item.checkpoint?.S).toBe('TRIM_HORIZON');
      expect(item.checkpointSubSequenceNumber?.N).toBe('0');
      expect(item.ownerSwitchesSinceCheckpoint?.N).toMatch(/^\d+$/);
    }
  });

  it('moves a killed worker\'s shards within the failover time and loses no record', async () => {
    const s = await stream(4);
    const pa = new CollectingProcessor();
    const pb = new CollectingProcessor();
    const a = worker(s, pa, 'a');
    const b = worker(s, pb, 'b');
    await a.start();
    await b.start();
    await waitFor(() => a.metrics().leasesHeld.length === 2 && b.metrics().leasesHeld.length === 2, 10_000, 'two leases each');
    await put(s, 0, 2_000);
    await waitFor(() => values([pa, pb]).length >= 2_000, 10_000, 'first 2,000 records');
    const killedAt = Date.now();
    await a.kill();
    await put(s, 2_000, 2_000);
    await waitFor(() => b.metrics().leasesHeld.length === 4, 10_000, 'b to take all leases');
    const movedAfterMs = Date.now() - killedAt;
    // failover 1 s + one take interval + a renewal period of slack.
    expect(movedAfterMs).toBeLessThan(4_000);
    await waitFor(() => new Set(values([pa, pb])).size === 4_000, 10_000, 'all 4,000 records');
    const got = values([pa, pb]);
    expect(new Set(got).size).toBe(4_000);
    // Duplicates are bounded by what the killed worker had not checkpointed (at most one batch per shard).
    expect(got.length - 4_000).toBeLessThanOrEqual(2 * 1_000);
  });

  it('hands leases over on graceful shutdown faster than the failover time', async () => {
    const s = await stream(4);
    // A long failover time: without the hand-over, b would wait 6 s for a's leases to expire.
    const a = worker(s, new CollectingProcessor(), 'a', { failoverTimeMs: 6_000, leaseTakeIntervalMs: 200 });
    const b = worker(s, new CollectingProcessor(), 'b', { failoverTimeMs: 6_000, leaseTakeIntervalMs: 200 });
    await a.start();
    await b.start();
    await waitFor(() => a.metrics().leasesHeld.length + b.metrics().leasesHeld.length === 4 && b.metrics().leasesHeld.length > 0, 20_000, 'leases spread');
    const t0 = Date.now();
    await a.stop();
    await waitFor(() => b.metrics().leasesHeld.length === 4, 5_000, 'b to hold all 4 after a released them');
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('checkpoints only after the processor resolves: a failing batch is retried, never skipped', async () => {
    const s = await stream(1);
    const p = new CollectingProcessor();
    p.failNext = 2;
    const a = worker(s, p, 'a');
    await a.start();
    await put(s, 0, 100);
    await waitFor(() => p.seen.length === 100, 10_000, '100 records after two failures');
    const lease = (await a.leases.list())[0]!;
    expect(lease.checkpoint).toBe(p.seen[99]!.sequenceNumber);
    expect(values([p])).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('keeps reading a shard through DynamoDB throttling of its checkpoints: no shard left held but unread', async () => {
    const s = await stream(1);
    const p = new CollectingProcessor();
    const a = worker(s, p, 'a');
    await a.start();
    await put(s, 0, 50);
    await waitFor(() => p.seen.length === 50, 10_000, 'the first 50');
    // Every lease write fails for a while: checkpoints (and renewals) are throttled.
    emu.faults.add({ service: 'dynamodb', operation: 'UpdateItem', error: 'throttle', count: 6 });
    await put(s, 50, 50);
    await waitFor(() => p.seen.length >= 100, 10_000, 'the next 50 during the throttling');
    await waitFor(() => emu.faults.list().length === 0, 10_000, 'the throttled writes to be used up');
    await put(s, 100, 50);
    await waitFor(() => new Set(values([p])).size === 150, 10_000, 'every record after the throttling');
    const last = p.seen[p.seen.length - 1]!.sequenceNumber;
    await waitFor(async () => (await a.leases.list())[0]!.checkpoint === last, 10_000, 'the checkpoint to reach the last record');
  });

  it('resumes from the checkpoint after a restart (no re-read of acknowledged records)', async () => {
    const s = await stream(2);
    const p1 = new CollectingProcessor();
    const a = worker(s, p1, 'a');
    await a.start();
    await put(s, 0, 300);
    await waitFor(() => p1.seen.length === 300, 10_000, 'first 300');
    await a.stop();
    await put(s, 300, 200);
    const p2 = new CollectingProcessor();
    const b = worker(s, p2, 'b');
    await b.start();
    await waitFor(() => p2.seen.length >= 200, 10_000, 'next 200');
    await new Promise((r) => setTimeout(r, 300));
    expect(values([p2]).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => 300 + i));
  });

  it('reads parents to SHARD_END before their children when the stream is resharded while consuming', async () => {
    const s = await stream(2);
    const log: ConsumedRecord[] = [];
    const pa = new CollectingProcessor(log);
    const pb = new CollectingProcessor(log);
    const a = worker(s, pa, 'a');
    const b = worker(s, pb, 'b');
    await a.start();
    await put(s, 0, 1_000);
    const listOpen = async () =>
      (await kinesis.send(new ListShardsCommand({ StreamName: s }))).Shards!.filter((x) => !x.SequenceNumberRange?.EndingSequenceNumber)
        .sort((m, n) => (BigInt(m.HashKeyRange!.StartingHashKey!) < BigInt(n.HashKeyRange!.StartingHashKey!) ? -1 : 1));
    const [first] = await listOpen();
    const mid = ((BigInt(first!.HashKeyRange!.StartingHashKey!) + BigInt(first!.HashKeyRange!.EndingHashKey!)) / 2n).toString();
    await kinesis.send(new SplitShardCommand({ StreamName: s, ShardToSplit: first!.ShardId!, NewStartingHashKey: mid }));
    await put(s, 1_000, 1_000);
    // Now three open shards in hash order: [lower child, upper child, second original]; merge the last two.
    const open = await listOpen();
    expect(open).toHaveLength(3);
    await kinesis.send(new MergeShardsCommand({ StreamName: s, ShardToMerge: open[1]!.ShardId!, AdjacentShardToMerge: open[2]!.ShardId! }));
    await put(s, 2_000, 1_000);
    await b.start();
    await waitFor(() => new Set(values([pa, pb])).size === 3_000, 20_000, 'all 3,000 records across the reshard');
    // Per partition key, records were processed in put order across both workers: parents before children.
    const byKey = new Map<string, number[]>();
    for (const r of log) byKey.set(r.partitionKey, [...(byKey.get(r.partitionKey) ?? []), Number(r.data.toString())]);
    expect(byKey.size).toBe(37);
    // Children's leases name their parents (one for a split, two for a merge) and parents end at SHARD_END.
    const leases = await a.leases.list();
    expect(leases.filter((l) => l.parentShardIds.length === 1)).toHaveLength(2);
    expect(leases.filter((l) => l.parentShardIds.length === 2)).toHaveLength(1);
    expect(leases.filter((l) => l.checkpoint === 'SHARD_END')).toHaveLength(3);
    for (const [, list] of byKey) {
      const firstSeen = list.filter((v, i) => list.indexOf(v) === i);
      expect(firstSeen).toEqual([...firstSeen].sort((m, n) => m - n));
    }
  });
});
