/**
 * `furrow s3-loader --config FILE --purpose raw|enriched|bad`: archives one stream to S3 as gzip files,
 * checkpointing after upload; records it cannot archive go to bad-2 as generic_error bad rows.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Command } from '../cli';
import { loadPipelineConfig, type PipelineConfig } from '../config/index';
import { dynamoDbClient, kinesisClient, s3Client } from '../streams/aws-clients';
import { KinesisConsumer } from '../streams/kinesis-consumer';
import { KinesisProducer } from '../streams/kinesis-producer';
import { FURROW_VERSION, parsePortFlag, startAppServer, untilSignal } from '../runtime/index';
import { s3LoaderConfig } from './config';
import { S3LoaderProcessor } from './processor';

const HELP = `Usage: furrow s3-loader --config FILE --purpose raw|enriched|bad[,...] [--port PORT]

Archives one Kinesis stream to S3 (Snowplow S3 Loader): raw (Thrift records, one base64 line each),
enriched (TSV lines) or bad (bad-row JSON, partitioned by schema). Files are gzip, flushed by size,
count or age; each shard is checkpointed only after its records are uploaded. Records that cannot be
archived become generic_error bad rows on bad-2.

Options:
  --config FILE      pipeline config (JSON) with an optional "s3Loader": {"<purpose>": {...}} section
  --purpose P        raw, enriched or bad (also enriched_events, self_describing); several, comma-separated,
                     run one loader each in this process (each on its own configured port)
  --port PORT        /health and /metrics port (overrides the config; 0 = any; one purpose only)
  -h, --help         this text`;

export interface RunningS3Loader {
  port: number;
  processor: S3LoaderProcessor;
  consumer: KinesisConsumer;
  shutdown(): Promise<void>;
}

export async function startS3Loader(pipeline: PipelineConfig, purpose: string, opts: { port?: number } = {}): Promise<RunningS3Loader> {
  const config = s3LoaderConfig(pipeline, purpose);
  if (opts.port !== undefined) config.port = opts.port;
  const log = pino({ name: `furrow-s3-loader-${config.purpose}`, level: config.logLevel });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'furrow_s3_loader_' });
  const uploads = new Counter({ name: 'furrow_s3_loader_files_total', help: 'Files uploaded', registers: [registry] });
  const records = new Counter({ name: 'furrow_s3_loader_records_total', help: 'Records archived', registers: [registry] });
  const uploadErrors = new Counter({ name: 'furrow_s3_loader_upload_errors_total', help: 'Failed upload attempts (retried)', registers: [registry] });
  const badRows = new Counter({ name: 'furrow_s3_loader_bad_rows_total', help: 'Records sent to the bad stream', registers: [registry] });
  const uploadSeconds = new Histogram({ name: 'furrow_s3_loader_upload_seconds', help: 'Upload latency', registers: [registry] });
  const kinesis = kinesisClient(pipeline.aws);
  const producerClient = kinesisClient({ ...pipeline.aws, maxAttempts: 1 });
  const bad = new KinesisProducer({ client: producerClient, streamName: config.badStream });
  const s3 = s3Client(pipeline.aws);
  const dynamodb = dynamoDbClient(pipeline.aws);
  const processor = new S3LoaderProcessor(config, s3, bad, { artifact: 'furrow-s3-loader', version: FURROW_VERSION }, {
    onUpload: (u) => {
      uploads.inc();
      records.inc(u.records);
      uploadSeconds.observe(u.ms / 1000);
      log.info({ key: u.key, records: u.records, bytes: u.bytes, compressedBytes: u.compressedBytes }, 'uploaded');
    },
    onUploadError: () => uploadErrors.inc(),
    onBadRow: () => badRows.inc(),
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
  new Gauge({ name: 'furrow_s3_loader_buffer_bytes', help: 'Uncompressed bytes buffered', registers: [registry], collect() { this.set(processor.bufferedBytes); } });
  new Gauge({ name: 'furrow_s3_loader_millis_behind_latest', help: 'Lag of the slowest shard', registers: [registry], collect() { this.set(consumer.metrics().millisBehindLatest); } });
  new Gauge({ name: 'furrow_s3_loader_leases_held', help: 'Shards this worker reads', registers: [registry], collect() { this.set(consumer.metrics().leasesHeld.length); } });
  await consumer.start();
  const server = await startAppServer({
    host: config.host,
    port: config.port,
    registry,
    health: () => {
      const reasons = [...(processor.healthy ? [] : ['S3 uploads failing']), ...(bad.healthy ? [] : [`bad stream ${config.badStream} failing`])];
      return { healthy: reasons.length === 0, reasons, purpose: config.purpose, ...consumer.metrics() };
    },
  });
  log.info({ port: server.port, stream: config.input.stream, path: config.output.path }, 's3-loader started');
  return {
    port: server.port,
    processor,
    consumer,
    async shutdown() {
      await consumer.stop();
      await processor.close();
      await bad.close(10_000);
      await server.close();
      for (const c of [kinesis, producerClient, s3, dynamodb]) c.destroy();
    },
  };
}

export const command: Command = {
  summary: 'archive a stream (raw, enriched or bad) to S3',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, purpose: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) return void process.stdout.write(HELP + '\n');
    if (!values.config) throw new Error('--config FILE is required (see --help)');
    if (!values.purpose) throw new Error('--purpose raw|enriched|bad is required (see --help)');
    const purposes = values.purpose.split(',').map((p) => p.trim());
    const port = parsePortFlag(values.port);
    if (purposes.length > 1 && port !== undefined) throw new Error('--port applies to one --purpose only; several loaders use their configured ports');
    const pipeline = loadPipelineConfig(values.config);
    // Several purposes share one process (the laptop pipeline's start-up pays for one Node and one AWS SDK).
    const started = await Promise.allSettled(purposes.map((p) => startS3Loader(pipeline, p, { port })));
    const apps = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(apps.map((a) => a.shutdown()));
      throw failed.reason;
    }
    await untilSignal(() => Promise.all(apps.map((a) => a.shutdown())).then(() => undefined));
  },
};
