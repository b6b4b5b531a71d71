/**
 * The loader's Postgres target, on the embedded Postgres (PGlite over the wire: batched INSERT) and,
 * when FURROW_TEST_DATABASE_URL is set, on the machine's PostgreSQL (COPY FROM STDIN), with windows in
 * the AWS emulator's S3 and messages in its SQS.
 */
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { startPostgres, type RunningPostgres } from '../../emulator/postgres/index';
import { postgresColumnName } from '../core/wide-row';
import { emulatorSettings, s3Client, sqsClient } from '../streams/aws-clients';
import { startLoader, type RunningLoader } from './main';
import type { LoaderHooks } from './targets/target';
import { PostgresTarget } from './targets/postgres';
import { createQueues, nextWindows, pipelineConfig, queueDepth, send, wideRowEvent, writeWindow, type Entity } from './testkit';

let aws: RunningEmulator;
let sqs: SQSClient;
let s3: S3Client;
const running: RunningLoader[] = [];

beforeAll(async () => {
  aws = await startEmulator({ port: 0 });
  sqs = sqsClient(emulatorSettings(aws.endpoint));
  s3 = s3Client(emulatorSettings(aws.endpoint));
});

afterAll(async () => {
  for (const r of running) await r.stop().catch(() => {});
  sqs?.destroy();
  s3?.destroy();
  await aws?.stop();
});

const BUTTON_1: Entity = { schema: 'iglu:com.acme/button_press/jsonschema/1-0-0', entity: 'SELF_DESCRIBING_EVENT', data: { id: 'b1' } };
const USER_CTX: Entity = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', entity: 'CONTEXT', data: { name: 'ann' } };
const LONG_CTX: Entity = {
  schema: 'iglu:com.snowplowanalytics.snowplow.enrichments/a_rather_long_context_name_for_postgres/jsonschema/1-0-0',
  entity: 'CONTEXT',
  data: { x: 1 },
};
const typesOf = (es: Entity[]) => es.map((e) => ({ schemaKey: e.schema, snowplowEntity: e.entity }));

const targets: { name: string; method: 'insert' | 'copy'; url: () => Promise<{ url: string; stop(): Promise<void> }> }[] = [
  {
    name: 'embedded Postgres (PGlite)',
    method: 'insert',
    url: async () => {
      const p: RunningPostgres = await startPostgres({ port: 0, databaseUrl: undefined });
      return { url: p.url, stop: () => p.stop() };
    },
  },
];
if (process.env.FURROW_TEST_DATABASE_URL)
  targets.push({ name: 'PostgreSQL (FURROW_TEST_DATABASE_URL)', method: 'copy', url: async () => ({ url: process.env.FURROW_TEST_DATABASE_URL!, stop: async () => {} }) });

