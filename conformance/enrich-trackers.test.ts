/**
 * Real clients end to end on the emulator: `@snowplow/node-tracker` → collector (HTTP) → raw stream →
 * `furrow enrich` (consumer, leases, processor) → enriched stream. Every field the tracker sent must come
 * out in the TSV (and in the analytics-SDK JSON view) where Snowplow puts it.
 */
import { rmSync } from 'node:fs';
import { buildPageView, buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness, type TestCollector } from '../pipeline/collector/testkit';
import { parsePipelineConfig } from '../pipeline/config/index';
import { EnrichedEvent } from '../pipeline/core/enriched-event';
import { startEnrich, type RunningEnrich } from '../pipeline/enrich/main';
import { exampleSchemaRegistry } from '../pipeline/enrich/testing';
import { emulatorSettings } from '../pipeline/streams/aws-clients';
import { createStreams, readUntil } from '../pipeline/streams/kinesis-producer.testkit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const streams = { raw: 'trk-raw', enriched: 'trk-enriched', bad1: 'trk-bad' };

let h: Harness;
let collector: TestCollector;
let enrich: RunningEnrich;
let schemaDir: string;

beforeAll(async () => {
  h = await harness();
  await createStreams(h.client, Object.values(streams));
  collector = await h.start({}, { raw: streams.raw, bad1: streams.bad1 });
  const registry = exampleSchemaRegistry();
  schemaDir = registry.dir;
  const resolver = registry.resolver;
  enrich = await startEnrich(
    parsePipelineConfig(
      JSON.stringify({
        aws: emulatorSettings(h.emu.endpoint),
        streams,
        enrich: { applicationName: 'trk-enrich', resolver, input: { idleTimeBetweenReadsMs: 20 }, output: { buffer: { timeLimitMs: 20 } } },
      }),
    ),
    { logger: pino({ level: 'silent' }) },
  );
});

afterAll(async () => {
  await enrich?.stop();
  await h?.stop();
  if (schemaDir) rmSync(schemaDir, { recursive: true, force: true });
});

const statuses: number[] = [];
function tracker(eventMethod: 'get' | 'post', encodeBase64: boolean, bufferSize: number) {
  return newTracker(
    { namespace: 'ns1', appId: 'furrow-test', encodeBase64 },
    {
      endpoint: '127.0.0.1',
      protocol: 'http',
      port: collector.running.port,
      eventMethod,
      bufferSize,
      onRequestSuccess: (_b, res) => statuses.push(res.status),
      onRequestFailure: (f) => statuses.push(f.status ?? -1),
    },
  );
}

async function settle(t: { flush(): Promise<void> }, n: number): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  while (statuses.length < n && Date.now() < deadline) {
    await t.flush();
    await new Promise((r) => setTimeout(r, 20));
  }
  return statuses.splice(0);
}

async function enriched(n: number): Promise<EnrichedEvent[]> {
  const recs = await readUntil(h.client, streams.enriched, (r) => r.length >= n, 20_000);
  return recs.map((r) => EnrichedEvent.fromTsv(r.data.toString('utf8')));
}

const click = { schema: 'iglu:com.acme/button_click/jsonschema/1-0-0', data: { id: 'buy-now', label: 'Buy now', value: 12.5 } };
const user = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 'u-42', plan: 'pro', age: 31 } };
const product = { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'SKU-1', price: 59.99, tags: ['trail', 'running'] } };

