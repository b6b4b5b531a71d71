/**
 * `furrow collector --config FILE`: the collector app. Wires config → Kinesis producers (raw stream for
 * good records, bad-1 for size violations) → HTTP server, and owns the process lifecycle: SIGTERM/SIGINT
 * mark /health unhealthy, keep serving for `preTerminationPeriodMs`, stop accepting, answer what is in
 * progress, flush the buffers (at most `shutdownTimeoutMs`), exit.
 */
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import type { Command } from '../cli';
import { parsePortFlag } from '../runtime/index';
import { FURROW_VERSION, furrowRuntime } from '../runtime/project';
import { loadPipelineConfig, type PipelineConfig } from '../config/index';
import type { PutRecordsReport } from '../streams/kinesis-producer';
import type { RecordProducer } from '../streams/producer-thread';
import type { CollectorServer } from './server';
import { clusterMetricsText, isCollectorWorker, runCollectorPrimary } from './cluster';
import { collectorConfig, type ResolvedCollectorConfig } from './config';

const HELP = `Usage: furrow collector --config FILE [--port PORT]

Snowplow-compatible collector: tracker HTTP requests → Thrift CollectorPayload records on the raw
Kinesis stream (size violations to bad-1). Endpoints: GET /i, /ice.png, GET|POST /{vendor}/{version}
(e.g. /com.snowplowanalytics.snowplow/tp2), /r/tp2 when redirects are enabled, OPTIONS (CORS),
/health, /sink-health, /metrics, /robots.txt, /crossdomain.xml.

Options:
  --config FILE   pipeline config (JSON): the shared aws/streams sections and a "collector" section
                  (see config/collector.example.json)
  --port PORT     override collector.port (0 picks a free port; the bound port is logged)
  -h, --help      this text

With collector.workers > 1 the collector runs as that many HTTP worker processes sharing the port
(node:cluster; one per core on a dedicated instance): /metrics sums every worker, a worker that dies is
replaced, and SIGTERM/SIGINT make every worker flush before the primary exits.

Signals: SIGTERM/SIGINT flush the buffered records to Kinesis before exiting; repeated signals do not
cut the flush short (SIGKILL does).`;

export interface RunningCollector {
  server: CollectorServer;
  port: number;
  good: RecordProducer;
  bad: RecordProducer;
  config: ResolvedCollectorConfig;
  /** Drain and flush; resolves to the number of records that could not be flushed in time. */
  shutdown(): Promise<number>;
}

