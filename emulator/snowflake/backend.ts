/**
 * Where the emulator's SQL runs: an in-process PGlite (default; no socket, one session) or a real
 * Postgres through a `pg` pool. Both hand out `PgConnection`s that return every value as Postgres text,
 * so results.ts can encode them exactly (no JS Date rounding, no JSON re-serialisation).
 *
 * PGlite has one session, so `acquire()` is a lock: a Snowflake session inside a transaction holds it
 * until COMMIT/ROLLBACK and other sessions wait, which is also what keeps their transactions isolated.
 */
import type { PgField, RawResult } from './results';

export interface PgConnection {
  query(sql: string, params?: (string | null)[]): Promise<RawResult>;
  /** The search_path last set on this connection (the executor sets it only when it changes). */
  searchPath: string | null;
  release(): void;
}

export interface PgBackend {
  readonly kind: 'pglite' | 'postgres';
  acquire(): Promise<PgConnection>;
  close(): Promise<void>;
}

/** A FIFO async lock. */
export class Mutex {
  private locked = false;
  private readonly waiters: (() => void)[] = [];

  async lock(): Promise<() => void> {
    if (this.locked) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.locked = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.locked = false;
    };
  }
}

type PGliteDb = import('@electric-sql/pglite').PGlite;

export class PgliteBackend implements PgBackend {
  readonly kind = 'pglite' as const;
  private readonly mutex = new Mutex();
  private searchPath: string | null = null;

  private constructor(
    private readonly db: PGliteDb,
    /** Identity parsers for every type PGlite would otherwise convert, so values stay Postgres text. */
    private readonly parsers: Record<number, (v: string) => string>,
  ) {}

  static async create(dataDir?: string): Promise<PgliteBackend> {
    const [mod, { createPglite }] = await Promise.all([import('@electric-sql/pglite'), import('../postgres/pglite-cluster')]);
    const db = await createPglite(dataDir ? { dataDir } : {});
    const parsers: Record<number, (v: string) => string> = {};
    for (const oid of Object.keys(mod.types.parsers)) parsers[Number(oid)] = (v) => v;
    for (const oid of [16, 17, 20, 21, 23, 26, 114, 700, 701, 1082, 1083, 1114, 1184, 1700, 3802]) parsers[oid] = (v) => v;
    await db.exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'");
    return new PgliteBackend(db, parsers);
  }

  async acquire(): Promise<PgConnection> {
    const unlock = await this.mutex.lock();
    const path = { get: () => this.searchPath, set: (v: string | null) => (this.searchPath = v) };
    return {
      get searchPath() {
        return path.get();
      },
      set searchPath(v: string | null) {
        path.set(v);
      },
      query: async (sql, params = []) => {
        const r = await this.db.query<unknown[]>(sql, params, { rowMode: 'array', parsers: this.parsers });
        const fields: PgField[] = r.fields.map((f) => ({ name: f.name, typeId: f.dataTypeID, typmod: -1 }));
        return { fields, rows: r.rows as (string | null)[][], rowCount: r.affectedRows ?? r.rows.length ?? null };
      },
      release: unlock,
    };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

type PgPool = import('pg').Pool;
type PgClient = import('pg').PoolClient;

export class PostgresBackend implements PgBackend {
  readonly kind = 'postgres' as const;
  private readonly paths = new WeakMap<PgClient, string | null>();

  private constructor(private readonly pool: PgPool) {}

  static async create(url: string, maxConnections = 10): Promise<PostgresBackend> {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: url, max: maxConnections, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601' });
    pool.on('error', () => {}); // an idle client losing its server must not crash the emulator
    const probe = await pool.connect();
    probe.release();
    return new PostgresBackend(pool);
  }

  async acquire(): Promise<PgConnection> {
    const client = await this.pool.connect();
    const paths = this.paths;
    const raw = { getTypeParser: () => (v: string) => v };
    return {
      get searchPath() {
        return paths.get(client) ?? null;
      },
      set searchPath(v: string | null) {
        paths.set(client, v);
      },
      async query(sql, params = []) {
        const r = await client.query({ text: sql, values: params, rowMode: 'array', types: raw as never });
        const fields: PgField[] = (r.fields ?? []).map((f) => ({ name: f.name, typeId: f.dataTypeID, typmod: f.dataTypeModifier }));
        return { fields, rows: (r.rows ?? []) as (string | null)[][], rowCount: r.rowCount ?? null };
      },
      release: () => client.release(),
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
