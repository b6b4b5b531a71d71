import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, parsePipelineConfig } from '../config/index';
import { ATOMIC_COLUMNS } from '../core/wide-row';
import { loaderConfig } from './config';
import * as pgsql from './targets/postgres-sql';
import * as sfsql from './targets/snowflake-sql';
import { SAFE_PATH, WindowRejected } from './window';

const cfg = (loader: unknown) => loaderConfig(parsePipelineConfig(JSON.stringify({ loader }), 'test', {}));

describe('Snowflake statements', () => {
  it('COPY INTO lists 128 atomic columns, the entity columns quoted, load_tstamp, and projects $1:<col> in the same order', () => {
    const sql = sfsql.copyInto(
      'atomic',
      'transformed',
      'run=2024-01-01-00-00-00-abc/',
      [
        { name: 'contexts_com_acme_user_1', entity: 'CONTEXT', schemaKey: 'iglu:com.acme/user/jsonschema/1-0-0' },
        { name: 'unstruct_event_com_acme_x_2', entity: 'SELF_DESCRIBING_EVENT', schemaKey: 'iglu:com.acme/x/jsonschema/2-0-0' },
      ],
      true,
    );
    const [, cols, select, path] = /^COPY INTO atomic\.events\((.*)\)\nFROM \(\n {2}SELECT (.*) FROM (\S+)\n\)\n/.exec(sql)!;
    const names = cols!.split(',');
    expect(names).toHaveLength(131);
    expect(names.slice(0, 128)).toEqual(ATOMIC_COLUMNS.map((c) => c.name));
    expect(names.slice(128)).toEqual(['"CONTEXTS_COM_ACME_USER_1"', '"UNSTRUCT_EVENT_COM_ACME_X_2"', 'load_tstamp']);
    const proj = select!.split(',');
    expect(proj.slice(0, 2)).toEqual(['$1:app_id', '$1:platform']);
    expect(proj.slice(128)).toEqual(['$1:"contexts_com_acme_user_1"', '$1:"unstruct_event_com_acme_x_2"', 'current_timestamp()']);
    expect(path).toBe('@atomic.transformed/run=2024-01-01-00-00-00-abc/output=good/');
    expect(sql).toMatch(/FILE_FORMAT = \(TYPE = JSON TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS\.FF'\)\nON_ERROR = ABORT_STATEMENT$/);
    expect(sql).not.toMatch(/MATCH_BY_COLUMN_NAME/);
  });

  it('creates events with the RDB DDL (NOT NULL columns, unenforced primary key) and the manifest', () => {
    const ddl = sfsql.createEventsTable('atomic', true);
    expect(ddl).toMatch(/^CREATE TABLE IF NOT EXISTS atomic\.events \(/);
    expect(ddl).toMatch(/event_id\s+CHAR\(36\) NOT NULL UNIQUE/);
    expect(ddl).toMatch(/collector_tstamp\s+TIMESTAMP NOT NULL/);
    expect(ddl).toMatch(/load_tstamp\s+TIMESTAMP NULL,\n {2}CONSTRAINT event_id_pk PRIMARY KEY\(event_id\)\n\)$/);
    expect(sfsql.createManifestTable('atomic')).toMatch(/base VARCHAR\(512\) NOT NULL UNIQUE, types ARRAY NOT NULL.*CONSTRAINT base_pk PRIMARY KEY\(base\)/);
    expect(sfsql.manifestAdd('atomic')).toMatch(/SELECT \?, parse_json\(\?\), \?, \?, \?, \?, sysdate\(\), \?, \?, \?, \?$/);
  });

  it('only accepts a window under the stage location, with a path a stage reference can carry', () => {
    expect(sfsql.pathAfterStage('s3://furrow/transformed/', 's3://furrow/transformed/run=1-a/')).toBe('run=1-a/');
    for (const base of ['s3://other/transformed/run=1/', 's3://furrow/transformed/run=1) ; DROP TABLE x; --/', "s3://furrow/transformed/it's/", 's3://furrow/transformed/a b/'])
      expect(() => sfsql.pathAfterStage('s3://furrow/transformed/', base), base).toThrow(WindowRejected);
  });

  it('property: any accepted path stays inside [A-Za-z0-9=._-/] (no quote, space, paren or semicolon reaches the COPY)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (tail) => {
        let after: string | null = null;
        try {
          after = sfsql.pathAfterStage('s3://furrow/transformed/', `s3://furrow/transformed/${tail}/`);
        } catch (err) {
          expect(err).toBeInstanceOf(WindowRejected);
        }
        if (after !== null) expect(after).toMatch(SAFE_PATH);
      }),
    );
  });

  it('refuses hostile identifiers instead of quoting them', () => {
    expect(() => sfsql.sdColumn('contexts_x"; drop table t; --')).toThrow(/invalid SQL identifier/);
    expect(() => sfsql.configIdent('atomic; drop')).toThrow(/invalid identifier/);
    expect(() => pgsql.q('a"b')).toThrow(/refusing to quote/);
  });
});

