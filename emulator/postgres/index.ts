/**
 * Embedded Postgres: PGlite (Postgres compiled to WASM) served over the real wire protocol by
 * pglite-socket, so the `pg` client talks to it exactly as to a real server. Used unless a
 * `DATABASE_URL` is given, in which case that server is used and nothing is started.
 *
 * Known limits (architecture.md): start-up costs 3.5-4 s and ~500 MB, so start it once; the socket
 * server multiplexes every connection onto one session (session settings such as `SET search_path`
 * are shared, a second connection waits while another holds a transaction open); COPY FROM STDIN
 * over the wire wedges the server, so never use it against the embedded one.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_EMBEDDED_PORT = 5433;

export interface StartPostgresOptions {
  /** Port for the embedded server: default 5433, 0 picks a free one. Ignored with `databaseUrl`. */
  port?: number;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
  /** Keep the embedded database in this directory (survives restarts); default in memory. */
  dataDir?: string;
  /** Use this server instead of starting one. Defaults to `$DATABASE_URL` when the option is absent. */
  databaseUrl?: string;
  /** Connections the socket server accepts at once (default 32; queries are serialised anyway). */
  maxConnections?: number;
}

export interface RunningPostgres {
  /** `postgres://postgres@127.0.0.1:5433/postgres` for the embedded one, else the given URL. */
  url: string;
  /** True when this process runs the database (PGlite); false for an external server. */
  embedded: boolean;
  /** Stops the embedded server and closes the database (a no-op for an external server). */
  stop(): Promise<void>;
}

export class PostgresStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresStartError';
  }
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const external = 'databaseUrl' in opts ? opts.databaseUrl : process.env.DATABASE_URL;
  if (external) return { url: external, embedded: false, stop: async () => {} };

  // Imported lazily: apps pointed at a real Postgres never load the 10 MB WASM bundle.
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
  let dataDir: string | undefined;
  if (opts.dataDir) {
    dataDir = resolve(opts.dataDir);
    mkdirSync(dataDir, { recursive: true });
  }
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  const host = opts.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({ db, host, port: opts.port ?? DEFAULT_EMBEDDED_PORT, maxConnections: opts.maxConnections ?? 32 });
  try {
    await server.start();
  } catch (err) {
    await db.close().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new PostgresStartError(`port ${opts.port ?? DEFAULT_EMBEDDED_PORT} on ${host} is already in use`);
    throw err;
  }
  const conn = server.getServerConn(); // "host:port" with the real port when 0 was asked
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${conn}/postgres`,
    embedded: true,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return stopped;
    },
  };
}
