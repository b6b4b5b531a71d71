/**
 * The Snowflake statements of the RDB Snowflake loader (spec §3.4-3.5), pure. Schema, stage and
 * warehouse names come from the (validated) config and are written unquoted like Snowplow does;
 * self-describing column names come from data, so they are validated (`^[a-z_][a-z0-9_]*$`) and written
 * quoted in upper case, which in Snowflake is the same identifier as the unquoted lower-case name.
 * Values travel as binds; only validated identifiers and fixed text are ever spliced into SQL.
 */
import { ATOMIC_COLUMNS, LOAD_TSTAMP_COLUMN, snowflakeEntityType, validateIdentifier, type EntityColumn } from '../../core/wide-row';
import { SAFE_PATH, WindowRejected } from '../window';
import type { LoadWindow } from '../window';

/** Config-level identifiers (schema, table, stage, warehouse): letters, digits, `_`, `$`. */
export function configIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name)) throw new Error(`invalid identifier '${name}' in the loader config`);
  return name;
}

/** A self-describing column as a quoted Snowflake identifier (`"CONTEXTS_COM_ACME_USER_1"`). */
export function sdColumn(name: string): string {
  return `"${validateIdentifier(name).toUpperCase()}"`;
}

export function readyCheck(kind: 'ResumeWarehouse' | 'Select1', warehouse: string): string {
  return kind === 'ResumeWarehouse' ? `ALTER WAREHOUSE ${configIdent(warehouse)} RESUME IF SUSPENDED` : 'SELECT 1';
}

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${configIdent(schema)}`;
}

export function createEventsTable(schema: string, withLoadTstamp: boolean): string {
  const cols = ATOMIC_COLUMNS.map((c) => `${c.name.padEnd(26)} ${c.snowflake}${c.name === 'event_id' ? ' NOT NULL UNIQUE' : c.notNull ? ' NOT NULL' : ''}`);
  if (withLoadTstamp) cols.push(`${LOAD_TSTAMP_COLUMN.name.padEnd(26)} TIMESTAMP NULL`);
  return `CREATE TABLE IF NOT EXISTS ${configIdent(schema)}.events (\n  ${cols.join(',\n  ')},\n  CONSTRAINT event_id_pk PRIMARY KEY(event_id)\n)`;
}

export function createManifestTable(schema: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${configIdent(schema)}.manifest ( base VARCHAR(512) NOT NULL UNIQUE, types ARRAY NOT NULL, ` +
    'shredding_started TIMESTAMP_NTZ NOT NULL, shredding_completed TIMESTAMP_NTZ NOT NULL, min_collector_tstamp TIMESTAMP_NTZ, ' +
    'max_collector_tstamp TIMESTAMP_NTZ, ingestion_tstamp TIMESTAMP_NTZ NOT NULL, compression VARCHAR(16) NOT NULL, ' +
    'processor_artifact VARCHAR(64) NOT NULL, processor_version VARCHAR(32) NOT NULL, count_good INTEGER, CONSTRAINT base_pk PRIMARY KEY(base) )'
  );
}

export function addLoadTstamp(schema: string): string {
  return `ALTER TABLE ${configIdent(schema)}.events ADD COLUMN load_tstamp TIMESTAMP NULL`;
}

export function eventsColumns(schema: string): string {
  return `SELECT column_name FROM information_schema.columns WHERE table_name = 'EVENTS' AND table_schema = '${configIdent(schema).toUpperCase()}'`;
}

export function addEntityColumn(schema: string, column: EntityColumn): string {
  return `ALTER TABLE ${configIdent(schema)}.events ADD COLUMN ${sdColumn(column.name)} ${snowflakeEntityType(column.entity)}`;
}

