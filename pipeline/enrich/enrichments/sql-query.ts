/**
 * SQL query enrichment (spec §5 #17; EN `registry/sqlquery/SqlQueryEnrichment`), on PostgreSQL (`pg`) or
 * MySQL/MariaDB (`mysql2`), as Snowplow's `database.postgresql` / `database.mysql`: runs the configured
 * query with `?` placeholders bound (as parameters, never spliced: `$n` on Postgres, server-side prepared
 * statements on MySQL) to atomic fields or entity JSONPaths, checks `expectedRows`, and turns the rows into
 * derived contexts (`EVERY_ROW`: one per row; `ALL_ROWS`: one whose data is the array), with property names
 * converted as configured. Results are cached (`cache.size`, `cache.ttl` s). A missing input means no query.
 * Errors are enrichment failures unless `ignoreOnError`. Connections go only to the configured server (10 s
 * connect, 10 s statement limit). MySQL values are typed as JDBC hands them to Enrich: DECIMAL as numbers,
 * TINYINT(1)/BIT(1) as booleans, dates and times as their SQL text.
 */
import type { TypeCast } from 'mysql2/promise';
import { enrichmentFailure } from '../../core/bad-rows-enrich';
import { FIELD_INDEX, type EnrichedEvent, type FieldName } from '../../core/enriched-event';
import { enrichmentInfo, entity, EnrichmentConfigError, type EnrichmentConfig } from './common';
import { columnEntities, criterionMatcher, parseJsonPath, selectJsonPath, type JsonColumn } from './json-path';
import type { Enrichment } from './registry';
import { Lru } from './lru';

type DbConfig = { host: string; port: number; sslMode: boolean; username: string; password: string; database: string };
type Rows = Record<string, unknown>[];
/** Runs the query with its placeholders bound. */
type Executor = (params: unknown[]) => Promise<Rows>;

const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 10_000;

/** An executor whose driver is loaded (and pool made) on the first query: enrich without this enrichment never loads pg or mysql2. */
function lazyExecutor(make: () => Promise<Executor>): Executor {
  let ready: Promise<Executor> | undefined;
  return async (params) => (await (ready ??= make()))(params);
}

function postgresExecutor(db: DbConfig, sql: string): Executor {
  const text = numberPlaceholders(sql).text;
  return lazyExecutor(async () => {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      host: db.host,
      port: db.port,
      user: db.username,
      password: db.password,
      database: db.database,
      ssl: db.sslMode ? { rejectUnauthorized: true } : false,
      max: 4,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idleTimeoutMillis: 1000,
      allowExitOnIdle: true,
    });
    pool.on('error', () => {});
    return async (params) => (await pool.query(text, params)).rows as Rows;
  });
}

/** JDBC's view of MySQL types: TINYINT(1)/BIT(1) are booleans, DECIMAL a number, temporal values their text. */
const mysqlTypeCast: TypeCast = (field, next) => {
  if ((field.type === 'TINY' || field.type === 'BIT') && field.length === 1) {
    const b = field.type === 'BIT' ? field.buffer() : field.string();
    return b === null ? null : field.type === 'BIT' ? (b as Buffer)[0] === 1 : b === '1';
  }
  return next();
};

function mysqlExecutor(db: DbConfig, sql: string): Executor {
  return lazyExecutor(async () => {
    const { default: mysql } = await import('mysql2/promise');
    const pool = mysql.createPool({
      host: db.host,
      port: db.port,
      user: db.username,
      password: db.password,
      database: db.database,
      ssl: db.sslMode ? { rejectUnauthorized: true } : undefined,
      connectionLimit: 4,
      maxIdle: 0,
      idleTimeout: 1000,
      connectTimeout: CONNECT_TIMEOUT_MS,
      decimalNumbers: true,
      dateStrings: true,
      supportBigNumbers: true,
      typeCast: mysqlTypeCast,
      // Only bound parameters: no multi-statement strings, no client-side interpolation (execute = prepared).
      multipleStatements: false,
    });
    pool.on('connection', (c) => c.on('error', () => {}));
    return async (params) => {
      const [rows] = await pool.execute({ sql, timeout: STATEMENT_TIMEOUT_MS }, params as never);
      return rows as Rows;
    };
  });
}

/** `?` → `$n` outside quoted strings and identifiers (`'…'`, `"…"`, MySQL's `` `…` ``). */
export function numberPlaceholders(sql: string): { text: string; count: number } {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      out += ch;
    } else if (ch === '?') out += `$${++n}`;
    else out += ch;
  }
  return { text: out, count: n };
}

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

