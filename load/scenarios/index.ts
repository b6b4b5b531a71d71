/**
 * Load scenarios as data: what a realistic mix of Snowplow tracker traffic looks like, and the arrival-rate
 * profile to send it at. Pure TypeScript with no imports: the k6 scripts (load/k6/) and the Node runner
 * (load/run.ts) import this very module, so both send the same requests.
 *
 * Every request says how many events it should become downstream (`expect.events`) and whether those are
 * meant to be good or bad, so a runner can check end to end that sent = good + bad.
 */

export type RequestKind =
  /** tp2 POST batch of 1-5 good events (page views, struct events, link clicks), with a web_page context. */
  | 'tp2'
  /** GET /i pixel with one page view. */
  | 'pixel'
  /** GET /r/tp2?u=... redirect (one uri_redirect event; answered 302, or 404 when the collector has redirects off). */
  | 'redirect'
  /** Bad: tp2 POST whose body is not JSON → one adapter/tracker-protocol bad row. */
  | 'bad-json'
  /** Bad: tp2 POST batch where one event breaks payload_data (page is a number) → one tracker_protocol_violations row for the batch. */
  | 'bad-protocol'
  /** Bad: self-describing event of a schema no registry has → one schema_violations row. */
  | 'bad-schema'
  /** Bad: GET /i with an empty querystring → one adapter_failures row. */
  | 'bad-pixel';

export const BAD_KINDS: readonly RequestKind[] = ['bad-json', 'bad-protocol', 'bad-schema', 'bad-pixel'];

export interface LoadRequest {
  kind: RequestKind;
  method: 'GET' | 'POST';
  /** Path and querystring, to append to the collector's base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What this request should become downstream: `events` rows, all good or all bad. */
  expect: { events: number; bad: boolean };
  /** The event ids of the good events (for tracker-to-row latency probes). */
  eventIds: string[];
}

/** Relative weights of the request kinds. The default has 5% bad traffic. */
export type Mix = Partial<Record<RequestKind, number>>;

export const DEFAULT_MIX: Mix = {
  tp2: 70,
  pixel: 20,
  redirect: 5,
  'bad-json': 1.25,
  'bad-protocol': 1.25,
  'bad-schema': 1.25,
  'bad-pixel': 1.25,
};

/** The share of requests in a mix that are bad on purpose (0-1). */
export function badShare(mix: Mix): number {
  let total = 0;
  let bad = 0;
  for (const [k, w] of Object.entries(mix)) {
    total += w ?? 0;
    if (BAD_KINDS.includes(k as RequestKind)) bad += w ?? 0;
  }
  return total > 0 ? bad / total : 0;
}

export const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';
export const PAYLOAD_DATA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const CONTEXTS = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1';
const UNSTRUCT = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';
const WEB_PAGE = 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0';
const LINK_CLICK = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';
export const MISSING_SCHEMA = 'iglu:com.furrow.load/does_not_exist/jsonschema/1-0-0';

/** A small deterministic PRNG (mulberry32), so a seed gives the same traffic in k6 and in Node. */
export type Rng = () => number;
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';
/** A version-4 UUID from the given random source (not cryptographic; event ids only need to be unique). */
export function uuid(r: Rng): string {
  let s = '';
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) s += '-';
    else if (i === 14) s += '4';
    else if (i === 19) s += HEX[8 + Math.floor(r() * 4)];
    else s += HEX[Math.floor(r() * 16)];
  }
  return s;
}

