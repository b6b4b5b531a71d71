import { EnrichedEvent } from '../../pipeline/core/enriched-event';

/** Snowplow Micro's `GoodEvent`: the Analytics-SDK JSON of an enriched event plus quick-filter fields. */
export interface GoodEvent {
  rawEvent: RawEventSummary;
  eventType: string | null;
  schema: string | null;
  contexts: string[];
  event: Record<string, unknown>;
}

/** What Micro reports of the raw event; rebuilt from the enriched columns (the raw parameters are not on the enriched stream). */
export interface RawEventSummary {
  api: { vendor: string; version: string };
  parameters: Record<string, string>;
  contentType: string | null;
  source: { name: string | null; encoding: string; hostname: string | null };
  context: { timestamp: string | null; ipAddress: string | null; useragent: string | null; refererUri: string | null; headers: string[]; userId: string | null };
}

/** Snowplow Micro's `BadEvent`: `errors` holds a human summary and the bad row's JSON. */
export interface BadEvent {
  collectorPayload: unknown;
  rawEvent: unknown;
  errors: string[];
}

export interface GoodFilter {
  event_type?: string;
  schema?: string;
  /** Every listed context schema must be present. */
  contexts?: string[];
  limit?: number;
}

export interface BadFilter {
  vendor?: string;
  version?: string;
  limit?: number;
}

const SDJ_URI = /^iglu:([^/]+)\/([^/]+)\/([^/]+)\/([0-9]+-[0-9]+-[0-9]+)$/;

function contextSchemas(json: string | null): string[] {
  if (!json) return [];
  try {
    const parsed = JSON.parse(json) as { data?: { schema?: unknown }[] };
    return (parsed.data ?? []).map((c) => c?.schema).filter((s): s is string => typeof s === 'string' && SDJ_URI.test(s));
  } catch {
    return [];
  }
}

/** Build Micro's GoodEvent from an enriched TSV line. */
export function goodEventFromTsv(line: string): GoodEvent {
  const e = EnrichedEvent.fromTsv(line);
  const schema = e.event_vendor && e.event_name && e.event_format && e.event_version ? `iglu:${e.event_vendor}/${e.event_name}/${e.event_format}/${e.event_version}` : null;
  return {
    rawEvent: {
      api: { vendor: 'com.snowplowanalytics.snowplow', version: 'tp2' },
      parameters: Object.fromEntries(
        ([['e', e.event], ['aid', e.app_id], ['p', e.platform], ['tv', e.v_tracker], ['eid', e.event_id], ['url', e.page_url]] as const).filter(
          (kv): kv is [typeof kv[0], string] => kv[1] !== null,
        ),
      ),
      contentType: null,
      source: { name: e.v_collector, encoding: 'UTF-8', hostname: null },
      context: {
        timestamp: e.collector_tstamp,
        ipAddress: e.user_ipaddress,
        useragent: e.useragent,
        refererUri: e.page_referrer,
        headers: [],
        userId: e.network_userid,
      },
    },
    eventType: e.event,
    schema,
    contexts: [...contextSchemas(e.contexts), ...contextSchemas(e.derived_contexts)],
    event: e.toJson(),
  };
}

/** Build Micro's BadEvent from a bad row's JSON. */
export function badEventFromJson(json: string): BadEvent {
  let row: { schema?: string; data?: { failure?: unknown; payload?: unknown } };
  try {
    row = JSON.parse(json);
  } catch {
    return { collectorPayload: null, rawEvent: null, errors: ['unparsable bad row', json] };
  }
  const type = /badrows\/([^/]+)\//.exec(row.schema ?? '')?.[1] ?? 'unknown';
  const payload = (row.data?.payload ?? null) as Record<string, unknown> | null;
  const failure = row.data?.failure as { messages?: unknown[] } | undefined;
  const summary = `${type}: ${Array.isArray(failure?.messages) ? failure.messages.map((m) => JSON.stringify(m)).join('; ') : JSON.stringify(row.data?.failure ?? null)}`;
  // Adapter and tracker-protocol failures carry the collector payload itself; schema and enrichment
  // failures carry the raw event under `raw` (spec 6.2).
  const isObject = payload !== null && typeof payload === 'object';
  return {
    collectorPayload: isObject && 'vendor' in payload && 'querystring' in payload ? payload : null,
    rawEvent: isObject && 'raw' in payload ? payload.raw : null,
    errors: [summary, json],
  };
}

