import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../emulator/postgres/test-database';
import { testIgluClient } from '../testing';
import { buildEnrichments, inlineSources } from './index';
import { numberPlaceholders } from './sql-query';
import { derived, enrichOne, settingsWith } from './testing';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await openTestDatabase('sqlenr');
  await tdb.pool.query(`CREATE TABLE "${tdb.schema}".users (user_id text, plan_name text, age int)`);
  await tdb.pool.query(`INSERT INTO "${tdb.schema}".users VALUES ('u-1', 'pro', 31), ('u-2', 'free', 20), ('u-2', 'pro', 21)`);
}, 30_000);
afterAll(async () => {
  await tdb?.close();
});

function sqlConfig(sql: string, output: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, port?: number, kind: 'postgresql' | 'mysql' = 'postgresql', url = tdb.url) {
  const u = new URL(url);
  return {
    schema: 'iglu:com.snowplowanalytics.snowplow.enrichments/sql_query_enrichment_config/jsonschema/1-0-1',
    data: {
      vendor: 'com.snowplowanalytics.snowplow.enrichments',
      name: 'sql_query_enrichment_config',
      enabled: true,
      parameters: {
        inputs: [{ placeholder: 1, pojo: { field: 'user_id' } }],
        database: {
          [kind]: {
            host: u.hostname,
            port: port ?? Number(u.port || (kind === 'mysql' ? 3306 : 5432)),
            sslMode: false,
            username: decodeURIComponent(u.username) || (kind === 'mysql' ? 'root' : 'postgres'),
            password: decodeURIComponent(u.password),
            database: u.pathname.slice(1) || (kind === 'mysql' ? 'test' : 'postgres'),
          },
        },
        query: { sql },
        output: { expectedRows: 'AT_LEAST_ZERO', json: { schema: 'iglu:com.acme/user/jsonschema/1-0-0', propertyNames: 'CAMEL_CASE', describes: 'EVERY_ROW' }, ...output },
        cache: { size: 10, ttl: 60 },
        ...extra,
      },
    },
  };
}
const q = (cols = 'user_id, plan_name AS plan') => `SELECT ${cols} FROM "${tdbSchema()}".users WHERE user_id = ? ORDER BY age`;
function tdbSchema() {
  return tdb.schema;
}

describe('sql_query_enrichment_config (Postgres)', () => {
  it('binds inputs as parameters and adds one context per row with renamed properties', async () => {
    const s = await settingsWith([sqlConfig(q())]);
    const { good, bad } = await enrichOne(s, { e: 'pv', tv: 't', p: 'web', uid: 'u-2' });
    expect(bad).toBeUndefined();
    expect(derived(good!)).toEqual([
      { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 'u-2', plan: 'free' } },
      { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 'u-2', plan: 'pro' } },
    ]);
    // An injection attempt is just a value that matches nothing.
    const inj = await enrichOne(s, { e: 'pv', tv: 't', p: 'web', uid: "u-1' OR '1'='1" });
    expect(inj.good!.derived_contexts).toBeNull();
    const none = await enrichOne(s, { e: 'pv', tv: 't', p: 'web' });
    expect(none.good!.derived_contexts).toBeNull();
  }, 20_000);

  it('expectedRows violations and an unreachable database are enrichment failures (unless ignoreOnError)', async () => {
    const one = await settingsWith([sqlConfig(q(), { expectedRows: 'EXACTLY_ONE' })]);
    const { bad } = await enrichOne(one, { e: 'pv', tv: 't', p: 'web', uid: 'u-2' });
    expect(bad!.data.failure.messages[0].message.error).toMatch(/returned 2 rows, expected EXACTLY_ONE/);
    expect(bad!.data.failure.messages[0].enrichment.identifier).toBe('sql-query');
    const down = await settingsWith([sqlConfig(q(), {}, {}, 1)]);
    const d = await enrichOne(down, { e: 'pv', tv: 't', p: 'web', uid: 'u-1' });
    expect(d.bad!.data.failure.messages[0].message.error).toMatch(/SQL query failed/);
    const ignored = await settingsWith([sqlConfig(q(), {}, { ignoreOnError: true }, 1)]);
    expect((await enrichOne(ignored, { e: 'pv', tv: 't', p: 'web', uid: 'u-1' })).good).toBeDefined();
  }, 20_000);

  it('placeholders are numbered outside quotes; a placeholder without input fails at start-up', async () => {
    expect(numberPlaceholders("SELECT '?' , ? , \"a?\" , ?")).toEqual({ text: "SELECT '?' , $1 , \"a?\" , $2", count: 2 });
    expect(numberPlaceholders('SELECT `odd?col` FROM t WHERE a = ?').count).toBe(1);
    await expect(buildEnrichments(inlineSources([sqlConfig('SELECT ?, ?')]), testIgluClient())).rejects.toThrow(/no input for placeholder 2/);
  });
});

// MySQL/MariaDB: FURROW_TEST_MYSQL_URL (set by .ci/run when MariaDB answers; locally mysql://root@127.0.0.1:3306/test).
const MYSQL_URL = process.env.FURROW_TEST_MYSQL_URL;
if (!MYSQL_URL)
  console.warn('[sql_query_enrichment_config] MySQL case SKIPPED: FURROW_TEST_MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/test with MariaDB running)');

