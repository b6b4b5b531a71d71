/**
 * `collector.workers > 1`: the collector as a node:cluster of HTTP worker processes sharing one port.
 *
 * A Node event loop uses one core; the collector's request path (parse, Thrift, answer, PutRecords) keeps it
 * busy long before a second core is, so this is how one instance uses the rest. The primary only supervises:
 * it forks the workers (each runs the ordinary single-process collector, with its own Kinesis producers),
 * replaces a worker that dies, answers workers' /metrics requests with every worker's metrics summed
 * (prom-client's AggregatorRegistry), and on SIGTERM/SIGINT has every worker flush and exit before it does.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { furrowRuntime } from '../runtime/project';

const METRICS_REQUEST = 'furrow:collector-metrics?';
const METRICS_ANSWER = 'furrow:collector-metrics!';
/** A worker that dies more often than this within a minute means a broken setup, not bad luck: stop. */
const MAX_RESTARTS_PER_MINUTE = 5;

type MetricsRequest = { type: typeof METRICS_REQUEST; id: number };
type MetricsAnswer = { type: typeof METRICS_ANSWER; id: number; text?: string; error?: string };

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** The interface the workers bind, for the "listening" line. */
  host: string;
}

/**
 * Run the primary until it is stopped: resolves to the exit code (0 when every worker flushed and exited
 * cleanly, 1 when one lost records, failed to start or kept dying).
 */
export function runCollectorPrimary(opts: ClusterOptions): Promise<number> {
  const { workers, logger } = opts;
  const aggregator = new AggregatorRegistry();
  const started = new Set<number>();
  const restarts: number[] = [];
  let stopping = false;
  let exitCode = 0;
  let announced = false;

  return new Promise<number>((resolve) => {
    const stop = (code: number) => {
      exitCode = Math.max(exitCode, code);
      if (stopping) return;
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      maybeDone();
    };
    const maybeDone = () => {
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
    };
    const fork = () => cluster.fork({ FURROW_COLLECTOR_WORKER: '1' });

    cluster.on('listening', (worker: Worker, address) => {
      started.add(worker.id);
      if (!announced && started.size >= workers) {
        announced = true;
        logger.info({ port: address.port, interface: opts.host, workers, runtime: furrowRuntime() }, `collector listening on http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${address.port} (${workers} workers)`);
      }
    });
    cluster.on('message', (worker: Worker, m: MetricsRequest) => {
      if (m?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send({ type: METRICS_ANSWER, id: m.id, text } satisfies MetricsAnswer),
        (err: Error) => worker.isConnected() && worker.send({ type: METRICS_ANSWER, id: m.id, error: err.message } satisfies MetricsAnswer),
      );
    });
    cluster.on('exit', (worker: Worker, code, signal) => {
      const wasServing = started.delete(worker.id);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        return maybeDone();
      }
      if (!wasServing) {
        // It never listened: bad config, port taken. Forking again would fail the same way.
        logger.fatal({ worker: worker.id, code, signal }, 'collector worker failed to start; stopping');
        return stop(1);
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        logger.fatal({ worker: worker.id, code, signal, restarts: restarts.length }, 'collector workers keep dying; stopping');
        return stop(1);
      }
      logger.error({ worker: worker.id, code, signal }, 'collector worker died (its unflushed records are lost); starting another');
      fork();
    });
    // `on`, not `once`: a second signal (systemd and Ctrl-C signal the whole group, then we forward) must not
    // kill the primary mid-shutdown, which would take the still-flushing workers down with it.
    process.on('SIGTERM', () => stop(0));
    process.on('SIGINT', () => stop(0));
    for (let i = 0; i < workers; i++) fork();
  });
}

/** In a worker: /metrics answers with every worker's metrics, as summed by the primary. */
export function clusterMetricsText(registry: Registry): () => Promise<string> {
  // Answer the primary's requests for this worker's own metrics (prom-client's worker side).
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry();
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (m: MetricsAnswer) => {
    if (m?.type !== METRICS_ANSWER) return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`cluster metrics: ${m.error}`));
    else w?.resolve(m.text ?? '');
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('cluster metrics: the primary did not answer in 10 s'));
      }, 10_000);
      waiting.set(id, {
        resolve: (t) => (clearTimeout(timer), resolve(t)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}

/** Whether this process is a collector worker forked by `runCollectorPrimary`. */
export function isCollectorWorker(): boolean {
  return cluster.isWorker && process.env.FURROW_COLLECTOR_WORKER === '1';
}
