import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  waitUntilStreamExists,
  type GetRecordsCommandOutput,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../index';
import { emulatorSettings, kinesisClient } from '../../../pipeline/streams/aws-clients';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const md5 = (key: string) => BigInt('0x' + createHash('md5').update(key, 'utf8').digest('hex'));
const ARN = (name: string) => `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`;
const TOP = (1n << 128n) - 1n;

async function iterator(client: KinesisClient, stream: string, shardId: string, type: ShardIteratorType, extra: Record<string, unknown> = {}) {
  const out = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type, ...extra }));
  return out.ShardIterator!;
}

/** Read a shard from `it` until caught up (open shard) or until the iterator runs out (closed shard). */
async function drain(client: KinesisClient, it: string | undefined, limit?: number) {
  const data: string[] = [];
  let last: GetRecordsCommandOutput | undefined;
  while (it) {
    last = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: limit }));
    data.push(...last.Records!.map((r) => dec(r.Data)));
    if (last.Records!.length === 0 && last.NextShardIterator) break;
    it = last.NextShardIterator;
  }
  return { data, last: last! };
}

describe('kinesis', () => {
  let emu: RunningEmulator;
  let client: KinesisClient;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
  });
  afterAll(async () => {
    client.destroy();
    await emu.stop();
  });

  it('creates a stream, puts records and reads them back in order from TRIM_HORIZON and LATEST', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'slice', ShardCount: 2 }));
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: 'slice' }));
    expect(summary.StreamDescriptionSummary).toMatchObject({ StreamName: 'slice', StreamStatus: 'ACTIVE', OpenShardCount: 2, RetentionPeriodHours: 24 });
    const { Shards } = await client.send(new ListShardsCommand({ StreamName: 'slice' }));
    expect(Shards?.map((s) => s.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);

    const one = await client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: 'k', Data: enc('first') }));
    expect(one.SequenceNumber).toMatch(/^\d{56}$/);
    const batch = await client.send(
      new PutRecordsCommand({ StreamName: 'slice', Records: Array.from({ length: 10 }, (_, i) => ({ PartitionKey: 'k', Data: enc(`r${i}`) })) }),
    );
    expect(batch.FailedRecordCount).toBe(0);
    expect(new Set(batch.Records!.map((r) => r.ShardId))).toEqual(new Set([one.ShardId]));

    const got = await client.send(new GetRecordsCommand({ ShardIterator: await iterator(client, 'slice', one.ShardId!, 'TRIM_HORIZON') }));
    expect(got.Records!.map((r) => dec(r.Data))).toEqual(['first', ...Array.from({ length: 10 }, (_, i) => `r${i}`)]);
    expect(got.Records![0]).toMatchObject({ PartitionKey: 'k', SequenceNumber: one.SequenceNumber });
    expect(got.Records![0]!.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    expect(Math.abs(got.Records![0]!.ApproximateArrivalTimestamp!.getTime() - Date.now())).toBeLessThan(5000);
    expect(got.MillisBehindLatest).toBe(0);

    const latest = await iterator(client, 'slice', one.ShardId!, 'LATEST');
    const empty = await client.send(new GetRecordsCommand({ ShardIterator: latest }));
    expect(empty.Records).toEqual([]);
    expect(empty.NextShardIterator).toBeTruthy();
    await client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: 'k', Data: enc('after') }));
    expect((await client.send(new GetRecordsCommand({ ShardIterator: latest }))).Records!.map((r) => dec(r.Data))).toEqual(['after']);
    expect((await client.send(new GetRecordsCommand({ ShardIterator: got.NextShardIterator }))).Records!.map((r) => dec(r.Data))).toEqual(['after']);
  });

  it('describes, lists and deletes streams by name and by ARN, with AWS errors for duplicates and unknown streams', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'meta-a', ShardCount: 3 }));
    await client.send(new CreateStreamCommand({ StreamName: 'meta-b', ShardCount: 1 }));
    await waitUntilStreamExists({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { StreamName: 'meta-a' });
    await expect(client.send(new CreateStreamCommand({ StreamName: 'meta-a', ShardCount: 1 }))).rejects.toMatchObject({
      name: 'ResourceInUseException',
      message: 'Stream meta-a under account 000000000000 already exists.',
    });

    const d = (await client.send(new DescribeStreamCommand({ StreamARN: ARN('meta-a') }))).StreamDescription!;
    expect(d).toMatchObject({ StreamName: 'meta-a', StreamARN: ARN('meta-a'), StreamStatus: 'ACTIVE', HasMoreShards: false, EncryptionType: 'NONE' });
    expect(d.StreamCreationTimestamp).toBeInstanceOf(Date);
    // AWS's even split of [0, 2^128-1] over 3 shards.
    expect(d.Shards!.map((s) => [s.HashKeyRange!.StartingHashKey, s.HashKeyRange!.EndingHashKey])).toEqual([
      ['0', '113427455640312821154458202477256070484'],
      ['113427455640312821154458202477256070485', '226854911280625642308916404954512140969'],
      ['226854911280625642308916404954512140970', '340282366920938463463374607431768211455'],
    ]);
    for (const s of d.Shards!) expect(s.SequenceNumberRange!.EndingSequenceNumber).toBeUndefined();
    const page = (await client.send(new DescribeStreamCommand({ StreamName: 'meta-a', Limit: 2, ExclusiveStartShardId: 'shardId-000000000000' })))
      .StreamDescription!;
    expect(page.Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    expect(page.HasMoreShards).toBe(false);

    const sum = (await client.send(new DescribeStreamSummaryCommand({ StreamARN: ARN('meta-b') }))).StreamDescriptionSummary!;
    expect(sum).toMatchObject({ StreamName: 'meta-b', OpenShardCount: 1, StreamModeDetails: { StreamMode: 'PROVISIONED' } });

    const all = await client.send(new ListStreamsCommand({}));
    expect(all.StreamNames).toEqual(expect.arrayContaining(['meta-a', 'meta-b']));
    expect(all.StreamSummaries!.find((s) => s.StreamName === 'meta-a')).toMatchObject({ StreamARN: ARN('meta-a'), StreamStatus: 'ACTIVE' });
    const first = await client.send(new ListStreamsCommand({ Limit: 1 }));
    expect(first.HasMoreStreams).toBe(true);
    const second = await client.send(new ListStreamsCommand({ NextToken: first.NextToken }));
    expect(second.StreamNames![0]! > first.StreamNames![0]!).toBe(true);

    await client.send(new DeleteStreamCommand({ StreamARN: ARN('meta-b') }));
    await expect(client.send(new DescribeStreamSummaryCommand({ StreamName: 'meta-b' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Stream meta-b under account 000000000000 not found.',
    });
    await expect(client.send(new PutRecordCommand({ StreamName: 'nope', PartitionKey: 'a', Data: enc('x') }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Stream nope under account 000000000000 not found.',
    });
  });

  it('routes partition keys by the MD5 of the key as a 128-bit integer, and ExplicitHashKey as given', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'routing', ShardCount: 5 }));
    const { Shards } = await client.send(new ListShardsCommand({ StreamARN: ARN('routing') }));
    const owner = (h: bigint) => Shards!.find((s) => BigInt(s.HashKeyRange!.StartingHashKey!) <= h && h <= BigInt(s.HashKeyRange!.EndingHashKey!))!.ShardId;
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}-${i * 7919}`);
    const out = await client.send(new PutRecordsCommand({ StreamARN: ARN('routing'), Records: keys.map((k) => ({ PartitionKey: k, Data: enc(k) })) }));
    expect(out.FailedRecordCount).toBe(0);
    out.Records!.forEach((r, i) => expect(r.ShardId).toBe(owner(md5(keys[i]!))));
    expect(new Set(out.Records!.map((r) => r.ShardId)).size).toBe(5);

    const explicit = await client.send(new PutRecordCommand({ StreamName: 'routing', PartitionKey: 'whatever', ExplicitHashKey: TOP.toString(), Data: enc('x') }));
    expect(explicit.ShardId).toBe('shardId-000000000004');
    const zero = await client.send(new PutRecordsCommand({ StreamName: 'routing', Records: [{ PartitionKey: 'p', ExplicitHashKey: '0', Data: enc('y') }] }));
    expect(zero.Records![0]!.ShardId).toBe('shardId-000000000000');
    await expect(
      client.send(new PutRecordCommand({ StreamName: 'routing', PartitionKey: 'p', ExplicitHashKey: (TOP + 1n).toString(), Data: enc('z') })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException' });

    // Sequence numbers strictly increase (as integers) in the order records were acknowledged.
    const seqs = [...out.Records!.map((r) => r.SequenceNumber!), explicit.SequenceNumber!, zero.Records![0]!.SequenceNumber!].map(BigInt);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]! > seqs[i - 1]!).toBe(true);
  });

  it('positions iterators AT/AFTER_SEQUENCE_NUMBER and AT_TIMESTAMP, honours Limit and reports MillisBehindLatest', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'positions', ShardCount: 1 }));
    const shard = 'shardId-000000000000';
    const early = await client.send(
      new PutRecordsCommand({ StreamName: 'positions', Records: ['a', 'b', 'c'].map((x) => ({ PartitionKey: x, Data: enc(x) })) }),
    );
    await sleep(30);
    const cut = new Date();
    await sleep(30);
    await client.send(new PutRecordsCommand({ StreamName: 'positions', Records: ['d', 'e'].map((x) => ({ PartitionKey: x, Data: enc(x) })) }));
    const seqB = early.Records![1]!.SequenceNumber!;

    expect((await drain(client, await iterator(client, 'positions', shard, 'AT_SEQUENCE_NUMBER', { StartingSequenceNumber: seqB }))).data).toEqual([
      'b',
      'c',
      'd',
      'e',
    ]);
    expect((await drain(client, await iterator(client, 'positions', shard, 'AFTER_SEQUENCE_NUMBER', { StartingSequenceNumber: seqB }))).data).toEqual([
      'c',
      'd',
      'e',
    ]);
    expect((await drain(client, await iterator(client, 'positions', shard, 'AT_TIMESTAMP', { Timestamp: cut }))).data).toEqual(['d', 'e']);
    expect((await drain(client, await iterator(client, 'positions', shard, 'AT_TIMESTAMP', { Timestamp: new Date(0) }))).data).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect((await drain(client, await iterator(client, 'positions', shard, 'AT_TIMESTAMP', { Timestamp: new Date(Date.now() + 60_000) }))).data).toEqual(
      [],
    );

    const limited = await client.send(new GetRecordsCommand({ ShardIterator: await iterator(client, 'positions', shard, 'TRIM_HORIZON'), Limit: 2 }));
    expect(limited.Records!.map((r) => dec(r.Data))).toEqual(['a', 'b']);
    expect(limited.MillisBehindLatest!).toBeGreaterThanOrEqual(50);
    const rest = await client.send(new GetRecordsCommand({ ShardIterator: limited.NextShardIterator, Limit: 10 }));
    expect(rest.Records!.map((r) => dec(r.Data))).toEqual(['c', 'd', 'e']);
    expect(rest.MillisBehindLatest).toBe(0);

    // A sequence number from another stream or shard is rejected like AWS does.
    await client.send(new CreateStreamCommand({ StreamName: 'positions-2', ShardCount: 2 }));
    await expect(iterator(client, 'positions-2', 'shardId-000000000001', 'AT_SEQUENCE_NUMBER', { StartingSequenceNumber: seqB })).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
    await expect(iterator(client, 'positions', shard, 'AT_SEQUENCE_NUMBER')).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(iterator(client, 'positions', 'shardId-000000000009', 'LATEST')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Could not find shard shardId-000000000009 in stream positions under account 000000000000.',
    });
  });

  it('splits a shard: the parent closes, reading it to its end gives a null iterator and ChildShards, then the children', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'split', ShardCount: 1 }));
    const before = ['p1', 'p2', 'p3'];
    for (const x of before) await client.send(new PutRecordCommand({ StreamName: 'split', PartitionKey: x, Data: enc(x) }));
    const parentIt = await iterator(client, 'split', 'shardId-000000000000', 'TRIM_HORIZON');
    const mid = (1n << 127n).toString();
    await client.send(new SplitShardCommand({ StreamName: 'split', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: mid }));
    const desc = (await client.send(new DescribeStreamCommand({ StreamName: 'split' }))).StreamDescription!;
    expect(desc.StreamStatus).toBe('ACTIVE');
    expect(desc.Shards!.map((s) => [s.ShardId, s.ParentShardId, s.HashKeyRange!.StartingHashKey, s.HashKeyRange!.EndingHashKey])).toEqual([
      ['shardId-000000000000', undefined, '0', TOP.toString()],
      ['shardId-000000000001', 'shardId-000000000000', '0', ((1n << 127n) - 1n).toString()],
      ['shardId-000000000002', 'shardId-000000000000', mid, TOP.toString()],
    ]);
    const parentEnd = BigInt(desc.Shards![0]!.SequenceNumberRange!.EndingSequenceNumber!);
    expect(BigInt(desc.Shards![1]!.SequenceNumberRange!.StartingSequenceNumber!) > parentEnd).toBe(true);
    await expect(client.send(new PutRecordCommand({ StreamName: 'split', PartitionKey: 'x', ExplicitHashKey: '5', Data: enc('c1') }))).resolves.toMatchObject({
      ShardId: 'shardId-000000000001',
    });
    await client.send(new PutRecordCommand({ StreamName: 'split', PartitionKey: 'x', ExplicitHashKey: mid, Data: enc('c2') }));

    const { data, last } = await drain(client, parentIt, 2);
    expect(data).toEqual(before);
    expect(last.NextShardIterator).toBeUndefined();
    expect(last.ChildShards).toEqual([
      { ShardId: 'shardId-000000000001', ParentShards: ['shardId-000000000000'], HashKeyRange: desc.Shards![1]!.HashKeyRange },
      { ShardId: 'shardId-000000000002', ParentShards: ['shardId-000000000000'], HashKeyRange: desc.Shards![2]!.HashKeyRange },
    ]);
    expect((await drain(client, await iterator(client, 'split', 'shardId-000000000001', 'TRIM_HORIZON'))).data).toEqual(['c1']);
    expect((await drain(client, await iterator(client, 'split', 'shardId-000000000002', 'TRIM_HORIZON'))).data).toEqual(['c2']);
    // A LATEST iterator on a closed shard is already at its end.
    const closedLatest = await client.send(new GetRecordsCommand({ ShardIterator: await iterator(client, 'split', 'shardId-000000000000', 'LATEST') }));
    expect(closedLatest.NextShardIterator).toBeUndefined();
    expect(closedLatest.ChildShards).toHaveLength(2);

    await expect(
      client.send(new SplitShardCommand({ StreamName: 'split', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: mid })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(
      client.send(new SplitShardCommand({ StreamName: 'split', ShardToSplit: 'shardId-000000000001', NewStartingHashKey: '0' })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException' });
  });

  it('merges two adjacent shards: both parents close with ChildShards naming the merged child', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'merge', ShardCount: 3 }));
    const ranges = (await client.send(new ListShardsCommand({ StreamName: 'merge' }))).Shards!.map((s) => s.HashKeyRange!);
    await client.send(new PutRecordCommand({ StreamName: 'merge', PartitionKey: 'a', ExplicitHashKey: ranges[0]!.StartingHashKey, Data: enc('s0') }));
    await client.send(new PutRecordCommand({ StreamName: 'merge', PartitionKey: 'a', ExplicitHashKey: ranges[1]!.StartingHashKey, Data: enc('s1') }));
    await expect(
      client.send(new MergeShardsCommand({ StreamName: 'merge', ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000002' })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('not an adjacent pair') });
    await client.send(new MergeShardsCommand({ StreamARN: ARN('merge'), ShardToMerge: 'shardId-000000000001', AdjacentShardToMerge: 'shardId-000000000000' }));
    const shards = (await client.send(new ListShardsCommand({ StreamName: 'merge' }))).Shards!;
    const child = shards.find((s) => s.ShardId === 'shardId-000000000003')!;
    expect(child).toMatchObject({
      ParentShardId: 'shardId-000000000001',
      AdjacentParentShardId: 'shardId-000000000000',
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: ranges[1]!.EndingHashKey },
    });
    expect(shards.filter((s) => s.SequenceNumberRange!.EndingSequenceNumber).map((s) => s.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    await client.send(new PutRecordCommand({ StreamName: 'merge', PartitionKey: 'a', ExplicitHashKey: '0', Data: enc('m') }));
    for (const [parent, want] of [['shardId-000000000000', ['s0']], ['shardId-000000000001', ['s1']]] as const) {
      const { data, last } = await drain(client, await iterator(client, 'merge', parent, 'TRIM_HORIZON'));
      expect(data).toEqual(want);
      expect(last.NextShardIterator).toBeUndefined();
      expect(last.ChildShards).toEqual([
        { ShardId: 'shardId-000000000003', ParentShards: ['shardId-000000000001', 'shardId-000000000000'], HashKeyRange: child.HashKeyRange },
      ]);
    }
    expect((await drain(client, await iterator(client, 'merge', 'shardId-000000000003', 'TRIM_HORIZON'))).data).toEqual(['m']);
  });

  it('lists shards with MaxResults/NextToken, ExclusiveStartShardId and every ShardFilter type', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'filters', ShardCount: 2 }));
    const beforeSplit = new Date();
    await sleep(20);
    await client.send(new SplitShardCommand({ StreamName: 'filters', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1000' }));
    await sleep(20);
    const afterSplit = new Date();
    const ids = async (input: Record<string, unknown>) => (await client.send(new ListShardsCommand({ StreamName: 'filters', ...input }))).Shards!.map((s) => s.ShardId);
    const [s0, s1, s2, s3] = [0, 1, 2, 3].map((i) => `shardId-00000000000${i}`);

    const p1 = await client.send(new ListShardsCommand({ StreamName: 'filters', MaxResults: 3 }));
    expect(p1.Shards!.map((s) => s.ShardId)).toEqual([s0, s1, s2]);
    const p2 = await client.send(new ListShardsCommand({ NextToken: p1.NextToken, MaxResults: 3 }));
    expect(p2.Shards!.map((s) => s.ShardId)).toEqual([s3]);
    expect(p2.NextToken).toBeUndefined();
    await expect(client.send(new ListShardsCommand({ StreamName: 'filters', NextToken: p1.NextToken }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });

    expect(await ids({ ExclusiveStartShardId: s1 })).toEqual([s2, s3]);
    expect(await ids({ ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: s0 } })).toEqual([s1, s2, s3]);
    expect(await ids({ ShardFilter: { Type: 'AT_TRIM_HORIZON' } })).toEqual([s0, s1]);
    expect(await ids({ ShardFilter: { Type: 'FROM_TRIM_HORIZON' } })).toEqual([s0, s1, s2, s3]);
    expect(await ids({ ShardFilter: { Type: 'AT_LATEST' } })).toEqual([s1, s2, s3]);
    expect(await ids({ ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: beforeSplit } })).toEqual([s0, s1]);
    expect(await ids({ ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: afterSplit } })).toEqual([s1, s2, s3]);
    expect(await ids({ ShardFilter: { Type: 'FROM_TIMESTAMP', Timestamp: beforeSplit } })).toEqual([s0, s1, s2, s3]);
    expect(await ids({ ShardFilter: { Type: 'FROM_TIMESTAMP', Timestamp: afterSplit } })).toEqual([s1, s2, s3]);
    await expect(ids({ ShardFilter: { Type: 'AFTER_SHARD_ID' } })).rejects.toMatchObject({ name: 'InvalidArgumentException' });
  });

  it('keeps tags and retention like AWS', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'extras', ShardCount: 1 }));
    await client.send(new AddTagsToStreamCommand({ StreamName: 'extras', Tags: { team: 'data', env: 'dev' } }));
    expect((await client.send(new ListTagsForStreamCommand({ StreamName: 'extras' }))).Tags).toEqual([
      { Key: 'env', Value: 'dev' },
      { Key: 'team', Value: 'data' },
    ]);
    await client.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'extras', RetentionPeriodHours: 48 }));
    await expect(client.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'extras', RetentionPeriodHours: 72 }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
    await client.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'extras', RetentionPeriodHours: 36 }));
    expect((await client.send(new DescribeStreamSummaryCommand({ StreamName: 'extras' }))).StreamDescriptionSummary!.RetentionPeriodHours).toBe(36);
  });

  it('rejects bad requests with AWS errors and keeps serving', async () => {
    const raw = async (op: string, body: unknown) => {
      const res = await fetch(emu.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Kinesis_20131202.${op}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { __type: string; message: string } };
    };
    expect(await raw('FlyToTheMoon', {})).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(await raw('CreateStream', { ShardCount: 1 })).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException', message: "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null" },
    });
    expect((await raw('CreateStream', { StreamName: 'bad name!', ShardCount: 0 })).body).toMatchObject({
      __type: 'ValidationException',
      message: expect.stringMatching(/^2 validation errors detected: .*streamName.*regular expression.*; .*shardCount.*greater than or equal to 1$/),
    });
    expect((await raw('CreateStream', { StreamName: 'x'.repeat(129), ShardCount: 1 })).body.__type).toBe('ValidationException');
    expect((await raw('CreateStream', { StreamName: 'typed', ShardCount: 'two' })).body.__type).toBe('SerializationException');
    expect((await raw('PutRecords', { StreamName: 'slice', Records: 'nope' })).body.__type).toBe('SerializationException');
    expect((await raw('PutRecords', { StreamName: 'slice', Records: [] })).body.__type).toBe('ValidationException');
    expect((await raw('PutRecords', { StreamName: 'slice', Records: [{ PartitionKey: 'a' }] })).body.__type).toBe('ValidationException');
    expect((await raw('PutRecord', { StreamName: 'slice', Data: 'eA==' })).body.__type).toBe('ValidationException');
    expect((await raw('PutRecord', { StreamName: 'slice', Data: 'eA=', PartitionKey: 'a' })).body.__type).toBe('SerializationException');
    expect((await raw('DescribeStreamSummary', {})).body.__type).toBe('ValidationException');
    expect((await raw('GetRecords', { ShardIterator: 'x'.repeat(40), Limit: 0 })).body.__type).toBe('ValidationException');
    expect((await raw('ListShards', { StreamName: 'slice', ShardFilter: { Type: 'SIDEWAYS' } })).body.__type).toBe('ValidationException');
    expect((await raw('GetShardIterator', { StreamName: 'slice', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: {} })).body.__type).toBe(
      'SerializationException',
    );
    expect((await raw('PutRecords', '{"StreamName":')).body.__type).toBe('SerializationException');

    const records501 = Array.from({ length: 501 }, () => ({ PartitionKey: 'a', Data: enc('x') }));
    await expect(client.send(new PutRecordsCommand({ StreamName: 'slice', Records: records501 }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 500'),
    });
    const mib = new Uint8Array(1024 * 1024);
    await expect(client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: 'a', Data: new Uint8Array(1024 * 1024 + 1) }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: 'ab', Data: mib }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
    const big = Array.from({ length: 6 }, (_, i) => ({ PartitionKey: `k${i}`, Data: new Uint8Array(1024 * 1024 - 10) }));
    await expect(client.send(new PutRecordsCommand({ StreamName: 'slice', Records: big }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
      message: 'Records size exceeds 5 MB limit',
    });
    await expect(client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: '', Data: enc('x') }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: 'k'.repeat(257), Data: enc('x') }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    // Still serving.
    expect((await client.send(new DescribeStreamSummaryCommand({ StreamName: 'slice' }))).StreamDescriptionSummary!.StreamName).toBe('slice');
  });
});

describe('kinesis: iterator expiry', () => {
  it('expires shard iterators after the configured TTL with ExpiredIteratorException', async () => {
    const emu = await startEmulator({ port: 0, kinesis: { iteratorTtlMs: 1000 } });
    const client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'expiry', ShardCount: 1 }));
      const it = await iterator(client, 'expiry', 'shardId-000000000000', 'TRIM_HORIZON');
      const fresh = await client.send(new GetRecordsCommand({ ShardIterator: it }));
      await sleep(1200);
      await expect(client.send(new GetRecordsCommand({ ShardIterator: it }))).rejects.toMatchObject({
        name: 'ExpiredIteratorException',
        message: expect.stringMatching(
          /^Iterator expired\. The iterator was created at time \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4} while right now it is .* which is further in the future than the tolerated delay of 1000 milliseconds\.$/,
        ),
      });
      await expect(client.send(new GetRecordsCommand({ ShardIterator: fresh.NextShardIterator }))).rejects.toMatchObject({ name: 'ExpiredIteratorException' });
      await expect(client.send(new GetRecordsCommand({ ShardIterator: 'AAAA-not-an-iterator' }))).rejects.toMatchObject({
        name: 'InvalidArgumentException',
      });
    } finally {
      client.destroy();
      await emu.stop();
    }
  });
});

describe('kinesis: CREATING delay', () => {
  it('reports CREATING, then ACTIVE; waitUntilStreamExists waits for it', async () => {
    const emu = await startEmulator({ port: 0, kinesis: { createDelayMs: 300 } });
    const client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'slow', ShardCount: 1 }));
      expect((await client.send(new DescribeStreamSummaryCommand({ StreamName: 'slow' }))).StreamDescriptionSummary!.StreamStatus).toBe('CREATING');
      await expect(client.send(new PutRecordCommand({ StreamName: 'slow', PartitionKey: 'a', Data: enc('x') }))).rejects.toMatchObject({
        name: 'ResourceInUseException',
      });
      const r = await waitUntilStreamExists({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { StreamName: 'slow' });
      expect(r.state).toBe('SUCCESS');
      expect((await client.send(new DescribeStreamSummaryCommand({ StreamName: 'slow' }))).StreamDescriptionSummary!.StreamStatus).toBe('ACTIVE');
    } finally {
      client.destroy();
      await emu.stop();
    }
  });
});

describe('kinesis: strict mode (AWS per-shard limits)', () => {
  let emu: RunningEmulator;
  let client: KinesisClient;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, kinesis: { strict: true } });
    client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
  });
  afterAll(async () => {
    client.destroy();
    await emu.stop();
  });

  it('fails the records over 1,000 records/s per shard individually, then PutRecord with the exception', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'strict-count', ShardCount: 1 }));
    const batch = () => Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `k${i}`, Data: enc('x') }));
    const results = [];
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) results.push(await client.send(new PutRecordsCommand({ StreamName: 'strict-count', Records: batch() })));
    const elapsed = Date.now() - t0;
    // 2,000 records against a bucket of 1,000 that refills 1 record per ms.
    const failed = results.reduce((n, r) => n + r.FailedRecordCount!, 0);
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThanOrEqual(1000);
    expect(failed).toBeGreaterThanOrEqual(1000 - elapsed - 5);
    const bad = results[3]!.Records!.filter((r) => r.ErrorCode);
    expect(bad.length).toBe(results[3]!.FailedRecordCount);
    expect(bad[0]).toMatchObject({
      ErrorCode: 'ProvisionedThroughputExceededException',
      ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream strict-count under account 000000000000.',
    });
    expect(bad[0]!.SequenceNumber).toBeUndefined();
    // PutRecord: four 700 KB records at once exceed the shard's 1 MiB/s (unless the machine stalls for 2 s).
    await client.send(new CreateStreamCommand({ StreamName: 'strict-one', ShardCount: 1 }));
    const big = new Uint8Array(700 * 1024);
    const singles = await Promise.allSettled([0, 1, 2, 3].map(() => client.send(new PutRecordCommand({ StreamName: 'strict-one', PartitionKey: 'a', Data: big }))));
    expect(singles.some((r) => r.status === 'fulfilled')).toBe(true);
    const refused = singles.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.reason).toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      message: 'Rate exceeded for shard shardId-000000000000 in stream strict-one under account 000000000000.',
    });
    // Only acknowledged records are readable.
    const acked = results.reduce((n, r) => n + r.Records!.filter((x) => x.SequenceNumber).length, 0);
    const it = await iterator(client, 'strict-count', 'shardId-000000000000', 'TRIM_HORIZON');
    expect((await client.send(new GetRecordsCommand({ ShardIterator: it }))).Records).toHaveLength(acked);
  });

  it('fails records over 1 MiB/s per shard, and only on the hot shard', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'strict-bytes', ShardCount: 2 }));
    const kb = new Uint8Array(1500);
    const records = Array.from({ length: 500 }, () => ({ PartitionKey: 'hot', Data: kb }));
    const first = await client.send(new PutRecordsCommand({ StreamName: 'strict-bytes', Records: records }));
    expect(first.FailedRecordCount).toBe(0);
    // 3 x 750 KB more at once: over what 1 MiB/s refills unless the machine stalls for seconds.
    const more = await Promise.all(
      [0, 1, 2].map(() =>
        client.send(
          new PutRecordsCommand({ StreamName: 'strict-bytes', Records: [...records, { PartitionKey: 'x', ExplicitHashKey: TOP.toString(), Data: kb }].slice(-500) }),
        ),
      ),
    );
    expect(more.reduce((n, r) => n + r.FailedRecordCount!, 0)).toBeGreaterThan(0);
    for (const r of more) expect(r.Records![499]).toMatchObject({ ShardId: 'shardId-000000000001' }); // the cold shard still takes writes
    expect(more.flatMap((r) => r.Records!).find((r) => r.ErrorCode)!.ErrorCode).toBe('ProvisionedThroughputExceededException');
  });

  it('throttles more than 5 GetRecords per second per shard', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'strict-reads', ShardCount: 1 }));
    const it = await iterator(client, 'strict-reads', 'shardId-000000000000', 'TRIM_HORIZON');
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => client.send(new GetRecordsCommand({ ShardIterator: it }))));
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(5);
    expect(rejected.length).toBeGreaterThan(0);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    await sleep(1100);
    await expect(client.send(new GetRecordsCommand({ ShardIterator: it }))).resolves.toMatchObject({ Records: [] });
  });
});

describe('kinesis: persistence', () => {
  it('keeps every acknowledged write across restarts on the same data dir (raw journal and compacted)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'furrow-kinesis-'));
    const open = async () => {
      const emu = await startEmulator({ port: 0, dataDir: dir, kinesis: { hotBytesPerShard: 100 } });
      return { emu, client: kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 })) };
    };
    const readAll = async (client: KinesisClient, stream: string) => {
      const out: Record<string, string[]> = {};
      for (const s of (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards!)
        out[s.ShardId!] = (await drain(client, await iterator(client, stream, s.ShardId!, 'TRIM_HORIZON'))).data;
      return out;
    };
    try {
      const a = await open();
      await a.client.send(new CreateStreamCommand({ StreamName: 'durable', ShardCount: 2 }));
      await a.client.send(new PutRecordsCommand({ StreamName: 'durable', Records: Array.from({ length: 50 }, (_, i) => ({ PartitionKey: `k${i}`, Data: enc(`a${i}`) })) }));
      await a.client.send(new SplitShardCommand({ StreamName: 'durable', ShardToSplit: 'shardId-000000000001', NewStartingHashKey: (3n << 126n).toString() }));
      await a.client.send(new MergeShardsCommand({ StreamName: 'durable', ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000002' }));
      for (let i = 0; i < 20; i++) await a.client.send(new PutRecordCommand({ StreamName: 'durable', PartitionKey: `p${i}`, Data: enc(`b${i}`) }));
      await a.client.send(new AddTagsToStreamCommand({ StreamName: 'durable', Tags: { keep: 'me' } }));
      await a.client.send(new CreateStreamCommand({ StreamName: 'gone', ShardCount: 1 }));
      await a.client.send(new DeleteStreamCommand({ StreamName: 'gone' }));
      const want = await readAll(a.client, 'durable');
      const wantDesc = (await a.client.send(new DescribeStreamCommand({ StreamName: 'durable' }))).StreamDescription!.Shards;
      const itBefore = await iterator(a.client, 'durable', 'shardId-000000000000', 'TRIM_HORIZON');

      // Replayed from the raw journal while the first emulator still runs (as after a kill -9).
      const b = await open();
      expect(await readAll(b.client, 'durable')).toEqual(want);
      expect((await b.client.send(new DescribeStreamCommand({ StreamName: 'durable' }))).StreamDescription!.Shards).toEqual(wantDesc);
      await expect(b.client.send(new DescribeStreamSummaryCommand({ StreamName: 'gone' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      b.client.destroy();
      await b.emu.stop();
      a.client.destroy();
      await a.emu.stop();

      // Replayed from the compacted snapshot; iterators handed out before the restart still work.
      const c = await open();
      expect(await readAll(c.client, 'durable')).toEqual(want);
      expect((await c.client.send(new ListTagsForStreamCommand({ StreamName: 'durable' }))).Tags).toEqual([{ Key: 'keep', Value: 'me' }]);
      expect((await drain(c.client, itBefore)).data).toEqual(want['shardId-000000000000']);
      const last = Object.values(want).flat().length;
      expect(last).toBe(70);
      const more = await c.client.send(new PutRecordCommand({ StreamName: 'durable', PartitionKey: 'z', Data: enc('c') }));
      const maxBefore = (await c.client.send(new DescribeStreamCommand({ StreamName: 'durable' }))).StreamDescription!.Shards!.map((s) =>
        BigInt(s.SequenceNumberRange!.EndingSequenceNumber ?? s.SequenceNumberRange!.StartingSequenceNumber!),
      );
      expect(maxBefore.every((m) => BigInt(more.SequenceNumber!) > m)).toBe(true);
      c.client.destroy();
      await c.emu.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kinesis: request fuzz', () => {
  it('answers any JSON object for any operation with a result or an AWS error, never a crash', async () => {
    const { KinesisService } = await import('./index');
    const { AwsError } = await import('../errors');
    const ctx = { region: 'us-east-1', accountId: '000000000000', endpoint: () => '', journal: () => null, now: () => Date.now() };
    const k = new KinesisService(ctx, { strict: true });
    const ops = [
      'CreateStream', 'DeleteStream', 'DescribeStream', 'DescribeStreamSummary', 'ListStreams', 'ListShards', 'PutRecord', 'PutRecords',
      'GetShardIterator', 'GetRecords', 'SplitShard', 'MergeShards', 'IncreaseStreamRetentionPeriod', 'DecreaseStreamRetentionPeriod',
      'AddTagsToStream', 'RemoveTagsFromStream', 'ListTagsForStream', 'DescribeLimits', 'ListStreamConsumers', 'Nope',
    ];
    const members = [
      'StreamName', 'StreamARN', 'ShardCount', 'StreamModeDetails', 'Tags', 'TagKeys', 'Limit', 'ExclusiveStartShardId', 'ExclusiveStartStreamName',
      'NextToken', 'MaxResults', 'ShardFilter', 'StreamCreationTimestamp', 'Records', 'Data', 'PartitionKey', 'ExplicitHashKey',
      'SequenceNumberForOrdering', 'ShardId', 'ShardIteratorType', 'StartingSequenceNumber', 'Timestamp', 'ShardIterator', 'ShardToSplit',
      'NewStartingHashKey', 'ShardToMerge', 'AdjacentShardToMerge', 'RetentionPeriodHours', 'EnforceConsumerDeletion', 'Type',
    ];
    k.handle('CreateStream', { StreamName: 'fuzz', ShardCount: 2 }, null as never);
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom('fuzz', 'shardId-000000000000', 'shardId-000000000001', 'TRIM_HORIZON', 'AT_TIMESTAMP', 'AFTER_SHARD_ID', 'PROVISIONED', 'eA==', '0', '340282366920938463463374607431768211456', ARN('fuzz'), 'arn:aws:kinesis:eu-west-1:000000000000:stream/fuzz'),
        fc.string(),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom(...members), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    await fc.assert(
      fc.property(fc.constantFrom(...ops), fc.dictionary(fc.constantFrom(...members), value, { maxKeys: 6 }), (op, input) => {
        try {
          k.handle(op, input, null as never);
        } catch (err) {
          if (!(err instanceof AwsError)) throw err;
          expect(err.status).toBe(400);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
