/**
 * `furrow enrich --config FILE`: the Enrich app. Wires config → Iglu client → enrichment registry →
 * `EnrichProcessor` → Kinesis consumer (DynamoDB leases) on the raw stream, with Kinesis producers for
 * `enriched` and `bad-1`. SIGTERM/SIGINT: stop reading, let in-flight batches finish and checkpoint,
 * flush the producers, exit.
 */
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import type { Command } from '../cli';
import { loadPipelineConfig, type PipelineConfig } from '../config/index';
import { compileLimits } from '../core/atomic-fields';
import type { FieldName } from '../core/enriched-event';
import { IgluClient } from '../iglu/client';
import { defaultResolverConfig, resolverFromConfig, resolverFromFile } from '../iglu/resolver-config';
import { dynamoDbClient, kinesisClient } from '../streams/aws-clients';
import { KinesisConsumer } from '../streams/kinesis-consumer';
import { KinesisProducer } from '../streams/kinesis-producer';
import { FURROW_VERSION, parsePortFlag, startAppServer, untilSignal } from '../runtime/index';
import { enrichConfig, partitionKeyField, type EnrichConfig } from './config';
import { buildEnrichments, FACTORIES, inlineSources, readEnrichmentDir } from './enrichments/index';
import { EnrichmentRegistry } from './enrichments/registry';
import { igluClientValidator } from './iglu-adapter';
import { enrichMetrics } from './metrics';
import { defaultSettings } from './pipeline';
import { EnrichProcessor } from './processor';
import { BUILTIN_STEPS } from './steps/builtins';

const HELP = `Usage: furrow enrich --config FILE [--enrichments DIR]

Snowplow-compatible Enrich: raw Thrift CollectorPayload records (streams.raw) → adapters → validation →
built-in enrichment steps → 131-column enriched TSV on streams.enriched, bad rows on streams.bad1.
Shards are shared between instances through a DynamoDB lease table (enrich.applicationName).

Options:
  --config FILE   pipeline config (JSON): shared aws/streams sections and an "enrich" section
  --port PORT     override enrich.port (/health and /metrics; 0 picks a free port)
  --enrichments DIR  enrichment configs, one self-describing JSON file each (*.json), like Snowplow's;
                  added to enrich.enrichments
  -h, --help      this text

Signals: SIGTERM/SIGINT stop reading, finish and checkpoint the batches in flight, flush the producers.`;

export const ENRICH_VERSION = FURROW_VERSION;

export interface RunningEnrich {
  config: EnrichConfig;
  /** Port of `/health` and `/metrics`. */
  port: number;
  processor: EnrichProcessor;
  consumer: KinesisConsumer;
  good: KinesisProducer;
  bad: KinesisProducer;
  /** The PII stream's producer, when `enrich.output.pii` is set. */
  pii?: KinesisProducer;
  stop(): Promise<void>;
}

function igluClient(c: EnrichConfig): IgluClient {
  if (c.resolver === undefined) return new IgluClient(resolverFromConfig(defaultResolverConfig()));
  if (typeof c.resolver === 'string') return new IgluClient(resolverFromFile(c.resolver));
  return new IgluClient(resolverFromConfig(c.resolver));
}