const PAGES = [
  ['https://shop.example.com/', 'Example Shop'],
  ['https://shop.example.com/products/running-shoes?colour=blue&size=42', 'Blue running shoes | Example Shop'],
  ['https://shop.example.com/basket', 'Basket | Example Shop'],
  ['https://shop.example.com/search?q=socks&utm_source=newsletter&utm_medium=email&utm_campaign=spring', 'Search: socks'],
  ['https://blog.example.com/2026/11/how-we-built-it', 'How we built it'],
] as const;
const REFERRERS = ['', 'https://www.google.com/search?q=blue+running+shoes', 'https://shop.example.com/', 'https://t.co/abc'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
];

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** The tracker fields every event carries. `now` is ms since the epoch. */
function commonFields(r: Rng, now: number, user: { duid: string; sid: string; vid: number }): Record<string, string> {
  const [url, page] = pick(r, PAGES);
  const refr = pick(r, REFERRERS);
  const f: Record<string, string> = {
    eid: uuid(r),
    tv: 'js-4.0.0',
    tna: 'sp',
    aid: 'furrow-load',
    p: 'web',
    cookie: '1',
    cs: 'UTF-8',
    lang: 'en-GB',
    res: '2560x1440',
    cd: '24',
    tz: 'Europe/London',
    dtm: String(now - Math.floor(r() * 50)),
    stm: String(now),
    vp: '1280x720',
    ds: '1280x3000',
    vid: String(user.vid),
    sid: user.sid,
    duid: user.duid,
    url,
    page,
    co: JSON.stringify({ schema: CONTEXTS, data: [{ schema: WEB_PAGE, data: { id: uuid(r) } }] }),
  };
  if (refr) f.refr = refr;
  return f;
}

function goodEvent(r: Rng, now: number, user: { duid: string; sid: string; vid: number }): Record<string, string> {
  const f = commonFields(r, now, user);
  const x = r();
  if (x < 0.6) return { e: 'pv', ...f };
  if (x < 0.85) return { e: 'se', se_ca: 'shop', se_ac: pick(r, ['add-to-basket', 'remove', 'wishlist']), se_la: 'sku-' + Math.floor(r() * 1000), se_va: String(Math.floor(r() * 100)), ...f };
  return {
    e: 'ue',
    ue_pr: JSON.stringify({ schema: UNSTRUCT, data: { schema: LINK_CLICK, data: { targetUrl: 'https://partner.example.org/offer?id=' + Math.floor(r() * 100), elementId: 'offer' } } }),
    ...f,
  };
}