/** Start a collector from a parsed pipeline config (tests call this directly; the CLI through `command`). */
export async function startCollector(
  pipeline: PipelineConfig,
  opts: { logger?: Logger; portOverride?: number; /** The collector section, when the caller has resolved it already. */ config?: ResolvedCollectorConfig } = {},
): Promise<RunningCollector> {
  // Loaded here, not at the top: a cluster primary (collector.workers > 1) never serves and stays small.
  const [{ kinesisClient }, { KinesisProducer }, { KinesisProducerThread }, { CollectorMetrics }, { CollectorServer }] = await Promise.all([
    import('../streams/aws-clients'),
    import('../streams/kinesis-producer'),
    import('../streams/producer-thread'),
    import('./metrics'),
    import('./server'),
  ]);
  const config = opts.config ?? collectorConfig(pipeline);
  if (opts.portOverride !== undefined) config.port = opts.portOverride;
  const logger = opts.logger ?? pino({ name: 'furrow-collector', level: config.logLevel });
  const processor = { artifact: 'furrow-collector', version: FURROW_VERSION };
  const sinks: RecordProducer[] = [];
  const metrics = new CollectorMetrics(() =>
    sinks.map((s) => ({ stream: s.streamName, bufferedBytes: () => s.bufferedBytes, healthy: () => s.healthy })),
  );
  if (isCollectorWorker()) metrics.text = clusterMetricsText(metrics.registry);
  const producerOptions = (streamName: string) => ({
    streamName,
    byteLimit: config.sink.buffer.byteLimit,
    recordLimit: config.sink.buffer.recordLimit,
    // ack mode: the client is waiting, so never hold records for the batch timer; batches still form
    // from whatever arrives while maxInFlight PutRecords calls are outstanding.
    timeLimitMs: config.ackMode === 'ack' ? 0 : config.sink.buffer.timeLimitMs,
    maxBufferBytes: config.sink.maxBufferBytes,
    maxInFlight: config.sink.maxInFlight,
    unhealthyAfterFailures: config.sink.unhealthyAfterFailures,
    baseBackoffMs: config.sink.backoff.minMs,
    maxBackoffMs: config.sink.backoff.maxMs,
  });
  const onPutRecords = (r: PutRecordsReport) => {
    metrics.putRecords(r);
    if (r.error) logger.warn({ stream: r.stream, records: r.records, attempt: r.attempt, err: String(r.error) }, 'PutRecords failed; retrying');
    else if (r.failed > 0) logger.warn({ stream: r.stream, failed: r.failed, records: r.records, attempt: r.attempt }, 'PutRecords partially failed; retrying');
  };
  const onHealthChange = (stream: string, healthy: boolean) =>
    healthy ? logger.info({ stream }, 'sink healthy again') : logger.error({ stream }, 'sink unhealthy');
  let good: RecordProducer;
  let bad: RecordProducer;
  let closeSinks: (timeoutMs: number) => Promise<number>;
  if (config.sink.thread) {
    // The PutRecords work (signing, serialising, the socket) runs in a worker thread, off the HTTP loop.
    const thread = new KinesisProducerThread({
      aws: pipeline.aws,
      streams: [producerOptions(config.goodStream), producerOptions(config.badStream)],
      handOffMs: config.ackMode === 'ack' ? 0 : 5,
      onPutRecords,
      onHealthChange,
      onThreadError: (err) => logger.fatal({ err: err.stack ?? String(err) }, 'producer thread died: its buffered records are lost'),
    });
    // A worker that cannot start (its code failed to load) stops start-up: serving would lose every record.
    await thread.ready;
    good = thread.producers[0]!;
    bad = thread.producers[1]!;
    closeSinks = (timeoutMs) => thread.close(timeoutMs);
  } else {
    // SDK retries off: the producer owns retries (backoff with jitter, health, bounded buffer).
    const client = kinesisClient({ ...pipeline.aws, maxAttempts: 1 });
    const producer = (streamName: string) =>
      new KinesisProducer({ client, ...producerOptions(streamName), onPutRecords, onHealthChange: (healthy) => onHealthChange(streamName, healthy) });
    good = producer(config.goodStream);
    bad = producer(config.badStream);
    closeSinks = async (timeoutMs) => {
      const lost = (await Promise.all([good.close(timeoutMs), bad.close(timeoutMs)])).reduce((a, b) => a + b, 0);
      client.destroy();
      return lost;
    };
  }
  sinks.push(good, bad);
  const server = new CollectorServer({
    config,
    good,
    bad,
    logger,
    metrics,
    processor,
    collectorName: `furrow-collector-${FURROW_VERSION}-kinesis`,
  });
  const port = await server.listen();
  logger.info(
    { port, interface: config.interface, goodStream: good.streamName, badStream: bad.streamName, ackMode: config.ackMode, runtime: furrowRuntime() },
    `collector listening on http://${config.interface.includes(':') ? `[${config.interface}]` : config.interface}:${port}`,
  );
  let shuttingDown: Promise<number> | null = null;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      const started = Date.now();
      server.startDraining();
      if (config.preTerminationPeriodMs > 0) await new Promise((r) => setTimeout(r, config.preTerminationPeriodMs));
      await server.close(Math.min(config.shutdownTimeoutMs, config.networking.responseHeaderTimeoutMs));
      const buffered = { good: good.bufferedRecords, bad: bad.bufferedRecords };
      const remaining = Math.max(1, config.shutdownTimeoutMs - (Date.now() - started));
      const lost = await closeSinks(remaining);
      if (lost > 0) logger.error({ lost, buffered }, 'shutdown: records could not be flushed in time');
      else logger.info({ flushed: buffered, ms: Date.now() - started }, 'shutdown: buffers flushed');
      return lost;
    })());
  return { server, port, good, bad, config, shutdown };
}

export const command: Command = {
  summary: 'the Snowplow-compatible collector (HTTP → Thrift → Kinesis raw stream)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    if (!values.config) throw new Error('--config FILE is required (see --help)');
    const portOverride = parsePortFlag(values.port);
    const pipeline = loadPipelineConfig(values.config);
    const config = collectorConfig(pipeline);
    if (config.workers > 1 && !isCollectorWorker()) {
      // The primary: forks `workers` processes that each run this command as a worker (below).
      const logger = pino({ name: 'furrow-collector', level: config.logLevel });
      process.exitCode = await runCollectorPrimary({ workers: config.workers, logger, host: config.interface });
      return;
    }
    let running: RunningCollector;
    try {
      running = await startCollector(pipeline, { portOverride, config });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`collector port is already in use (set collector.port or --port)`, { cause: err });
      throw err;
    }
    const lost = await new Promise<number>((resolve) => {
      // shutdown() runs once; later signals (a cluster primary forwarding the group's SIGTERM, a second Ctrl-C)
      // must not kill the process while it flushes. SIGKILL still does.
      const stop = () => void running.shutdown().then(resolve);
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    process.exitCode = lost > 0 ? 1 : 0;
    // Everything is flushed and closed; don't let a stray handle keep a stopped collector alive.
    setTimeout(() => process.exit(), 2000).unref();
  },
};
