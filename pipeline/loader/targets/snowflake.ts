/**
 * `SnowflakeTarget`: loads windows into Snowflake (or the emulator) through snowflake-sdk, with the
 * statements of snowflake-sql.ts in the RDB loader's order (spec §3.1, §3.3):
 *   init: ready check → CREATE SCHEMA → CREATE TABLE events → CREATE TABLE manifest → ADD load_tstamp if
 *         missing → [CREATE STAGE if `stageUrl`] → DESC STAGE (stage location)
 *   load: ready check → ALTER TABLE ADD COLUMN per missing OBJECT/ARRAY column (each its own transaction)
 *         → CREATE TEMPORARY staging table → BEGIN; manifest SELECT; (already there: ROLLBACK, done)
 *         COPY INTO staging; INSERT INTO events what is not a duplicate (same event_id and event_fingerprint
 *         as a loaded row or an earlier one of the window); manifest INSERT; COMMIT → DROP staging.
 * Any failed load drops the connection (its session, and so any half-open transaction, ends with it);
 * the next attempt logs in again.
 */
import { randomBytes } from 'node:crypto';
import snowflake from 'snowflake-sdk';
import type { SnowflakeTargetConfig } from '../config';
import type { LoadWindow } from '../window';
import * as sql from './snowflake-sql';
import type { LoadResult, LoadTarget } from './target';

type Row = Record<string, unknown>;

let sdkConfigured = false;

export class SnowflakeTarget implements LoadTarget {
  readonly kind = 'snowflake' as const;
  private conn: snowflake.Connection | null = null;
  private stageUrl: string | null = null;
  /** This loader's staging table (temporary: session-scoped in Snowflake). */
  private readonly staging = `furrow_staging_${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly cfg: SnowflakeTargetConfig,
    private readonly opts: { addLoadTstampColumn: boolean; log?: (msg: string, fields?: Record<string, unknown>) => void },
  ) {
    if (!sdkConfigured) {
      // the driver logs to stdout by default; the loader has its own log
      snowflake.configure({ logLevel: 'ERROR' } as snowflake.ConfigureOptions);
      sdkConfigured = true;
    }
  }

  private async connection(): Promise<snowflake.Connection> {
    if (this.conn && this.conn.isUp()) return this.conn;
    this.conn = null;
    const c = this.cfg;
    const conn = snowflake.createConnection({
      account: c.account,
      username: c.username,
      password: c.password,
      database: c.database,
      schema: c.schema,
      warehouse: c.warehouse,
      ...(c.role ? { role: c.role } : {}),
      ...(c.region ? { region: c.region } : {}),
      ...(c.host ? { host: c.host } : {}),
      ...(c.port ? { port: c.port } : {}),
      ...(c.protocol ? { protocol: c.protocol } : {}),
      ...(c.accessUrl ? { accessUrl: c.accessUrl } : {}),
      application: 'furrow-loader',
    } as snowflake.ConnectionOptions);
    // connectAsync resolves even when the login fails; the error only reaches the callback
    await new Promise<void>((resolve, reject) => void conn.connectAsync((err) => (err ? reject(err) : resolve())).catch(reject));
    this.conn = conn;
    return conn;
  }

  private async exec(sqlText: string, binds: (string | number | null)[] = []): Promise<Row[]> {
    const conn = await this.connection();
    return new Promise<Row[]>((resolve, reject) =>
      conn.execute({
        sqlText,
        binds: binds as snowflake.Binds,
        complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Row[])),
      }),
    );
  }

  private async disconnect(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    if (c) await new Promise<void>((resolve) => c.destroy(() => resolve()));
  }

  private async existingColumns(): Promise<Set<string>> {
    const rows = await this.exec(sql.eventsColumns(this.cfg.schema));
    return new Set(rows.map((r) => String(r.COLUMN_NAME ?? r.column_name ?? '').toLowerCase()));
  }

  async init(): Promise<void> {
    const { schema } = this.cfg;
    try {
      await this.exec(sql.readyCheck(this.cfg.readyCheck, this.cfg.warehouse));
      await this.exec(sql.createSchema(schema));
      await this.exec(sql.createEventsTable(schema, this.opts.addLoadTstampColumn));
      await this.exec(sql.createManifestTable(schema));
      if (this.opts.addLoadTstampColumn && !(await this.existingColumns()).has('load_tstamp')) await this.exec(sql.addLoadTstamp(schema));
      if (this.cfg.stageUrl) await this.exec(sql.createStage(schema, this.cfg.stage, this.cfg.stageUrl, this.cfg.storageIntegration));
      const desc = await this.exec(sql.describeStage(schema, this.cfg.stage));
      const loc = desc.find((r) => r.parent_property === 'STAGE_LOCATION' || r.PARENT_PROPERTY === 'STAGE_LOCATION');
      const urls = JSON.parse(String(loc?.property_value ?? loc?.PROPERTY_VALUE ?? '[]')) as string[];
      if (!urls[0]) throw new Error(`stage ${schema}.${this.cfg.stage} has no location (an external stage with URL = 's3://…' is needed)`);
      this.stageUrl = urls[0].endsWith('/') ? urls[0] : `${urls[0]}/`;
    } catch (err) {
      await this.disconnect();
      throw err;
    }
  }

  async healthCheck(): Promise<void> {
    await this.exec('SELECT 1');
  }

  async load(window: LoadWindow): Promise<LoadResult> {
    if (!this.stageUrl) await this.init();
    const { schema, stage } = this.cfg;
    const after = sql.pathAfterStage(this.stageUrl!, window.base); // WindowRejected before touching the warehouse
    // FORCE: the staging table is new for every load, whatever its load metadata says about the files.
    const copy = sql.copyInto(schema, stage, after, window.columns, this.opts.addLoadTstampColumn, this.staging, true);
    try {
      await this.exec(sql.readyCheck(this.cfg.readyCheck, this.cfg.warehouse));
      const columnsAdded: string[] = [];
      const existing = await this.existingColumns();
      for (const col of window.columns) {
        if (existing.has(col.name)) continue;
        try {
          await this.exec(sql.addEntityColumn(schema, col)); // DDL: its own transaction
          columnsAdded.push(col.name);
        } catch (err) {
          // another loader may have added it in between: only a column that is still missing is an error
          if (!(await this.existingColumns()).has(col.name)) throw err;
        }
        this.opts.log?.('added column', { column: col.name, schemaKey: col.schemaKey });
      }
      await this.exec(sql.createStagingTable(schema, this.staging)); // DDL: before the transaction
      await this.exec('BEGIN');
      const found = await this.exec(sql.manifestGet(schema), [window.base]);
      if (found.length > 0) {
        await this.exec('ROLLBACK');
        await this.exec(sql.dropStagingTable(schema, this.staging));
        return { outcome: 'already-loaded', columnsAdded };
      }
      const copied = await this.exec(copy);
      const read = copied.reduce((n, r) => n + (Number(r.rows_loaded ?? r.ROWS_LOADED ?? 0) || 0), 0);
      const inserted = await this.exec(sql.dedupInsert(schema, this.staging, window.columns, this.opts.addLoadTstampColumn));
      const rows = Number(Object.values(inserted[0] ?? {})[0] ?? 0);
      await this.exec(sql.manifestAdd(schema), sql.manifestBinds(window));
      await this.exec('COMMIT');
      await this.exec(sql.dropStagingTable(schema, this.staging));
      return { outcome: 'loaded', rows, duplicates: read - rows, columnsAdded };
    } catch (err) {
      await this.disconnect(); // ends the session: an open transaction is rolled back with it
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.disconnect();
  }
}
