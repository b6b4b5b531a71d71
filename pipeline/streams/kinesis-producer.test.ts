import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { emulatorSettings, kinesisClient } from './aws-clients';
import {
  BufferFullError,
  InvalidPartitionKeyError,
  KinesisProducer,
  ProducerClosedError,
  RecordTooLargeError,
  RetriesExhaustedError,
  type PutRecordsReport,
} from './kinesis-producer';
import { clearFaults, createStreams, readAll, setFaults } from './kinesis-producer.testkit';

const rec = (s: string, key = 'k') => ({ data: Buffer.from(s), partitionKey: key });

describe('KinesisProducer against the emulator', () => {
  let emu: RunningEmulator;
  let strictEmu: RunningEmulator;
  let client: KinesisClient;
  let strictClient: KinesisClient;
  let streamNo = 0;
  const producers: KinesisProducer[] = [];
  const newStream = async (c = client) => {
    const name = `p${++streamNo}`;
    await createStreams(c, [name]);
    return name;
  };
  const producer = (opts: Partial<ConstructorParameters<typeof KinesisProducer>[0]> & { streamName: string }) => {
    const p = new KinesisProducer({ client, baseBackoffMs: 10, maxBackoffMs: 100, ...opts });
    producers.push(p);
    return p;
  };

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    strictEmu = await startEmulator({ port: 0, kinesis: { strict: true } });
    client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    strictClient = kinesisClient(emulatorSettings(strictEmu.endpoint, { maxAttempts: 1 }));
  });
  afterEach(async () => {
    await clearFaults(emu.endpoint);
    for (const p of producers.splice(0)) await p.close(1000);
  });
  afterAll(async () => {
    client?.destroy();
    strictClient?.destroy();
    await emu?.stop();
    await strictEmu?.stop();
  });

  it('batches by recordLimit and acknowledges every record, in order, with its partition key', async () => {
    const stream = await newStream();
    const reports: PutRecordsReport[] = [];
    const p = producer({ streamName: stream, recordLimit: 5, timeLimitMs: 60_000, onPutRecords: (r) => reports.push(r) });
    await Promise.all(Array.from({ length: 10 }, (_, i) => p.put(rec(`r${i}`, `key${i % 2}`))));
    expect(reports.map((r) => r.records)).toEqual([5, 5]);
    expect(p.bufferedBytes).toBe(0);
    const got = await readAll(client, stream);
    expect(got.map((r) => r.data.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(got.map((r) => r.partitionKey)).toEqual(Array.from({ length: 10 }, (_, i) => `key${i % 2}`));
  });

  it('batches by byteLimit (data + key bytes) and by timeLimit', async () => {
    const stream = await newStream();
    const reports: PutRecordsReport[] = [];
    const p = producer({ streamName: stream, byteLimit: 2500, timeLimitMs: 300, onPutRecords: (r) => reports.push(r) });
    const t0 = Date.now();
    const big = Array.from({ length: 5 }, (_, i) => p.put(rec('x'.repeat(1000) + i)));
    await Promise.all(big);
    // 1002 bytes each: two fit in 2500, the fifth waits for the time limit.
    expect(reports.map((r) => r.records)).toEqual([2, 2, 1]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    reports.length = 0;
    const t1 = Date.now();
    await p.put(rec('alone'));
    expect(Date.now() - t1).toBeGreaterThanOrEqual(250);
    expect(reports.map((r) => r.records)).toEqual([1]);
  });

  it('flush() sends at once without waiting for the limits', async () => {
    const stream = await newStream();
    const p = producer({ streamName: stream, timeLimitMs: 60_000 });
    let acked = false;
    void p.put(rec('now')).then(() => (acked = true));
    const t0 = Date.now();
    await p.flush();
    expect(acked).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000); // not the 60 s time limit
    expect((await readAll(client, stream)).map((r) => r.data.toString())).toEqual(['now']);
  });

  it('retries entries a PutRecords response marks failed (per-shard throttling) until all are acknowledged, with backoff', async () => {
    const stream = await newStream(strictClient);
    const reports: PutRecordsReport[] = [];
    const p = new KinesisProducer({ client: strictClient, streamName: stream, timeLimitMs: 60_000, baseBackoffMs: 200, maxBackoffMs: 1000, onPutRecords: (r) => reports.push(r) });
    producers.push(p);
    // One PutRecords of 4 x 400 KB to one shard: AWS's 1 MiB/s per shard admits two, the response marks the rest
    // failed (deterministic: the byte bucket refills ~1 KB per ms), and they succeed on later attempts.
    const records = Array.from({ length: 4 }, (_, i) => rec(String(i).repeat(400_000)));
    const big = records.map((r) => p.put(r));
    await p.flush(); // all four in one call
    await Promise.all(big);
    expect(reports[0]).toMatchObject({ records: 4, failed: 2, attempt: 1 });
    expect(reports.some((r) => r.attempt > 1 && r.failed < r.records)).toBe(true);
    const got = await readAll(strictClient, stream);
    expect(got.map((r) => r.data.toString()[0]).sort()).toEqual(['0', '1', '2', '3']);
  });

  it('retries whole failed calls, turns unhealthy after N consecutive failures and healthy again on success', async () => {
    const stream = await newStream();
    const health: boolean[] = [];
    const reports: PutRecordsReport[] = [];
    const p = producer({ streamName: stream, timeLimitMs: 0, unhealthyAfterFailures: 2, onHealthChange: (h) => health.push(h), onPutRecords: (r) => reports.push(r) });
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', error: '500', count: 3 }]);
    await p.put(rec('survivor'));
    expect(reports.map((r) => r.failed)).toEqual([1, 1, 1, 0]);
    expect(reports.filter((r) => r.error).length).toBe(3);
    expect(health).toEqual([false, true]);
    expect(p.healthy).toBe(true);
    expect((await readAll(client, stream)).map((r) => r.data.toString())).toEqual(['survivor']);
  });

  it('rejects with RetriesExhaustedError after maxAttempts', async () => {
    const stream = await newStream();
    const p = producer({ streamName: stream, timeLimitMs: 0, maxAttempts: 2 });
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', error: 'throttle' }]);
    await expect(p.put(rec('doomed'))).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(p.bufferedBytes).toBe(0);
    expect(p.healthy).toBe(true); // 2 failures < default threshold of 3
  });

  it('bounds the buffer: canAccept turns false and put() refuses with BufferFullError while the sink is stalled, then recovers', async () => {
    const stream = await newStream();
    const p = producer({ streamName: stream, timeLimitMs: 0, maxBufferBytes: 1024 * 1024, maxInFlight: 1 });
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', latencyMs: 400 }]);
    const chunk = 'y'.repeat(100 * 1024);
    const accepted: Promise<void>[] = [];
    while (p.canAccept(chunk.length + 1)) accepted.push(p.put(rec(chunk)));
    expect(accepted.length).toBe(10);
    expect(p.bufferedBytes).toBeGreaterThan(1024 * 1024 - chunk.length - 1);
    await expect(p.put(rec(chunk))).rejects.toBeInstanceOf(BufferFullError);
    await clearFaults(emu.endpoint);
    await Promise.all(accepted);
    expect(p.bufferedBytes).toBe(0);
    expect(p.canAccept(chunk.length + 1)).toBe(true);
    expect(await readAll(client, stream)).toHaveLength(10);
  });

  it('validates records: too large, bad partition key, closed producer', async () => {
    const stream = await newStream();
    const p = producer({ streamName: stream });
    await expect(p.put({ data: Buffer.alloc(1024 * 1024), partitionKey: 'k' })).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(p.put({ data: Buffer.from('x'), partitionKey: '' })).rejects.toBeInstanceOf(InvalidPartitionKeyError);
    await expect(p.put({ data: Buffer.from('x'), partitionKey: 'k'.repeat(257) })).rejects.toBeInstanceOf(InvalidPartitionKeyError);
    await p.close();
    await expect(p.put(rec('late'))).rejects.toBeInstanceOf(ProducerClosedError);
  });

  it('close() flushes what is buffered; with a timeout against a dead sink it gives up and reports the loss', async () => {
    const stream = await newStream();
    const p = producer({ streamName: stream, timeLimitMs: 60_000 });
    const ok = p.put(rec('flushed-on-close'));
    expect(await p.close()).toBe(0);
    await ok;
    expect((await readAll(client, stream)).map((r) => r.data.toString())).toEqual(['flushed-on-close']);

    const q = producer({ streamName: stream, timeLimitMs: 60_000 });
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', error: '500' }]);
    const lost = q.put(rec('lost'));
    const t0 = Date.now();
    expect(await q.close(300)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(lost).rejects.toBeInstanceOf(ProducerClosedError);
  });
});
