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

function sqlConfig(sql: string, output: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, port?: number) {
  const u = new URL(tdb.url);
  return {
    schema: 'iglu:com.snowplowanalytics.snowplow.enrichments/sql_query_enrichment_config/jsonschema/1-0-1',
    data: {
      vendor: 'com.snowplowanalytics.snowplow.enrichments',
      name: 'sql_query_enrichment_config',
      enabled: true,
      parameters: {
        inputs: [{ placeholder: 1, pojo: { field: 'user_id' } }],
        database: {
          postgresql: { host: u.hostname, port: port ?? Number(u.port), sslMode: false, username: decodeURIComponent(u.username) || 'postgres', password: decodeURIComponent(u.password), database: u.pathname.slice(1) || 'postgres' },
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
    await expect(buildEnrichments(inlineSources([sqlConfig('SELECT ?, ?')]), testIgluClient())).rejects.toThrow(/no input for placeholder 2/);
  });
});
