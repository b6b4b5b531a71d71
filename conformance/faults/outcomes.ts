/**
 * Where each event of the fault suite ended up, read from the real places: rows in `atomic.events` (Postgres or
 * the Snowflake emulator), bad rows in the bucket's `bad/` archive, and the transformer's sealed windows
 * under `transformed/` (to count the duplicates that reached a window but were loaded only once).
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import snowflake from 'snowflake-sdk';

type Row = Record<string, unknown>;
const field = (r: Row, name: string) => r[name] ?? r[name.toUpperCase()];

export interface WarehouseProbe {
  /** Rows per event_id in `atomic.events` among events whose app_id starts with `appPrefix`. */
  rowsPerEvent(appPrefix: string): Promise<Map<string, number>>;
  /** Window bases in the loader's manifest. */
  manifestBases(): Promise<Set<string>>;
  close(): Promise<void>;
}

const missingTable = (err: unknown) => /does not exist|not exist or not authorized/i.test(String((err as Error)?.message));

async function orEmpty<T>(q: () => Promise<T>, empty: T): Promise<T> {
  try {
    return await q();
  } catch (err) {
    if (missingTable(err)) return empty;
    throw err;
  }
}

function probeOn(query: (sql: string, binds: string[]) => Promise<Row[]>, schema: string, close: () => Promise<void>): WarehouseProbe {
  return {
    rowsPerEvent: (appPrefix) =>
      orEmpty(async () => {
        const rows = await query(`SELECT event_id AS event_id, count(*) AS n FROM ${schema}.events WHERE app_id LIKE ? GROUP BY event_id`, [`${appPrefix}%`]);
        return new Map(rows.map((r) => [String(field(r, 'event_id')), Number(field(r, 'n'))]));
      }, new Map()),
    manifestBases: () => orEmpty(async () => new Set((await query(`SELECT base AS base FROM ${schema}.manifest`, [])).map((r) => String(field(r, 'base')))), new Set<string>()),
    close,
  };
}

export function postgresProbe(url: string, schema = 'atomic'): WarehouseProbe {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {}); // the embedded Postgres may be restarted under us
  return probeOn(
    async (sql, binds) => {
      let k = 0;
      return (await pool.query(sql.replace(/\?/g, () => `$${++k}`), binds)).rows;
    },
    `"${schema}"`,
    () => pool.end(),
  );
}

export function snowflakeProbe(accessUrl: string, database = 'furrow', schema = 'atomic'): WarehouseProbe {
  snowflake.configure({ logLevel: 'ERROR' } as snowflake.ConfigureOptions);
  let conn: Promise<snowflake.Connection> | null = null;
  const connect = () =>
    (conn ??= new Promise<snowflake.Connection>((resolve, reject) => {
      const c = snowflake.createConnection({ account: 'furrow', username: 'furrow', password: 'furrow', accessUrl, database, schema, warehouse: 'compute_wh' });
      c.connect((err) => (err ? reject(err) : resolve(c)));
    }).catch((err) => {
      conn = null;
      throw err;
    }));
  const query = async (sqlText: string, binds: string[]) => {
    const c = await connect();
    return new Promise<Row[]>((resolve, reject) => c.execute({ sqlText, binds, complete: (err, _s, rows) => (err ? reject(err) : resolve((rows ?? []) as Row[])) }));
  };
  return probeOn(query, schema, async () => {
    const c = await conn?.catch(() => null);
    if (c) await new Promise<void>((r) => c.destroy(() => r()));
  });
}

/** Reads (and caches: objects are immutable) gzip'd or plain line files under a prefix of the bucket. */
export class BucketLines {
  private readonly cache = new Map<string, string[]>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket = 'furrow',
  ) {}

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) out.push(o.Key!);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async lines(key: string): Promise<string[]> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const body = Buffer.from(await (await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))).Body!.transformToByteArray());
    const text = (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8');
    const lines = text.split('\n').filter(Boolean);
    this.cache.set(key, lines);
    return lines;
  }
}

const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Bad rows in `bad/` per event id of `wanted` (a bad row names its event id in the raw payload it carries). */
export async function badRowsPerEvent(bucket: BucketLines, wanted: Set<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const key of await bucket.keys('bad/'))
    for (const line of await bucket.lines(key)) {
      const ids = new Set(line.match(UUIDS) ?? []);
      for (const id of ids) if (wanted.has(id)) out.set(id, (out.get(id) ?? 0) + 1);
    }
  return out;
}

/**
 * Good wide-row lines per event id in the transformer's windows that the loader loaded (their base is in the
 * manifest): a count above 1 is a duplicate that reached a loaded window.
 */
export async function windowRowsPerEvent(bucket: BucketLines, loadedBases: Set<string>, appPrefix: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const key of await bucket.keys('transformed/')) {
    if (!/\/output=good\//.test(key)) continue;
    const base = `s3://furrow/${key.slice(0, key.indexOf('/output=good/') + 1)}`;
    if (!loadedBases.has(base)) continue;
    for (const line of await bucket.lines(key)) {
      const row = JSON.parse(line) as { event_id?: string; app_id?: string };
      if (row.event_id && row.app_id?.startsWith(appPrefix)) out.set(row.event_id, (out.get(row.event_id) ?? 0) + 1);
    }
  }
  return out;
}