describe.skipIf(!MYSQL_URL)('sql_query_enrichment_config (MySQL/MariaDB)', () => {
  const table = `furrow_sqlenr_${process.pid}_${Date.now().toString(36)}`;
  let conn: mysql.Connection;
  beforeAll(async () => {
    conn = await mysql.createConnection(MYSQL_URL!);
    await conn.query(`CREATE TABLE \`${table}\` (user_id VARCHAR(64), plan_name VARCHAR(16), age INT, balance DECIMAL(10,2), active TINYINT(1), joined DATETIME)`);
    await conn.query(`INSERT INTO \`${table}\` VALUES ('u-1', 'pro', 31, 12.50, 1, '2025-03-04 05:06:07'), ('u-2', 'free', 20, 0.00, 0, NULL), ('u-2', 'pro', 21, 99.99, 1, '2024-01-01 00:00:00')`);
  }, 30_000);
  afterAll(async () => {
    await conn?.query(`DROP TABLE IF EXISTS \`${table}\``);
    await conn?.end();
  });
  const my = (sql: string, output: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, port?: number) => sqlConfig(sql, output, extra, port, 'mysql', MYSQL_URL);
  const q = `SELECT user_id, plan_name AS plan, age, balance, active, joined FROM \`${table}\` WHERE user_id = ? ORDER BY age`;
  // Output schemas that take whatever the rows hold (one object per row, or the array of them).
  const open = (name: string, type: string) => ({ $schema: 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#', self: { vendor: 'com.acme', name, format: 'jsonschema', version: '1-0-0' }, type });
  const client = () => testIgluClient([open('member', 'object'), open('members', 'array')]);
  const OUT = { json: { schema: 'iglu:com.acme/member/jsonschema/1-0-0', propertyNames: 'CAMEL_CASE', describes: 'EVERY_ROW' } };

  it('binds inputs as prepared-statement parameters; rows typed as JDBC gives them to Enrich', async () => {
    const s = await settingsWith([my(q, OUT)], { client: client() });
    const { good, bad } = await enrichOne(s, { e: 'pv', tv: 't', p: 'web', uid: 'u-2' });
    expect(bad).toBeUndefined();
    expect(derived(good!)).toEqual([
      { schema: 'iglu:com.acme/member/jsonschema/1-0-0', data: { userId: 'u-2', plan: 'free', age: 20, balance: 0, active: false, joined: null } },
      { schema: 'iglu:com.acme/member/jsonschema/1-0-0', data: { userId: 'u-2', plan: 'pro', age: 21, balance: 99.99, active: true, joined: '2024-01-01 00:00:00' } },
    ]);
    // Injection attempts are values that match nothing (the table is still there afterwards).
    for (const uid of ["u-1' OR '1'='1", `u-1'; DROP TABLE \`${table}\`; --`, '?']) {
      const r = await enrichOne(s, { e: 'pv', tv: 't', p: 'web', uid });
      expect(r.bad, uid).toBeUndefined();
      expect(r.good!.derived_contexts, uid).toBeNull();
    }
    const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM \`${table}\``);
    expect((rows as Array<{ n: number }>)[0]!.n).toBe(3);
  }, 20_000);

  it('ALL_ROWS, expectedRows, and an unreachable server are handled as on Postgres', async () => {
    const all = await settingsWith([my(q, { json: { schema: 'iglu:com.acme/members/jsonschema/1-0-0', propertyNames: 'AS_IS', describes: 'ALL_ROWS' } })], { client: client() });
    const { good } = await enrichOne(all, { e: 'pv', tv: 't', p: 'web', uid: 'u-1' });
    expect(derived(good!)).toEqual([{ schema: 'iglu:com.acme/members/jsonschema/1-0-0', data: [{ user_id: 'u-1', plan: 'pro', age: 31, balance: 12.5, active: true, joined: '2025-03-04 05:06:07' }] }]);
    const one = await settingsWith([my(q, { ...OUT, expectedRows: 'EXACTLY_ONE' })], { client: client() });
    const b = await enrichOne(one, { e: 'pv', tv: 't', p: 'web', uid: 'u-2' });
    expect(b.bad!.data.failure.messages[0]).toMatchObject({ enrichment: { identifier: 'sql-query' }, message: { error: expect.stringMatching(/returned 2 rows, expected EXACTLY_ONE/) } });
    const down = await settingsWith([my(q, {}, {}, 1)]);
    const d = await enrichOne(down, { e: 'pv', tv: 't', p: 'web', uid: 'u-1' });
    expect(d.bad!.data.failure.messages[0].message.error).toMatch(/SQL query failed/);
    const broken = await settingsWith([my(`SELECT nope FROM \`${table}\` WHERE user_id = ?`)]);
    expect((await enrichOne(broken, { e: 'pv', tv: 't', p: 'web', uid: 'u-1' })).bad!.data.failure.messages[0].message.error).toMatch(/SQL query failed: .*nope/);
  }, 30_000);
});
