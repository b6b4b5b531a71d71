/**
 * `PostgresTarget`: loads windows into `<schema>.events` on Postgres through `pg`, with the Snowflake
 * loader's rules: missing self-describing columns are added first (JSONB, each in its own transaction),
 * then one transaction takes an advisory lock on the base, checks the manifest, copies the rows (skipping
 * events already loaded: same event_id and event_fingerprint) and inserts the manifest row. Rows go in
 * with COPY FROM STDIN (into a staging table) on a real Postgres, and as batched
 * `INSERT … SELECT FROM jsonb_populate_recordset($1)` on PGlite (which cannot COPY over the wire) — the
 * server is recognised by `version()` when `loadMethod` is `auto`.
 */
import pg from 'pg';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PostgresTargetConfig } from '../config';
import { readWindowRows } from '../wide-row-files';
import { WindowRejected, type LoadWindow } from '../window';
import { copyFromStdin } from './pg-copy';
import * as sql from './postgres-sql';
import type { LoadResult, LoadTarget } from './target';
import { postgresColumnName } from '../../core/wide-row';

const BATCH_BYTES = 4 * 1024 * 1024;

export class PostgresTarget implements LoadTarget {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private method: 'copy' | 'insert' | null = null;

  constructor(
    private readonly cfg: PostgresTargetConfig,
    private readonly s3: S3Client,
    private readonly opts: { addLoadTstampColumn: boolean; log?: (msg: string, fields?: Record<string, unknown>) => void },
  ) {
    // Two connections: loads are sequential; the second keeps the health check from queueing behind a COPY.
    this.pool = new pg.Pool({ connectionString: cfg.url, max: 2, options: '-c TimeZone=UTC' });
    this.pool.on('error', () => {}); // an idle client losing its server must not crash the loader
  }

  /** The load method in use (after init). */
  get loadMethod(): 'copy' | 'insert' | null {
    return this.method;
  }

  async init(): Promise<void> {
    const { schema } = this.cfg;
    if (this.cfg.loadMethod === 'auto') {
      const r = await this.pool.query<{ version: string }>('SELECT version() AS version');
      this.method = /PGlite/i.test(r.rows[0]?.version ?? '') ? 'insert' : 'copy';
    } else this.method = this.cfg.loadMethod;
    await this.pool.query(sql.createSchema(schema));
    await this.pool.query(sql.createEventsTable(schema, this.opts.addLoadTstampColumn));
    await this.pool.query(sql.createEventIdIndex(schema));
    await this.pool.query(sql.createManifestTable(schema));
    if (this.opts.addLoadTstampColumn) await this.pool.query(sql.addColumn(schema, 'load_tstamp', 'timestamp NULL'));
  }

  async healthCheck(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async existingColumns(): Promise<Set<string>> {
    const r = await this.pool.query<{ column_name: string }>(sql.eventsColumns(), [this.cfg.schema]);
    return new Set(r.rows.map((x) => x.column_name));
  }

  async load(window: LoadWindow): Promise<LoadResult> {
    if (!this.method) await this.init();
    if (!window.good) throw new WindowRejected(`the window base ${window.base} is not an s3:// folder`);
    const { schema } = this.cfg;
    const columnsAdded: string[] = [];
    const existing = await this.existingColumns();
    for (const col of window.columns) {
      const name = postgresColumnName(col.name);
      if (existing.has(name)) continue;
      await this.pool.query(sql.addColumn(schema, name, 'jsonb')); // its own (implicit) transaction
      columnsAdded.push(col.name);
      this.opts.log?.('added column', { column: name, schemaKey: col.schemaKey });
    }

    const cols = sql.loadColumns(window.columns, this.opts.addLoadTstampColumn);
    const loadTstamp = new Date().toISOString();
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      // two loaders racing on one window: the second waits here, then finds the manifest row
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7326))', [window.base]);
      const found = await client.query(sql.manifestGet(schema), [window.base]);
      if (found.rows.length > 0) {
        await client.query('ROLLBACK');
        return { outcome: 'already-loaded', columnsAdded };
      }
      const rows = readWindowRows(this.s3, window.good.bucket, window.good.prefix);
      const { read, loaded } = this.method === 'copy' ? await this.copy(client, cols, rows, loadTstamp) : await this.insert(client, cols, rows, loadTstamp);
      const m = window.message;
      await client.query(sql.manifestAdd(schema), [
        window.base,
        JSON.stringify(m.typesInfo.types.map((t) => ({ schemaKey: t.schemaKey, format: 'JSON', transformation: 'widerow' }))),
        m.timestamps.jobStarted,
        m.timestamps.jobCompleted,
        m.timestamps.min,
        m.timestamps.max,
        m.compression,
        m.processor.artifact,
        m.processor.version,
        m.count?.good ?? null,
      ]);
      await client.query('COMMIT');
      return { outcome: 'loaded', rows: loaded, duplicates: read - loaded, columnsAdded };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** COPY into a staging table, then insert what is not a duplicate. */
  private async copy(client: pg.PoolClient, cols: sql.LoadColumn[], rows: AsyncIterable<Record<string, unknown>>, loadTstamp: string): Promise<{ read: number; loaded: number }> {
    async function* lines() {
      let chunk = '';
      for await (const row of rows) {
        chunk += sql.copyLine(row, cols, loadTstamp);
        if (chunk.length >= 256 * 1024) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
    await client.query(sql.createStagingTable(this.cfg.schema));
    const read = await copyFromStdin(client, sql.copyStatement(cols), lines());
    const r = await client.query(sql.stagedInsert(this.cfg.schema, cols));
    return { read, loaded: r.rowCount ?? 0 };
  }

  private async insert(client: pg.PoolClient, cols: sql.LoadColumn[], rows: AsyncIterable<Record<string, unknown>>, loadTstamp: string): Promise<{ read: number; loaded: number }> {
    const statement = sql.insertStatement(this.cfg.schema, cols);
    let batch: string[] = [];
    let bytes = 0;
    let read = 0;
    let total = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const r = await client.query(statement, [`[${batch.join(',')}]`]);
      read += batch.length;
      total += r.rowCount ?? 0;
      batch = [];
      bytes = 0;
    };
    for await (const row of rows) {
      // jsonb refuses \u0000: drop NULs from strings (Postgres text cannot hold them either)
      const json = JSON.stringify(sql.insertRecord(row, cols, loadTstamp), (_k, v: unknown) => (typeof v === 'string' ? sql.stripNul(v) : v));
      batch.push(json);
      bytes += json.length;
      if (batch.length >= this.cfg.batchRows || bytes >= BATCH_BYTES) await flush();
    }
    await flush();
    return { read, loaded: total };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
