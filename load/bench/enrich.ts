/**
 * `npm run bench -- enrich`: Enrich throughput on one core with the built-in steps only, against the
 * floor measured in the same run on the same records: Thrift decode + JSON parse (body, contexts,
 * unstruct event) + a 131-field TSV join, with no validation or enrichment.
 *
 * Corpus: 100,000 raw tp2 records (10,000 with --quick) as the JS tracker sends them, one event each:
 * 40% page views (with a web_page context), 25% structured events, 30% self-describing events with 3
 * contexts, 5% invalid (schema violations, bad JSON, unknown event types, undecodable records).
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { decodeCollectorPayload } from '../../pipeline/core/collector-payload';
import { FIELD_COUNT } from '../../pipeline/core/enriched-event';
import { enrichPayload } from '../../pipeline/enrich/pipeline';
import { base64url, contextsJson, rawRecord, testSettings, tp2Post, unstructJson } from '../../pipeline/enrich/testing';
import type { Bench, BenchMetric } from './types';

/** Deterministic generator (mulberry32) so every run enriches the same corpus. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(r: () => number): string {
  const h = () => Math.floor(r() * 0x100000000).toString(16).padStart(8, '0');
  const s = h() + h() + h() + h();
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20, 32)}`;
}

const PAGES = ['/', '/products', '/products/shoes', '/cart', '/checkout', '/blog/how-to-run', '/search'];
const REFERRERS = ['https://www.google.com/search?q=running+shoes', 'https://t.co/abc', '', 'https://shop.example.com/'];

/** One realistic raw record (and whether it was built invalid on purpose). */
export function corpusRecord(i: number, r: () => number): Buffer {
  const now = 1767323000000 + i * 37;
  const common = {
    tv: 'js-3.24.0',
    tna: 'sp1',
    aid: 'shop-web',
    p: 'web',
    eid: uuidFrom(r),
    dtm: String(now - 120),
    stm: String(now),
    duid: uuidFrom(r),
    sid: uuidFrom(r),
    vid: String(1 + Math.floor(r() * 20)),
    lang: 'en-GB',
    cs: 'UTF-8',
    res: '1920x1080',
    vp: '1280x720',
    ds: '1280x4000',
    cd: '24',
    tz: 'Europe/London',
    cookie: '1',
    url: `https://shop.example.com${PAGES[i % PAGES.length]}?utm_source=news&utm_medium=email&n=${i}`,
    refr: REFERRERS[i % REFERRERS.length]!,
    page: 'Example Shop – running shoes, trail shoes & more',
  };
  const webPage = { schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: uuidFrom(r) } };
  const user = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: `user-${i % 5000}`, plan: 'pro', age: 20 + (i % 50) } };
  const product = { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: `SKU-${i % 997}`, price: 59.99, tags: ['running', 'trail'] } };
  const experiment = { schema: 'iglu:com.acme/experiment/jsonschema/1-0-0', data: { name: 'checkout-v2', variant: i % 2 ? 'a' : 'b' } };
  const kind = i % 100;
  if (kind < 40) return tp2Post([{ e: 'pv', ...common, cx: base64url(contextsJson([webPage])) }]);
  if (kind < 65)
    return tp2Post([{ e: 'se', ...common, se_ca: 'checkout', se_ac: 'add-to-basket', se_la: `SKU-${i % 997}`, se_pr: 'size-9', se_va: '59.99', cx: base64url(contextsJson([webPage])) }]);
  if (kind < 95) {
    const click = { schema: 'iglu:com.acme/button_click/jsonschema/1-0-0', data: { id: `btn-${i % 40}`, label: 'Add to basket', value: i % 7 } };
    return tp2Post([{ e: 'ue', ...common, ue_px: base64url(unstructJson(click)), cx: base64url(contextsJson([webPage, user, product])) }]);
  }
  // 5% invalid, four kinds.
  switch (kind % 4) {
    case 0: // context fails its schema
      return tp2Post([{ e: 'pv', ...common, cx: base64url(contextsJson([{ ...user, data: { userId: 42 } }, experiment])) }]);
    case 1: // not JSON
      return tp2Post([{ e: 'ue', ...common, ue_pr: '{"schema":"iglu:com.acme/button_click' }]);
    case 2: // unknown event type and a bad sid
      return tp2Post([{ ...common, e: 'zz', sid: 'not-a-uuid' }]);
    default: // not Thrift at all
      return Buffer.concat([Buffer.from([0x0b, 0x00, 0x64, 0x7f, 0xff, 0xff, 0xff]), rawRecord().subarray(0, 40)]);
  }
}

export function buildCorpus(n: number): Buffer[] {
  const r = rng(20260102);
  return Array.from({ length: n }, (_, i) => corpusRecord(i, r));
}