export async function startEnrich(
  pipeline: PipelineConfig,
  opts: { logger?: Logger; port?: number; enrichmentsDir?: string } = {},
): Promise<RunningEnrich> {
  const config = enrichConfig(pipeline);
  if (opts.port !== undefined) config.port = opts.port;
  const logger = opts.logger ?? pino({ name: 'furrow-enrich', level: config.logLevel });
  const client = igluClient(config);
  // Enrichment configs are validated against their schemas before anything starts (EnrichmentConfigError names file and field).
  const sources = [...inlineSources(config.enrichments), ...(opts.enrichmentsDir ? readEnrichmentDir(opts.enrichmentsDir) : [])];
  const built = await buildEnrichments(sources, client, FACTORIES, {
    openExchangeRatesUrl: config.openExchangeRates.url,
    openExchangeRatesTimeoutMs: config.openExchangeRates.timeoutMs,
  });
  for (const i of built.ignored) logger.warn({ source: i.source, enrichment: i.name }, `enrichment config ignored (${i.reason})`);
  const settings = defaultSettings({
    processor: { artifact: config.processor.artifact, version: config.processor.version ?? ENRICH_VERSION },
    validator: igluClientValidator(client),
    registry: new EnrichmentRegistry(BUILTIN_STEPS, built.enrichments),
    maxJsonDepth: config.validation.maxJsonDepth,
    acceptInvalid: config.validation.acceptInvalid,
    limits: compileLimits(config.validation.atomicFieldsLimits as Partial<Record<FieldName, number>>),
    maxRecordSize: config.output.maxRecordSize,
  });
  // SDK retries off for the producers: they own retries (backoff with jitter, bounded buffer).
  const kinesisOut = kinesisClient({ ...pipeline.aws, maxAttempts: 1 });
  const kinesisIn = kinesisClient(pipeline.aws);
  const dynamodb = dynamoDbClient(pipeline.aws);
  const producer = (streamName: string) =>
    new KinesisProducer({
      client: kinesisOut,
      streamName,
      byteLimit: config.output.buffer.byteLimit,
      recordLimit: config.output.buffer.recordLimit,
      timeLimitMs: config.output.buffer.timeLimitMs,
      baseBackoffMs: config.output.backoff.minMs,
      maxBackoffMs: config.output.backoff.maxMs,
      onPutRecords: (r) => {
        if (r.error) logger.warn({ stream: r.stream, records: r.records, attempt: r.attempt, err: String(r.error) }, 'PutRecords failed; retrying');
      },
    });
  const good = producer(pipeline.streams.enriched);
  const bad = producer(pipeline.streams.bad1);
  const pii = config.output.pii ? producer(config.output.pii) : undefined;
  if (!pii && built.enrichments.some((e) => e.name === 'pii_enrichment_config') && sources.some((s) => (s.json as { data?: { emitEvent?: unknown } } | null)?.data?.emitEvent === true))
    logger.warn('PII enrichment emitEvent is on but enrich.output.pii names no stream: pii_transformation events are not written');
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => logger[level](fields ?? {}, msg);
  const processor = new EnrichProcessor({
    settings,
    good,
    bad,
    pii,
    partitionKey: partitionKeyField(config),
    maxBadRowSize: config.output.maxBadRowSize,
    retryBaseMs: config.igluRetry.minMs,
    retryMaxMs: config.igluRetry.maxMs,
    log,
  });
  const consumer = new KinesisConsumer({
    kinesis: kinesisIn,
    dynamodb,
    streamName: pipeline.streams.raw,
    applicationName: config.applicationName,
    processor,
    initialPosition: config.initialPosition,
    maxRecordsPerBatch: config.input.maxRecordsPerBatch,
    idleTimeBetweenReadsMs: config.input.idleTimeBetweenReadsMs,
    log,
  });
  await consumer.start();
  const server = await startAppServer({
    host: config.host,
    port: config.port,
    registry: enrichMetrics(processor, consumer),
    health: () => {
      const reasons: string[] = [];
      if (!good.healthy) reasons.push(`writes to ${good.streamName} failing`);
      if (!bad.healthy) reasons.push(`writes to ${bad.streamName} failing`);
      if (pii && !pii.healthy) reasons.push(`writes to ${pii.streamName} failing`);
      if (processor.waitingForIglu) reasons.push('Iglu unavailable (retrying)');
      const m = consumer.metrics();
      if (m.millisBehindLatest > config.unhealthyLatencyMs) reasons.push(`${m.millisBehindLatest} ms behind the raw stream`);
      return { healthy: reasons.length === 0, reasons, counters: processor.counters, ...m };
    },
  });
  logger.info(
    { port: server.port, input: pipeline.streams.raw, good: good.streamName, bad: bad.streamName, applicationName: config.applicationName, steps: settings.registry.describe() },
    'enrich started',
  );
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      processor.stop();
      await consumer.stop();
      await server.close();
      const lost = (await Promise.all([good.close(30_000), bad.close(30_000), ...(pii ? [pii.close(30_000)] : [])])).reduce((a, b) => a + b, 0);
      kinesisIn.destroy();
      kinesisOut.destroy();
      dynamodb.destroy();
      if (lost) logger.error({ lost }, 'shutdown: records could not be flushed in time');
      logger.info({ counters: processor.counters }, 'enrich stopped');
    })());
  return { config, port: server.port, processor, consumer, good, bad, pii, stop };
}

export const command: Command = {
  summary: 'Snowplow-compatible Enrich (raw stream → enriched TSV + bad rows)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, port: { type: 'string' }, enrichments: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    if (!values.config) throw new Error('--config FILE is required (see --help)');
    const port = parsePortFlag(values.port);
    const running = await startEnrich(loadPipelineConfig(values.config), { port, enrichmentsDir: values.enrichments });
    await untilSignal(() => running.stop());
  },
};
