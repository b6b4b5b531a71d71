/**
 * A fresh, isolated database area for one test: a uniquely named schema on either
 *  - the machine's PostgreSQL when `FURROW_TEST_DATABASE_URL` is set (CI: postgres://postgres@127.0.0.1:5432/test), or
 *  - the embedded Postgres (PGlite over the wire), started once per test file and shared by its tests.
 *
 * Usage (one per describe, in beforeAll/afterAll):
 *   const tdb = await openTestDatabase();   // tdb.url, tdb.schema, tdb.pool
 *   ...
 *   await tdb.close();                      // drops the schema; stops the embedded server when no one else uses it
 *
 * On the embedded server every connection shares one session, so `search_path` is global there: code
 * under test should qualify its tables with `tdb.schema` (the pool also sets search_path for convenience).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from './index';

export interface TestDatabase {
  /** Server URL (same for every test database of this file). */
  url: string;
  /** The schema created for this test; drop()ped by close(). */
  schema: string;
  /** True on the embedded Postgres, false on the machine's. */
  embedded: boolean;
  /** A small pool whose connections have `search_path` set to `schema`. */
  pool: pg.Pool;
  close(): Promise<void>;
}

let shared: Promise<RunningPostgres> | undefined;
let users = 0;

function server(): Promise<RunningPostgres> {
  const url = process.env.FURROW_TEST_DATABASE_URL;
  if (url) return startPostgres({ databaseUrl: url });
  shared ??= startPostgres({ port: 0, databaseUrl: undefined });
  return shared;
}

/** Describes where tests run, for a visible line in test output. */
export function testDatabaseTarget(): string {
  return process.env.FURROW_TEST_DATABASE_URL ? `PostgreSQL at ${redact(process.env.FURROW_TEST_DATABASE_URL)}` : 'embedded PGlite';
}

export async function openTestDatabase(prefix = 't'): Promise<TestDatabase> {
  users++;
  let srv: RunningPostgres;
  try {
    srv = await server();
  } catch (err) {
    users--;
    throw err;
  }
  const schema = `furrow_${prefix.replace(/[^a-z0-9_]/gi, '').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const searchPath = `"${schema}", public`;
  const admin = new pg.Client({ connectionString: srv.url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    // The embedded server ignores start-up options and shares one session: set it there once, globally.
    if (srv.embedded) await admin.query(`SET search_path TO ${searchPath}`);
  } finally {
    await admin.end();
  }
  // Start-up option syntax: no spaces or quotes (the schema name is a plain lower-case identifier).
  const pool = new pg.Pool({ connectionString: srv.url, max: 4, options: `-c search_path=${schema},public` });
  // An idle client losing its server (e.g. at shutdown) must not crash the test process.
  pool.on('error', () => {});
  let closed: Promise<void> | undefined;
  return {
    url: srv.url,
    schema,
    embedded: srv.embedded,
    pool,
    close() {
      closed ??= (async () => {
        try {
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await pool.end();
          users--;
          if (users === 0 && shared) {
            const s = shared;
            shared = undefined;
            await (await s).stop();
          }
        }
      })();
      return closed;
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
