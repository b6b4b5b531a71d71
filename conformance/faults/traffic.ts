/**
 * A steady stream of tracker traffic for the fault suite: tp2 POSTs of a few self-describing events each,
 * sent straight over HTTP so every event's id and fate is known. A request that is not answered 200 is
 * retried with the same event ids (as a tracker's emitter does), so a write the collector made but did not
 * acknowledge comes back as a duplicate the pipeline must not load twice. An event counts as acknowledged
 * once any request carrying it was answered 200.
 */
import { randomUUID } from 'node:crypto';

export const PING_SCHEMA = 'iglu:com.acme.faults/ping/jsonschema/1-0-0';

/** The Iglu schema the good events use (published to the Iglu Server, so enrich depends on it and on Postgres). */
export const PING_SCHEMA_JSON = {
  $schema: 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#',
  self: { vendor: 'com.acme.faults', name: 'ping', format: 'jsonschema', version: '1-0-0' },
  type: 'object',
  properties: { n: { type: 'integer' }, scenario: { type: 'string' } },
  required: ['n'],
  additionalProperties: false,
};

export interface TrafficOptions {
  collectorUrl: string;
  /** `app_id` of every event, so one scenario's rows can be told from another's. */
  appId: string;
  requestsPerSecond: number;
  eventsPerRequest: number;
  /** Every `badEvery`-th event violates the schema (a schema_violations bad row); 0 = none. */
  badEvery: number;
  /** Give up on a request after this long of retrying (its events then stay unacknowledged). */
  retryForMs?: number;
  /**
   * Send every `resendEvery`-th acknowledged request once more, a little later, as a tracker does whose
   * 200 was lost on the way back: the same event ids reach the pipeline twice. 0 = never.
   */
  resendEvery?: number;
}

export interface SentEvent {
  bad: boolean;
  acked: boolean;
}

export class Traffic {
  readonly events = new Map<string, SentEvent>();
  requests = 0;
  /** Answers other than 200, and requests that failed on the wire (reset, timeout). */
  failures = 0;
  retries = 0;
  /** Events sent a second time after their request was acknowledged (see `resendEvery`). */
  resent = 0;
  private n = 0;
  private acknowledgedRequests = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: TrafficOptions) {}

  start(): void {
    const every = 1000 / this.o.requestsPerSecond;
    this.timer = setInterval(() => this.sendOne(), every);
  }

  /** Stop generating and wait until every request is acknowledged or given up on. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  ids(filter: (e: SentEvent) => boolean): string[] {
    return [...this.events].filter(([, e]) => filter(e)).map(([id]) => id);
  }

  counts(): { sent: number; acknowledged: number; sentBad: number; acknowledgedBad: number; resent: number; requests: number; failedRequests: number; retries: number } {
    const all = [...this.events.values()];
    return {
      sent: all.length,
      acknowledged: all.filter((e) => e.acked).length,
      sentBad: all.filter((e) => e.bad).length,
      acknowledgedBad: all.filter((e) => e.bad && e.acked).length,
      resent: this.resent,
      requests: this.requests,
      failedRequests: this.failures,
      retries: this.retries,
    };
  }

  private sendOne(): void {
    const batch: { eid: string; bad: boolean; n: number }[] = [];
    for (let i = 0; i < this.o.eventsPerRequest; i++) {
      const n = this.n++;
      const eid = randomUUID();
      const bad = this.o.badEvery > 0 && n % this.o.badEvery === this.o.badEvery - 1;
      this.events.set(eid, { bad, acked: false });
      batch.push({ eid, bad, n });
    }
    const body = JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
      data: batch.map(({ eid, bad, n }) => ({
        e: 'ue',
        eid,
        p: 'srv',
        tv: 'furrow-faults-0.1',
        aid: this.o.appId,
        dtm: String(Date.now()),
        stm: String(Date.now()),
        ue_pr: JSON.stringify({
          schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
          data: { schema: PING_SCHEMA, data: bad ? { n: `not-a-number-${n}` } : { n, scenario: this.o.appId } },
        }),
      })),
    });
    this.track(this.deliver(body, batch.map((b) => b.eid)));
  }

  private track(delivery: Promise<void>): void {
    const p = delivery.finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async deliver(body: string, eids: string[]): Promise<void> {
    const giveUpAt = Date.now() + (this.o.retryForMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.retries++;
      this.requests++;
      try {
        const res = await fetch(`${this.o.collectorUrl}/com.snowplowanalytics.snowplow/tp2`, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          const first = eids.some((id) => !this.events.get(id)!.acked);
          for (const id of eids) this.events.get(id)!.acked = true;
          const every = this.o.resendEvery ?? 0;
          if (first && every > 0 && ++this.acknowledgedRequests % every === 0) {
            this.resent += eids.length;
            this.track(new Promise((r) => setTimeout(r, 300)).then(() => this.deliver(body, eids)));
          }
          return;
        }
      } catch {
        /* refused, reset or timed out: retried like any failure */
      }
      this.failures++;
      if (Date.now() >= giveUpAt) return;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}