export function createStage(schema: string, stage: string, url: string, storageIntegration?: string): string {
  if (/['\\\s]/.test(url)) throw new Error(`invalid stage URL '${url}'`);
  return `CREATE STAGE IF NOT EXISTS ${configIdent(schema)}.${configIdent(stage)} URL = '${url}'${storageIntegration ? ` STORAGE_INTEGRATION = ${configIdent(storageIntegration)}` : ''}`;
}

export function describeStage(schema: string, stage: string): string {
  return `DESC STAGE ${configIdent(schema)}.${configIdent(stage)}`;
}

export function manifestGet(schema: string): string {
  return (
    'SELECT ingestion_tstamp, base, types, shredding_started, shredding_completed, min_collector_tstamp, max_collector_tstamp, ' +
    `compression, processor_artifact, processor_version, count_good FROM ${configIdent(schema)}.manifest WHERE base = ? LIMIT 1`
  );
}

/** The manifest insert; binds: base, types JSON, started, completed, min, max, compression, artifact, version, count_good. */
export function manifestAdd(schema: string): string {
  return (
    `INSERT INTO ${configIdent(schema)}.manifest (base, types, shredding_started, shredding_completed, min_collector_tstamp, max_collector_tstamp, ` +
    'ingestion_tstamp, compression, processor_artifact, processor_version, count_good) SELECT ?, parse_json(?), ?, ?, ?, ?, sysdate(), ?, ?, ?, ?'
  );
}

export function manifestBinds(window: LoadWindow): (string | number | null)[] {
  const m = window.message;
  const types = m.typesInfo.types.map((t) => ({ schemaKey: t.schemaKey, format: 'JSON', transformation: 'widerow' }));
  return [
    window.base,
    JSON.stringify(types),
    m.timestamps.jobStarted,
    m.timestamps.jobCompleted,
    m.timestamps.min,
    m.timestamps.max,
    m.compression,
    m.processor.artifact,
    m.processor.version,
    m.count?.good ?? null,
  ];
}

/** The part of the run folder after the stage location (`run=…/`); the base must be under the stage. */
export function pathAfterStage(stageUrl: string, base: string): string {
  const loc = stageUrl.endsWith('/') ? stageUrl : `${stageUrl}/`;
  if (!base.startsWith(loc)) throw new WindowRejected(`the window ${base} is not under the stage location ${loc}`);
  const after = base.slice(loc.length);
  if (!SAFE_PATH.test(after)) throw new WindowRejected(`the window path '${after}' has characters a stage path cannot carry`);
  return after;
}

/** The columns a load writes: the atomic ones, the window's self-describing ones, `load_tstamp`. */
function loadNames(columns: EntityColumn[], withLoadTstamp: boolean): string[] {
  const names = [...ATOMIC_COLUMNS.map((c) => c.name), ...columns.map((c) => sdColumn(c.name))];
  if (withLoadTstamp) names.push('load_tstamp');
  return names;
}

/** COPY INTO `table` with the explicit column list and `$1:<col>` projections (no MATCH_BY_COLUMN_NAME). */
export function copyInto(schema: string, stage: string, after: string, columns: EntityColumn[], withLoadTstamp: boolean, table = 'events', force = false): string {
  const names = loadNames(columns, withLoadTstamp);
  const select = [...ATOMIC_COLUMNS.map((c) => `$1:${c.name}`), ...columns.map((c) => `$1:"${validateIdentifier(c.name)}"`)];
  if (withLoadTstamp) select.push('current_timestamp()');
  const path = `@${configIdent(schema)}.${configIdent(stage)}/${after.replace(/\/+$/, '')}${after ? '/' : ''}output=good/`;
  return (
    `COPY INTO ${configIdent(schema)}.${configIdent(table)}(${names.join(',')})\n` +
    `FROM (\n  SELECT ${select.join(',')} FROM ${path}\n)\n` +
    "FILE_FORMAT = (TYPE = JSON TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF')\n" +
    `ON_ERROR = ABORT_STATEMENT${force ? '\nFORCE = TRUE' : ''}`
  );
}

/**
 * A window is copied into a session-scoped staging table first (created before the load's transaction:
 * DDL commits in Snowflake), then `dedupInsert` moves it over without natural duplicates.
 */
export function createStagingTable(schema: string, staging: string): string {
  return `CREATE OR REPLACE TEMPORARY TABLE ${configIdent(schema)}.${configIdent(staging)} LIKE ${configIdent(schema)}.events`;
}

export function dropStagingTable(schema: string, staging: string): string {
  return `DROP TABLE IF EXISTS ${configIdent(schema)}.${configIdent(staging)}`;
}

/**
 * Staged rows → events, one per (event_id, event_fingerprint) of the window and none whose key the table
 * already has: an event that reached the pipeline twice (a tracker retry, a replay from a checkpoint) is
 * loaded once.
 */
export function dedupInsert(schema: string, staging: string, columns: EntityColumn[], withLoadTstamp: boolean): string {
  const names = loadNames(columns, withLoadTstamp).join(', ');
  const s = configIdent(schema);
  return (
    `INSERT INTO ${s}.events (${names})\n` +
    `SELECT ${names} FROM (\n` +
    `  SELECT staged.*, ROW_NUMBER() OVER (PARTITION BY event_id, event_fingerprint ORDER BY collector_tstamp) AS furrow_copy\n` +
    `  FROM ${s}.${configIdent(staging)} AS staged\n` +
    `) AS d\n` +
    `WHERE d.furrow_copy = 1 AND NOT EXISTS (\n` +
    `  SELECT 1 FROM ${s}.events AS e\n` +
    `  WHERE e.event_id = d.event_id AND (e.event_fingerprint = d.event_fingerprint OR (e.event_fingerprint IS NULL AND d.event_fingerprint IS NULL))\n` +
    `)`
  );
}
