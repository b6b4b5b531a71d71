/**
 * The loader's Prometheus metrics (spec §3.8, Snowplow's names under `furrow_loader_`): events loaded,
 * window outcomes, collector-to-load latency (min = now − newest collector_tstamp, max = now − oldest),
 * transformer-to-load latency, load duration, destination health and the age of the newest loaded data.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ShreddingComplete } from '../core/shredding-complete';

export type WindowOutcome = 'loaded' | 'already_loaded' | 'empty' | 'dead_lettered' | 'failed';

/** Parse an ISO date-time with up to nanoseconds (Date.parse takes milliseconds only). */
export function isoMillis(s: string | null | undefined): number | null {
  if (!s) return null;
  const t = Date.parse(s.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(t) ? null : t;
}

export class LoaderMetrics {
  readonly registry = new Registry();
  readonly countGood = new Counter({ name: 'furrow_loader_count_good_total', help: 'Events loaded (count.good of loaded windows)', registers: [this.registry] });
  readonly countBad = new Counter({ name: 'furrow_loader_count_bad_total', help: 'Bad rows reported by loaded windows (count.bad)', registers: [this.registry] });
  readonly rowsLoaded = new Counter({ name: 'furrow_loader_rows_loaded_total', help: 'Rows the warehouse reported loaded', registers: [this.registry] });
  readonly windows = new Counter({ name: 'furrow_loader_windows_total', help: 'Windows by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly duplicatesSkipped = new Counter({ name: 'furrow_loader_duplicates_skipped_total', help: 'Events not loaded because atomic.events already had them (same event_id and event_fingerprint)', registers: [this.registry] });
  readonly columnsAdded = new Counter({ name: 'furrow_loader_columns_added_total', help: 'Self-describing columns added', registers: [this.registry] });
  readonly retries = new Counter({ name: 'furrow_loader_retries_total', help: 'Load attempts retried', registers: [this.registry] });
  readonly latencyMin = new Gauge({ name: 'furrow_loader_latency_collector_to_load_min_seconds', help: 'Load time minus the newest collector_tstamp of the last window', registers: [this.registry] });
  readonly latencyMax = new Gauge({ name: 'furrow_loader_latency_collector_to_load_max_seconds', help: 'Load time minus the oldest collector_tstamp of the last window', registers: [this.registry] });
  readonly transformerStart = new Gauge({ name: 'furrow_loader_latency_transformer_start_to_load_seconds', help: 'Load time minus the window start', registers: [this.registry] });
  readonly transformerEnd = new Gauge({ name: 'furrow_loader_latency_transformer_end_to_load_seconds', help: 'Load time minus the window seal', registers: [this.registry] });
  readonly loadSeconds = new Histogram({
    name: 'furrow_loader_load_duration_seconds',
    help: 'Time to load one window (columns + COPY + manifest)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly destinationHealthy = new Gauge({ name: 'furrow_loader_destination_healthy', help: '1 when the last health check (SELECT 1) succeeded', registers: [this.registry] });
  private newestLoaded: number | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'furrow_loader_' });
    const newest = () => this.newestLoaded;
    new Gauge({
      name: 'furrow_loader_minimum_age_of_loaded_data_seconds',
      help: 'Now minus the newest collector_tstamp loaded so far',
      registers: [this.registry],
      collect() {
        const n = newest();
        if (n !== null) this.set((Date.now() - n) / 1000);
      },
    });
  }

  loaded(m: ShreddingComplete, rows: number, ms: number, now = Date.now()): void {
    this.windows.inc({ outcome: 'loaded' });
    this.countGood.inc(m.count?.good ?? rows);
    if (m.count?.bad) this.countBad.inc(m.count.bad);
    this.rowsLoaded.inc(rows);
    this.loadSeconds.observe(ms / 1000);
    const max = isoMillis(m.timestamps.max);
    const min = isoMillis(m.timestamps.min);
    if (max !== null) {
      this.latencyMin.set((now - max) / 1000);
      this.newestLoaded = Math.max(this.newestLoaded ?? max, max);
    }
    if (min !== null) this.latencyMax.set((now - min) / 1000);
    const started = isoMillis(m.timestamps.jobStarted);
    const completed = isoMillis(m.timestamps.jobCompleted);
    if (started !== null) this.transformerStart.set((now - started) / 1000);
    if (completed !== null) this.transformerEnd.set((now - completed) / 1000);
  }
}
