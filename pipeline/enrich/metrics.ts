/**
 * Prometheus metrics of the enrich app (served on `/metrics` by the shared app server), read from the
 * processor's counters and the consumer at scrape time.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { KinesisConsumer } from '../streams/kinesis-consumer';
import type { EnrichProcessor } from './processor';

export function enrichMetrics(processor: EnrichProcessor, consumer: KinesisConsumer): Registry {
  const registry = new Registry();
  const c = processor.counters;
  // Counters follow the processor's totals: each scrape adds what happened since the last one.
  const follow = (name: string, help: string, read: () => number) => {
    let last = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read();
        if (now > last) this.inc(now - last);
        last = now;
      },
    });
  };
  follow('furrow_enrich_records_total', 'Raw records processed', () => c.records);
  follow('furrow_enrich_good_total', 'Enriched events written', () => c.good);
  follow('furrow_enrich_pii_total', 'pii_transformation events written to the PII stream', () => c.pii);
  follow('furrow_enrich_bad_total', 'Bad rows written', () => c.bad);
  follow('furrow_enrich_dropped_total', 'Events dropped on purpose', () => c.dropped);
  follow('furrow_enrich_invalid_accepted_total', 'Atomic length violations let through (acceptInvalid)', () => c.invalid);
  follow('furrow_enrich_iglu_retries_total', 'Record attempts retried because Iglu was unavailable', () => c.igluRetries);
  new Gauge({
    name: 'furrow_enrich_bad_rows',
    help: 'Bad rows by type since start',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      for (const [type, n] of Object.entries(c.badByType)) this.set({ type }, n);
    },
  });
  new Gauge({ name: 'furrow_enrich_latency_millis', help: 'collector_tstamp to enrich, last batch', registers: [registry], collect() { this.set(c.latencyMs); } });
  new Gauge({ name: 'furrow_enrich_millis_behind_latest', help: 'Lag of the slowest shard', registers: [registry], collect() { this.set(consumer.metrics().millisBehindLatest); } });
  new Gauge({ name: 'furrow_enrich_leases_held', help: 'Shards this worker reads', registers: [registry], collect() { this.set(consumer.metrics().leasesHeld.length); } });
  return registry;
}
