/** Reads loaded rows back from the laptop warehouse, for the Micro API's event lookup and the UI. */
import pg from 'pg';
import type snowflake from 'snowflake-sdk';

export interface WarehouseReader {
  /** The `atomic.events` row of one event, or null when not loaded (yet). */
  row(eventId: string): Promise<Record<string, unknown> | null>;
  /** Rows in `atomic.events`. */
  count(): Promise<number>;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const missingTable = (err: unknown) => /does not exist|not exist or not authorized/i.test(String((err as Error)?.message));

export function postgresWarehouse(url: string, schema = 'atomic'): WarehouseReader {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {}); // an idle client losing its server (a Postgres restart) must not crash emulate
  return {
    async row(eventId) {
      if (!UUID.test(eventId)) return null;
      try {
        const r = await pool.query(`SELECT * FROM "${schema}"."events" WHERE event_id = $1 LIMIT 1`, [eventId]);
        return r.rows[0] ?? null;
      } catch (err) {
        if (missingTable(err)) return null;
        throw err;
      }
    },
    async count() {
      try {
        return Number((await pool.query(`SELECT count(*)::int AS n FROM "${schema}"."events"`)).rows[0].n);
      } catch (err) {
        if (missingTable(err)) return 0;
        throw err;
      }
    },
    close: () => pool.end(),
  };
}

export function snowflakeWarehouse(accessUrl: string, database = 'furrow', schema = 'atomic'): WarehouseReader {
  let conn: Promise<snowflake.Connection> | null = null;
  const connect = () =>
    // snowflake-sdk is imported on first use: half a CPU-second that `npm run emulate` need not wait for.
    (conn ??= import('snowflake-sdk').then(
      ({ default: sdk }) =>
        new Promise<snowflake.Connection>((resolve, reject) => {
          sdk.configure({ logLevel: 'ERROR' });
          const c = sdk.createConnection({ account: 'furrow', username: 'furrow', password: 'furrow', accessUrl, database, schema, warehouse: 'compute_wh' });
          c.connect((err) => (err ? reject(err) : resolve(c)));
        }),
    ).catch((err) => {
      conn = null;
      throw err;
    }));
  const query = async (sqlText: string, binds: string[] = []): Promise<Record<string, unknown>[]> => {
    const c = await connect();
    return new Promise((resolve, reject) =>
      c.execute({ sqlText, binds, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) }),
    );
  };
  return {
    async row(eventId) {
      if (!UUID.test(eventId)) return null;
      try {
        const rows = await query(`SELECT * FROM ${schema}.events WHERE event_id = ? LIMIT 1`, [eventId]);
        return rows[0] ?? null;
      } catch (err) {
        if (missingTable(err)) return null;
        throw err;
      }
    },
    async count() {
      try {
        const rows = await query(`SELECT count(*) AS N FROM ${schema}.events`);
        return Number(Object.values(rows[0] ?? { n: 0 })[0]);
      } catch (err) {
        if (missingTable(err)) return 0;
        throw err;
      }
    },
    async close() {
      if (!conn) return;
      const c = await conn.catch(() => null);
      if (c) await new Promise<void>((r) => c.destroy(() => r()));
    },
  };
}
