/**
 * EnrichProcessor against real parts: the AWS emulator's Kinesis (via the SDK and KinesisProducer) and an
 * Iglu static registry over HTTP behind a fault proxy, to show that an Iglu outage is retried in place:
 * no bad row, nothing written until Iglu answers, and a stop during the outage rejects the batch.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { IgluClient } from '../iglu/client';
import { EmbeddedRepository, HttpRepository, CORE_SCHEMAS_PATH, embeddedDir } from '../iglu/repositories';
import { Resolver } from '../iglu/resolver';
import { startFaultProxy, type FaultProxy } from '../iglu/testing';
import { emulatorSettings, kinesisClient } from '../streams/aws-clients';
import type { ConsumedRecord, ShardContext } from '../streams/kinesis-consumer';
import { KinesisProducer } from '../streams/kinesis-producer';
import { createStreams, readAll } from '../streams/kinesis-producer.testkit';
import { ProcessorStoppedError, EnrichProcessor } from './processor';
import { contextsJson, EXAMPLE_SCHEMAS, getRecord, testSettings } from './testing';
import { igluClientValidator } from './iglu-adapter';
import type { KinesisClient } from '@aws-sdk/client-kinesis';

let emu: RunningEmulator;
let client: KinesisClient;
let registry: Server;
let proxy: FaultProxy;
let n = 0;

/** A static Iglu registry (the iglucentral.com layout): GET /schemas/vendor/name/format/version. */
async function startRegistry(): Promise<Server> {
  const byPath = new Map(EXAMPLE_SCHEMAS.map((s) => {
    const self = s.self as Record<string, string>;
    return [`/schemas/${self.vendor}/${self.name}/${self.format}/${self.version}`, JSON.stringify(s)];
  }));
  const server = createServer((req, res) => {
    const body = byPath.get(req.url ?? '');
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{"message":"not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
  registry = await startRegistry();
  proxy = await startFaultProxy(`http://127.0.0.1:${(registry.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((r) => registry?.close(r));
  client?.destroy();
  await emu?.stop();
});

function consumed(data: Buffer, i: number): ConsumedRecord {
  return { data, partitionKey: `k${i}`, sequenceNumber: String(i), approximateArrivalTimestamp: new Date(), shardId: 'shardId-000000000000' };
}

const shard: ShardContext = { shardId: 'shardId-000000000000', checkpoint: async () => undefined, millisBehindLatest: 0 };

async function setup() {
  const good = `enriched-${++n}`;
  const bad = `bad-${n}`;
  await createStreams(client, [good, bad]);
  // A fresh resolver per test: core schemas embedded, the rest over HTTP through the fault proxy.
  const resolver = new Resolver(
    [
      new EmbeddedRepository({ name: 'core', priority: 0, vendorPrefixes: [] }, embeddedDir(CORE_SCHEMAS_PATH)),
      new HttpRepository({ name: 'registry', priority: 1, vendorPrefixes: [] }, { uri: proxy.url }),
    ],
    { cacheSize: 100, cacheTtl: 600 },
  );
  const settings = testSettings({ validator: igluClientValidator(new IgluClient(resolver)) });
  const producers = [good, bad].map((streamName) => new KinesisProducer({ client, streamName, timeLimitMs: 10, baseBackoffMs: 10 }));
  const processor = new EnrichProcessor({ settings, good: producers[0]!, bad: producers[1]!, partitionKey: 'event_id', retryBaseMs: 20, retryMaxMs: 100 });
  return { good, bad, producers, processor };
}

const withContext = getRecord({
  e: 'pv',
  tv: 'js-3.24.0',
  p: 'web',
  co: contextsJson([{ schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 'u1' } }]),
});

describe('EnrichProcessor', () => {
  it('writes good TSVs (partition key = event_id) and bad rows, and resolves once both are acknowledged', async () => {
    proxy.mode = 'up';
    const { good, bad, producers, processor } = await setup();
    await processor.processBatch([consumed(withContext, 1), consumed(Buffer.from('garbage'), 2), consumed(getRecord({ e: 'pv', tv: 't', p: 'web' }), 3)], shard);
    const goodRecords = await readAll(client, good);
    const badRecords = await readAll(client, bad);
    expect(goodRecords).toHaveLength(2);
    expect(badRecords).toHaveLength(1);
    for (const r of goodRecords) {
      const fields = r.data.toString('utf8').split('\t');
      expect(fields).toHaveLength(131);
      expect(r.partitionKey).toBe(fields[6]); // event_id
    }
    expect(JSON.parse(badRecords[0]!.data.toString()).schema).toContain('collector_payload_format_violation');
    expect(processor.counters).toMatchObject({ records: 3, good: 2, bad: 1, igluRetries: 0 });
    await Promise.all(producers.map((p) => p.close()));
  });

  it('an Iglu outage is retried in place: no bad row, no output until Iglu is back', async () => {
    proxy.mode = 'reset';
    const { good, bad, producers, processor } = await setup();
    const batch = processor.processBatch([consumed(withContext, 1)], shard);
    let settled = false;
    void batch.then(() => (settled = true));
    const deadline = Date.now() + 10_000;
    while (processor.counters.igluRetries < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(processor.counters.igluRetries).toBeGreaterThanOrEqual(3);
    expect(settled).toBe(false);
    expect(await readAll(client, good)).toHaveLength(0);
    expect(await readAll(client, bad)).toHaveLength(0);
    proxy.mode = 'up';
    await batch;
    expect(await readAll(client, good)).toHaveLength(1);
    expect(await readAll(client, bad)).toHaveLength(0);
    await Promise.all(producers.map((p) => p.close()));
  });

  it('stopping during an outage rejects the batch (so it is not checkpointed) and writes nothing', async () => {
    proxy.mode = '503';
    const { good, bad, producers, processor } = await setup();
    const batch = processor.processBatch([consumed(withContext, 1)], shard);
    const deadline = Date.now() + 10_000;
    while (processor.counters.igluRetries < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    processor.stop();
    await expect(batch).rejects.toBeInstanceOf(ProcessorStoppedError);
    expect(await readAll(client, good)).toHaveLength(0);
    expect(await readAll(client, bad)).toHaveLength(0);
    proxy.mode = 'up';
    await Promise.all(producers.map((p) => p.close()));
  });
});