for (const target of targets)
  describe(`loader → ${target.name}`, () => {
    let server: { url: string; stop(): Promise<void> };
    let db: pg.Pool;
    const schemas: string[] = [];

    beforeAll(async () => {
      server = await target.url();
      db = new pg.Pool({ connectionString: server.url, max: 1 });
    }, 180_000);

    afterAll(async () => {
      for (const s of schemas) await db?.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => {});
      await db?.end();
      await server?.stop();
    });

    async function setup(opts: { visibilitySeconds?: number; maxDeliveries?: number } = {}) {
      const id = randomBytes(4).toString('hex');
      const schema = `atomic_${id}`;
      schemas.push(schema);
      const { queueUrl, dlqUrl } = await createQueues(sqs, s3, `pg-${id}`);
      const config = pipelineConfig(aws.endpoint, {
        queue: queueUrl,
        deadLetterQueue: dlqUrl,
        logLevel: 'silent',
        sqs: { visibilitySeconds: opts.visibilitySeconds ?? 30, waitTimeSeconds: 1, retryDelaySeconds: 1, maxDeliveries: opts.maxDeliveries ?? 5 },
        target: { type: 'postgres', url: server.url, schema },
      });
      const start = (hooks?: LoaderHooks) => startLoader(config, { hooks }).then((r) => (running.push(r), r));
      return { schema, queueUrl, dlqUrl, start };
    }

    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    const columns = async (schema: string) =>
      new Map(
        (await db.query<{ column_name: string; data_type: string }>(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events'`, [schema])).rows.map(
          (r) => [r.column_name, r.data_type],
        ),
      );

    it(`loads a window once when it is delivered twice (${target.method}), values intact`, async () => {
      const t = await setup();
      const loader = await t.start();
      expect((loader.target as PostgresTarget).loadMethod).toBe(target.method);
      const events = [wideRowEvent(1, [BUTTON_1, USER_CTX, LONG_CTX]), wideRowEvent(2, [USER_CTX]), wideRowEvent(3)];
      events[2]!.page_title = 'tab\there, newline\nthere, back\\slash, nul\u0000gone, é ☃';
      const message = await writeWindow(s3, { events, types: typesOf([BUTTON_1, USER_CTX, LONG_CTX]), perFile: 2 });
      const seen = nextWindows(loader.loader, 2);
      await send(sqs, t.queueUrl, message);
      await send(sqs, t.queueUrl, message);
      const [first, second] = await seen;
      expect(first).toMatchObject({ outcome: 'loaded', rows: 3 });
      expect(second).toMatchObject({ outcome: 'already_loaded' });
      expect(await count(`SELECT count(*) AS n FROM "${t.schema}".events`)).toBe(3);
      expect(await count(`SELECT count(*) AS n FROM "${t.schema}".manifest`)).toBe(1);
      expect(await queueDepth(sqs, t.queueUrl)).toBe(0);

      const longCol = postgresColumnName('contexts_com_snowplowanalytics_snowplow_enrichments_a_rather_long_context_name_for_postgres_1');
      expect(longCol.length).toBeLessThanOrEqual(63);
      const { rows } = await db.query(
        `SELECT event_id, collector_tstamp::text AS ts, page_title, br_cookies, tr_total::text AS total, domain_sessionidx,
                unstruct_event_com_acme_button_press_1 AS u, contexts_com_acme_user_1 AS c, "${longCol}" AS l, load_tstamp IS NOT NULL AS has_load
           FROM "${t.schema}".events ORDER BY txn_id`,
      );
      expect(rows[0]).toMatchObject({ event_id: events[0]!.event_id, ts: '2024-01-02 03:04:05.001', br_cookies: false, total: '12.50', domain_sessionidx: 2, has_load: true });
      expect(rows[0].u).toEqual({ id: 'b1' });
      expect(rows[0].c).toEqual([{ name: 'ann' }]);
      expect(rows[0].l).toEqual([{ x: 1 }]);
      expect(rows[1].u).toBeNull();
      expect(rows[2].page_title).toBe('tab\there, newline\nthere, back\\slash, nulgone, é ☃');
      const manifest = await db.query(`SELECT base, types, count_good, compression FROM "${t.schema}".manifest`);
      expect(manifest.rows[0]).toMatchObject({ base: message.base, count_good: 3, compression: 'GZIP' });
      expect(manifest.rows[0].types).toContainEqual({ schemaKey: BUTTON_1.schema, format: 'JSON', transformation: 'widerow' });
      await loader.stop();
    });

    it(`loads an event once when it reaches two windows or one window twice (${target.method}): same event_id and fingerprint is a duplicate, a different fingerprint is not`, async () => {
      const t = await setup();
      const loader = await t.start();
      const [a, b, c, d] = [wideRowEvent(1), wideRowEvent(2), wideRowEvent(3), wideRowEvent(4)];
      d.event_fingerprint = 'fp-d';
      const replayedA = { ...a, etl_tstamp: '2024-01-02T03:09:00.000Z' }; // enrich re-processed it after a crash
      const otherD = { ...d, event_fingerprint: 'fp-other' }; // same id, different event (a synthetic duplicate)
      const seen = nextWindows(loader.loader, 2);
      await send(sqs, t.queueUrl, await writeWindow(s3, { events: [a, b, b, d], types: [], perFile: 3 }));
      await send(sqs, t.queueUrl, await writeWindow(s3, { events: [replayedA, c, { ...d }, otherD], types: [] }));
      const [first, second] = await seen;
      expect(first).toMatchObject({ outcome: 'loaded', rows: 3, duplicates: 1 });
      expect(second).toMatchObject({ outcome: 'loaded', rows: 2, duplicates: 2 });
      const { rows } = await db.query<{ event_id: string; n: string }>(`SELECT event_id, count(*) AS n FROM "${t.schema}".events GROUP BY event_id`);
      expect(new Map(rows.map((r) => [r.event_id, Number(r.n)]))).toEqual(new Map([[a.event_id, 1], [b.event_id, 1], [c.event_id, 1], [d.event_id, 2]]));
      // the first copy is the one kept
      expect((await db.query(`SELECT etl_tstamp::text AS t FROM "${t.schema}".events WHERE event_id = $1`, [a.event_id])).rows).toEqual([{ t: '2024-01-02 03:04:05.001' }]);
      await loader.stop();
    });

    it('adds exactly one JSONB column for a new schema model', async () => {
      const t = await setup();
      const loader = await t.start();
      let seen = nextWindows(loader.loader, 1);
      await send(sqs, t.queueUrl, await writeWindow(s3, { events: [wideRowEvent(1, [BUTTON_1])], types: typesOf([BUTTON_1]) }));
      await seen;
      const before = await columns(t.schema);
      const b110: Entity = { ...BUTTON_1, schema: 'iglu:com.acme/button_press/jsonschema/1-1-0' };
      const b200: Entity = { ...BUTTON_1, schema: 'iglu:com.acme/button_press/jsonschema/2-0-0', data: { v: 2 } };
      seen = nextWindows(loader.loader, 1);
      await send(sqs, t.queueUrl, await writeWindow(s3, { events: [wideRowEvent(2, [b110]), wideRowEvent(3, [b200])], types: typesOf([b110, b200]) }));
      expect((await seen)[0]).toMatchObject({ outcome: 'loaded', rows: 2, columnsAdded: ['unstruct_event_com_acme_button_press_2'] });
      const after = await columns(t.schema);
      expect([...after.keys()].filter((c) => !before.has(c))).toEqual(['unstruct_event_com_acme_button_press_2']);
      expect(after.get('unstruct_event_com_acme_button_press_2')).toBe('jsonb');
      expect(await count(`SELECT count(*) AS n FROM "${t.schema}".events WHERE unstruct_event_com_acme_button_press_2 = '{"v":2}'::jsonb`)).toBe(1);
      await loader.stop();
    });

    it('reloads nothing after a crash between the commit and the SQS delete', async () => {
      const t = await setup({ visibilitySeconds: 2 });
      const holder: { app?: RunningLoader } = {};
      let died!: () => void;
      const death = new Promise<void>((resolve) => (died = resolve));
      holder.app = await t.start({
        async afterLoad() {
          await holder.app!.kill();
          died();
        },
      });
      await send(sqs, t.queueUrl, await writeWindow(s3, { events: [wideRowEvent(1), wideRowEvent(2)], types: [] }));
      await death;
      expect(await count(`SELECT count(*) AS n FROM "${t.schema}".events`)).toBe(2);
      const restarted = await t.start();
      expect((await nextWindows(restarted.loader, 1))[0]!.outcome).toBe('already_loaded');
      expect(await count(`SELECT count(*) AS n FROM "${t.schema}".events`)).toBe(2);
      expect(await queueDepth(sqs, t.queueUrl)).toBe(0);
      await restarted.stop();
    });

    it('rolls a window back when one file is unreadable (dead-lettered after maxDeliveries), and dead-letters a hostile schema key without touching the table', async () => {
      const t = await setup({ maxDeliveries: 2 });
      const loader = await t.start();
      const good = await writeWindow(s3, { events: [wideRowEvent(1), wideRowEvent(2)], types: [] });
      // a window whose second file is not JSON: the first file's rows must not survive
      const broken = await writeWindow(s3, { events: [wideRowEvent(3), wideRowEvent(4)], types: [], perFile: 1, compression: 'NONE' });
      const { PutObjectCommand } = await import('@aws-sdk/client-s3');
      const prefix = broken.base.slice('s3://furrow/'.length);
      await s3.send(new PutObjectCommand({ Bucket: 'furrow', Key: `${prefix}output=good/sink-zzz.txt`, Body: '{"event_id": oops' }));
      const hostile = { ...good, typesInfo: { ...good.typesInfo, types: [{ schemaKey: 'iglu:com.acme/x"; DROP SCHEMA public; --/jsonschema/1-0-0', snowplowEntity: 'CONTEXT' as const }] } };
      const seen = nextWindows(loader.loader, 4);
      await send(sqs, t.queueUrl, good);
      await send(sqs, t.queueUrl, JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/2-0-1', data: hostile }));
      await send(sqs, t.queueUrl, broken);
      const events = await seen;
      // FIFO: the failing window holds its group until it is dead-lettered on its 2nd delivery
      expect(events.map((e) => e.outcome)).toEqual(['loaded', 'dead_lettered', 'failed', 'dead_lettered']);
      expect(events[1]!.reason).toMatch(/schemaKey: .* is not a valid Iglu URI/);
      expect(events[2]!.reason).toMatch(/sink-zzz\.txt line 1: not JSON/);
      expect(events[3]!.reason).toMatch(/^load failed on 2 deliveries: .*sink-zzz\.txt line 1: not JSON/);
      expect(await queueDepth(sqs, t.dlqUrl)).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM "${t.schema}".events`)).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM "${t.schema}".manifest WHERE base = '${broken.base}'`)).toBe(0);
      expect((await columns(t.schema)).size).toBe(129);
      await loader.stop();
    });
  });
