/**
 * `npm run bench -- load`: the load stages (S3 → warehouse). Each section returns its figures with a
 * same-run baseline.
 *
 *  - loader → Postgres: rows/s of one window (N wide-row events, gzip, 1,000 per file) loaded by the real
 *    loader (SQS message → S3 read + parse → COPY FROM STDIN on a real Postgres, batched INSERT on the
 *    embedded PGlite → manifest), timed from the loader's own start-to-commit. Baseline: the same rows,
 *    pre-encoded, written into an identical table by a bare COPY (real Postgres) or bare
 *    `INSERT … SELECT FROM jsonb_populate_recordset` batches (PGlite), timing only the writes.
 *    Postgres is $FURROW_TEST_DATABASE_URL / $DATABASE_URL when set, else the embedded one.
 *  - loader → Snowflake emulator: the same window through snowflake-sdk and the emulator's COPY INTO
 *    (HTTP + SQL translation + S3 + PGlite). Baseline: the bare batched insert of the same rows on an
 *    in-process PGlite, the engine under the emulator.
 *
 * The s3-loader and transformer figures belong here too: add a `LoadSection` to SECTIONS (see below).
 */
import { loadavg, cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { startPostgres } from '../../emulator/postgres/index';
import { startSnowflakeEmulator } from '../../emulator/snowflake/index';
import type { ShreddingComplete } from '../../pipeline/core/shredding-complete';
import { startLoader } from '../../pipeline/loader/main';
import { copyFromStdin } from '../../pipeline/loader/targets/pg-copy';
import * as pgsql from '../../pipeline/loader/targets/postgres-sql';
import type { PostgresTarget } from '../../pipeline/loader/targets/postgres';
import { createQueues, nextWindows, pipelineConfig, send, wideRowEvent, writeWindow, type Entity } from '../../pipeline/loader/testkit';
import { prepareWindow } from '../../pipeline/loader/window';
import { emulatorSettings, s3Client, sqsClient } from '../../pipeline/streams/aws-clients';
import { s3LoaderSection, transformerSection } from './stream-stages';
import type { Bench, BenchMetric } from './types';

/** What every section gets: the AWS emulator, clients, and one window already written to S3. */
export interface LoadBenchContext {
  aws: RunningEmulator;
  s3: S3Client;
  sqs: SQSClient;
  quick: boolean;
  /** The window (in s3://furrow/transformed/) and its events, as the transformer would have written them. */
  window: ShreddingComplete;
  events: Record<string, unknown>[];
}

export type LoadSection = (ctx: LoadBenchContext) => Promise<{ metrics: BenchMetric[]; notes: string[] }>;

const ENTITIES: Entity[] = [
  { schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', entity: 'CONTEXT', data: { id: '8d7c6b5a-4f3e-2d1c-0b9a-8f7e6d5c4b3a' } },
  { schema: 'iglu:org.w3/PerformanceTiming/jsonschema/1-0-0', entity: 'CONTEXT', data: { navigationStart: 1, loadEventEnd: 830, domComplete: 812 } },
  { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', entity: 'SELF_DESCRIBING_EVENT', data: { targetUrl: 'https://example.com/x', elementId: 'nav' } },
];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Time only the writes of `events` into a copy of the events table, the way `method` writes them. */
async function bareWrite(
  run: (sql: string, params?: unknown[]) => Promise<unknown>,
  copy: ((sql: string, chunks: string[]) => Promise<number>) | null,
  schema: string,
  events: Record<string, unknown>[],
  window: ShreddingComplete,
  method: 'copy' | 'insert',
): Promise<number> {
  const cols = pgsql.loadColumns(prepareWindow(window).columns, true);
  await run(pgsql.createSchema(schema));
  await run(pgsql.createEventsTable(schema, true));
  for (const c of cols) if (c.kind === 'json') await run(pgsql.addColumn(schema, c.column, 'jsonb'));
  const now = new Date().toISOString();
  if (method === 'copy' && copy) {
    const text = events.map((e) => pgsql.copyLine(e, cols, now));
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 1000) chunks.push(text.slice(i, i + 1000).join(''));
    const t0 = performance.now();
    // The bare baseline copies straight into the table (the loader goes through a staging table to skip duplicates).
    await copy(`COPY ${pgsql.q(schema)}."events" (${cols.map((c) => pgsql.q(c.column)).join(', ')}) FROM STDIN`, chunks);
    return performance.now() - t0;
  }
  const statement = pgsql.insertStatement(schema, cols);
  const batches: string[] = [];
  for (let i = 0; i < events.length; i += 1000) batches.push(`[${events.slice(i, i + 1000).map((e) => JSON.stringify(pgsql.insertRecord(e, cols, now))).join(',')}]`);
  const t0 = performance.now();
  await run('BEGIN');
  for (const b of batches) await run(statement, [b]);
  await run('COMMIT');
  return performance.now() - t0;
}

/** Run the real loader on the window and return {rows, ms} from its own start-to-commit timing. */
async function loadOnce(ctx: LoadBenchContext, target: Record<string, unknown>): Promise<{ rows: number; ms: number; method?: string }> {
  const name = `bench-load-${randomBytes(4).toString('hex')}`;
  const { queueUrl, dlqUrl } = await createQueues(ctx.sqs, ctx.s3, name);
  const config = pipelineConfig(ctx.aws.endpoint, {
    queue: queueUrl,
    deadLetterQueue: dlqUrl,
    logLevel: 'silent',
    retries: { attempts: 1, backoffMs: 0 },
    healthCheck: { intervalMs: 0 },
    sqs: { visibilitySeconds: 600, waitTimeSeconds: 1 },
    target,
  });
  const app = await startLoader(config);
  try {
    const seen = nextWindows(app.loader, 1, 600_000);
    await send(ctx.sqs, queueUrl, ctx.window);
    const [e] = await seen;
    if (e!.outcome !== 'loaded') throw new Error(`bench window was not loaded: ${JSON.stringify(e)}`);
    return { rows: e!.rows!, ms: e!.ms!, method: app.target.kind === 'postgres' ? ((app.target as PostgresTarget).loadMethod ?? undefined) : 'COPY INTO' };
  } finally {
    await app.stop();
  }
}

const loaderToPostgres: LoadSection = async (ctx) => {
  const external = process.env.FURROW_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const server = external ? { url: external, embedded: false, stop: async () => {} } : await startPostgres({ port: 0, databaseUrl: undefined });
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: server.url, max: 1 });
  try {
    const loaded = await loadOnce(ctx, { type: 'postgres', url: server.url, schema });
    const method = loaded.method === 'copy' ? 'copy' : 'insert';
    const client = await pool.connect();
    let bareMs: number;
    try {
      bareMs = await bareWrite(
        (sql, params) => client.query(sql, params as unknown[]),
        (sql, chunks) =>
          copyFromStdin(
            client,
            sql,
            (async function* () {
              yield* chunks;
            })(),
          ),
        `${schema}_bare`,
        ctx.events,
        ctx.window,
        method,
      );
    } finally {
      client.release();
    }
    const rate = loaded.rows / (loaded.ms / 1000);
    const bare = ctx.events.length / (bareMs / 1000);
    const where = server.embedded ? 'embedded PGlite' : 'PostgreSQL';
    return {
      metrics: [
        {
          name: `loader → ${where} rows/s (${fmt(loaded.rows)} events, ${method === 'copy' ? 'COPY FROM STDIN' : 'batched INSERT'})`,
          value: rate,
          unit: 'rows/s',
          baseline: { name: `bare ${method === 'copy' ? 'COPY' : 'INSERT … jsonb_populate_recordset'} of the same pre-encoded rows`, value: bare },
          ratio: rate / bare,
        },
      ],
      notes: [`loader → ${where}: ${fmt(loaded.ms)} ms for ${fmt(loaded.rows)} rows (S3 read + gunzip + parse + encode + write + manifest); bare write ${fmt(bareMs)} ms`],
    };
  } finally {
    for (const s of [schema, `${schema}_bare`]) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => {});
    await pool.end();
    await server.stop();
  }
};

