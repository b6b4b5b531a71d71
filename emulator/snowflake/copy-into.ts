/**
 * `COPY INTO <table> FROM (SELECT $1:a, … FROM @stage/path/) FILE_FORMAT = (TYPE = JSON …)`: reads the
 * files under the stage location from S3 (the AWS emulator, or AWS) with `@aws-sdk/client-s3`, parses
 * newline-delimited JSON (gzip or plain, detected by magic bytes), projects `$1:<path>` per target column
 * and inserts in batches with `INSERT … SELECT … FROM jsonb_populate_recordset(NULL::<table>, $1)`, so
 * Postgres applies the column types (timestamps, numbers, OBJECT/ARRAY checks, NOT NULL) exactly as an
 * INSERT would. Semantics kept from Snowflake:
 *  - load metadata: a file (same name + ETag) already loaded into the table is skipped unless FORCE = TRUE;
 *    the history is written in the COPY's own transaction, so a rolled-back COPY loads nothing and records nothing;
 *  - ON_ERROR = ABORT_STATEMENT (default) fails the statement on the first bad row, CONTINUE skips bad
 *    rows, SKIP_FILE skips a file with any bad row; the result has one row per file (file, status,
 *    rows_parsed, rows_loaded, error_limit, errors_seen, first_error, …) or "Copy executed with 0 files processed.".
 * The executor runs this inside a transaction (it uses savepoints for CONTINUE / SKIP_FILE).
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { PgConnection } from './backend';
import { doesNotExist, fromPostgresError, SnowflakeError, compilationError } from './errors';
import { q } from './expressions';
import { fixedColumn, statusResult, textColumn, type SnowflakeResult } from './results';
import { getStage, normaliseStageUrl } from './stages';
import type { CopyPlan, Projection } from './translator';

const BATCH_ROWS = 1000;
const BATCH_BYTES = 4 * 1024 * 1024;

interface TargetColumn {
  name: string;
  type: string;
}

interface FileOutcome {
  file: string;
  status: 'LOADED' | 'LOAD_FAILED' | 'PARTIALLY_LOADED';
  parsed: number;
  loaded: number;
  errors: number;
  firstError: string | null;
  firstErrorLine: number | null;
  firstErrorColumn: string | null;
}

class RowError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: string | null = null,
  ) {
    super(message);
  }
}

/** `s3://bucket/a/b` → `{bucket, prefix: 'a/b'}`. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (!m) throw compilationError(`'${url}' is not an s3:// location.`);
  return { bucket: m[1]!, prefix: m[2]! };
}

function walk(value: unknown, path: (string | number)[]): unknown {
  let v = value;
  for (const step of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = typeof step === 'number' ? (Array.isArray(v) ? v[step] : undefined) : Array.isArray(v) ? undefined : (v as Record<string, unknown>)[step];
  }
  return v;
}

/** Postgres text cannot hold U+0000 (jsonb refuses `\u0000`); Snowflake stores it. Strip it from strings, nothing else. */
function withoutNul(_key: string, v: unknown): unknown {
  return typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '') : v;
}

export class CopyIntoExecutor {
  constructor(private readonly s3: S3Client) {}

