/**
 * Embedded Postgres: PGlite (Postgres compiled to WASM) served over the real wire protocol by
 * pglite-socket, so the `pg` client talks to it exactly as to a real server. Used unless a
 * `DATABASE_URL` is given, in which case that server is used and nothing is started.
 *
 * Known limits (architecture.md): start-up costs about a CPU-second (a pristine cluster is loaded;
 * initdb runs once per machine, see pglite-cluster.ts) and ~500 MB, so start it once; the socket server
 * multiplexes every connection onto one session (session settings such as `SET search_path` are shared,
 * a second connection waits while another holds a transaction open or is mid extended-protocol exchange,
 * see session-affinity.ts); COPY FROM STDIN over the wire
 * wedges the server, so never use it against the embedded one.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { installSessionAffinity } from './session-affinity';

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
  /**
   * Restart the embedded server in place, as a crash-and-restart would look to clients: every connection
   * is closed, the database is closed, and after `downMs` (default 0) it is opened again from the same data
   * (its dataDir, or a dump taken before closing when it lives in memory) and served on the same host and
   * port. Not supported for an external server.
   */
  restart(opts?: { downMs?: number }): Promise<void>;
}

export class PostgresStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresStartError';
  }
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const external = 'databaseUrl' in opts ? opts.databaseUrl : process.env.DATABASE_URL;
  if (external)
    return {
      url: external,
      embedded: false,
      stop: async () => {},
      restart: () => Promise.reject(new Error('cannot restart an external Postgres server')),
    };

  // Imported lazily: apps pointed at a real Postgres never load the 10 MB WASM bundle.
  const [{ createPglite }, { PGLiteSocketServer }] = await Promise.all([import('./pglite-cluster'), import('@electric-sql/pglite-socket')]);
  let dataDir: string | undefined;
  if (opts.dataDir) {
    dataDir = resolve(opts.dataDir);
    mkdirSync(dataDir, { recursive: true });
  }
  const host = opts.host ?? '127.0.0.1';
  const open = async (port: number, loadDataDir?: Blob) => {
    const db = await createPglite(dataDir ? { dataDir } : loadDataDir ? { loadDataDir } : {});
    const server = new PGLiteSocketServer({ db, host, port, maxConnections: opts.maxConnections ?? 32 });
    installSessionAffinity(server);
    try {
      await server.start();
    } catch (err) {
      await db.close().catch(() => {});
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new PostgresStartError(`port ${port} on ${host} is already in use`);
      throw err;
    }
    return { db, server };
  };
  let current = await open(opts.port ?? DEFAULT_EMBEDDED_PORT);
  const conn = current.server.getServerConn(); // "host:port" with the real port when 0 was asked
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  let stopped: Promise<void> | undefined;
  let restarting: Promise<void> = Promise.resolve();
  const close = async () => {
    await current.server.stop();
    await current.db.close();
  };
  return {
    url: `postgres://postgres@${conn}/postgres`,
    embedded: true,
    stop() {
      stopped ??= restarting.catch(() => {}).then(close);
      return stopped;
    },
    restart({ downMs = 0 } = {}) {
      if (stopped) return Promise.reject(new Error('the embedded Postgres is stopped'));
      restarting = restarting.then(async () => {
        await current.server.stop();
        const dump = dataDir ? undefined : await current.db.dumpDataDir('none');
        await current.db.close();
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        current = await open(port, dump);
      });
      return restarting;
    },
  };
}
