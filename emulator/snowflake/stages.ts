/**
 * External stages: `CREATE STAGE … URL='s3://bucket/prefix'`, `DESC STAGE`, `DROP STAGE`, kept in
 * `furrow_sf.stages` (so they live and die with the database, inside transactions like any DDL).
 */
import type { PgConnection } from './backend';
import { doesNotExist, SnowflakeError } from './errors';
import { statusResult, textColumn, type SnowflakeResult } from './results';
import type { ObjectName, Plan } from './translator';

export interface StageInfo {
  url: string | null;
  fileFormat: Record<string, string>;
}

/** Stage URLs are prefixes: normalise to exactly one trailing slash (Snowflake's DESC shows it so). */
export function normaliseStageUrl(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function schemaExists(conn: PgConnection, schema: string): Promise<boolean> {
  const r = await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return r.rows.length > 0;
}

export async function getStage(conn: PgConnection, stage: ObjectName): Promise<StageInfo> {
  const r = await conn.query('SELECT url, file_format::text FROM furrow_sf.stages WHERE schema_name = $1 AND stage_name = $2', [stage.schema, stage.name]);
  const row = r.rows[0];
  if (!row) throw doesNotExist('Stage', `${stage.schema}.${stage.name}`);
  return { url: row[0] ?? null, fileFormat: JSON.parse(row[1] ?? '{}') as Record<string, string> };
}

export async function createStage(conn: PgConnection, plan: Extract<Plan, { kind: 'create-stage' }>): Promise<SnowflakeResult> {
  const { stage } = plan;
  if (!(await schemaExists(conn, stage.schema))) throw doesNotExist('Schema', stage.schema);
  const existing = await conn.query('SELECT 1 FROM furrow_sf.stages WHERE schema_name = $1 AND stage_name = $2', [stage.schema, stage.name]);
  if (existing.rows.length > 0) {
    if (plan.ifNotExists) return statusResult(`${stage.name} already exists, statement succeeded.`);
    if (!plan.orReplace) throw new SnowflakeError('002002', '42710', `SQL compilation error:\nObject '${stage.name}' already exists.`, 'COMPILATION');
  }
  await conn.query(
    `INSERT INTO furrow_sf.stages (schema_name, stage_name, url, file_format) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (schema_name, stage_name) DO UPDATE SET url = EXCLUDED.url, file_format = EXCLUDED.file_format, created_at = now()`,
    [stage.schema, stage.name, plan.url === null ? null : normaliseStageUrl(plan.url), JSON.stringify(plan.fileFormat)],
  );
  return statusResult(`Stage area ${stage.name} successfully created.`);
}

export async function dropStage(conn: PgConnection, plan: Extract<Plan, { kind: 'drop-stage' }>): Promise<SnowflakeResult> {
  const r = await conn.query('DELETE FROM furrow_sf.stages WHERE schema_name = $1 AND stage_name = $2', [plan.stage.schema, plan.stage.name]);
  if (!r.rowCount && !plan.ifExists) throw doesNotExist('Stage', `${plan.stage.schema}.${plan.stage.name}`);
  return statusResult(`${plan.stage.name} successfully dropped.`);
}

/** DESC STAGE: Snowflake's property rows; the loader reads `STAGE_LOCATION`/`URL` (a JSON array of URLs). */
export async function describeStage(conn: PgConnection, stage: ObjectName): Promise<SnowflakeResult> {
  const info = await getStage(conn, stage);
  const type = (info.fileFormat.TYPE ?? 'CSV').toUpperCase();
  const rows: string[][] = [
    ['STAGE_FILE_FORMAT', 'TYPE', 'String', type, 'CSV'],
    ['STAGE_FILE_FORMAT', 'COMPRESSION', 'String', (info.fileFormat.COMPRESSION ?? 'AUTO').toUpperCase(), 'AUTO'],
    ['STAGE_COPY_OPTIONS', 'ON_ERROR', 'String', 'ABORT_STATEMENT', 'ABORT_STATEMENT'],
    ['STAGE_LOCATION', 'URL', 'String', info.url === null ? '' : JSON.stringify([info.url]), ''],
    ['STAGE_INTEGRATION', 'STORAGE_INTEGRATION', 'String', '', ''],
    ['STAGE_CREDENTIALS', 'AWS_KEY_ID', 'String', '', ''],
    ['DIRECTORY', 'ENABLE', 'Boolean', 'false', 'false'],
  ];
  return {
    rowtype: ['parent_property', 'property', 'property_type', 'property_value', 'property_default'].map(textColumn),
    rowset: rows,
  };
}
