/** The translator on its own (pure): what Snowflake SQL becomes in Postgres, and what it refuses. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SnowflakeError } from './errors';
import { SqlTranslator, type Plan } from './translator';

const t = new SqlTranslator();
const tr = (sql: string) => t.translate(sql, { schema: 'PUBLIC' });
const query = (sql: string) => {
  const p = tr(sql);
  if (p.kind !== 'query') throw new Error(`expected a query plan, got ${p.kind}`);
  return p;
};
const compileError = (sql: string) => {
  try {
    tr(sql);
  } catch (err) {
    expect(err).toBeInstanceOf(SnowflakeError);
    return err as SnowflakeError;
  }
  throw new Error(`expected '${sql}' to be refused`);
};

describe('SqlTranslator', () => {
  it('upper-cases unquoted identifiers, keeps quoted ones, drops the database of a table name', () => {
    expect(query('select app_id, "mixedCase" from db.atomic.events e where e.event_id = ?').sql).toBe(
      'SELECT "APP_ID" , "mixedCase" FROM "ATOMIC"."EVENTS" "E" WHERE "E"."EVENT_ID" = $1',
    );
  });

  it('maps paths, casts, binds, parse_json, sysdate and MINUS', () => {
    const p = query("SELECT v:a.b[0]::string, parse_json(:2), sysdate() FROM t WHERE x = :1 MINUS SELECT base FROM m");
    expect(p.sql).toBe(`SELECT ((("V" -> 'a' -> 'b' -> 0) #>> '{}')::text) , furrow_sf.parse_json( $1 ) , furrow_sf.sysdate( ) FROM "T" WHERE "X" = $2 EXCEPT SELECT "BASE" FROM "M"`);
    expect(p.binds).toEqual([2, 1]);
  });

  it('rewrites a FROM-less INSERT … SELECT into VALUES so Postgres types its parameters from the columns', () => {
    expect(query('INSERT INTO s.m (a, b) SELECT ?, parse_json(?)').sql).toBe('INSERT INTO "S"."M" ( "A" , "B" ) VALUES ($1 , furrow_sf.parse_json( $2 ))');
  });

  it('names unaliased expression columns by their text, like Snowflake', () => {
    expect(query('SELECT count(*), 1, a AS b, c FROM t').columnNames).toEqual(['COUNT(*)', '1', null, null]);
  });

  it('translates Snowflake DDL: types, unenforced keys dropped, NOT NULL kept', () => {
    const p = tr('CREATE TABLE IF NOT EXISTS atomic.events (event_id CHAR(36) NOT NULL UNIQUE, n SMALLINT, v OBJECT, ts TIMESTAMP, CONSTRAINT pk PRIMARY KEY(event_id))') as Extract<Plan, { kind: 'ddl' }>;
    expect(p.sql).toEqual(['CREATE TABLE IF NOT EXISTS "ATOMIC"."EVENTS" ("EVENT_ID" varchar(36) NOT NULL, "N" numeric(38,0), "V" furrow_sf.object, "TS" timestamp)']);
  });

  it('parses the loader COPY INTO', () => {
    const p = tr(
      "COPY INTO atomic.events(app_id,\"CONTEXTS_X_1\",load_tstamp) FROM ( SELECT $1:app_id,$1:\"contexts_x_1\",current_timestamp() FROM @atomic.stage/run=1/output=good/ ) FILE_FORMAT = (TYPE = JSON TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF') ON_ERROR = ABORT_STATEMENT",
    );
    expect(p).toMatchObject({
      kind: 'copy',
      table: { schema: 'ATOMIC', name: 'EVENTS' },
      columns: ['APP_ID', 'CONTEXTS_X_1', 'LOAD_TSTAMP'],
      source: { stage: { schema: 'ATOMIC', name: 'STAGE' }, path: 'run=1/output=good/' },
      projections: [
        { kind: 'path', column: 1, path: ['app_id'] },
        { kind: 'path', column: 1, path: ['contexts_x_1'] },
        { kind: 'sql', sql: 'furrow_sf.current_timestamp( )' },
      ],
      fileFormat: { type: 'JSON' },
      onError: 'ABORT_STATEMENT',
    });
  });

  it('refuses what it does not translate with 001003 / 42000, and multiple statements', () => {
    for (const sql of ['MERGE INTO t USING s ON 1 = 1', 'SELECT * FROM t QUALIFY 1 = 1', 'SELECT frobnicate(1)', 'CREATE TABLE t (a GEOMETRY)', 'SHOW TABLES', 'PUT file:///x @s'])
      expect(compileError(sql).code, sql).toBe('001003');
    expect(compileError('SELECT 1; SELECT 2').code).toBe('000008');
  });

  it('property: a string literal arrives in Postgres as exactly the same string (no way out of the literal)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // Snowflake literal: backslash and quote escaped
        const sf = `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
        const out = query(`SELECT ${sf}`).sql;
        expect(out).toBe(`SELECT '${s.replace(/'/g, "''")}'`);
      }),
    );
  });

  it('property: a quoted identifier arrives as exactly the same identifier', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), (name) => {
        const out = query(`SELECT "${name.replace(/"/g, '""')}" FROM t`).sql;
        expect(out).toBe(`SELECT "${name.replace(/"/g, '""')}" FROM "T"`);
      }),
    );
  });
});
