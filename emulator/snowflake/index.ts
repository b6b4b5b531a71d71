/**
 * The Snowflake emulator: Snowflake's HTTP API as snowflake-sdk speaks it, served over Postgres — an
 * in-process PGlite by default (no socket), or a real Postgres given `databaseUrl`. COPY INTO reads
 * stage files from S3 (the AWS emulator's endpoint, or AWS). See server.ts for the endpoints,
 * translator.ts for the SQL surface.
 *
 *   const sf = await startSnowflakeEmulator({ port: 0, s3: { endpoint: aws.endpoint } });
 *   snowflake.createConnection({ account: 'furrow', username: 'u', password: 'p', accessUrl: sf.url, ... })
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { PgliteBackend, PostgresBackend, type PgBackend } from './backend';
import { bootstrapCatalog } from './catalog';
import { CopyIntoExecutor } from './copy-into';
import { StatementExecutor } from './executor';
import { SnowflakeHttpApi } from './server';
import { SessionStore } from './sessions';

export { SnowflakeError } from './errors';
export { SqlTranslator } from './translator';

export const DEFAULT_SNOWFLAKE_PORT = 8085;

export interface SnowflakeEmulatorOptions {
  /** Default 8085; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where stage URLs (`s3://bucket/prefix`) are read: the AWS emulator's endpoint; omit `endpoint` for AWS itself. */
  s3: { endpoint?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /** Run on this Postgres instead of an in-process PGlite. */
  databaseUrl?: string;
  /** Keep the PGlite database in this directory (ignored with `databaseUrl`). */
  dataDir?: string;
  /** username → password to check at login; default: accept anything. */
  users?: Record<string, string>;
  /** Roll back a transaction left open this long without a statement (default 5 min). */
  transactionIdleTimeoutMs?: number;
  /** Diagnostics (one line per statement and per failure); default silent. */
  log?: (line: string) => void;
}

export interface RunningSnowflakeEmulator {
  /** e.g. `http://127.0.0.1:8085`: snowflake-sdk's `accessUrl`. */
  url: string;
  port: number;
  host: string;
  stop(): Promise<void>;
}

export async function startSnowflakeEmulator(options: SnowflakeEmulatorOptions): Promise<RunningSnowflakeEmulator> {
  let backend: PgBackend;
  if (options.databaseUrl) backend = await PostgresBackend.create(options.databaseUrl);
  else {
    let dataDir: string | undefined;
    if (options.dataDir) {
      dataDir = resolve(options.dataDir);
      mkdirSync(dataDir, { recursive: true });
    }
    backend = await PgliteBackend.create(dataDir);
  }
  try {
    const conn = await backend.acquire();
    try {
      await bootstrapCatalog(conn);
    } finally {
      conn.release();
    }
  } catch (err) {
    await backend.close().catch(() => {});
    throw err;
  }

  const s3 = new S3Client({
    region: options.s3.region ?? 'us-east-1',
    ...(options.s3.endpoint ? { endpoint: options.s3.endpoint, forcePathStyle: true } : {}),
    credentials: options.s3.credentials ?? (options.s3.endpoint ? { accessKeyId: 'furrow', secretAccessKey: 'furrow' } : undefined),
  });
  const sessions = new SessionStore();
  const executor = new StatementExecutor(backend, new CopyIntoExecutor(s3), options.transactionIdleTimeoutMs ?? 5 * 60_000);
  const api = new SnowflakeHttpApi(sessions, executor, { users: options.users, log: options.log });

  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((ok, fail) => {
      api.server.once('error', fail);
      api.server.listen(options.port ?? DEFAULT_SNOWFLAKE_PORT, host, () => {
        api.server.off('error', fail);
        ok();
      });
    });
  } catch (err) {
    s3.destroy();
    await backend.close().catch(() => {});
    throw err;
  }
  const port = (api.server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    host,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((ok) => {
          api.server.close(() => ok());
          api.server.closeAllConnections();
        });
        for (const s of sessions.all()) {
          sessions.delete(s);
          await executor.closeSession(s).catch(() => {});
        }
        s3.destroy();
        await backend.close();
      })();
      return stopping;
    },
  };
}
