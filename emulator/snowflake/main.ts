import { parseArgs } from 'node:util';
import type { Command } from '../../pipeline/cli';
import { parsePortFlag, untilSignal } from '../../pipeline/runtime/index';
import { DEFAULT_SNOWFLAKE_PORT, startSnowflakeEmulator } from './index';

const HELP = `Usage: furrow snowflake-emulator [--port 8085] [--s3-endpoint URL] [--database-url URL | --data-dir DIR]

Starts Furrow's Snowflake emulator: Snowflake's HTTP API as snowflake-sdk speaks it, over Postgres
(an in-process PGlite unless --database-url is given). COPY INTO reads stage files (s3://bucket/prefix)
from the S3 at --s3-endpoint.

Options:
  --host HOST          address to listen on (default 127.0.0.1)
  --port PORT          port (default ${DEFAULT_SNOWFLAKE_PORT}; 0 picks a free one)
  --s3-endpoint URL    S3 endpoint for stages (default $AWS_ENDPOINT_URL, else http://127.0.0.1:4566)
  --database-url URL   run the SQL on this Postgres instead of an in-process PGlite
  --data-dir DIR       keep the PGlite database in DIR (default: memory only)
  --user NAME:PASS     accept only these credentials (repeatable; default: accept any)
  --verbose            log every statement
  -h, --help           this text

Connect with snowflake-sdk: { account: 'furrow', username, password, host: '127.0.0.1', port, protocol: 'http',
accessUrl: 'http://127.0.0.1:${DEFAULT_SNOWFLAKE_PORT}' }.`;

export const command: Command = {
  summary: "the Snowflake emulator (snowflake-sdk's HTTP API over Postgres)",
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: String(DEFAULT_SNOWFLAKE_PORT) },
        's3-endpoint': { type: 'string' },
        'database-url': { type: 'string' },
        'data-dir': { type: 'string' },
        user: { type: 'string', multiple: true },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    const port = parsePortFlag(values.port)!;
    let users: Record<string, string> | undefined;
    for (const u of values.user ?? []) {
      const i = u.indexOf(':');
      if (i <= 0) throw new Error(`--user takes NAME:PASSWORD, got '${u}'`);
      (users ??= {})[u.slice(0, i)] = u.slice(i + 1);
    }
    const endpoint = values['s3-endpoint'] ?? process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';
    let sf;
    try {
      sf = await startSnowflakeEmulator({
        host: values.host,
        port,
        s3: { endpoint },
        databaseUrl: values['database-url'],
        dataDir: values['data-dir'],
        users,
        log: (line) => {
          if (values.verbose || / failed | internal error/.test(line)) process.stderr.write(line + '\n');
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${port} on ${values.host} is already in use (pick another with --port)`, { cause: err });
      throw err;
    }
    process.stdout.write(`furrow snowflake-emulator listening on ${sf.url} (stages read from ${endpoint}; ${values['database-url'] ? 'external Postgres' : 'in-process PGlite'})\n`);
    await untilSignal(() => {
      process.stdout.write('furrow snowflake-emulator: stopping\n');
      return sf.stop();
    });
  },
};
