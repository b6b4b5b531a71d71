/**
 * The whole app on the emulator: raw records put with the real Kinesis SDK → `startEnrich` (KCL-style
 * consumer with DynamoDB leases, processor, producers) → enriched TSVs and bad rows read back.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { parsePipelineConfig } from '../config/index';
import { EnrichedEvent } from '../core/enriched-event';
import { emulatorSettings, kinesisClient } from '../streams/aws-clients';
import { createStreams, readUntil } from '../streams/kinesis-producer.testkit';
import { startEnrich } from './main';
import { getRecord, tp2Post } from './testing';

let emu: RunningEmulator;
let client: KinesisClient;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
});

afterAll(async () => {
  client?.destroy();
  await emu?.stop();
});

describe('furrow enrich', () => {
  it('consumes the raw stream and writes enriched TSVs (partition key event_id) and bad rows', async () => {
    const streams = { raw: 'raw-main', enriched: 'enriched-main', bad1: 'bad-main' };
    await createStreams(client, Object.values(streams), 2);
    const pv = { e: 'pv', tv: 'js-3.24.0', p: 'web', url: 'https://shop.example.com/', page: 'Home' };
    const records = [
      tp2Post([pv, { ...pv, page: 'Second' }]),
      getRecord({ e: 'se', tv: 't', p: 'srv', se_ca: 'c', se_ac: 'a' }),
      getRecord({ e: 'xx', tv: 't', p: 'web' }),
      Buffer.from('not thrift'),
    ];
    await client.send(new PutRecordsCommand({ StreamName: streams.raw, Records: records.map((Data, i) => ({ Data, PartitionKey: `p${i}` })) }));
    const pipeline = parsePipelineConfig(
      JSON.stringify({
        aws: emulatorSettings(emu.endpoint),
        streams,
        enrich: {
          applicationName: 'furrow-enrich-main-test',
          partitionKey: 'event_id',
          input: { idleTimeBetweenReadsMs: 20 },
          output: { buffer: { timeLimitMs: 20 } },
        },
      }),
    );
    const running = await startEnrich(pipeline, { logger: pino({ level: 'silent' }) });
    try {
      const good = await readUntil(client, streams.enriched, (r) => r.length >= 3, 20_000);
      const bad = await readUntil(client, streams.bad1, (r) => r.length >= 2, 20_000);
      expect(good).toHaveLength(3);
      const events = good.map((r) => EnrichedEvent.fromTsv(r.data.toString('utf8')));
      expect(events.map((e) => e.page_title ?? '-').sort()).toEqual(['-', 'Home', 'Second']);
      for (let i = 0; i < good.length; i++) expect(good[i]!.partitionKey).toBe(events[i]!.event_id);
      expect(bad.map((r) => (JSON.parse(r.data.toString()) as { schema: string }).schema.split('/')[1]).sort()).toEqual([
        'collector_payload_format_violation',
        'schema_violations',
      ]);
      expect(running.processor.counters).toMatchObject({ records: 4, good: 3, bad: 2 });
      const health = await fetch(`http://127.0.0.1:${running.port}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { healthy: boolean }).healthy).toBe(true);
      const metrics = await (await fetch(`http://127.0.0.1:${running.port}/metrics`)).text();
      expect(metrics).toMatch(/^furrow_enrich_good_total 3$/m);
      expect(metrics).toMatch(/^furrow_enrich_bad_rows\{type="schema_violations"\} 1$/m);
    } finally {
      await running.stop();
    }
  });
});
