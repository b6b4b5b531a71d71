/**
 * `furrow transformer --config FILE`: enriched stream → processing-time windows of wide-row JSON on S3,
 * each announced on the loader's SQS FIFO queue once sealed (RDB stream transformer).
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Command } from '../cli';
import { loadPipelineConfig, type PipelineConfig } from '../config/index';
import { dynamoDbClient, kinesisClient, s3Client, sqsClient } from '../streams/aws-clients';
import { KinesisConsumer } from '../streams/kinesis-consumer';
import { FURROW_VERSION, parsePortFlag, startAppServer, untilSignal } from '../runtime/index';
import { transformerConfig } from './config';
import { TransformerProcessor } from './processor';

const HELP = `Usage: furrow transformer --config FILE [--port PORT]

Reads the enriched stream, groups events into processing-time windows (transformer.windowSeconds,
600 by default; a few seconds in the emulator) and writes each window as wide-row JSON under
<output.path>/run=YYYY-MM-DD-HH-MM-SS-<uuid>/output=good|bad/. A finished window is sealed in
Snowplow's order: shredding_complete.json, checkpoint, then the same message on the SQS FIFO queue.

Options:
  --config FILE   pipeline config (JSON) with an optional "transformer" section
  --port PORT     /health and /metrics port (0 = any)
  -h, --help      this text`;

export interface RunningTransformer {
  port: number;
  processor: TransformerProcessor;
  consumer: KinesisConsumer;
  shutdown(): Promise<void>;
}

export async function startTransformer(pipeline: PipelineConfig, opts: { port?: number } = {}): Promise<RunningTransformer> {
  const config = transformerConfig(pipeline);
  if (opts.port !== undefined) config.port = opts.port;
  const log = pino({ name: 'furrow-transformer', level: config.logLevel });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'furrow_transformer_' });
  const windows = new Counter({ name: 'furrow_transformer_windows_sealed_total', help: 'Windows sealed and announced', registers: [registry] });
  const good = new Counter({ name: 'furrow_transformer_events_good_total', help: 'Events written as wide rows', registers: [registry] });
  const bad = new Counter({ name: 'furrow_transformer_events_bad_total', help: 'Events that became loader_parsing_error bad rows', registers: [registry] });
  const sealSeconds = new Histogram({ name: 'furrow_transformer_seal_seconds', help: 'Time to seal a window', registers: [registry] });
  const kinesis = kinesisClient(pipeline.aws);
  const dynamodb = dynamoDbClient(pipeline.aws);
  const s3 = s3Client(pipeline.aws);
  const sqs = sqsClient(pipeline.aws);
  const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: config.queue }))).QueueUrl!;
  const processor = new TransformerProcessor(config, s3, sqs, queueUrl, { artifact: 'furrow-transformer', version: FURROW_VERSION }, {
    onSealed: (m, info) => {
      windows.inc();
      good.inc(m.count?.good ?? 0);
      bad.inc(m.count?.bad ?? 0);
      sealSeconds.observe(info.ms / 1000);
      log.info({ base: m.base, good: m.count?.good, bad: m.count?.bad, types: m.typesInfo.types.length, files: info.files }, 'window sealed');
    },
    log: (level, msg, fields) => log[level](fields ?? {}, msg),
  });
  const consumer = new KinesisConsumer({
    kinesis,
    dynamodb,
    streamName: config.input.stream,
    applicationName: config.input.applicationName,
    initialPosition: config.input.initialPosition,
    maxRecordsPerBatch: config.input.maxRecords,
    autoCheckpoint: false,
    processor,
    log: (level, msg, fields) => log[level](fields ?? {}, msg),
  });
  new Gauge({ name: 'furrow_transformer_millis_behind_latest', help: 'Lag of the slowest shard', registers: [registry], collect() { this.set(consumer.metrics().millisBehindLatest); } });
  new Gauge({ name: 'furrow_transformer_leases_held', help: 'Shards this worker reads', registers: [registry], collect() { this.set(consumer.metrics().leasesHeld.length); } });
  await consumer.start();
  const server = await startAppServer({
    host: config.host,
    port: config.port,
    registry,
    health: () => ({ healthy: processor.healthy, reasons: processor.healthy ? [] : ['S3 or SQS writes failing'], ...consumer.metrics() }),
  });
  log.info({ port: server.port, stream: config.input.stream, path: config.output.path, windowSeconds: config.windowSeconds }, 'transformer started');
  return {
    port: server.port,
    processor,
    consumer,
    async shutdown() {
      await consumer.stop();
      await processor.close();
      await server.close();
      for (const c of [kinesis, dynamodb, s3, sqs]) c.destroy();
    },
  };
}

export const command: Command = {
  summary: 'enriched stream → windowed wide-row files on S3 + shredding_complete on SQS',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) return void process.stdout.write(HELP + '\n');
    if (!values.config) throw new Error('--config FILE is required (see --help)');
    const port = parsePortFlag(values.port);
    const app = await startTransformer(loadPipelineConfig(values.config), { port });
    await untilSignal(() => app.shutdown());
  },
};
