/**
 * The Snowflake emulator, exercised only through snowflake-sdk 3.3.0 over HTTP (the way the loader uses
 * it), on the default in-process PGlite, with stage files in the AWS emulator's S3.
 */
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../aws/index';
import { startSnowflakeEmulator, type RunningSnowflakeEmulator } from './index';
import { connectSdk, type SdkConnection, type SdkError } from './test-helpers';

let aws: RunningEmulator;
let sf: RunningSnowflakeEmulator;
let s3: S3Client;
let db: SdkConnection;

beforeAll(async () => {
  aws = await startEmulator({ port: 0 });
  sf = await startSnowflakeEmulator({ port: 0, s3: { endpoint: aws.endpoint }, users: { furrow: 'secret' } });
  s3 = new S3Client({ region: 'us-east-1', endpoint: aws.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'stage-bucket' }));
  db = await connectSdk(sf.url, { password: 'secret' });
}, 180_000);

afterAll(async () => {
  await db?.destroy();
  s3?.destroy();
  await sf?.stop();
  await aws?.stop();
});

async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the statement to fail');
}

describe('sessions', () => {
  it('logs in, answers SELECT 1 and names the column like Snowflake', async () => {
    expect(await db.exec('SELECT 1')).toEqual([{ '1': 1 }]);
  });

  it('refuses a wrong password when users are configured', async () => {
    const err = await failure(connectSdk(sf.url, { password: 'wrong' }));
    expect(err.code).toBe('390100');
  });

  it('treats ALTER WAREHOUSE … RESUME IF SUSPENDED as a no-op and has current_timestamp() / sysdate()', async () => {
    expect(await db.exec('ALTER WAREHOUSE compute_wh RESUME IF SUSPENDED')).toEqual([{ status: 'Statement executed successfully.' }]);
    const [row] = await db.exec<{ NOW: Date; SYS: Date }>('SELECT current_timestamp() AS now, sysdate() AS sys');
    expect(Math.abs(row!.NOW.getTime() - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(row!.SYS.getTime() - row!.NOW.getTime())).toBeLessThan(1_000);
  });

  it('answers anything outside the surface with SQL compilation error 001003 / 42000', async () => {
    for (const sql of ['MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE', 'SELECT a FROM t QUALIFY a = 1', 'SELECT no_such_function(1)', 'CREATE TABLE x (a GEOGRAPHY)', 'SHOW TABLES']) {
      const err = await failure(db.exec(sql));
      expect(err.code, sql).toBe('001003');
      expect(err.sqlState, sql).toBe('42000');
      expect(err.message, sql).toMatch(/^SQL compilation error/);
    }
  });
});

describe('tables', () => {
  it('creates tables with Snowflake types, upper-cases unquoted identifiers and reports them in information_schema', async () => {
    await db.exec('CREATE SCHEMA IF NOT EXISTS atomic');
    const ddl =
      'CREATE TABLE IF NOT EXISTS atomic.typed (id INTEGER NOT NULL UNIQUE, "mixedCase" VARCHAR(10), ts TIMESTAMP, ok BOOLEAN, ' +
      'v OBJECT, a ARRAY, n NUMBER(18,2), d DOUBLE PRECISION, c CHAR(5), CONSTRAINT typed_pk PRIMARY KEY(id))';
    expect(await db.exec(ddl)).toEqual([{ status: 'Table TYPED successfully created.' }]);
    expect(await db.exec(ddl)).toEqual([{ status: 'TYPED already exists, statement succeeded.' }]);
    const cols = await db.exec("SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'TYPED' AND table_schema = 'ATOMIC' ORDER BY ordinal_position");
    expect(cols).toEqual([
      { COLUMN_NAME: 'ID', DATA_TYPE: 'NUMBER', IS_NULLABLE: 'NO' },
      { COLUMN_NAME: 'mixedCase', DATA_TYPE: 'TEXT', IS_NULLABLE: 'YES' },
      { COLUMN_NAME: 'TS', DATA_TYPE: 'TIMESTAMP_NTZ', IS_NULLABLE: 'YES' },
      { COLUMN_NAME: 'OK', DATA_TYPE: 'BOOLEAN', IS_NULLABLE: 'YES' },
      { COLUMN_NAME: 'V', DATA_TYPE: 'OBJECT', IS_NULLABLE: 'YES' },
      { COLUMN_NAME: 'A', DATA_TYPE: 'ARRAY', IS_NULLABLE: 'YES' },
      { COLUMN_NAME: 'N', DATA_TYPE: 'NUMBER', IS_NULLABLE: 'YES' },
      { COLUMN_NAME: 'D', DATA_TYPE: 'FLOAT', IS_NULLABLE: 'YES' },
      { COLUMN_NAME: 'C', DATA_TYPE: 'TEXT', IS_NULLABLE: 'YES' },
    ]);
    const [exists] = await db.exec("SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?) AS e", ['ATOMIC', 'TYPED']);
    expect(exists).toEqual({ E: true });
  });

  it('does not enforce PRIMARY KEY / UNIQUE, but enforces NOT NULL', async () => {
    await db.exec('CREATE TABLE atomic.pk (id INTEGER NOT NULL, CONSTRAINT pk_pk PRIMARY KEY(id))');
    await db.exec('INSERT INTO atomic.pk (id) VALUES (1), (1)');
    expect(await db.exec('SELECT count(*) FROM atomic.pk')).toEqual([{ 'COUNT(*)': 2 }]);
    const err = await failure(db.exec('INSERT INTO atomic.pk (id) VALUES (NULL)'));
    expect(err.code).toBe('100072');
  });

  it('round-trips values with Snowflake semantics (timestamps, booleans, NUMBER scale, OBJECT/ARRAY, CHAR without padding)', async () => {
    await db.exec(
      "INSERT INTO atomic.typed (id, \"mixedCase\", ts, ok, v, a, n, d, c) SELECT 7, 'Mixed', '2021-10-13T20:21:47.595Z', true, parse_json('{\"k\":{\"deep\":[1,2]}}'), parse_json('[1,\"two\"]'), 12.345, 1.5, 'ab'",
    );
    const [row] = await db.exec<Record<string, any>>('SELECT * FROM atomic.typed WHERE id = 7');
    expect(row!.ID).toBe(7);
    expect(row!.mixedCase).toBe('Mixed');
    expect((row!.TS as Date).getTime()).toBe(Date.parse('2021-10-13T20:21:47.595Z'));
    expect(row!.OK).toBe(true);
    expect(row!.V).toEqual({ k: { deep: [1, 2] } });
    expect(row!.A).toEqual([1, 'two']);
    expect(row!.N).toBe(12.35);
    expect(row!.D).toBe(1.5);
    expect(row!.C).toBe('ab');
    const [path] = await db.exec('SELECT v:k.deep[1] AS second, v:k.deep[0]::number + 1 AS plus, a[1]::string AS s FROM atomic.typed WHERE id = 7');
    expect(path).toEqual({ SECOND: 2, PLUS: 2, S: 'two' });
    const err = await failure(db.exec("INSERT INTO atomic.typed (id, v) SELECT 8, parse_json('[1]')"));
    expect(err.code).toBe('100069'); // an ARRAY is not an OBJECT
  });

  it('binds ? and :n parameters, and array binds insert one row per element', async () => {
    await db.exec('CREATE TABLE atomic.binds (name VARCHAR(20), n INTEGER, at TIMESTAMP)');
    expect(await db.exec('INSERT INTO atomic.binds (name, n, at) SELECT ?, ?, ?', ['one', 1, '2024-01-02T03:04:05.678Z'])).toEqual([{ 'number of rows inserted': 1 }]);
    expect(await db.exec('INSERT INTO atomic.binds (name, n) VALUES (?, ?)', [['two', 2], ['three', 3]])).toEqual([{ 'number of rows inserted': 2 }]);
    const rows = await db.exec<{ NAME: string; N: number }>('SELECT name, n FROM atomic.binds WHERE n >= :1 ORDER BY n', [2]);
    expect(rows).toEqual([{ NAME: 'two', N: 2 }, { NAME: 'three', N: 3 }]);
    const [at] = await db.exec<{ AT: Date }>('SELECT at FROM atomic.binds WHERE name = ?', ['one']);
    expect(at!.AT.getTime()).toBe(Date.parse('2024-01-02T03:04:05.678Z'));
  });

  it('adds columns with ALTER TABLE … ADD COLUMN and refuses a duplicate', async () => {
    await db.exec('ALTER TABLE atomic.binds ADD COLUMN unstruct_event_com_acme_x_1 OBJECT');
    const err = await failure(db.exec('ALTER TABLE atomic.binds ADD COLUMN unstruct_event_com_acme_x_1 OBJECT'));
    expect(err.code).toBe('002028');
    const cols = await db.exec<{ COLUMN_NAME: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'BINDS' AND table_schema = 'ATOMIC'");
    expect(cols.map((c) => c.COLUMN_NAME)).toContain('UNSTRUCT_EVENT_COM_ACME_X_1');
  });
});

describe('transactions', () => {
  it('ROLLBACK discards, COMMIT keeps, and a failed statement does not abort the transaction', async () => {
    await db.exec('CREATE TABLE atomic.tx (id INTEGER)');
    await db.exec('BEGIN');
    await db.exec('INSERT INTO atomic.tx (id) VALUES (1)');
    await db.exec('ROLLBACK');
    expect(await db.exec('SELECT count(*) AS n FROM atomic.tx')).toEqual([{ N: 0 }]);

    await db.exec('BEGIN TRANSACTION');
    await db.exec('INSERT INTO atomic.tx (id) VALUES (2)');
    expect((await failure(db.exec('INSERT INTO atomic.tx (id) VALUES (1/0)'))).code).toBe('100038');
    await db.exec('INSERT INTO atomic.tx (id) VALUES (3)');
    await db.exec('COMMIT');
    expect(await db.exec('SELECT id FROM atomic.tx ORDER BY id')).toEqual([{ ID: 2 }, { ID: 3 }]);
  });

  it('DDL inside a transaction commits it first (Snowflake DDL autocommits)', async () => {
    await db.exec('BEGIN');
    await db.exec('INSERT INTO atomic.tx (id) VALUES (4)');
    await db.exec('ALTER TABLE atomic.tx ADD COLUMN note VARCHAR(10)');
    await db.exec('ROLLBACK'); // nothing left to roll back
    expect(await db.exec('SELECT count(*) AS n FROM atomic.tx WHERE id = 4')).toEqual([{ N: 1 }]);
  });

  it('ending a session rolls back its open transaction', async () => {
    const other = await connectSdk(sf.url, { password: 'secret' });
    await other.exec('BEGIN');
    await other.exec('INSERT INTO atomic.tx (id) VALUES (99)');
    await other.destroy();
    expect(await db.exec('SELECT count(*) AS n FROM atomic.tx WHERE id = 99')).toEqual([{ N: 0 }]);
  });
});

describe('stages and COPY INTO', () => {
  const row = (id: number, extra: Record<string, unknown> = {}) => JSON.stringify({ app_id: `app-${id}`, id, collector_tstamp: '2021-10-13T20:21:47.595Z', ctx: [{ a: id }], ...extra });

  beforeAll(async () => {
    await db.exec('CREATE TABLE atomic.ev (app_id VARCHAR(20), id INTEGER NOT NULL, collector_tstamp TIMESTAMP NOT NULL, ctx ARRAY, load_tstamp TIMESTAMP)');
    await db.exec("CREATE STAGE IF NOT EXISTS atomic.transformed URL = 's3://stage-bucket/transformed' FILE_FORMAT = (TYPE = JSON)");
    const put = (Key: string, Body: Buffer | string) => s3.send(new PutObjectCommand({ Bucket: 'stage-bucket', Key, Body }));
    await put('transformed/run=1/output=good/sink-a.txt.gz', gzipSync([row(1), row(2)].join('\n')));
    await put('transformed/run=1/output=good/sink-b.txt', [row(3), '', row(4)].join('\n'));
    await put('transformed/run=1/shredding_complete.json', '{}');
    await put('transformed/run=2/output=good/sink-a.txt', [row(5), '{"app_id": "broken"', row(6)].join('\n'));
    await put('transformed/run=3/output=good/sink-a.txt', [row(7)].join('\n'));
  });

  const copy = (run: string, extra = '') =>
    `COPY INTO atomic.ev(app_id,id,collector_tstamp,ctx,load_tstamp) FROM (
       SELECT $1:app_id,$1:id,$1:collector_tstamp,$1:"ctx",current_timestamp() FROM @atomic.transformed/run=${run}/output=good/
     ) FILE_FORMAT = (TYPE = JSON TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF') ON_ERROR = ${extra || 'ABORT_STATEMENT'}`;

  it('describes a stage with its location as a JSON array', async () => {
    const rows = await db.exec<{ parent_property: string; property: string; property_value: string }>('DESC STAGE atomic.transformed');
    const loc = rows.find((r) => r.parent_property === 'STAGE_LOCATION')!;
    expect(loc.property).toBe('URL');
    expect(JSON.parse(loc.property_value)).toEqual(['s3://stage-bucket/transformed/']);
  });

  it('loads gzip and plain wide-row files from S3 with $1:col projections, one result row per file', async () => {
    const result = await db.exec<Record<string, unknown>>(copy('1'));
    expect(result.map((r) => [r.file, r.status, r.rows_parsed, r.rows_loaded, r.errors_seen])).toEqual([
      ['s3://stage-bucket/transformed/run=1/output=good/sink-a.txt.gz', 'LOADED', 2, 2, 0],
      ['s3://stage-bucket/transformed/run=1/output=good/sink-b.txt', 'LOADED', 2, 2, 0],
    ]);
    const rows = await db.exec<Record<string, any>>('SELECT app_id, id, collector_tstamp, ctx, load_tstamp FROM atomic.ev ORDER BY id');
    expect(rows.map((r) => [r.APP_ID, r.ID, r.CTX])).toEqual([
      ['app-1', 1, [{ a: 1 }]],
      ['app-2', 2, [{ a: 2 }]],
      ['app-3', 3, [{ a: 3 }]],
      ['app-4', 4, [{ a: 4 }]],
    ]);
    expect((rows[0]!.COLLECTOR_TSTAMP as Date).getTime()).toBe(Date.parse('2021-10-13T20:21:47.595Z'));
    expect(Math.abs((rows[0]!.LOAD_TSTAMP as Date).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('skips files it already loaded (load metadata) unless FORCE = TRUE', async () => {
    expect(await db.exec(copy('1'))).toEqual([{ status: 'Copy executed with 0 files processed.' }]);
    expect(await db.exec('SELECT count(*) AS n FROM atomic.ev')).toEqual([{ N: 4 }]);
    const forced = await db.exec(`${copy('1')} FORCE = TRUE`);
    expect(forced).toHaveLength(2);
    expect(await db.exec('SELECT count(*) AS n FROM atomic.ev')).toEqual([{ N: 8 }]);
    await db.exec('DELETE FROM atomic.ev WHERE id <= 4');
  });

  it('ON_ERROR = ABORT_STATEMENT loads nothing from a window with a bad line and says where', async () => {
    const err = await failure(db.exec(copy('2')));
    expect(err.code).toBe('100069');
    expect(err.message).toMatch(/Error parsing JSON.*\n.*sink-a\.txt', line 2/);
    expect(await db.exec('SELECT count(*) AS n FROM atomic.ev WHERE id IN (5, 6)')).toEqual([{ N: 0 }]);
  });

  it('ON_ERROR = CONTINUE loads the good rows and reports the bad one', async () => {
    const [r] = await db.exec<Record<string, unknown>>(copy('2', 'CONTINUE'));
    expect(r).toMatchObject({ status: 'PARTIALLY_LOADED', rows_parsed: 3, rows_loaded: 2, errors_seen: 1, first_error_line: 2 });
    expect(await db.exec('SELECT count(*) AS n FROM atomic.ev WHERE id IN (5, 6)')).toEqual([{ N: 2 }]);
  });

  it('a COPY rolled back with its transaction loads nothing and records nothing, so it can run again', async () => {
    await db.exec('BEGIN');
    expect(await db.exec(copy('3'))).toHaveLength(1);
    await db.exec('ROLLBACK');
    expect(await db.exec('SELECT count(*) AS n FROM atomic.ev WHERE id = 7')).toEqual([{ N: 0 }]);
    await db.exec('BEGIN');
    expect((await db.exec<Record<string, unknown>>(copy('3')))[0]).toMatchObject({ status: 'LOADED', rows_loaded: 1 });
    await db.exec('COMMIT');
    expect(await db.exec('SELECT count(*) AS n FROM atomic.ev WHERE id = 7')).toEqual([{ N: 1 }]);
  });

  it('reports a missing stage or table as 002003', async () => {
    expect((await failure(db.exec('COPY INTO atomic.ev FROM (SELECT $1 FROM @atomic.nope/x/) FILE_FORMAT = (TYPE = JSON)'))).code).toBe('002003');
    expect((await failure(db.exec('SELECT * FROM atomic.missing'))).code).toBe('002003');
  });
});

// The same emulator on the machine's PostgreSQL (`databaseUrl`), in a database of its own.
for (const adminUrl of process.env.FURROW_TEST_DATABASE_URL ? [process.env.FURROW_TEST_DATABASE_URL] : [])
  describe('on a real Postgres (databaseUrl)', () => {
    const dbName = `furrow_sf_${Date.now().toString(36)}_${process.pid}`;
    let pgsf: RunningSnowflakeEmulator;
    let conn: SdkConnection;
    let admin: import('pg').Client;

    beforeAll(async () => {
      const pg = (await import('pg')).default;
      admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${dbName}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${dbName}`;
      pgsf = await startSnowflakeEmulator({ port: 0, s3: { endpoint: aws.endpoint }, databaseUrl: url.toString() });
      conn = await connectSdk(pgsf.url);
    }, 60_000);

    afterAll(async () => {
      await conn?.destroy();
      await pgsf?.stop();
      await admin?.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
      await admin?.end();
    });

    it('runs DDL, binds, transactions and COPY INTO like the PGlite backend', async () => {
      await conn.exec('CREATE SCHEMA IF NOT EXISTS atomic');
      await conn.exec('CREATE TABLE atomic.ev (app_id VARCHAR(20), id INTEGER NOT NULL, collector_tstamp TIMESTAMP NOT NULL, ctx ARRAY, load_tstamp TIMESTAMP)');
      await conn.exec("CREATE STAGE atomic.transformed URL = 's3://stage-bucket/transformed/'");
      await conn.exec('BEGIN');
      const copied = await conn.exec<Record<string, unknown>>(
        "COPY INTO atomic.ev(app_id,id,collector_tstamp,ctx,load_tstamp) FROM (SELECT $1:app_id,$1:id,$1:collector_tstamp,$1:ctx,current_timestamp() FROM @atomic.transformed/run=1/output=good/) FILE_FORMAT = (TYPE = JSON) ON_ERROR = ABORT_STATEMENT",
      );
      await conn.exec('INSERT INTO atomic.ev (app_id, id, collector_tstamp) SELECT ?, ?, ?', ['bound', 42, '2024-01-01T00:00:00.123Z']);
      await conn.exec('COMMIT');
      expect(copied.map((r) => r.rows_loaded)).toEqual([2, 2]);
      const rows = await conn.exec<Record<string, any>>('SELECT id, ctx, collector_tstamp FROM atomic.ev ORDER BY id');
      expect(rows.map((r) => r.ID)).toEqual([1, 2, 3, 4, 42]);
      expect(rows[0]!.CTX).toEqual([{ a: 1 }]);
      expect((rows[4]!.COLLECTOR_TSTAMP as Date).getTime()).toBe(Date.parse('2024-01-01T00:00:00.123Z'));
      expect((await conn.exec("SELECT column_name FROM information_schema.columns WHERE table_name = 'EV' AND table_schema = 'ATOMIC'")).length).toBe(5);
    });
  });

describe('a transaction whose client vanished (kill -9 mid-load)', () => {
  it('is rolled back once idle for transactionIdleTimeoutMs, so the warehouse (one PGlite session at a time) is not wedged', async () => {
    const quick = await startSnowflakeEmulator({ port: 0, s3: { endpoint: aws.endpoint }, transactionIdleTimeoutMs: 1_000 });
    const [a, b] = [await connectSdk(quick.url), await connectSdk(quick.url)];
    try {
      await a.exec('CREATE TABLE public.abandoned (n INTEGER)');
      await a.exec('BEGIN');
      await a.exec('INSERT INTO public.abandoned (n) VALUES (1)');
      // `a` never commits nor logs out; `b` waits for the backend, then gets it after the idle rollback.
      const started = Date.now();
      await b.exec('INSERT INTO public.abandoned (n) VALUES (2)');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await b.exec('SELECT n FROM public.abandoned')).toEqual([{ N: 2 }]);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await quick.stop();
    }
  }, 120_000);
});