describe('Postgres COPY text encoding', () => {
  /** Decode one COPY text field the way Postgres does. */
  const decode = (f: string) => (f === '\\N' ? null : f.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[c] ?? c));

  it('escapes separators, writes \\N for null and t/f for booleans, JSON for entity columns', () => {
    const cols = pgsql.loadColumns([{ name: 'contexts_com_acme_user_1', entity: 'CONTEXT', schemaKey: 'iglu:com.acme/user/jsonschema/1-0-0' }], true);
    const line = pgsql.copyLine({ app_id: 'a\tb\\c\nd', br_cookies: true, txn_id: 5, contexts_com_acme_user_1: [{ n: 'x\ty' }] }, cols, '2024-01-01T00:00:00.000Z');
    const fields = line.slice(0, -1).split('\t');
    expect(fields).toHaveLength(130);
    expect(decode(fields[0]!)).toBe('a\tb\\c\nd');
    expect(fields[1]).toBe('\\N');
    expect(fields[cols.findIndex((c) => c.column === 'br_cookies')]).toBe('t');
    expect(fields[cols.findIndex((c) => c.column === 'txn_id')]).toBe('5');
    expect(JSON.parse(decode(fields[128]!)!)).toEqual([{ n: 'x\ty' }]);
    expect(fields[129]).toBe('2024-01-01T00:00:00.000Z');
  });

  it('property: a COPY field decodes back to the original string without its NULs', () => {
    const cols = pgsql.loadColumns([], false);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const line = pgsql.copyLine({ app_id: s }, cols, '');
        expect(line.endsWith('\n')).toBe(true);
        const first = line.slice(0, -1).split('\t')[0]!;
        expect(decode(first)).toBe(s.replaceAll('\u0000', ''));
      }),
    );
  });
});

describe('loader config', () => {
  const target = { type: 'snowflake', account: 'furrow', username: 'u', password: 'p', accessUrl: 'http://127.0.0.1:8085', warehouse: 'wh', database: 'db' };

  it('fills Snowplow defaults and the queue name', () => {
    const c = cfg({ target });
    expect(c.queue).toBe('furrow-loader.fifo');
    expect(c.sqs).toEqual({ visibilitySeconds: 300, waitTimeSeconds: 1, retryDelaySeconds: 30, maxDeliveries: 5 });
    expect(c.retries).toEqual({ attempts: 3, backoffMs: 30_000, maxBackoffMs: 1_200_000 });
    expect(c.target).toMatchObject({ schema: 'atomic', stage: 'furrow_transformed', readyCheck: 'ResumeWarehouse' });
    expect(cfg({ target: { type: 'postgres', url: 'postgres://x@h/db' } }).target).toMatchObject({ schema: 'atomic', loadMethod: 'auto' });
  });

  it('rejects identifiers and URLs that could break out of SQL, naming the field', () => {
    expect(() => cfg({ target: { ...target, schema: 'atomic; drop table x' } })).toThrow(/loader\.target\.schema: must match pattern/);
    expect(() => cfg({ target: { ...target, stageUrl: "s3://furrow/x' ; --" } })).toThrow(ConfigError);
    expect(() => cfg({ target: { type: 'postgres', url: 'postgres://h/db', schema: 'Atomic"' } })).toThrow(/loader\.target\.schema/);
    expect(() => cfg({ target: { ...target, surprise: 1 } })).toThrow(/loader\.target: unknown field 'surprise'/);
  });
});