const loaderToSnowflakeEmulator: LoadSection = async (ctx) => {
  const sf = await startSnowflakeEmulator({ port: 0, s3: { endpoint: ctx.aws.endpoint } });
  let loaded: { rows: number; ms: number };
  try {
    loaded = await loadOnce(ctx, {
      type: 'snowflake',
      account: 'furrow',
      username: 'bench',
      password: 'bench',
      accessUrl: sf.url,
      warehouse: 'bench_wh',
      database: 'furrow',
      schema: 'atomic',
      stage: 'transformed',
      stageUrl: 's3://furrow/transformed/',
    });
  } finally {
    await sf.stop();
  }
  // the engine under the emulator, in-process, without HTTP, SQL translation, S3 or JSON projection
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite();
  let bareMs: number;
  try {
    await db.waitReady;
    bareMs = await bareWrite((sql, params) => db.query(sql, params as unknown[]), null, 'bench_bare', ctx.events, ctx.window, 'insert');
  } finally {
    await db.close();
  }
  const rate = loaded.rows / (loaded.ms / 1000);
  const bare = ctx.events.length / (bareMs / 1000);
  return {
    metrics: [
      {
        name: `loader → Snowflake emulator rows/s (${fmt(loaded.rows)} events, snowflake-sdk + COPY INTO from S3)`,
        value: rate,
        unit: 'rows/s',
        baseline: { name: 'bare INSERT … jsonb_populate_recordset of the same rows on in-process PGlite', value: bare },
        ratio: rate / bare,
      },
    ],
    notes: [`loader → Snowflake emulator: ${fmt(loaded.ms)} ms for ${fmt(loaded.rows)} rows; bare PGlite insert ${fmt(bareMs)} ms`],
  };
};

