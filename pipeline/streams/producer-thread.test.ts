import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { emulatorSettings, kinesisClient } from './aws-clients';
import type { PutRecordsReport } from './kinesis-producer';
import { KinesisProducerThread, type ThreadedProducerOptions } from './producer-thread';
import { clearFaults, createStreams, readAll, setFaults } from './kinesis-producer.testkit';

const rec = (s: string | Buffer, key = 'k') => ({ data: Buffer.isBuffer(s) ? s : Buffer.from(s), partitionKey: key });

describe('KinesisProducerThread: producers in a worker thread, against the emulator', () => {
  let emu: RunningEmulator;
  let client: KinesisClient;
  let streamNo = 0;
  const threads: KinesisProducerThread[] = [];

  const start = async (streams: Array<Partial<ThreadedProducerOptions>>, extra: { reports?: PutRecordsReport[]; health?: string[] } = {}) => {
    const names = streams.map(() => `t${++streamNo}`);
    await createStreams(client, names);
    const thread = new KinesisProducerThread({
      aws: emulatorSettings(emu.endpoint),
      streams: streams.map((s, i) => ({ baseBackoffMs: 10, maxBackoffMs: 50, ...s, streamName: names[i]! })),
      onPutRecords: (r) => extra.reports?.push(r),
      onHealthChange: (stream, healthy) => extra.health?.push(`${stream}:${healthy}`),
    });
    threads.push(thread);
    return { thread, names };
  };

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
  });
  afterEach(async () => {
    await clearFaults(emu.endpoint);
    for (const t of threads.splice(0)) await t.close(2000);
  });
  afterAll(async () => {
    client?.destroy();
    await emu?.stop();
  });

  it('delivers every record byte for byte with its partition key, per stream, and reports each PutRecords call', async () => {
    const reports: PutRecordsReport[] = [];
    const { thread, names } = await start([{ recordLimit: 50, timeLimitMs: 20 }, { timeLimitMs: 20 }], { reports });
    const [a, b] = thread.producers;
    // binary data, multi-byte keys, an empty record, records of 100 and 300 KB
    const data = Array.from({ length: 120 }, (_, i) => Buffer.from(Array.from({ length: (i * 37) % 300 }, (_, j) => (i + j) % 256)));
    data.push(Buffer.alloc(100_000, 7), Buffer.alloc(300_000, 9)); // the second is larger than a hand-over chunk
    const keys = data.map((_, i) => (i % 3 === 0 ? `clé-${i}-🌾` : `k${i}`));
    await Promise.all(data.map((d, i) => a!.put(rec(d, keys[i]))));
    await b!.put(rec('other stream'));
    expect(a!.bufferedBytes).toBe(0);
    expect(a!.bufferedRecords).toBe(0);
    const got = await readAll(client, names[0]!);
    expect(got.map((r) => r.data.toString('hex'))).toEqual(data.map((d) => d.toString('hex')));
    expect(got.map((r) => r.partitionKey)).toEqual(keys);
    expect((await readAll(client, names[1]!)).map((r) => r.data.toString())).toEqual(['other stream']);
    expect(reports.filter((r) => r.stream === names[0]).reduce((n, r) => n + r.records, 0)).toBe(data.length);
    expect(Math.max(...reports.map((r) => r.records))).toBeLessThanOrEqual(50);
  });

  it('add(): onAcked for each record; refusals (bad key, oversized, closed) are synchronous onFailed, as in KinesisProducer', async () => {
    const { thread } = await start([{ timeLimitMs: 10 }]);
    const p = thread.producers[0]!;
    let acked = 0;
    const failures: string[] = [];
    for (let i = 0; i < 20; i++) p.add(rec(`r${i}`), (e) => failures.push(e.name), () => acked++);
    p.add(rec('x', ''), (e) => failures.push(e.name));
    p.add(rec(Buffer.alloc(1024 * 1024)), (e) => failures.push(e.name));
    expect(failures).toEqual(['InvalidPartitionKeyError', 'RecordTooLargeError']);
    await p.flush();
    expect(acked).toBe(20);
    expect(await p.close(1000)).toBe(0);
    p.add(rec('late'), (e) => failures.push(e.name));
    expect(failures.at(-1)).toBe('ProducerClosedError');
  });

  it('bounds unacknowledged bytes on the main thread: canAccept turns false under a stalled sink, then recovers with nothing lost', async () => {
    const { thread, names } = await start([{ maxBufferBytes: 1_048_576, timeLimitMs: 5 }]);
    const p = thread.producers[0]!;
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', latencyMs: 500 }]);
    const kb100 = Buffer.alloc(100_000, 1);
    const accepted: Promise<void>[] = [];
    let refused = 0;
    for (let i = 0; i < 15; i++) {
      if (p.canAccept(kb100.length + 1)) accepted.push(p.put(rec(kb100)));
      else refused++;
    }
    expect(accepted.length).toBe(10);
    expect(refused).toBe(5);
    expect(p.bufferedBytes).toBeLessThanOrEqual(1_048_576);
    await expect(p.put(rec(kb100))).rejects.toMatchObject({ name: 'BufferFullError' });
    await clearFaults(emu.endpoint);
    await Promise.all(accepted);
    expect(p.canAccept(kb100.length + 1)).toBe(true);
    expect((await readAll(client, names[0]!)).length).toBe(10);
  });

  it('health follows the worker producer: unhealthy after failed calls, healthy again once PutRecords succeeds, and no record lost', async () => {
    const health: string[] = [];
    const { thread, names } = await start([{ timeLimitMs: 5, unhealthyAfterFailures: 2 }], { health });
    const p = thread.producers[0]!;
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', error: '500' }]);
    const pending = p.put(rec('survives'));
    const deadline = Date.now() + 5000;
    while (p.healthy && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(p.healthy).toBe(false);
    await clearFaults(emu.endpoint);
    await pending;
    expect(p.healthy).toBe(true);
    expect(health).toEqual([`${names[0]}:false`, `${names[0]}:true`]);
    expect((await readAll(client, names[0]!)).map((r) => r.data.toString())).toEqual(['survives']);
  });

  it('close(timeout) gives up on what Kinesis will not take in time, fails those records and counts them', async () => {
    const { thread } = await start([{ timeLimitMs: 5 }]);
    const p = thread.producers[0]!;
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', error: '500' }]);
    const outcomes = Array.from({ length: 3 }, (_, i) => p.put(rec(`r${i}`)).then(() => 'acked', (e: Error) => e.name));
    expect(await thread.close(300)).toBe(3);
    expect(await Promise.all(outcomes)).toEqual(['ProducerClosedError', 'ProducerClosedError', 'ProducerClosedError']);
    expect(p.bufferedRecords).toBe(0);
    expect(p.bufferedBytes).toBe(0);
  });

  it('ready resolves once the worker has built its producers, and rejects when the worker dies before that', async () => {
    const { thread } = await start([{}]);
    await expect(thread.ready).resolves.toBeUndefined();
    const names = [`t${++streamNo}`];
    const doomed = new KinesisProducerThread({ aws: emulatorSettings(emu.endpoint), streams: [{ streamName: names[0]! }] });
    threads.push(doomed);
    await (doomed as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(doomed.ready).rejects.toThrow(/producer thread exited/);
  });

  it('a worker that dies fails every record it held (never a silent loss), turns unhealthy and refuses new records', async () => {
    const names = [`t${++streamNo}`];
    await createStreams(client, names);
    const errors: string[] = [];
    const thread = new KinesisProducerThread({
      aws: emulatorSettings(emu.endpoint),
      streams: [{ streamName: names[0]!, timeLimitMs: 5 }],
      onThreadError: (err) => errors.push(err.message),
    });
    threads.push(thread);
    const p = thread.producers[0]!;
    await setFaults(emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', latencyMs: 5000 }]);
    const held = p.put(rec('in flight')).then(() => 'acked', (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 300));
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect(await held).toMatch(/producer thread exited/);
    expect(errors).toHaveLength(1);
    expect(p.healthy).toBe(false);
    expect(p.bufferedBytes).toBe(0);
    await expect(p.put(rec('after'))).rejects.toMatchObject({ name: 'ProducerClosedError' });
  });
});