  async run(conn: PgConnection, plan: CopyPlan): Promise<SnowflakeResult> {
    const location = await this.location(conn, plan);
    const { bucket, prefix } = parseS3Url(location);
    const table = await this.tableColumns(conn, plan.table.schema, plan.table.name);
    const { targets, projections } = this.mapColumns(plan, table);
    const target = `${q(plan.table.schema)}.${q(plan.table.name)}`;

    let files = await this.list(bucket, prefix);
    if (plan.files) {
      const wanted = new Set(plan.files.map((f) => f.replace(/^\/+/, '')));
      files = files.filter((f) => wanted.has(f.key.slice(prefix.length).replace(/^\/+/, '')) || wanted.has(f.key));
    }
    if (plan.pattern) files = files.filter((f) => plan.pattern!.test(f.key.slice(prefix.length)) || plan.pattern!.test(f.key));
    if (!plan.force && files.length) {
      const done = await conn.query(
        'SELECT file, etag FROM furrow_sf.load_history WHERE table_schema = $1 AND table_name = $2 AND file = ANY($3::text[])',
        [plan.table.schema, plan.table.name, `{${files.map((f) => JSON.stringify(`s3://${bucket}/${f.key}`)).join(',')}}`],
      );
      const loaded = new Set(done.rows.map((r) => `${r[0]}\u0000${r[1]}`));
      files = files.filter((f) => !loaded.has(`s3://${bucket}/${f.key}\u0000${f.etag}`));
    }
    if (files.length === 0) return statusResult('Copy executed with 0 files processed.');

    const insert = this.insertStatement(target, targets, projections);
    const outcomes: FileOutcome[] = [];
    for (const f of files) {
      const url = `s3://${bucket}/${f.key}`;
      const outcome = await this.loadFile(conn, plan, url, await this.read(bucket, f.key), projections, insert);
      outcomes.push(outcome);
      if (outcome.loaded > 0 || outcome.status === 'LOADED')
        await conn.query(
          `INSERT INTO furrow_sf.load_history (table_schema, table_name, file, etag, rows_loaded) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (table_schema, table_name, file, etag) DO UPDATE SET rows_loaded = EXCLUDED.rows_loaded, loaded_at = now()`,
          [plan.table.schema, plan.table.name, url, f.etag, String(outcome.loaded)],
        );
    }
    return {
      rowtype: [
        textColumn('file'),
        textColumn('status'),
        fixedColumn('rows_parsed'),
        fixedColumn('rows_loaded'),
        fixedColumn('error_limit'),
        fixedColumn('errors_seen'),
        textColumn('first_error'),
        fixedColumn('first_error_line'),
        fixedColumn('first_error_character'),
        textColumn('first_error_column_name'),
      ],
      rowset: outcomes.map((o) => [
        o.file,
        o.status,
        String(o.parsed),
        String(o.loaded),
        String(plan.onError === 'CONTINUE' ? o.parsed : 1),
        String(o.errors),
        o.firstError,
        o.firstErrorLine === null ? null : String(o.firstErrorLine),
        o.firstErrorLine === null ? null : '1',
        o.firstErrorColumn,
      ]),
    };
  }

  private async location(conn: PgConnection, plan: CopyPlan): Promise<string> {
    if ('url' in plan.source) return plan.source.url;
    const stage = await getStage(conn, plan.source.stage);
    if (stage.url === null) throw compilationError(`internal stage ${plan.source.stage.name} has no files (PUT is not supported by the Furrow Snowflake emulator).`);
    return normaliseStageUrl(stage.url) + plan.source.path.replace(/^\/+/, '');
  }

  private async tableColumns(conn: PgConnection, schema: string, name: string): Promise<TargetColumn[]> {
    const r = await conn.query(
      `SELECT a.attname::text, CASE WHEN tn.nspname = 'furrow_sf' THEN 'furrow_sf.' || t.typname ELSE format_type(a.atttypid, a.atttypmod) END
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [schema, name],
    );
    if (r.rows.length === 0) throw doesNotExist('Table', `${schema}.${name}`);
    return r.rows.map((row) => ({ name: row[0]!, type: row[1]! }));
  }

  /** Which table columns receive which projection. */
  private mapColumns(plan: CopyPlan, table: TargetColumn[]): { targets: TargetColumn[]; projections: Projection[] } {
    const byName = new Map(table.map((c) => [c.name, c]));
    const pick = (n: string) => {
      const c = byName.get(n);
      if (!c) throw new SnowflakeError('000904', '42000', `SQL compilation error: error line 1 at position 0\ninvalid identifier '${n}'`, 'COMPILATION');
      return c;
    };
    if (plan.projections) {
      const targets = plan.columns ? plan.columns.map(pick) : table.slice(0, plan.projections.length);
      if (targets.length !== plan.projections.length)
        throw new SnowflakeError('002020', '21S01', `SQL compilation error:\nInsert value list does not match column list expecting ${table.length} but got ${plan.projections.length}`, 'COMPILATION');
      return { targets, projections: plan.projections };
    }
    if (plan.matchByColumnName !== 'NONE') {
      // one projection per table column, looked up by name in each JSON object
      const targets = plan.columns ? plan.columns.map(pick) : table;
      return { targets, projections: targets.map((c) => ({ kind: 'path', column: 1, path: [`\u0000match:${c.name}`] })) };
    }
    const targets = plan.columns ? plan.columns.map(pick) : table;
    if (targets.length !== 1 || !targets[0]!.type.startsWith('furrow_sf.'))
      throw new SnowflakeError(
        '002019',
        '0A000',
        'SQL compilation error:\nJSON file format can produce one and only one column of type variant, object, or array. Load data into separate columns using the MATCH_BY_COLUMN_NAME copy option or copy with transformation.',
        'COMPILATION',
      );
    return { targets, projections: [{ kind: 'path', column: 1, path: [] }] };
  }

  /** The batch insert and, per projection, the JSON record key it reads (the target column's name). */
  private insertStatement(target: string, targets: TargetColumn[], projections: Projection[]): { sql: string; keys: string[] } {
    const select = projections.map((p, i) => (p.kind === 'sql' ? `(${p.sql})` : `r.${q(targets[i]!.name)}`));
    return {
      sql: `INSERT INTO ${target} (${targets.map((c) => q(c.name)).join(', ')}) SELECT ${select.join(', ')} FROM jsonb_populate_recordset(NULL::${target}, $1::jsonb) AS r`,
      keys: targets.map((c) => c.name),
    };
  }

  private async list(bucket: string, prefix: string): Promise<{ key: string; etag: string }[]> {
    const out: { key: string; etag: string }[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (err) {
        throw s3Error(err, `s3://${bucket}/${prefix}`);
      }
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) out.push({ key: o.Key, etag: o.ETag ?? '' });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async read(bucket: string, key: string): Promise<Buffer> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (err) {
      throw s3Error(err, `s3://${bucket}/${key}`);
    }
  }

