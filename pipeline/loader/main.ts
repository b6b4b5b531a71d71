/**
 * `furrow loader --config FILE`: loads the transformer's windows into Snowflake (or the emulator)
 * or Postgres. `startLoader()` is the same thing in-process (tests, `furrow emulate`).
 */
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import type { Command } from '../cli';
import { loadPipelineConfig, type PipelineConfig } from '../config/index';
import { FURROW_VERSION, parsePortFlag, startAppServer, untilSignal } from '../runtime/index';
import { s3Client, sqsClient } from '../streams/aws-clients';
import { loaderConfig, type LoaderConfig } from './config';
import { Loader } from './loader';
import { LoaderMetrics } from './metrics';
import { WindowQueue } from './queue';
import { withRetries } from './retry';
import type { PostgresTarget } from './targets/postgres';
import type { LoaderHooks, LoadTarget } from './targets/target';

const HELP = `Usage: furrow loader --config FILE [--port PORT]

Loads the transformer's windows into atomic.events: consumes shredding_complete messages from the SQS
FIFO queue (names.queue, or loader.queue), adds columns for new self-describing types, then checks the
manifest, copies the window and records it in the manifest in one transaction, and deletes the message.

Targets (loader.target.type):
  snowflake   snowflake-sdk; COPY INTO from the external stage loader.target.stage (the Furrow Snowflake
              emulator: accessUrl http://127.0.0.1:8085, stageUrl s3://<bucket>/transformed/)
  postgres    pg; COPY FROM STDIN, or batched INSERT when the server is PGlite

Options:
  --config FILE   pipeline config (JSON) with a "loader" section
  --port PORT     /health and /metrics port (overrides the config; 0 = any)
  -h, --help      this text`;

export interface StartLoaderOptions {
  /** Override `loader.port`. */
  port?: number;
  /** Log here instead of stdout (tests capture lines). */
  logger?: Logger;
  hooks?: LoaderHooks;
}

export interface RunningLoader {
  config: LoaderConfig;
  loader: Loader;
  target: LoadTarget;
  metrics: LoaderMetrics;
  queue: WindowQueue;
  /** /health and /metrics. */
  port: number;
  /** Graceful: finish (or hand back) the window in progress, then close everything. */
  stop(): Promise<void>;
  /** Simulated crash: no further SQS calls; then closes connections. */
  kill(): Promise<void>;
}

export async function startLoader(pipeline: PipelineConfig, opts: StartLoaderOptions = {}): Promise<RunningLoader> {
  const config = loaderConfig(pipeline);
  if (opts.port !== undefined) config.port = opts.port;
  const log = opts.logger ?? pino({ name: 'furrow-loader', level: config.logLevel });
  const metrics = new LoaderMetrics();
  const sqs = sqsClient(pipeline.aws);
  const s3 = s3Client(pipeline.aws);
  const targetLog = (msg: string, fields?: Record<string, unknown>) => log.info(fields ?? {}, msg);
  // Only the configured target's driver is loaded (snowflake-sdk alone is half a CPU-second of start-up).
  const target: LoadTarget =
    config.target.type === 'snowflake'
      ? new (await import('./targets/snowflake')).SnowflakeTarget(config.target, { addLoadTstampColumn: config.addLoadTstampColumn, log: targetLog })
      : new (await import('./targets/postgres')).PostgresTarget(config.target, s3, { addLoadTstampColumn: config.addLoadTstampColumn, log: targetLog });
  const cleanup = async () => {
    await target.close().catch(() => {});
    sqs.destroy();
    s3.destroy();
  };
  let queue: WindowQueue;
  try {
    await withRetries(config.initRetries, () => target.init(), {
      onRetry: (err, attempt, delayMs) => log.warn({ attempt, delayMs, err: (err as Error).message }, `target not ready: ${(err as Error).message}`),
    });
    queue = await withRetries(config.initRetries, () =>
      WindowQueue.open(sqs, { queue: config.queue, deadLetterQueue: config.deadLetterQueue, visibilitySeconds: config.sqs.visibilitySeconds, waitTimeSeconds: config.sqs.waitTimeSeconds }),
    );
  } catch (err) {
    await cleanup();
    throw err;
  }
  const loader = new Loader(config, queue, target, metrics, log, opts.hooks);
  let server;
  try {
    server = await startAppServer({ host: config.host, port: config.port, registry: metrics.registry, health: () => ({ ...loader.health(), target: config.target.type, queue: queue.url }) });
  } catch (err) {
    await cleanup();
    throw err;
  }
  loader.start();
  log.info(
    { version: FURROW_VERSION, target: config.target.type, queue: queue.url, deadLetterQueue: queue.deadLetterUrl, port: server.port },
    `loader started (${config.target.type}${config.target.type === 'postgres' ? `, ${(target as PostgresTarget).loadMethod}` : ''})`,
  );
  if (!queue.deadLetterUrl) log.warn('no dead-letter queue (loader.deadLetterQueue or a RedrivePolicy): unloadable messages stay on the queue');
  let closing: Promise<void> | undefined;
  return {
    config,
    loader,
    target,
    metrics,
    queue,
    port: server.port,
    stop() {
      closing ??= (async () => {
        await loader.stop();
        await server.close();
        await cleanup();
        log.info('loader stopped');
      })();
      return closing;
    },
    kill() {
      closing ??= (async () => {
        loader.kill();
        await server.close();
        await cleanup();
      })();
      return closing;
    },
  };
}

export const command: Command = {
  summary: 'load transformed windows into Snowflake or Postgres (atomic.events)',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) return void process.stdout.write(HELP + '\n');
    if (!values.config) throw new Error('--config FILE is required (see --help)');
    const port = parsePortFlag(values.port);
    const app = await startLoader(loadPipelineConfig(values.config), { port });
    await untilSignal(() => app.stop());
  },
};