/**
 * The sections of `npm run bench -- load`, in order. Teammates: the s3-loader and transformer figures go
 * here as further `LoadSection`s (they get the AWS emulator, clients and a written window in `ctx`).
 */
const SECTIONS: { name: string; run: LoadSection }[] = [
  { name: 'loader → Postgres', run: loaderToPostgres },
  { name: 'loader → Snowflake emulator', run: loaderToSnowflakeEmulator },
  { name: 'transformer', run: transformerSection },
  { name: 's3-loader', run: s3LoaderSection },
];

export const bench: Bench = async ({ quick }) => {
  const aws = await startEmulator({ port: 0 });
  const s3 = s3Client(emulatorSettings(aws.endpoint));
  const sqs = sqsClient(emulatorSettings(aws.endpoint));
  const n = quick ? 5_000 : 20_000;
  try {
    const events = Array.from({ length: n }, (_, i) => wideRowEvent(i, i % 3 === 0 ? ENTITIES : ENTITIES.slice(0, 2)));
    await createQueues(sqs, s3, 'bench-load-setup');
    const window = await writeWindow(s3, { events, types: ENTITIES.map((e) => ({ schemaKey: e.schema, snowplowEntity: e.entity })), perFile: 1_000 });
    const ctx: LoadBenchContext = { aws, s3, sqs, quick: !!quick, window, events };
    const metrics: BenchMetric[] = [];
    const notes = [`${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at start; one window of ${fmt(n)} wide-row events (gzip, 1,000 per file)`];
    for (const s of SECTIONS) {
      process.stdout.write(`  ${s.name} …\n`);
      const r = await s.run(ctx);
      metrics.push(...r.metrics);
      notes.push(...r.notes);
    }
    return { stage: 'load', metrics, notes };
  } finally {
    s3.destroy();
    sqs.destroy();
    await aws.stop();
  }
};