/** The floor: decode, parse every JSON in the record, join a 131-field line. No validation, no enrichment. */
function floorPass(corpus: Buffer[]): number {
  let events = 0;
  let sink = 0;
  const row = new Array<string | null>(FIELD_COUNT).fill(null);
  for (const rec of corpus) {
    let p;
    try {
      p = decodeCollectorPayload(rec);
    } catch {
      events++;
      continue;
    }
    const body = JSON.parse(p.body ?? '{"data":[{}]}') as { data: Record<string, string>[] };
    for (const ev of body.data) {
      events++;
      let i = 0;
      for (const k in ev) row[i++ % FIELD_COUNT] = ev[k]!;
      try {
        if (ev.cx) row[52] = JSON.stringify(JSON.parse(Buffer.from(ev.cx, 'base64').toString('utf8')));
        if (ev.ue_px) row[58] = JSON.stringify(JSON.parse(Buffer.from(ev.ue_px, 'base64').toString('utf8')));
        if (ev.ue_pr) row[58] = JSON.stringify(JSON.parse(ev.ue_pr));
      } catch {
        /* invalid on purpose */
      }
      sink += row.join('\t').length;
    }
  }
  if (sink === 0) throw new Error('floor produced nothing');
  return events;
}

async function enrichPass(corpus: Buffer[], settings: ReturnType<typeof testSettings>) {
  let events = 0;
  let good = 0;
  let bad = 0;
  for (const rec of corpus) {
    const out = await enrichPayload(rec, settings);
    events += Math.max(out.rawEvents, out.good.length + out.bad.length);
    good += out.good.length;
    bad += out.bad.length;
  }
  return { events, good, bad };
}

/** Wall and CPU time (user + system) of `fn`, ms. */
async function timed<T>(fn: () => T | Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { result, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

export const bench: Bench = async ({ quick }) => {
  const n = quick ? 10_000 : 100_000;
  const corpus = buildCorpus(n);
  const bytes = corpus.reduce((a, b) => a + b.length, 0);
  const settings = testSettings({ uuid: () => crypto.randomUUID(), now: Date.now });

  // Warm up (JIT, Iglu cache, compiled validators) on a slice, then time full passes; best of 3.
  // The machine is shared, so the per-core figure is events per CPU-second of this (single) thread;
  // wall-clock rates are reported alongside.
  await enrichPass(corpus.slice(0, 3000), settings);
  floorPass(corpus.slice(0, 3000));
  let enrich = { cpuMs: Infinity, wallMs: Infinity };
  let floor = { cpuMs: Infinity, wallMs: Infinity };
  let result = { events: 0, good: 0, bad: 0 };
  let floorEvents = 0;
  for (let round = 0; round < 3; round++) {
    const f = await timed(() => floorPass(corpus));
    floorEvents = f.result;
    if (f.cpuMs < floor.cpuMs) floor = f;
    const e = await timed(() => enrichPass(corpus, settings));
    result = e.result;
    if (e.cpuMs < enrich.cpuMs) enrich = e;
  }
  const enrichRate = result.events / (enrich.cpuMs / 1000);
  const floorRate = floorEvents / (floor.cpuMs / 1000);
  const ratio = enrichRate / floorRate;
  const metrics: BenchMetric[] = [
    {
      name: 'enrich events per CPU-second (1 core, built-ins only)',
      value: enrichRate,
      unit: 'events/s',
      baseline: { name: 'floor: thrift decode + JSON parse + TSV join', value: floorRate },
      ratio,
      goal: '>= 15,000 events/s/core and within 4x of the floor (ratio >= 0.25)',
      pass: enrichRate >= 15_000 && ratio >= 0.25,
    },
    {
      name: 'enrich events/s (wall clock, shared machine)',
      value: result.events / (enrich.wallMs / 1000),
      unit: 'events/s',
      baseline: { name: 'floor (wall clock)', value: floorEvents / (floor.wallMs / 1000) },
      ratio: floor.wallMs / enrich.wallMs,
    },
  ];
  return {
    stage: 'enrich',
    metrics,
    notes: [
      `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}; one process, one thread`,
      `${n.toLocaleString('en-US')} raw records (${(bytes / 1e6).toFixed(1)} MB), 1 event each: ${result.good.toLocaleString('en-US')} good, ${result.bad.toLocaleString('en-US')} bad rows; best of 3 passes by CPU time`,
      `enrich ${(enrich.cpuMs / 1000).toFixed(2)} s CPU / ${(enrich.wallMs / 1000).toFixed(2)} s wall; floor ${(floor.cpuMs / 1000).toFixed(2)} s CPU / ${(floor.wallMs / 1000).toFixed(2)} s wall; floor/enrich = ${(1 / ratio).toFixed(2)}x`,
    ],
  };
};