function query(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

export interface BuildOptions {
  /** ms since the epoch for dtm/stm; default Date.now(). */
  now?: number;
  /** Max events in a tp2 batch (default 5). */
  maxBatch?: number;
}

/** Build one request of the given kind. */
export function buildRequest(kind: RequestKind, r: Rng, opts: BuildOptions = {}): LoadRequest {
  const now = opts.now ?? Date.now();
  const user = { duid: uuid(r), sid: uuid(r), vid: 1 + Math.floor(r() * 5) };
  const ua = pick(r, USER_AGENTS);
  const json = { 'content-type': 'application/json; charset=UTF-8', 'user-agent': ua };
  const get = { 'user-agent': ua };
  switch (kind) {
    case 'tp2': {
      const n = 1 + Math.floor(r() * (opts.maxBatch ?? 5));
      const data = Array.from({ length: n }, () => goodEvent(r, now, user));
      return { kind, method: 'POST', path: TP2_PATH, headers: json, body: JSON.stringify({ schema: PAYLOAD_DATA, data }), expect: { events: n, bad: false }, eventIds: data.map((e) => e.eid!) };
    }
    case 'pixel': {
      const e: Record<string, string> = { e: 'pv', ...commonFields(r, now, user) };
      return { kind, method: 'GET', path: `/i?${query(e)}`, headers: get, expect: { events: 1, bad: false }, eventIds: [e.eid!] };
    }
    case 'redirect': {
      // No eid: the redirect adapter makes the uri_redirect event; whether it is good depends on the
      // registry having uri_redirect, so a redirect counts as one event of either kind.
      const u = 'https://partner.example.org/landing?id=' + Math.floor(r() * 1000);
      return { kind, method: 'GET', path: `/r/tp2?${query({ u, aid: 'furrow-load', duid: user.duid })}`, headers: get, expect: { events: 1, bad: false }, eventIds: [] };
    }
    case 'bad-json':
      return { kind, method: 'POST', path: TP2_PATH, headers: json, body: '{"schema":"' + PAYLOAD_DATA + '","data":[{"e":"pv"', expect: { events: 1, bad: true }, eventIds: [] };
    case 'bad-protocol': {
      const data: Record<string, unknown>[] = [goodEvent(r, now, user), goodEvent(r, now, user)];
      data[1] = { ...data[1], page: 42 };
      return { kind, method: 'POST', path: TP2_PATH, headers: json, body: JSON.stringify({ schema: PAYLOAD_DATA, data }), expect: { events: 1, bad: true }, eventIds: [] };
    }
    case 'bad-schema': {
      const e = { e: 'ue', ...commonFields(r, now, user), ue_pr: JSON.stringify({ schema: UNSTRUCT, data: { schema: MISSING_SCHEMA, data: { x: 1 } } }) };
      return { kind, method: 'POST', path: TP2_PATH, headers: json, body: JSON.stringify({ schema: PAYLOAD_DATA, data: [e] }), expect: { events: 1, bad: true }, eventIds: [] };
    }
    case 'bad-pixel':
      return { kind, method: 'GET', path: '/i', headers: get, expect: { events: 1, bad: true }, eventIds: [] };
  }
}

/** Pick a request kind by weight. */
export function pickKind(r: Rng, mix: Mix = DEFAULT_MIX): RequestKind {
  const entries = Object.entries(mix).filter(([, w]) => (w ?? 0) > 0) as [RequestKind, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

/** The next request of the mix. */
export function nextRequest(r: Rng, mix: Mix = DEFAULT_MIX, opts: BuildOptions = {}): LoadRequest {
  return buildRequest(pickKind(r, mix), r, opts);
}

/** One stage of an arrival-rate profile: ramp linearly to `target` requests/s over `durationSeconds`. */
export interface RateStage {
  durationSeconds: number;
  target: number;
}

/**
 * The ramping-arrival-rate profile for a run of `rate` req/s for `durationSeconds`: a ramp-up over the
 * first 10% (at least 1 s), the plateau, and no ramp-down (the last request is sent at full rate).
 */
export function rampProfile(rate: number, durationSeconds: number): { startRate: number; stages: RateStage[] } {
  const ramp = Math.min(durationSeconds, Math.max(1, Math.round(durationSeconds * 0.1)));
  const stages: RateStage[] = [{ durationSeconds: ramp, target: rate }];
  if (durationSeconds > ramp) stages.push({ durationSeconds: durationSeconds - ramp, target: rate });
  return { startRate: Math.max(1, Math.round(rate / 10)), stages };
}

/** How many requests a profile schedules by time t (seconds since start): the integral of the rate. */
export function scheduledBy(profile: { startRate: number; stages: RateStage[] }, t: number): number {
  let total = 0;
  let from = profile.startRate;
  let elapsed = 0;
  for (const s of profile.stages) {
    const d = Math.min(s.durationSeconds, Math.max(0, t - elapsed));
    if (d > 0) total += from * d + ((s.target - from) * d * d) / (2 * s.durationSeconds);
    elapsed += s.durationSeconds;
    from = s.target;
    if (t <= elapsed) break;
  }
  return Math.floor(total);
}

/** Total length of a profile in seconds. */
export function profileSeconds(profile: { stages: RateStage[] }): number {
  return profile.stages.reduce((s, st) => s + st.durationSeconds, 0);
}

/** Thresholds shared by k6 and the Node runner. */
export const THRESHOLDS = {
  /** Share of requests that fail (network error, or a status other than the kind's expected one). */
  maxErrorRate: 0.01,
  /** p95 of request latency in ms. */
  p95Ms: 500,
};

/** The HTTP statuses a kind is answered with when the collector works (redirect: 302, or 404 when redirects are off). */
export function okStatus(kind: RequestKind, status: number): boolean {
  if (kind === 'redirect') return status === 302 || status === 404;
  return status === 200;
}

/** Whether an answer means the collector accepted the request (so its events should appear downstream). */
export function accepted(kind: RequestKind, status: number): boolean {
  return kind === 'redirect' ? status === 302 : status === 200;
}
