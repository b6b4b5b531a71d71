/**
 * Test helpers: a promise wrapper around snowflake-sdk connections pointed at an emulator. The tests
 * drive the emulator only through the real driver over HTTP.
 */
import snowflake from 'snowflake-sdk';

let configured = false;

export interface SdkConnection {
  raw: snowflake.Connection;
  exec<T = Record<string, unknown>>(sqlText: string, binds?: unknown[]): Promise<T[]>;
  destroy(): Promise<void>;
}

export interface SdkError extends Error {
  code?: string;
  sqlState?: string;
}

/** Connect the way the loader does: account + host/port + `protocol: 'http'` + `accessUrl`. */
export async function connectSdk(
  url: string,
  opts: { username?: string; password?: string; database?: string; schema?: string; warehouse?: string } = {},
): Promise<SdkConnection> {
  if (!configured) {
    snowflake.configure({ logLevel: 'OFF' } as never);
    configured = true;
  }
  const u = new URL(url);
  const raw = snowflake.createConnection({
    account: 'furrow',
    username: opts.username ?? 'furrow',
    password: opts.password ?? 'furrow',
    host: u.hostname,
    port: Number(u.port),
    protocol: 'http',
    accessUrl: url,
    database: opts.database ?? 'FURROW',
    schema: opts.schema ?? 'PUBLIC',
    warehouse: opts.warehouse ?? 'COMPUTE_WH',
  } as snowflake.ConnectionOptions);
  // connectAsync resolves even when login fails: the error only reaches the callback
  await new Promise<void>((resolve, reject) => void raw.connectAsync((err) => (err ? reject(err) : resolve())).catch(reject));
  return {
    raw,
    exec<T>(sqlText: string, binds?: unknown[]) {
      return new Promise<T[]>((resolve, reject) =>
        raw.execute({
          sqlText,
          binds: binds as snowflake.Binds,
          complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as T[])),
        }),
      );
    },
    destroy() {
      return new Promise<void>((resolve) => raw.destroy(() => resolve()));
    },
  };
}
