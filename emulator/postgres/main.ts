import { parseArgs } from 'node:util';
import type { Command } from '../../pipeline/cli';
import { parsePortFlag, untilSignal } from '../../pipeline/runtime/index';
import { DEFAULT_EMBEDDED_PORT, startPostgres } from './index';

const HELP = `Usage: furrow postgres [--host 127.0.0.1] [--port ${DEFAULT_EMBEDDED_PORT}] [--data-dir DIR]

Runs the embedded Postgres (PGlite over the wire protocol) for the laptop pipeline; any Postgres client
(pg, psql) connects as user postgres to database postgres.

Options:
  --host HOST      address to listen on (default 127.0.0.1)
  --port PORT      port (default ${DEFAULT_EMBEDDED_PORT}; 0 picks a free one)
  --data-dir DIR   keep the database in DIR (default: in memory, lost on exit)
  -h, --help       this text

Limits: one session shared by all connections (transactions serialise), no COPY FROM STDIN.`;

export const command: Command = {
  summary: 'the embedded Postgres (PGlite over the wire protocol)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: String(DEFAULT_EMBEDDED_PORT) },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    const port = parsePortFlag(values.port)!;
    const pg = await startPostgres({ host: values.host, port, dataDir: values['data-dir'], databaseUrl: undefined });
    process.stdout.write(`furrow postgres listening: ${pg.url}` + (values['data-dir'] ? ` (data in ${values['data-dir']})` : ' (in memory)') + '\n');
    await untilSignal(() => {
      process.stdout.write('furrow postgres: stopping\n');
      return pg.stop();
    });
  },
};
