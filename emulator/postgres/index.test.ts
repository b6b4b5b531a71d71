import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgres } from './index';
import { openTestDatabase } from './test-database';

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('startPostgres', () => {
  const dir = mkdtempSync(join(tmpdir(), 'furrow-pg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the given databaseUrl without starting anything', async () => {
    const running = await startPostgres({ databaseUrl: 'postgres://someone@db.example:5432/x' });
    expect(running).toMatchObject({ url: 'postgres://someone@db.example:5432/x', embedded: false });
    await running.stop();
  });

  it('serves the pg client over the wire and keeps a dataDir across restarts', async () => {
    const first = await startPostgres({ port: 0, dataDir: dir, databaseUrl: undefined });
    try {
      expect(first.embedded).toBe(true);
      expect(first.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      await query(first.url, 'CREATE TABLE kept (id int PRIMARY KEY, body jsonb NOT NULL)');
      await query(first.url, 'INSERT INTO kept VALUES ($1, $2)', [1, { a: 'b' }]);
      // Two clients at once: the multiplexer must answer both.
      const [a, b] = await Promise.all([query<{ n: number }>(first.url, 'SELECT 1 AS n'), query<{ n: number }>(first.url, 'SELECT 2 AS n')]);
      expect([a[0]!.n, b[0]!.n]).toEqual([1, 2]);
    } finally {
      await first.stop();
    }
    const second = await startPostgres({ port: 0, dataDir: dir, databaseUrl: undefined });
    try {
      expect(await query(second.url, 'SELECT id, body FROM kept')).toEqual([{ id: 1, body: { a: 'b' } }]);
    } finally {
      await second.stop();
    }
    // Two PGlite start-ups (the first one initialises the directory): ~10 s on an idle machine, more on a busy one.
  }, 300_000);

  it('restarts in place: same URL, committed rows kept (in memory too), clients reconnect', async () => {
    const running = await startPostgres({ port: 0, databaseUrl: undefined });
    try {
      await query(running.url, 'CREATE TABLE kept (id int PRIMARY KEY)');
      await query(running.url, 'INSERT INTO kept VALUES (1)');
      const pool = new pg.Pool({ connectionString: running.url, max: 1 });
      pool.on('error', () => {});
      expect((await pool.query('SELECT count(*)::int AS n FROM kept')).rows).toEqual([{ n: 1 }]);
      await running.restart({ downMs: 100 });
      // The pool's connection died with the old server; the next query gets a new one.
      let rows: unknown[] | undefined;
      for (let i = 0; i < 5 && !rows; i++) rows = await pool.query('SELECT id FROM kept').then((r) => r.rows, () => undefined);
      expect(rows).toEqual([{ id: 1 }]);
      await pool.end();
    } finally {
      await running.stop();
    }
  }, 300_000);
});

describe('openTestDatabase', () => {
  it('gives each caller its own schema and drops it on close', async () => {
    const one = await openTestDatabase('a');
    const two = await openTestDatabase('b');
    try {
      expect(one.schema).not.toBe(two.schema);
      await one.pool.query(`CREATE TABLE "${one.schema}".items (x int)`);
      await one.pool.query(`INSERT INTO "${one.schema}".items VALUES (7)`);
      const rows = await two.pool.query(`SELECT to_regclass('"${two.schema}".items') AS t`);
      expect(rows.rows[0].t).toBeNull();
    } finally {
      await two.close();
    }
    const url = one.url;
    const schema = one.schema;
    const before = await one.pool.query(`SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1`, [schema]);
    expect(before.rows[0].n).toBe(1);
    await one.close();
    if (!one.embedded) {
      // On the machine's Postgres the server outlives us, so the schema's absence can be checked after close.
      expect(await query(url, `SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1`, [schema])).toEqual([{ n: 0 }]);
    }
  }, 180_000);
});
