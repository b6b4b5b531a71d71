import { parseArgs } from 'node:util';
import type { Command } from '../../pipeline/cli';
import { parsePortFlag } from '../../pipeline/runtime/index';
import { startEmulate } from './index';

const HELP = `Usage: furrow emulate [options]      (npm run emulate -- [options])

Runs the whole Snowplow-compatible pipeline on this machine, no Docker, no cloud account:
collector → raw → enrich → enriched → transformer → loader → atomic.events, with the s3-loaders,
bad rows, the Iglu Server and a Snowplow Micro-compatible API. Point any tracker at the collector.

Options:
  --warehouse snowflake|postgres   where atomic.events lives (default snowflake, via the Snowflake emulator)
  --schemas DIR                    publish your Iglu schemas from DIR (reloaded when files change)
  --enrichments DIR                Snowplow enrichment config files (*.json), as for Snowplow enrich
  --data-dir DIR                   keep streams, buckets, queues, tables and rows across runs (default: memory)
  --state-dir DIR                  where pipeline.json, emulate.json and logs/ go (default .furrow)
  --port PORT                      collector port (default 9090, like Snowplow Micro)
  --aws-port, --iglu-port, --postgres-port, --snowflake-port PORT
                                   other ports (defaults 4566, 8180, 5433, 8085; 0 = any free port)
  --window-seconds N               transformer window (default 1)
  -h, --help                       this text

Ctrl-C (or SIGTERM) stops every stage cleanly.`;

export const command: Command = {
  summary: 'the whole pipeline on this machine',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        warehouse: { type: 'string', default: 'snowflake' },
        schemas: { type: 'string' },
        enrichments: { type: 'string' },
        'data-dir': { type: 'string' },
        'state-dir': { type: 'string' },
        port: { type: 'string' },
        'aws-port': { type: 'string' },
        'iglu-port': { type: 'string' },
        'postgres-port': { type: 'string' },
        'snowflake-port': { type: 'string' },
        'window-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return void process.stdout.write(HELP + '\n');
    if (values.warehouse !== 'snowflake' && values.warehouse !== 'postgres') throw new Error(`--warehouse must be snowflake or postgres, got '${values.warehouse}'`);
    const windowSeconds = values['window-seconds'] === undefined ? undefined : Number(values['window-seconds']);
    if (windowSeconds !== undefined && !(windowSeconds > 0)) throw new Error('--window-seconds must be a positive number');
    const ports = Object.fromEntries(
      Object.entries({
        collector: parsePortFlag(values.port, '--port'),
        aws: parsePortFlag(values['aws-port'], '--aws-port'),
        iglu: parsePortFlag(values['iglu-port'], '--iglu-port'),
        postgres: parsePortFlag(values['postgres-port'], '--postgres-port'),
        snowflake: parsePortFlag(values['snowflake-port'], '--snowflake-port'),
      }).filter(([, v]) => v !== undefined),
    );
    const log = (line: string) => process.stdout.write(`[emulate] ${line}\n`);
    // Signals during start-up abort it cleanly too (stages already started are stopped).
    let signalled = false;
    let stopRunning: (() => Promise<void>) | null = null;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) process.exit(130);
      signalled = true;
      log(`${signal}: stopping…`);
      if (stopRunning) void stopRunning().then(() => (log('stopped.'), done()));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const running = await startEmulate({
      warehouse: values.warehouse,
      schemasDir: values.schemas,
      enrichmentsDir: values.enrichments,
      dataDir: values['data-dir'],
      stateDir: values['state-dir'],
      ports,
      windowSeconds,
      progress: log,
    });
    stopRunning = running.stop;
    if (signalled) {
      await running.stop();
      log('stopped.');
      return;
    }
    const u = running.urls;
    process.stdout.write(
      [
        '',
        `Furrow is ready in ${(running.startedInMs / 1000).toFixed(1)} s.`,
        `  collector (point trackers here)  ${u.collector}`,
        `  Micro API                        ${u.micro}  (/micro/good, /micro/bad, /micro/reset, /micro/events/{id})`,
        `  live UI                          ${u.ui}`,
        `  Iglu Server                      ${u.iglu}  (admin apikey ${running.igluApiKey})`,
        `  AWS emulator                     ${u.aws}  (AWS_ENDPOINT_URL; any credentials)`,
        `  Postgres                         ${u.postgres}`,
        ...(u.snowflake ? [`  Snowflake emulator               ${u.snowflake}  (snowflake-sdk accessUrl; database furrow, schema atomic)`] : []),
        `  endpoints file                   ${running.configFile.replace(/pipeline\.json$/, 'emulate.json')}`,
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    await finished;
  },
};
