/**
 * Prometheus metrics for `GET /metrics` (prom-client, one registry per collector so tests can run several).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PutRecordsReport } from '../streams/kinesis-producer';

export interface BufferSource {
  stream: string;
  bufferedBytes(): number;
  healthy(): boolean;
}

export class CollectorMetrics {
  readonly registry = new Registry();
  /** The text `GET /metrics` answers: this registry's, or in a cluster worker every worker's (see cluster.ts). */
  text: () => Promise<string> = () => this.registry.metrics();
  /** Requests by route, then status: plain counts on the hot path, handed to prom-client when scraped. */
  private readonly requestCounts = new Map<string, Map<number, { count: number; reported: number }>>();
  private readonly recordsWritten: Counter<'stream'>;
  private readonly recordsFailed: Counter<'stream'>;
  private readonly sinkLatency: Histogram<'stream'>;
  private readonly sizeViolations: Counter;

  constructor(sources: () => BufferSource[], opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const requestCounts = this.requestCounts;
    new Counter({
      name: 'furrow_collector_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
      collect() {
        for (const [route, byStatus] of requestCounts)
          for (const [status, c] of byStatus) {
            if (c.count > c.reported) this.inc({ route, status: String(status) }, c.count - c.reported);
            c.reported = c.count;
          }
      },
    });
    this.recordsWritten = new Counter({ name: 'furrow_collector_records_written_total', help: 'Records acknowledged by the stream', labelNames: ['stream'], registers });
    this.recordsFailed = new Counter({ name: 'furrow_collector_records_failed_total', help: 'Record write attempts the stream refused (retried)', labelNames: ['stream'], registers });
    this.sinkLatency = new Histogram({
      name: 'furrow_collector_sink_latency_seconds',
      help: 'PutRecords call latency',
      labelNames: ['stream'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.sizeViolations = new Counter({ name: 'furrow_collector_size_violations_total', help: 'size_violation bad rows produced', registers });
    new Gauge({
      name: 'furrow_collector_buffer_bytes',
      help: 'Bytes buffered and not yet acknowledged, per stream',
      labelNames: ['stream'],
      registers,
      collect() {
        for (const s of sources()) this.set({ stream: s.stream }, s.bufferedBytes());
      },
    });
    new Gauge({
      name: 'furrow_collector_sink_healthy',
      help: '1 when the stream sink is healthy',
      labelNames: ['stream'],
      registers,
      // With collector.workers > 1: 1 only while every worker's sink is healthy.
      aggregator: 'min',
      collect() {
        for (const s of sources()) this.set({ stream: s.stream }, s.healthy() ? 1 : 0);
      },
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'furrow_collector_' });
  }

  /** Hot path: two map lookups and an increment (no label hashing per request). */
  request(route: string, status: number): void {
    let byStatus = this.requestCounts.get(route);
    if (byStatus === undefined) this.requestCounts.set(route, (byStatus = new Map()));
    const c = byStatus.get(status);
    if (c === undefined) byStatus.set(status, { count: 1, reported: 0 });
    else c.count++;
  }

  sizeViolation(n: number): void {
    if (n > 0) this.sizeViolations.inc(n);
  }

  /** Hook for KinesisProducer's `onPutRecords`. */
  putRecords(r: PutRecordsReport): void {
    const ok = r.records - r.failed;
    if (ok > 0) this.recordsWritten.inc({ stream: r.stream }, ok);
    if (r.failed > 0) this.recordsFailed.inc({ stream: r.stream }, r.failed);
    this.sinkLatency.observe({ stream: r.stream }, r.latencyMs / 1000);
  }
}
