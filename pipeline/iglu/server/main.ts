import { parseArgs } from 'node:util';
import type { Command } from '../../cli';
import { parsePortFlag } from '../../runtime/index';
import { loadPipelineConfig } from '../../config/index';
import { s3Client } from '../../streams/aws-clients';
import { igluServerSection, loadIgluServerConfig } from './config';
import { PostgresStorage } from './storage';
import { openDatabase, startIgluServer } from './server';
import { DirectorySource, S3Source, parseS3Url, startStaticRegistry, type StaticSource } from './static-registry';

const HELP = `Usage:
  furrow iglu-server --config FILE [--auto-setup]   run the Iglu Server (REST API on Postgres)
  furrow iglu-server setup --config FILE            create the Iglu tables (idempotent)
  furrow iglu-server static (--dir DIR | --s3 s3://bucket/prefix) [--host H] [--port P]
                                                    serve a static registry (schemas/{vendor}/{name}/{format}/{version}) read-only

The config file is Furrow's pipeline config; its "igluServer" section holds: host (127.0.0.1), port (8180),
database {url | embedded:true, schema, poolSize, embeddedPort, embeddedDataDir}, patchesAllowed (false),
superApiKey ("\${IGLU_SUPER_API_KEY}"), maxBodyBytes, maxJsonDepth, debug, webhooks, logLevel.
Resolver configs point at http://HOST:PORT/api.`;

function waitForSignal(stop: () => Promise<void>, label: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const handler = () => {
      process.stdout.write(`${label}: stopping\n`);
      void stop().then(resolve);
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
}

export const command: Command = {
  summary: 'the Iglu Server (schemas on Postgres), its setup, and a static registry',
  async run(argv) {
    const sub = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
    const args = sub === 'serve' ? argv : argv.slice(1);
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        'auto-setup': { type: 'boolean', default: false },
        dir: { type: 'string' },
        s3: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8181' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    if (sub === 'static') {
      if (!values.dir === !values.s3) throw new Error('give exactly one of --dir DIR or --s3 s3://bucket/prefix');
      let source: StaticSource;
      if (values.dir) source = new DirectorySource(values.dir);
      else {
        const { bucket, prefix } = parseS3Url(values.s3!);
        const aws = values.config ? loadPipelineConfig(values.config).aws : { region: process.env.AWS_REGION ?? 'us-east-1' };
        source = new S3Source(s3Client(aws), bucket, prefix);
      }
      const port = parsePortFlag(values.port)!;
      const reg = await startStaticRegistry(source, { host: values.host, port });
      process.stdout.write(`furrow static Iglu registry serving ${source.description} at ${reg.url}/schemas/…\n`);
      await waitForSignal(reg.stop, 'furrow iglu-server static');
      return;
    }
    if (!values.config) throw new Error('--config FILE is required (see --help)');
    if (sub === 'setup') {
      const cfg = loadIgluServerConfig(values.config);
      const db = await openDatabase(cfg);
      try {
        await new PostgresStorage(db.pool, cfg.database.schema).setup();
      } finally {
        await db.close();
      }
      process.stdout.write(`furrow iglu-server setup: tables ready in schema '${cfg.database.schema}'\n`);
      return;
    }
    if (sub !== 'serve') throw new Error(`unknown subcommand '${sub}' (see --help)`);
    const cfg = igluServerSection(loadPipelineConfig(values.config));
    const running = await startIgluServer(cfg, { autoSetup: values['auto-setup'] });
    process.stdout.write(`furrow iglu-server listening at ${running.apiUrl}${cfg.superApiKey ? '' : ' (no superApiKey configured: keys cannot be minted)'}\n`);
    await waitForSignal(running.stop, 'furrow iglu-server');
  },
};