describe('@snowplow/node-tracker → collector → enrich (emulator)', () => {
  it('page views, structured and self-describing events with contexts come out as TSV with the fields sent', async () => {
    const started = Date.now();
    const post = tracker('post', true, 3);
    post.track(buildPageView({ pageUrl: 'https://shop.example.com/products?id=7#reviews', pageTitle: 'Trail shoes – Example', referrer: 'https://www.google.com/search?q=trail' }));
    post.track(buildStructEvent({ category: 'basket', action: 'add', label: 'SKU-1', property: 'size-9', value: 59.99 }), [user]);
    post.track(buildSelfDescribingEvent({ event: click }), [user, product]);
    expect(await settle(post, 1)).toEqual([200]);
    // GET, contexts not base64-encoded (co / ue_pr).
    const get = tracker('get', false, 1);
    get.track(buildSelfDescribingEvent({ event: { ...click, data: { id: 'get-click' } } }), [product]);
    expect(await settle(get, 1)).toEqual([200]);

    const events = await enriched(4);
    expect(events).toHaveLength(4);
    const byEvent = (pred: (e: EnrichedEvent) => boolean) => events.find(pred)!;

    for (const e of events) {
      expect(e.event_id).toMatch(UUID);
      expect(e.app_id).toBe('furrow-test');
      expect(e.platform).toBe('srv');
      expect(e.name_tracker).toBe('ns1');
      expect(e.v_tracker).toMatch(/^node-/);
      expect(e.v_collector).toMatch(/^furrow-collector-/);
      expect(e.v_etl).toMatch(/^furrow-enrich-/);
      expect(e.network_userid).toMatch(UUID);
      expect(e.user_ipaddress).toBe('127.0.0.1');
      expect(Date.parse(`${e.collector_tstamp!.replace(' ', 'T')}Z`)).toBeGreaterThanOrEqual(started - 1000);
      expect(e.dvce_created_tstamp).not.toBeNull();
      expect(e.derived_tstamp).not.toBeNull();
      expect(e.toTsv().split('\t')).toHaveLength(131);
    }

    const pv = byEvent((e) => e.event === 'page_view');
    expect([pv.page_url, pv.page_title, pv.page_referrer]).toEqual([
      'https://shop.example.com/products?id=7#reviews',
      'Trail shoes – Example',
      'https://www.google.com/search?q=trail',
    ]);
    expect([pv.page_urlscheme, pv.page_urlhost, pv.page_urlport, pv.page_urlpath, pv.page_urlquery, pv.page_urlfragment]).toEqual([
      'https',
      'shop.example.com',
      '443',
      '/products',
      'id=7',
      'reviews',
    ]);
    expect([pv.refr_urlhost, pv.refr_urlquery]).toEqual(['www.google.com', 'q=trail']);
    expect([pv.event_vendor, pv.event_name, pv.event_version]).toEqual(['com.snowplowanalytics.snowplow', 'page_view', '1-0-0']);
    expect(pv.dvce_sent_tstamp).not.toBeNull();

    const se = byEvent((e) => e.event === 'struct');
    expect([se.se_category, se.se_action, se.se_label, se.se_property, se.se_value]).toEqual(['basket', 'add', 'SKU-1', 'size-9', '59.99']);
    expect([se.event_vendor, se.event_name]).toEqual(['com.google.analytics', 'event']);
    expect(se.toJson().contexts_com_acme_user_1).toEqual([user.data]);

    const ue = byEvent((e) => e.event === 'unstruct' && e.unstruct_event!.includes('buy-now'));
    expect([ue.event_vendor, ue.event_name, ue.event_format, ue.event_version]).toEqual(['com.acme', 'button_click', 'jsonschema', '1-0-0']);
    expect(JSON.parse(ue.unstruct_event!)).toEqual({ schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: click });
    const json = ue.toJson();
    expect(json.unstruct_event_com_acme_button_click_1).toEqual(click.data);
    expect(json.contexts_com_acme_user_1).toEqual([user.data]);
    expect(json.contexts_com_acme_product_1).toEqual([product.data]);
    expect(JSON.parse(ue.contexts!).schema).toBe('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1');

    const viaGet = byEvent((e) => e.event === 'unstruct' && e.unstruct_event!.includes('get-click'));
    expect(viaGet.toJson().unstruct_event_com_acme_button_click_1).toEqual({ id: 'get-click' });
    expect(viaGet.toJson().contexts_com_acme_product_1).toEqual([product.data]);

    // Nothing went to bad-1.
    expect(enrich.processor.counters.bad).toBe(0);
  });

  it('an event failing its schema becomes a schema_violations bad row on bad-1, not a TSV', async () => {
    const t = tracker('post', true, 1);
    t.track(buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/button_click/jsonschema/1-0-0', data: { id: 7 } } }));
    expect(await settle(t, 1)).toEqual([200]);
    const bad = await readUntil(h.client, streams.bad1, (r) => r.some((x) => x.data.toString().includes('schema_violations')), 20_000);
    const row = bad.map((r) => JSON.parse(r.data.toString()) as { schema: string; data: { failure: { messages: { schemaKey: string }[] } } }).find((r) => r.schema.includes('schema_violations'))!;
    expect(row.data.failure.messages[0]!.schemaKey).toBe('iglu:com.acme/button_click/jsonschema/1-0-0');
  });
});
