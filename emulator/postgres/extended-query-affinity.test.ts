import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from './index';

/**
 * Every connection of the embedded server shares one PGlite session, so the state the extended protocol
 * keeps between Parse … Sync (the unnamed statement, the implicit transaction) is shared too. Before
 * session-affinity.ts, a connection's Bind could land on another's statement ("bind message supplies 6
 * parameters, but prepared statement requires 1", seen in the Iglu Server's log under the fault suite), and
 * a transaction opened between another connection's Parse and Bind left the pool hanging.
 */
describe('embedded Postgres: concurrent extended-protocol queries, transactions and errors on a pool', () => {
  let postgres: RunningPostgres;
  let pool: pg.Pool;
  beforeAll(async () => {
    postgres = await startPostgres({ port: 0 });
    pool = new pg.Pool({ connectionString: postgres.url, max: 8 });
  }, 60_000);
  afterAll(async () => {
    await pool?.end().catch(() => {});
    await postgres?.stop();
  });

  it('every query gets its own answer: no Bind on another connection’s statement, no hang', async () => {
    const problems: string[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, j) => {
        // A different parameter count per query, so a mixed-up Bind fails loudly.
        const params = Array.from({ length: 1 + (j % 6) }, (_, k) => `${j}-${k}`);
        try {
          if (j % 7 === 0)
            await pool.query('SELECT 1/0 WHERE $1::text IS NOT NULL', ['x']).then(
              () => problems.push(`${j}: division by zero did not fail`),
              (e: Error) => void (/division by zero/.test(e.message) || problems.push(`${j}: ${e.message}`)),
            );
          if (j % 5 === 0) {
            const c = await pool.connect();
            try {
              await c.query('BEGIN');
              const r = await c.query('SELECT $1::text AS v', [`tx-${j}`]);
              if (r.rows[0].v !== `tx-${j}`) problems.push(`${j}: transaction read ${r.rows[0].v}`);
              await c.query('COMMIT');
            } finally {
              c.release();
            }
          }
          const r = await pool.query(`SELECT concat_ws(',', ${params.map((_, k) => `$${k + 1}::text`).join(', ')}) AS v`, params);
          if (r.rows[0].v !== params.join(',')) problems.push(`${j}: got ${r.rows[0].v}`);
        } catch (e) {
          problems.push(`${j}: ${(e as Error).message}`);
        }
      }),
    );
    expect(problems).toEqual([]);
  }, 30_000);
});