  /** Parse one file into rows (JSON values), reporting the 1-based line of each. */
  private *rows(plan: CopyPlan, file: string, body: Buffer): Generator<{ value: unknown; line: number } | RowError> {
    let bytes = body;
    const gz = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
    if (plan.fileFormat.compression !== 'NONE' && gz) {
      try {
        bytes = gunzipSync(bytes);
      } catch (err) {
        yield new RowError(`Invalid data encountered during decompression for file: '${file}', compression type used: 'GZIP', cause: '${(err as Error).message}'`, 1);
        return;
      }
    }
    const text = bytes.toString('utf8');
    if (plan.fileFormat.stripOuterArray) {
      try {
        const doc = JSON.parse(text) as unknown;
        const items = Array.isArray(doc) ? doc : [doc];
        for (const value of items) yield { value, line: 1 };
      } catch (err) {
        yield new RowError(`Error parsing JSON: ${(err as Error).message}`, 1);
      }
      return;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      try {
        yield { value: JSON.parse(line) as unknown, line: i + 1 };
      } catch (err) {
        yield new RowError(`Error parsing JSON: ${(err as Error).message}`, i + 1);
      }
    }
  }

  private record(row: unknown, line: number, file: string, projections: Projection[], targets: string[]): Record<string, unknown> {
    const rec: Record<string, unknown> = {};
    projections.forEach((p, i) => {
      if (p.kind === 'sql') return;
      let v: unknown;
      if (p.kind === 'metadata') v = p.name === 'FILENAME' ? file : line;
      else if (p.column !== 1) v = undefined; // JSON files have a single column, $1
      else if (typeof p.path[0] === 'string' && p.path[0].startsWith('\u0000match:')) {
        const name = p.path[0].slice('\u0000match:'.length);
        const obj = row && typeof row === 'object' && !Array.isArray(row) ? (row as Record<string, unknown>) : {};
        const key = Object.keys(obj).find((k) => k === name || k.toUpperCase() === name.toUpperCase());
        v = key === undefined ? undefined : obj[key];
      } else v = walk(row, p.path);
      rec[targets[i]!] = v === undefined ? null : v;
    });
    return rec;
  }

