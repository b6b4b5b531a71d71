/**
 * The loader against the Snowflake emulator (through snowflake-sdk) with the AWS emulator's S3 and SQS:
 * windows are written and sealed the way the transformer does it.
 */
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { startSnowflakeEmulator, type RunningSnowflakeEmulator } from '../../emulator/snowflake/index';
import { connectSdk, type SdkConnection } from '../../emulator/snowflake/test-helpers';
import { emulatorSettings, s3Client, sqsClient } from '../streams/aws-clients';
import { startLoader, type RunningLoader } from './main';
import type { LoaderHooks } from './targets/target';
import { captureLogger, createQueues, nextWindows, pipelineConfig, queueDepth, send, wideRowEvent, writeWindow, type Entity } from './testkit';

let aws: RunningEmulator;
let sf: RunningSnowflakeEmulator;
let sqs: SQSClient;
let s3: S3Client;
let sdk: SdkConnection;
const running: RunningLoader[] = [];

beforeAll(async () => {
  aws = await startEmulator({ port: 0 });
  sf = await startSnowflakeEmulator({ port: 0, s3: { endpoint: aws.endpoint } });
  sqs = sqsClient(emulatorSettings(aws.endpoint));
  s3 = s3Client(emulatorSettings(aws.endpoint));
  sdk = await connectSdk(sf.url);
}, 180_000);

afterAll(async () => {
  for (const r of running) await r.stop().catch(() => {});
  await sdk?.destroy();
  sqs?.destroy();
  s3?.destroy();
  await sf?.stop();
  await aws?.stop();
});

let n = 0;
/** A fresh schema + queue pair per test, and a loader on them. */
async function setup(opts: { visibilitySeconds?: number; hooks?: LoaderHooks } = {}) {
  const id = `t${++n}_${Date.now().toString(36)}`;
  const { queueUrl, dlqUrl } = await createQueues(sqs, s3, `loader-${id}`);
  const schema = `atomic_${id}`;
  const config = pipelineConfig(aws.endpoint, {
    queue: queueUrl,
    deadLetterQueue: dlqUrl,
    sqs: { visibilitySeconds: opts.visibilitySeconds ?? 30, waitTimeSeconds: 1, retryDelaySeconds: 1 },
    target: {
      type: 'snowflake',
      account: 'furrow',
      username: 'loader',
      password: 'secret',
      accessUrl: sf.url,
      warehouse: 'compute_wh',
      database: 'furrow',
      schema,
      stage: 'transformed',
      stageUrl: 's3://furrow/transformed/',
    },
  });
  const { logger, lines } = captureLogger();
  const start = (hooks = opts.hooks) => startLoader(config, { logger, hooks }).then((r) => (running.push(r), r));
  return { queueUrl, dlqUrl, schema: schema.toUpperCase(), config, lines, start };
}

const BUTTON_1: Entity = { schema: 'iglu:com.acme/button_press/jsonschema/1-0-0', entity: 'SELF_DESCRIBING_EVENT', data: { id: 'b1' } };
const USER_CTX: Entity = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', entity: 'CONTEXT', data: { name: 'ann' } };
const PERF_CTX: Entity = { schema: 'iglu:org.w3/PerformanceTiming/jsonschema/1-0-0', entity: 'CONTEXT', data: { loadEventEnd: 12 } };
const typesOf = (es: Entity[]) => es.map((e) => ({ schemaKey: e.schema, snowplowEntity: e.entity }));

async function count(sql: string): Promise<number> {
  const [row] = await sdk.exec<{ N: number }>(sql);
  return row!.N;
}

