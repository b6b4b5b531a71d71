/**
 * The whole pipeline in one process on the emulator, loading into Postgres: `@snowplow/node-tracker` →
 * collector → enrich → transformer → loader → rows in atomic.events read back with `pg`, and the s3-loaders'
 * raw, enriched and bad archives in the bucket. (The same flow into the Snowflake emulator, as separate
 * processes, is `conformance/emulate.test.ts`.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { buildPageView, buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';
import { startEmulator, type RunningEmulator } from '../emulator/aws/index';
import { openTestDatabase, testDatabaseTarget, type TestDatabase } from '../emulator/postgres/test-database';
import { awsClients, emulatorSettings, type AwsClients } from '../pipeline/streams/aws-clients';
import { parsePipelineConfig } from '../pipeline/config/index';
import { startCollector } from '../pipeline/collector/main';
import { startEnrich } from '../pipeline/enrich/main';
import { startS3Loader } from '../pipeline/s3-loader/main';
import { startTransformer } from '../pipeline/transformer/main';
import { startLoader } from '../pipeline/loader/main';
import { until } from './until';

const silent = pino({ level: 'silent' });

describe(`tracker → collector → enrich → transformer → loader → ${testDatabaseTarget()}`, () => {
  let emu: RunningEmulator;
  let aws: AwsClients;
  let db: TestDatabase;
  const stops: (() => Promise<unknown>)[] = [];
  let collectorPort = 0;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    aws = awsClients(emulatorSettings(emu.endpoint));
    db = await openTestDatabase('pipeline');
    for (const s of ['raw', 'enriched', 'bad-1', 'bad-2']) await aws.kinesis.send(new CreateStreamCommand({ StreamName: s, ShardCount: 1 }));
    await aws.s3.send(new CreateBucketCommand({ Bucket: 'furrow' }));
    await aws.sqs.send(new CreateQueueCommand({ QueueName: 'furrow-loader.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }));
    const quick = { logLevel: 'silent' };
    const pipeline = parsePipelineConfig(
      JSON.stringify({
        aws: emulatorSettings(emu.endpoint),
        collector: { port: 0, sink: { buffer: { timeLimitMs: 20 } }, logLevel: 'silent' },
        enrich: { ...quick, input: { idleTimeBetweenReadsMs: 50 }, output: { buffer: { timeLimitMs: 20 } } },
        s3Loader: Object.fromEntries(['raw', 'enriched', 'bad'].map((p) => [p, { ...quick, buffer: { maxDelayMs: 300 } }])),
        transformer: { ...quick, windowSeconds: 1 },
        loader: { ...quick, target: { type: 'postgres', url: db.url, schema: db.schema } },
      }),
    );
    const collector = await startCollector(pipeline, { logger: silent });
    collectorPort = collector.port;
    stops.push(() => collector.shutdown());
    const enrich = await startEnrich(pipeline, { logger: silent });
    stops.push(() => enrich.stop());
    for (const p of ['raw', 'enriched', 'bad']) {
      const l = await startS3Loader(pipeline, p);
      stops.push(() => l.shutdown());
    }
    const transformer = await startTransformer(pipeline);
    stops.push(() => transformer.shutdown());
    const loader = await startLoader(pipeline, { logger: silent });
    stops.push(() => loader.stop());
  }, 120_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    aws?.destroy();
    await db?.close();
    await emu?.stop();
  });

  it('loads every good event as one row whose fields match what the tracker sent, and archives raw, enriched and bad', async () => {
    let answered = 0;
    const failures: unknown[] = [];
    const t = newTracker(
      { namespace: 'pg', appId: 'furrow-pg' },
      {
        endpoint: '127.0.0.1',
        protocol: 'http',
        port: collectorPort,
        bufferSize: 1,
        eventMethod: 'post',
        // The emitter may put several queued events into one POST: count events, not requests.
        onRequestSuccess: (batch) => (answered += batch.length),
        onRequestFailure: (f) => failures.push(f),
      },
    );
    t.track(buildPageView({ pageUrl: 'https://shop.acme.com/basket?utm_source=mail', pageTitle: 'Basket' }));
    t.track(buildStructEvent({ category: 'shop', action: 'add-to-basket', label: 'sku-1', value: 12.5 }));
    // No such schema anywhere: a schema_violations bad row, never a row.
    t.track(buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/nope/jsonschema/1-0-0', data: { a: 1 } } }));
    await until(async () => (await t.flush(), answered >= 3 ? true : undefined), 20_000, 'the collector to acknowledge 3 events').catch((err) => {
      throw new Error(`${(err as Error).message}; tracker failures: ${JSON.stringify(failures).slice(0, 500)}`);
    });

    const rows = await until(async () => {
      const r = await db.pool.query(`SELECT * FROM "${db.schema}".events ORDER BY event`);
      return r.rows.length >= 2 ? r.rows : undefined;
    }, 60_000, '2 rows in atomic.events');
    expect(rows).toHaveLength(2);
    const [pv, se] = [rows.find((r) => r.event === 'page_view'), rows.find((r) => r.event === 'struct')];
    expect(pv).toMatchObject({ app_id: 'furrow-pg', page_url: 'https://shop.acme.com/basket?utm_source=mail', page_title: 'Basket', page_urlhost: 'shop.acme.com', platform: 'srv' });
    expect(se).toMatchObject({ app_id: 'furrow-pg', se_category: 'shop', se_action: 'add-to-basket', se_label: 'sku-1' });
    expect(Number(se.se_value)).toBe(12.5);
    for (const r of rows) expect(r.event_id).toMatch(/^[0-9a-f-]{36}$/);

    const list = async (prefix: string) => ((await aws.s3.send(new ListObjectsV2Command({ Bucket: 'furrow', Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
    const read = async (key: string) => gunzipSync(Buffer.from(await (await aws.s3.send(new GetObjectCommand({ Bucket: 'furrow', Key: key }))).Body!.transformToByteArray())).toString('utf8');
    await until(async () => ((await list('raw/')).length && (await list('enriched/')).length && (await list('bad/')).length ? true : undefined), 30_000, 'raw, enriched and bad archives');
    const enrichedLines = (await Promise.all((await list('enriched/')).map(read))).join('\n').split('\n').filter(Boolean);
    expect(enrichedLines).toHaveLength(2);
    expect(enrichedLines.every((l) => l.split('\t').length === 131)).toBe(true);
    const badKeys = await list('bad/');
    expect(badKeys.some((k) => k.startsWith('bad/com.snowplowanalytics.snowplow.badrows.schema_violations/'))).toBe(true);
  }, 120_000);
});
