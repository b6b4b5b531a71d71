import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../index';
import { emulatorSettings, kinesisClient } from '../../../pipeline/streams/aws-clients';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe('kinesis: first slice', () => {
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
    expect(summary.StreamDescriptionSummary).toMatchObject({ StreamName: 'slice', StreamStatus: 'ACTIVE', OpenShardCount: 2 });
    const { Shards } = await client.send(new ListShardsCommand({ StreamName: 'slice' }));
    expect(Shards?.map((s) => s.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);

    const one = await client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: 'k', Data: enc('first') }));
    expect(one.SequenceNumber).toMatch(/^\d{56}$/);
    const batch = await client.send(
      new PutRecordsCommand({ StreamName: 'slice', Records: Array.from({ length: 10 }, (_, i) => ({ PartitionKey: 'k', Data: enc(`r${i}`) })) }),
    );
    expect(batch.FailedRecordCount).toBe(0);
    expect(new Set(batch.Records!.map((r) => r.ShardId))).toEqual(new Set([one.ShardId]));

    const it1 = await client.send(new GetShardIteratorCommand({ StreamName: 'slice', ShardId: one.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const got = await client.send(new GetRecordsCommand({ ShardIterator: it1.ShardIterator }));
    expect(got.Records!.map((r) => dec(r.Data))).toEqual(['first', ...Array.from({ length: 10 }, (_, i) => `r${i}`)]);
    expect(got.Records![0]!.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    expect(got.MillisBehindLatest).toBe(0);

    const latest = await client.send(new GetShardIteratorCommand({ StreamName: 'slice', ShardId: one.ShardId, ShardIteratorType: 'LATEST' }));
    expect((await client.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator }))).Records).toEqual([]);
    await client.send(new PutRecordCommand({ StreamName: 'slice', PartitionKey: 'k', Data: enc('after') }));
    const after = await client.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator }));
    expect(after.Records!.map((r) => dec(r.Data))).toEqual(['after']);
    const next = await client.send(new GetRecordsCommand({ ShardIterator: got.NextShardIterator }));
    expect(next.Records!.map((r) => dec(r.Data))).toEqual(['after']);
  });
});
