/** Test helpers shared by the producer's and the collector's tests: create streams, read them back. */
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

export interface ReadRecord {
  data: Buffer;
  partitionKey: string;
  shardId: string;
  sequenceNumber: string;
}

export async function createStreams(client: KinesisClient, names: string[], shards = 1): Promise<void> {
  for (const StreamName of names) await client.send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
}

/** Every record of every shard, from TRIM_HORIZON, shard by shard in sequence order. */
export async function readAll(client: KinesisClient, stream: string): Promise<ReadRecord[]> {
  const { Shards } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const out: ReadRecord[] = [];
  for (const shard of Shards ?? []) {
    let it = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (it) {
      const got = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
      for (const r of got.Records ?? [])
        out.push({ data: Buffer.from(r.Data!), partitionKey: r.PartitionKey!, shardId: shard.ShardId!, sequenceNumber: r.SequenceNumber! });
      if (!got.Records?.length || got.MillisBehindLatest === 0) break;
      it = got.NextShardIterator;
    }
  }
  return out;
}

/** Poll `readAll` until `predicate` holds or `timeoutMs` passes; returns the last read. */
export async function readUntil(
  client: KinesisClient,
  stream: string,
  predicate: (records: ReadRecord[]) => boolean,
  timeoutMs = 5000,
): Promise<ReadRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await readAll(client, stream);
    if (predicate(records) || Date.now() > deadline) return records;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Set the emulator's fault rules over its admin API (what the reliability suite does). */
export async function setFaults(endpoint: string, rules: object[]): Promise<void> {
  const res = await fetch(`${endpoint}/_furrow/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });
  if (!res.ok) throw new Error(`setting faults failed: ${res.status} ${await res.text()}`);
}

export async function clearFaults(endpoint: string): Promise<void> {
  await fetch(`${endpoint}/_furrow/faults`, { method: 'DELETE' });
}
