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
import { enrichmentJson } from './enrichments/defaults';
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

  it('writes the PII enrichment\'s pii_transformation events to enrich.output.pii (config-validated enrichments inline)', async () => {
    const streams = { raw: 'raw-pii', enriched: 'enriched-pii', bad1: 'bad-pii' };
    await createStreams(client, [...Object.values(streams), 'pii-pii'], 1);
    const pii = enrichmentJson(
      'iglu:com.snowplowanalytics.snowplow.enrichments/pii_enrichment_config/jsonschema/2-0-1',
      { pii: [{ pojo: { field: 'user_id' } }], strategy: { pseudonymize: { hashFunction: 'SHA-256', salt: 's' } } },
      { emitEvent: true },
    );
    const records = [getRecord({ e: 'pv', tv: 't', p: 'web', uid: 'alice' }), getRecord({ e: 'pv', tv: 't', p: 'web' })];
    await client.send(new PutRecordsCommand({ StreamName: streams.raw, Records: records.map((Data, i) => ({ Data, PartitionKey: `p${i}` })) }));
    const pipeline = parsePipelineConfig(
      JSON.stringify({
        aws: emulatorSettings(emu.endpoint),
        streams,
        enrich: { applicationName: 'furrow-enrich-pii-test', enrichments: [pii], input: { idleTimeBetweenReadsMs: 20 }, output: { pii: 'pii-pii', buffer: { timeLimitMs: 20 } } },
      }),
    );
    const running = await startEnrich(pipeline, { logger: pino({ level: 'silent' }) });
    try {
      const good = await readUntil(client, streams.enriched, (r) => r.length >= 2, 20_000);
      const piiEvents = await readUntil(client, 'pii-pii', (r) => r.length >= 1, 20_000);
      expect(piiEvents).toHaveLength(1);
      const e = EnrichedEvent.fromTsv(piiEvents[0]!.data.toString('utf8'));
      const alice = good.map((r) => EnrichedEvent.fromTsv(r.data.toString('utf8'))).find((g) => g.user_id !== null)!;
      expect(e.event).toBe('pii_transformation');
      expect(JSON.parse(e.contexts!).data[0].data).toEqual({ parentEventId: alice.event_id });
      expect(JSON.parse(e.unstruct_event!).data.data.pii.pojo).toEqual([{ fieldName: 'user_id', originalValue: 'alice', modifiedValue: alice.user_id }]);
      expect(running.processor.counters).toMatchObject({ good: 2, pii: 1 });
    } finally {
      await running.stop();
    }
  });
});