async function columns(schema: string): Promise<Map<string, string>> {
  const rows = await sdk.exec<{ COLUMN_NAME: string; DATA_TYPE: string }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'EVENTS' AND table_schema = '${schema}'`,
  );
  return new Map(rows.map((r) => [r.COLUMN_NAME, r.DATA_TYPE]));
}

describe('loader → Snowflake emulator', () => {
  it('creates atomic.events with the 128 atomic columns + load_tstamp and the manifest', async () => {
    const t = await setup();
    const loader = await t.start();
    const cols = await columns(t.schema);
    expect(cols.size).toBe(129);
    expect(cols.get('COLLECTOR_TSTAMP')).toBe('TIMESTAMP_NTZ');
    expect(cols.get('LOAD_TSTAMP')).toBe('TIMESTAMP_NTZ');
    expect(cols.get('TR_TOTAL')).toBe('NUMBER');
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.manifest`)).toBe(0);
    await loader.stop();
  });

  it('loads a window once when it is delivered twice, with its self-describing columns, and reports metrics', async () => {
    const t = await setup();
    const loader = await t.start();
    const events = [wideRowEvent(1, [BUTTON_1, USER_CTX, PERF_CTX]), wideRowEvent(2, [USER_CTX]), wideRowEvent(3)];
    const message = await writeWindow(s3, { events, types: typesOf([BUTTON_1, USER_CTX, PERF_CTX]), perFile: 2 });
    const seen = nextWindows(loader.loader, 2);
    await send(sqs, t.queueUrl, message);
    await send(sqs, t.queueUrl, message); // same body, new dedup id: a real second delivery
    const [first, second] = await seen;
    expect(first).toMatchObject({ outcome: 'loaded', rows: 3, base: message.base });
    expect(first!.columnsAdded!.sort()).toEqual(['contexts_com_acme_user_1', 'contexts_org_w3_performance_timing_1', 'unstruct_event_com_acme_button_press_1']);
    expect(second).toMatchObject({ outcome: 'already_loaded', base: message.base });

    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.events`)).toBe(3);
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.manifest WHERE base = '${message.base}'`)).toBe(1);
    const [row] = await sdk.exec<Record<string, any>>(
      `SELECT event_id, collector_tstamp, page_title, unstruct_event_com_acme_button_press_1 AS u, contexts_com_acme_user_1 AS c, contexts_org_w3_performance_timing_1 AS p, load_tstamp FROM ${t.schema}.events WHERE txn_id = 101`,
    );
    expect(row!.EVENT_ID).toBe(events[0]!.event_id);
    expect((row!.COLLECTOR_TSTAMP as Date).toISOString()).toBe(events[0]!.collector_tstamp);
    expect(row!.PAGE_TITLE).toBe('Page \t"1"\n');
    expect(row!.U).toEqual({ id: 'b1' });
    expect(row!.C).toEqual([{ name: 'ann' }]);
    expect(row!.P).toEqual([{ loadEventEnd: 12 }]);
    expect(row!.LOAD_TSTAMP).toBeInstanceOf(Date);
    const cols = await columns(t.schema);
    expect(cols.get('UNSTRUCT_EVENT_COM_ACME_BUTTON_PRESS_1')).toBe('OBJECT');
    expect(cols.get('CONTEXTS_COM_ACME_USER_1')).toBe('ARRAY');
    expect(await queueDepth(sqs, t.queueUrl)).toBe(0);

    const health = await fetch(`http://127.0.0.1:${loader.port}/health`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${loader.port}/metrics`)).text();
    expect(metrics).toMatch(/^furrow_loader_count_good_total 3$/m);
    expect(metrics).toMatch(/^furrow_loader_windows_total\{outcome="already_loaded"\} 1$/m);
    expect(metrics).toMatch(/^furrow_loader_latency_collector_to_load_max_seconds \d+/m);
    await loader.stop();
  });

  it('loads an event once when it reaches two windows or one window twice: same event_id and fingerprint is a duplicate, a different fingerprint is not', async () => {
    const t = await setup();
    const loader = await t.start();
    const [a, b, c, d] = [wideRowEvent(1, [USER_CTX]), wideRowEvent(2), wideRowEvent(3), wideRowEvent(4)];
    d.event_fingerprint = 'fp-d';
    const replayedA = { ...a, etl_tstamp: '2024-01-02T03:09:00.000Z' }; // enrich re-processed it after a crash
    const otherD = { ...d, event_fingerprint: 'fp-other' }; // same id, different event (a synthetic duplicate)
    const seen = nextWindows(loader.loader, 2);
    await send(sqs, t.queueUrl, await writeWindow(s3, { events: [a, b, b, d], types: typesOf([USER_CTX]), perFile: 3 }));
    await send(sqs, t.queueUrl, await writeWindow(s3, { events: [replayedA, c, { ...d }, otherD], types: typesOf([USER_CTX]) }));
    const [first, second] = await seen;
    expect(first).toMatchObject({ outcome: 'loaded', rows: 3, duplicates: 1 });
    expect(second).toMatchObject({ outcome: 'loaded', rows: 2, duplicates: 2 });
    const rows = await sdk.exec<{ EVENT_ID: string; N: number }>(`SELECT event_id, count(*) AS n FROM ${t.schema}.events GROUP BY event_id`);
    expect(new Map(rows.map((r) => [r.EVENT_ID, Number(r.N)]))).toEqual(new Map([[a.event_id, 1], [b.event_id, 1], [c.event_id, 1], [d.event_id, 2]]));
    const [kept] = await sdk.exec<{ T: Date; C: unknown }>(`SELECT etl_tstamp AS t, contexts_com_acme_user_1 AS c FROM ${t.schema}.events WHERE event_id = '${a.event_id}'`);
    expect(kept!.T.toISOString()).toBe(a.etl_tstamp); // the first copy is the one kept, whole
    expect(kept!.C).toEqual([{ name: 'ann' }]);
    const metrics = await (await fetch(`http://127.0.0.1:${loader.port}/metrics`)).text();
    expect(metrics).toMatch(/^furrow_loader_duplicates_skipped_total 3$/m);
    await loader.stop();
  });

  it('adds exactly one column for a new schema model, and none for new revisions of known ones', async () => {
    const t = await setup();
    const loader = await t.start();
    const w1 = await writeWindow(s3, { events: [wideRowEvent(1, [BUTTON_1, USER_CTX])], types: typesOf([BUTTON_1, USER_CTX]) });
    let seen = nextWindows(loader.loader, 1);
    await send(sqs, t.queueUrl, w1);
    expect((await seen)[0]!.outcome).toBe('loaded');
    const before = await columns(t.schema);

    const button110: Entity = { ...BUTTON_1, schema: 'iglu:com.acme/button_press/jsonschema/1-1-0', data: { id: 'b2', extra: true } };
    const button200: Entity = { ...BUTTON_1, schema: 'iglu:com.acme/button_press/jsonschema/2-0-0', data: { key: 'v2' } };
    const user101: Entity = { ...USER_CTX, schema: 'iglu:com.acme/user/jsonschema/1-0-1' };
    const w2 = await writeWindow(s3, {
      events: [wideRowEvent(10, [button110, user101]), wideRowEvent(11, [button200])],
      types: typesOf([button110, button200, user101]),
    });
    seen = nextWindows(loader.loader, 1);
    await send(sqs, t.queueUrl, w2);
    const [e2] = await seen;
    expect(e2).toMatchObject({ outcome: 'loaded', rows: 2, columnsAdded: ['unstruct_event_com_acme_button_press_2'] });
    const after = await columns(t.schema);
    expect(after.size).toBe(before.size + 1);
    expect([...after.keys()].filter((c) => !before.has(c))).toEqual(['UNSTRUCT_EVENT_COM_ACME_BUTTON_PRESS_2']);
    expect(after.get('UNSTRUCT_EVENT_COM_ACME_BUTTON_PRESS_2')).toBe('OBJECT');
    const rows = await sdk.exec<Record<string, unknown>>(`SELECT txn_id, unstruct_event_com_acme_button_press_1 AS v1, unstruct_event_com_acme_button_press_2 AS v2 FROM ${t.schema}.events ORDER BY txn_id`);
    expect(rows).toEqual([
      { TXN_ID: 101, V1: { id: 'b1' }, V2: null },
      { TXN_ID: 110, V1: { id: 'b2', extra: true }, V2: null },
      { TXN_ID: 111, V1: null, V2: { key: 'v2' } },
    ]);
    await loader.stop();
  });

  it('reloads nothing after a crash between the COPY commit and the SQS delete', async () => {
    const t = await setup({ visibilitySeconds: 2 });
    const holder: { app?: RunningLoader } = {};
    let died!: () => void;
    const death = new Promise<void>((resolve) => (died = resolve));
    const crashed = await t.start({
      async afterLoad() {
        await holder.app!.kill(); // the process dies here: no delete, no hand-back
        died();
      },
    });
    holder.app = crashed;
    let outcomes = 0;
    crashed.loader.events.on('window', () => outcomes++);
    const message = await writeWindow(s3, { events: [wideRowEvent(1), wideRowEvent(2), wideRowEvent(3), wideRowEvent(4)], types: [] });
    await send(sqs, t.queueUrl, message);
    await death;
    await new Promise((r) => setTimeout(r, 200));
    expect(outcomes).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.events`)).toBe(4);
    expect(await queueDepth(sqs, t.queueUrl)).toBe(1); // still there, invisible until its visibility runs out

    const restarted = await t.start({});
    const [again] = await nextWindows(restarted.loader, 1);
    expect(again).toMatchObject({ outcome: 'already_loaded', base: message.base });
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.events`)).toBe(4);
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.manifest`)).toBe(1);
    expect(await queueDepth(sqs, t.queueUrl)).toBe(0);
    await restarted.stop();
  });

  it('extends the visibility of a window while it loads, so no other loader gets it', async () => {
    const t = await setup({ visibilitySeconds: 2 });
    let otherSaw = 0;
    const holder: { other?: RunningLoader } = {};
    // the slow loader has the message; a second loader starts polling, and the load takes 2.5 visibility timeouts
    const slow = await t.start({
      async beforeLoad() {
        holder.other = await t.start({});
        holder.other.loader.events.on('window', () => otherSaw++);
        await new Promise((r) => setTimeout(r, 5_000));
      },
    });
    const seen = nextWindows(slow.loader, 1);
    await send(sqs, t.queueUrl, await writeWindow(s3, { events: [wideRowEvent(1)], types: [] }));
    expect((await seen)[0]!.outcome).toBe('loaded');
    await new Promise((r) => setTimeout(r, 1_500)); // past one more receive wait of the other loader
    expect(holder.other).toBeDefined();
    expect(otherSaw).toBe(0);
    expect(await queueDepth(sqs, t.queueUrl)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.events`)).toBe(1);
    await slow.stop();
    await holder.other!.stop();
  });

  it('sends malformed and unloadable messages to the dead-letter queue with a log line that says why', async () => {
    const t = await setup();
    const loader = await t.start();
    const ok = await writeWindow(s3, { events: [wideRowEvent(1)], types: [] });
    const badCompression = JSON.parse(JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/2-0-1', data: { ...ok, compression: 'LZO' } })) as unknown;
    const hostile = { ...ok, typesInfo: { ...ok.typesInfo, types: [{ schemaKey: 'iglu:com.acme"; DROP TABLE events; --/x/jsonschema/1-0-0', snowplowEntity: 'CONTEXT' }] } };
    const elsewhere = { ...ok, base: 's3://other-bucket/transformed/run=x/' };
    const seen = nextWindows(loader.loader, 4);
    await send(sqs, t.queueUrl, 'this is not JSON');
    await send(sqs, t.queueUrl, JSON.stringify(badCompression));
    await send(sqs, t.queueUrl, JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/2-0-1', data: hostile }));
    await send(sqs, t.queueUrl, elsewhere);
    const events = await seen;
    expect(events.map((e) => e.outcome)).toEqual(['dead_lettered', 'dead_lettered', 'dead_lettered', 'dead_lettered']);

    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: t.dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
    const byBody = new Map((dead.Messages ?? []).map((m) => [m.Body, m.MessageAttributes?.['furrow-error']?.StringValue ?? '']));
    expect(byBody.size).toBe(4);
    expect(byBody.get('this is not JSON')).toMatch(/malformed shredding_complete message: .*\$: not JSON/);
    expect(byBody.get(JSON.stringify(badCompression))).toMatch(/\$\.data\.compression: must be one of GZIP, NONE/);
    expect([...byBody.values()].some((r) => /types\[0\]\.schemaKey: .* is not a valid Iglu URI/.test(r))).toBe(true);
    expect([...byBody.values()].some((r) => /not under the stage location s3:\/\/furrow\/transformed\//.test(r))).toBe(true);

    const deadLines = t.lines.filter((l) => l.level === 50 && /^message moved to the dead-letter queue: /.test(l.msg));
    expect(deadLines).toHaveLength(4);
    expect(deadLines[0]!.msg).toMatch(/malformed shredding_complete message: invalid shredding_complete message: \$: not JSON/);
    expect(deadLines.every((l) => typeof l.reason === 'string' && l.deadLetterQueue === t.dlqUrl)).toBe(true);
    expect(await queueDepth(sqs, t.queueUrl)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.events`)).toBe(0);
    expect((await columns(t.schema)).size).toBe(129);
    await loader.stop();
  });

  it('acknowledges an empty window without loading it', async () => {
    const t = await setup();
    const loader = await t.start();
    const empty = await writeWindow(s3, { events: [], types: [] });
    const seen = nextWindows(loader.loader, 1);
    await send(sqs, t.queueUrl, { ...empty, count: { good: 0, bad: 2 } });
    expect((await seen)[0]!.outcome).toBe('empty');
    expect(await count(`SELECT count(*) AS n FROM ${t.schema}.manifest`)).toBe(0);
    expect(await queueDepth(sqs, t.queueUrl)).toBe(0);
    await loader.stop();
  });
});