interface Waiter {
  count: number;
  kind: 'all' | 'good' | 'bad';
  resolve: () => void;
}

/**
 * The in-memory store behind the Micro-compatible API: good events (newest first), bad events, lookup by
 * event_id, and waiters for "N events have arrived". Bounded: the oldest entries go first past `capacity`.
 */
export class MicroStore {
  private good: GoodEvent[] = [];
  private bad: BadEvent[] = [];
  private byId = new Map<string, GoodEvent>();
  private waiters: Waiter[] = [];
  /** Counts since the last reset (they keep counting when old entries are evicted). */
  private counts = { good: 0, bad: 0 };

  constructor(private readonly capacity = 100_000) {}

  addGood(ev: GoodEvent): void {
    this.good.push(ev);
    this.counts.good++;
    const id = ev.event.event_id;
    if (typeof id === 'string') this.byId.set(id, ev);
    if (this.good.length > this.capacity) {
      const old = this.good.shift()!;
      if (typeof old.event.event_id === 'string') this.byId.delete(old.event.event_id);
    }
    this.wake();
  }

  addBad(ev: BadEvent): void {
    this.bad.push(ev);
    this.counts.bad++;
    if (this.bad.length > this.capacity) this.bad.shift();
    this.wake();
  }

  summary(): { total: number; good: number; bad: number } {
    return { total: this.counts.good + this.counts.bad, good: this.counts.good, bad: this.counts.bad };
  }

  goodEvents(f: GoodFilter = {}): GoodEvent[] {
    const out: GoodEvent[] = [];
    for (let i = this.good.length - 1; i >= 0; i--) {
      const ev = this.good[i]!;
      if (f.event_type && ev.eventType !== f.event_type) continue;
      if (f.schema && ev.schema !== f.schema) continue;
      if (f.contexts && !f.contexts.every((c) => ev.contexts.includes(c))) continue;
      out.push(ev);
      if (f.limit !== undefined && out.length >= f.limit) break;
    }
    return out;
  }

  badEvents(f: BadFilter = {}): BadEvent[] {
    const out: BadEvent[] = [];
    for (let i = this.bad.length - 1; i >= 0; i--) {
      const ev = this.bad[i]!;
      const api = (ev.collectorPayload ?? ev.rawEvent) as { vendor?: string; version?: string } | null;
      if (f.vendor && api?.vendor !== f.vendor) continue;
      if (f.version && api?.version !== f.version) continue;
      out.push(ev);
      if (f.limit !== undefined && out.length >= f.limit) break;
    }
    return out;
  }

  byEventId(id: string): GoodEvent | undefined {
    return this.byId.get(id);
  }

  reset(): void {
    this.good = [];
    this.bad = [];
    this.byId.clear();
    this.counts = { good: 0, bad: 0 };
  }

  /** Resolves true once `count` events of `kind` have arrived since the last reset, false at the timeout. */
  waitFor(count: number, kind: 'all' | 'good' | 'bad', timeoutMs: number): Promise<boolean> {
    if (this.reached(count, kind)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = { count, kind, resolve: () => resolve(true) };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i !== -1) {
          this.waiters.splice(i, 1);
          resolve(false);
        }
      }, timeoutMs).unref();
    });
  }

  private reached(count: number, kind: Waiter['kind']): boolean {
    const s = this.summary();
    return (kind === 'all' ? s.total : s[kind]) >= count;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (!this.reached(w.count, w.kind)) return true;
      w.resolve();
      return false;
    });
  }
}