const NAMERS: Record<string, (s: string) => string> = {
  AS_IS: (s) => s,
  CAMEL_CASE: (s) => words(s).map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join(''),
  PASCAL_CASE: (s) => words(s).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''),
  SNAKE_CASE: (s) => words(s).join('_'),
  LOWER_CASE: (s) => s.toLowerCase(),
  UPPER_CASE: (s) => s.toUpperCase(),
};

function jsonValue(e: EnrichedEvent, column: JsonColumn, matches: (s: string) => boolean, path: ReturnType<typeof parseJsonPath>): unknown {
  const text = e[column];
  if (!text) return undefined;
  const doc = JSON.parse(text) as { data: unknown };
  const entities = columnEntities(column, doc);
  for (const en of entities) if (en && typeof en.schema === 'string' && matches(en.schema)) return selectJsonPath(en.data, path)[0];
  return undefined;
}

export function sqlQuery(c: EnrichmentConfig): Enrichment {
  const p = c.parameters as {
    inputs: Array<{ placeholder: number; pojo?: { field: string }; json?: { field: JsonColumn; schemaCriterion: string; jsonPath: string } }>;
    database: { postgresql?: DbConfig; mysql?: DbConfig };
    query: { sql: string };
    output: { expectedRows?: string; json: { schema: string; propertyNames: string; describes: 'ALL_ROWS' | 'EVERY_ROW' } };
    cache: { size: number; ttl: number };
    ignoreOnError?: boolean | null;
  };
  const db = p.database.postgresql ?? p.database.mysql;
  if (!db) throw new EnrichmentConfigError(c.source, 'data.parameters.database', 'needs postgresql or mysql');
  const { count } = numberPlaceholders(p.query.sql);
  const getters = new Map<number, (e: EnrichedEvent) => unknown>();
  p.inputs.forEach((i, n) => {
    if (i.pojo) {
      const idx = FIELD_INDEX[i.pojo.field as FieldName];
      if (idx === undefined) throw new EnrichmentConfigError(c.source, `data.parameters.inputs[${n}].pojo.field`, `'${i.pojo.field}' is not an enriched event field`);
      getters.set(i.placeholder, (e) => e.values[idx] ?? undefined);
    } else if (i.json) {
      const j = i.json;
      try {
        const matches = criterionMatcher(j.schemaCriterion);
        const path = parseJsonPath(j.jsonPath);
        getters.set(i.placeholder, (e) => jsonValue(e, j.field, matches, path));
      } catch (err) {
        throw new EnrichmentConfigError(c.source, `data.parameters.inputs[${n}].json`, (err as Error).message);
      }
    }
  });
  for (let k = 1; k <= count; k++) if (!getters.has(k)) throw new EnrichmentConfigError(c.source, 'data.parameters.inputs', `no input for placeholder ${k} of the query`);
  const run = p.database.postgresql ? postgresExecutor(db, p.query.sql) : mysqlExecutor(db, p.query.sql);
  const name = NAMERS[p.output.json.propertyNames] ?? NAMERS.AS_IS!;
  const cache = p.cache.size > 0 ? new Lru<{ at: number; rows: Record<string, unknown>[] }>(p.cache.size) : null;
  const ttlMs = p.cache.ttl * 1000;
  const info = enrichmentInfo(c);
  const expected = p.output.expectedRows ?? 'AT_LEAST_ZERO';
  return {
    name: 'sql_query_enrichment_config',
    info,
    async enrich(ctx) {
      const params: unknown[] = [];
      for (let k = 1; k <= count; k++) {
        const v = getters.get(k)!(ctx.event);
        if (v === undefined || v === null) return; // an input is missing: no query
        params.push(v);
      }
      const fail = (error: string) => (p.ignoreOnError ? undefined : { failures: [enrichmentFailure({ error }, info)] });
      const key = JSON.stringify(params);
      let rows = cache?.get(key);
      if (!rows || (ttlMs > 0 && Date.now() - rows.at >= ttlMs)) {
        try {
          rows = { at: Date.now(), rows: await run(params) };
          cache?.set(key, rows);
        } catch (err) {
          return fail(`SQL query failed: ${(err as Error).message}`);
        }
      }
      const n = rows.rows.length;
      if ((expected === 'EXACTLY_ONE' && n !== 1) || (expected === 'AT_MOST_ONE' && n > 1) || (expected === 'AT_LEAST_ONE' && n < 1))
        return fail(`SQL query returned ${n} rows, expected ${expected}`);
      const renamed = rows.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [name(k), v])));
      if (renamed.length === 0) return;
      const schema = p.output.json.schema;
      return { contexts: p.output.json.describes === 'ALL_ROWS' ? [entity(schema, renamed)] : renamed.map((r) => entity(schema, r)) };
    },
  };
}