  private async loadFile(
    conn: PgConnection,
    plan: CopyPlan,
    file: string,
    body: Buffer,
    projections: Projection[],
    insert: { sql: string; keys: string[] },
  ): Promise<FileOutcome> {
    const { sql: insertSql, keys: targets } = insert;
    const outcome: FileOutcome = { file, status: 'LOADED', parsed: 0, loaded: 0, errors: 0, firstError: null, firstErrorLine: null, firstErrorColumn: null };
    const fail = (err: RowError) => {
      outcome.errors++;
      if (outcome.firstError === null) {
        outcome.firstError = err.message;
        outcome.firstErrorLine = err.line;
        outcome.firstErrorColumn = err.column;
      }
      if (plan.onError === 'ABORT_STATEMENT')
        throw new SnowflakeError('100069', '22P02', `${err.message}\n  File '${file}', line ${err.line}, character 1\n  Row ${outcome.parsed} starts at line ${err.line}, column ${err.column ?? '$1'}\n  If you would like to continue loading when an error is encountered, use other values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option.`);
    };
    const skipFile = plan.onError === 'SKIP_FILE';
    if (skipFile) await conn.query('SAVEPOINT furrow_copy_file');

    let batch: { json: string; line: number }[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      bytes = 0;
      if (plan.onError === 'ABORT_STATEMENT') {
        try {
          await conn.query(insertSql, [`[${rows.map((r) => r.json).join(',')}]`]);
          outcome.loaded += rows.length;
        } catch (err) {
          const e = fromPostgresError(err);
          fail(new RowError(e.message, rows[0]!.line));
        }
        return;
      }
      // CONTINUE / SKIP_FILE: try the batch, then row by row to find the bad ones
      await conn.query('SAVEPOINT furrow_copy_batch');
      try {
        await conn.query(insertSql, [`[${rows.map((r) => r.json).join(',')}]`]);
        await conn.query('RELEASE SAVEPOINT furrow_copy_batch');
        outcome.loaded += rows.length;
        return;
      } catch {
        await conn.query('ROLLBACK TO SAVEPOINT furrow_copy_batch');
        await conn.query('RELEASE SAVEPOINT furrow_copy_batch');
      }
      for (const r of rows) {
        await conn.query('SAVEPOINT furrow_copy_row');
        try {
          await conn.query(insertSql, [`[${r.json}]`]);
          await conn.query('RELEASE SAVEPOINT furrow_copy_row');
          outcome.loaded++;
        } catch (err) {
          await conn.query('ROLLBACK TO SAVEPOINT furrow_copy_row');
          await conn.query('RELEASE SAVEPOINT furrow_copy_row');
          fail(new RowError(fromPostgresError(err).message, r.line));
        }
      }
    };

    for (const item of this.rows(plan, file, body)) {
      outcome.parsed++;
      if (item instanceof RowError) {
        fail(item);
        continue;
      }
      const json = JSON.stringify(this.record(item.value, item.line, file, projections, targets), withoutNul);
      batch.push({ json, line: item.line });
      bytes += json.length;
      if (batch.length >= BATCH_ROWS || bytes >= BATCH_BYTES) await flush();
    }
    await flush();

    if (outcome.errors > 0) {
      if (skipFile) {
        await conn.query('ROLLBACK TO SAVEPOINT furrow_copy_file');
        outcome.loaded = 0;
        outcome.status = 'LOAD_FAILED';
      } else outcome.status = outcome.loaded > 0 ? 'PARTIALLY_LOADED' : 'LOAD_FAILED';
    }
    if (skipFile) await conn.query('RELEASE SAVEPOINT furrow_copy_file');
    return outcome;
  }
}

function s3Error(err: unknown, where: string): SnowflakeError {
  const e = err as { name?: string; message?: string };
  if (e.name === 'NoSuchBucket') return new SnowflakeError('091003', '22000', `Failure using stage area. Cause: [The specified bucket does not exist (${where})]`);
  return new SnowflakeError('091016', '22000', `Remote file '${where}' could not be read: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`);
}
