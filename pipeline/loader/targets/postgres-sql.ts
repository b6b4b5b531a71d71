/**
 * The Postgres shape of `atomic.events` and the manifest, pure: the same columns as Snowflake's
 * (CHAR → varchar so nothing is blank-padded, OBJECT/ARRAY → JSONB), identifiers always quoted, names
 * from data validated and kept within Postgres' 63-byte limit (`postgresColumnName`). Unlike Snowflake,
 * Postgres enforces keys, so `event_id` gets no PRIMARY KEY (a replayed event must not fail a window);
 * the manifest's `base` keeps its PRIMARY KEY, a second guard against loading a window twice.
 * Rows go in through `dedupInsert`: an event whose (event_id, event_fingerprint) is already in the table, or
 * earlier in the same statement, is a natural duplicate (a tracker retry, a stage replaying from its
 * checkpoint) and is skipped, so an event is one row however often it reached a window.
 */
import { ATOMIC_COLUMNS, LOAD_TSTAMP_COLUMN, postgresColumnName, type AtomicColumn, type EntityColumn } from '../../core/wide-row';

export function q(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || name.length > 63) throw new Error(`refusing to quote unvalidated identifier '${name}'`);
  return `"${name}"`;
}

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${q(schema)}`;
}

export function createEventsTable(schema: string, withLoadTstamp: boolean): string {
  const cols = ATOMIC_COLUMNS.map((c) => `${q(c.name)} ${c.postgres}${c.notNull ? ' NOT NULL' : ''}`);
  if (withLoadTstamp) cols.push(`${q(LOAD_TSTAMP_COLUMN.name)} timestamp NULL`);
  return `CREATE TABLE IF NOT EXISTS ${q(schema)}."events" (\n  ${cols.join(',\n  ')}\n)`;
}

export function createManifestTable(schema: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${q(schema)}."manifest" ("base" varchar(512) NOT NULL PRIMARY KEY, "types" jsonb NOT NULL, ` +
    '"shredding_started" timestamp NOT NULL, "shredding_completed" timestamp NOT NULL, "min_collector_tstamp" timestamp, ' +
    '"max_collector_tstamp" timestamp, "ingestion_tstamp" timestamp NOT NULL, "compression" varchar(16) NOT NULL, ' +
    '"processor_artifact" varchar(64) NOT NULL, "processor_version" varchar(32) NOT NULL, "count_good" integer)'
  );
}

/** The index the duplicate check looks events up by. */
export function createEventIdIndex(schema: string): string {
  return `CREATE INDEX IF NOT EXISTS "events_event_id" ON ${q(schema)}."events" ("event_id")`;
}

export function eventsColumns(): string {
  return `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events'`;
}

export function addColumn(schema: string, column: string, type: string): string {
  return `ALTER TABLE ${q(schema)}."events" ADD COLUMN IF NOT EXISTS ${q(column)} ${type}`;
}

export function manifestGet(schema: string): string {
  return `SELECT "ingestion_tstamp", "base" FROM ${q(schema)}."manifest" WHERE "base" = $1 LIMIT 1`;
}

export function manifestAdd(schema: string): string {
  return (
    `INSERT INTO ${q(schema)}."manifest" ("base", "types", "shredding_started", "shredding_completed", "min_collector_tstamp", ` +
    '"max_collector_tstamp", "ingestion_tstamp", "compression", "processor_artifact", "processor_version", "count_good") ' +
    "VALUES ($1, $2::jsonb, $3, $4, $5, $6, now() AT TIME ZONE 'UTC', $7, $8, $9, $10)"
  );
}

/** One loaded column: where the value comes from in the wide-row JSON and how it is typed. */
export interface LoadColumn {
  /** Key in the wide-row JSON object. */
  key: string;
  /** Postgres column name (≤ 63 bytes). */
  column: string;
  kind: AtomicColumn['kind'] | 'json' | 'load_tstamp';
}

export function loadColumns(entities: EntityColumn[], withLoadTstamp: boolean): LoadColumn[] {
  const cols: LoadColumn[] = ATOMIC_COLUMNS.map((c) => ({ key: c.name, column: c.name, kind: c.kind }));
  for (const e of entities) cols.push({ key: e.name, column: postgresColumnName(e.name), kind: 'json' });
  if (withLoadTstamp) cols.push({ key: LOAD_TSTAMP_COLUMN.name, column: LOAD_TSTAMP_COLUMN.name, kind: 'load_tstamp' });
  return cols;
}

/**
 * `INSERT … SELECT` from `source` (rows shaped like events, aliased `r`) that skips natural duplicates:
 * one row per (event_id, event_fingerprint) of the source, none whose key is already in the table.
 */
function dedupInsert(schema: string, cols: LoadColumn[], source: string): string {
  const target = `${q(schema)}."events"`;
  const list = cols.map((c) => q(c.column)).join(', ');
  return (
    `INSERT INTO ${target} (${list}) SELECT ${cols.map((c) => `r.${q(c.column)}`).join(', ')} ` +
    `FROM (SELECT DISTINCT ON ("event_id", "event_fingerprint") * FROM ${source}) AS r ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${target} AS e WHERE e."event_id" = r."event_id" AND e."event_fingerprint" IS NOT DISTINCT FROM r."event_fingerprint")`
  );
}

/** Batched insert for servers that cannot COPY over the wire (PGlite): one JSON array parameter per batch, duplicates skipped. */
export function insertStatement(schema: string, cols: LoadColumn[]): string {
  return dedupInsert(schema, cols, `jsonb_populate_recordset(NULL::${q(schema)}."events", $1::jsonb) AS s`);
}

/** COPY goes into this transaction-scoped table first, then `stagedInsert` moves it over without duplicates. */
export const STAGING_TABLE = 'furrow_load_staging';

export function createStagingTable(schema: string): string {
  return `CREATE TEMP TABLE ${q(STAGING_TABLE)} (LIKE ${q(schema)}."events") ON COMMIT DROP`;
}

export function copyStatement(cols: LoadColumn[]): string {
  return `COPY ${q(STAGING_TABLE)} (${cols.map((c) => q(c.column)).join(', ')}) FROM STDIN`;
}

export function stagedInsert(schema: string, cols: LoadColumn[]): string {
  return dedupInsert(schema, cols, q(STAGING_TABLE));
}

/** Postgres text cannot hold U+0000 (neither COPY nor jsonb take it): remove it, change nothing else. */
export function stripNul(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '') : s;
}

function copyEscape(s: string): string {
  return stripNul(s).replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

function text(v: unknown, kind: LoadColumn['kind']): string | null {
  if (v === null || v === undefined) return null;
  if (kind === 'json') return JSON.stringify(v);
  if (kind === 'boolean' && typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** One wide-row event as a line of COPY text format (tab-separated, `\N` for null). */
export function copyLine(row: Record<string, unknown>, cols: LoadColumn[], loadTstamp: string): string {
  const out = new Array<string>(cols.length);
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!;
    const v = c.kind === 'load_tstamp' ? loadTstamp : text(row[c.key], c.kind);
    out[i] = v === null ? '\\N' : copyEscape(v);
  }
  return out.join('\t') + '\n';
}

/** One wide-row event as the JSON record `jsonb_populate_recordset` reads (keys = Postgres column names). */
export function insertRecord(row: Record<string, unknown>, cols: LoadColumn[], loadTstamp: string): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  for (const c of cols) {
    const v = c.kind === 'load_tstamp' ? loadTstamp : row[c.key];
    rec[c.column] = v === undefined ? null : v;
  }
  return rec;
}
