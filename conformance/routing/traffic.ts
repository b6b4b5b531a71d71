/**
 * Generated tracker traffic with a known mix, and where each piece of it must end up.
 *
 * A *case* is a list of *inputs*. An input is an HTTP request to the collector (tp2 POST, tp2 GET or the
 * tp1 pixel, carrying events) or a record put straight onto a stream (broken Thrift on raw, a line the
 * transformer cannot parse on enriched, something that is not a bad row on bad-1). fast-check generates
 * the *shape* of a case; `materialise` gives it fresh ids (event_id per event, a marker per input, an
 * app_id per case) so the same shape can be replayed (and shrunk) against a running pipeline.
 *
 * `expectation` is the routing model, written from spec-collector-enrich §6.3 and the loader specs:
 * per event, a row in atomic.events, one bad row of a given type in a given place, or nowhere on
 * purpose (dropped by the JavaScript enrichment, refused with 413); per input, the bad rows it causes as
 * a whole (tracker_protocol_violations for a bad payload, one size_violation for an oversized request,
 * one collector_payload_format_violation per Thrift problem, …).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { COLLECTOR_PAYLOAD_SCHEMA, encodeCollectorPayload, type CollectorPayload } from '../../pipeline/core/collector-payload';
import { FIELD_COUNT, FIELD_INDEX } from '../../pipeline/core/enriched-event';
import { PAYLOAD_DATA_SCHEMA, TP2_PATH } from '../harness';
import type { JsAction } from './config';

// ---------------------------------------------------------------------------------------------------
// Shapes (what fast-check generates and shrinks)

export const EVENT_TYPES = ['page_view', 'struct', 'unstruct', 'page_ping', 'transaction', 'transaction_item'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What is wrong with one event (first = none, so shrinking heads for valid events). */
export const EVENT_FAULTS = [
  'none',
  'invalid-entity', // an entity (context, or the self-describing event) that violates its schema
  'unknown-schema', // an entity whose schema is in no registry
  'atomic-parse', // tid=abc: an atomic field that does not parse
  'too-long', // tna longer than name_tracker's 128 characters (checked after the enrichments)
  'js-throw', // the JavaScript enrichment throws
  'js-throw+invalid-entity', // both: the schema violation wins (phase 1 before phase 2)
  'js-throw+too-long', // both: the enrichment failure wins (phase 2 before phase 3)
  'js-drop', // the JavaScript enrichment drops the event
  'js-big', // the JavaScript enrichment attaches a derived context over 1 MB
  'js-tab', // the JavaScript enrichment puts a tab in se_label: the transformer cannot parse the line
  'js-type', // the JavaScript enrichment sets txn_id to 'n/a': the transformer cannot parse the line
  'decimal-overflow', // tr_tt/ti_pr beyond NUMBER(18,2): a valid BigDecimal no warehouse column can hold
] as const;
export type EventFault = (typeof EVENT_FAULTS)[number];

export interface EventShape {
  type: EventType;
  fault: EventFault;
  /** Valid contexts attached (0–2). */
  contexts: number;
  /** cx / ue_px (base64) rather than co / ue_pr. */
  base64: boolean;
  /** For invalid-entity / unknown-schema on an unstruct event: in the self-describing event rather than a context. */
  inUnstruct: boolean;
  /** Free-text values (labels, titles). */
  text: string;
  num: number;
  /** Valid but large values: a page URL and referrer over 4096 characters (enrich allows 10000). */
  long: boolean;
}

/** What is wrong with a whole request (first = none). */
export const REQUEST_FAULTS = [
  'none',
  'non-string-value', // a tp2 event with a number value: the whole payload fails
  'not-json', // the body is not JSON
  'not-payload-data', // a self-describing body that is not payload_data
  'payload-data-invalid', // payload_data whose data is not an array of events
  'wrong-content-type', // text/plain
  'unknown-vendor', // /com.acme.unknown/v1: no adapter
] as const;
export type RequestFault = (typeof REQUEST_FAULTS)[number];

/** Request size (POST only; first = normal). */
export const SIZES = [
  'normal',
  'split', // over the sink's 1,000,000 bytes: split into several records, nothing lost
  'split-oversized-event', // split, and one event too big on its own: one size_violation for it
  'oversized', // over maxPayloadSize (1 MiB): one size_violation for the whole request
  'refused', // over dropPayloadSize (2 MiB): 413, nothing recorded
] as const;
export type Size = (typeof SIZES)[number];

export type HttpShape = { kind: 'http'; transport: 'post' | 'get' | 'pixel'; events: EventShape[]; fault: RequestFault; size: Size };

export const THRIFT_VARIANTS = ['truncated', 'bad-field-type', 'trailing-bytes', 'wrong-schema', 'bad-path-and-nuid'] as const;
export type ThriftShape = { kind: 'thrift'; variant: (typeof THRIFT_VARIANTS)[number]; cut: number };

export type StreamShape =
  | { kind: 'enriched-garbage'; variant: 'short-line' | 'bad-event-id' }
  | { kind: 'bad1-garbage'; variant: 'not-json' | 'not-self-describing' };

export type InputShape = HttpShape | ThriftShape | StreamShape;
export type CaseShape = InputShape[];

// ---------------------------------------------------------------------------------------------------
// Arbitraries

const text = fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 24 }) }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) });

export const eventShape: fc.Arbitrary<EventShape> = fc.record({
  type: fc.constantFrom(...EVENT_TYPES),
  // Valid events dominate; every fault stays likely enough to show up in a few dozen events.
  fault: fc.oneof({ weight: 12, arbitrary: fc.constant<EventFault>('none') }, { weight: 12, arbitrary: fc.constantFrom(...EVENT_FAULTS.slice(1)) }),
  contexts: fc.integer({ min: 0, max: 2 }),
  base64: fc.boolean(),
  inUnstruct: fc.boolean(),
  text,
  num: fc.integer({ min: 0, max: 1_000_000 }),
  long: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const post: fc.Arbitrary<HttpShape> = fc.record({
  kind: fc.constant('http' as const),
  transport: fc.constant('post' as const),
  events: fc.array(eventShape, { minLength: 1, maxLength: 6 }),
  fault: fc.oneof({ weight: 10, arbitrary: fc.constant<RequestFault>('none') }, { weight: 3, arbitrary: fc.constantFrom(...REQUEST_FAULTS.slice(1)) }),
  size: fc.oneof({ weight: 30, arbitrary: fc.constant<Size>('normal') }, { weight: 1, arbitrary: fc.constantFrom(...SIZES.slice(1)) }),
});

const get: fc.Arbitrary<HttpShape> = fc.record({
  kind: fc.constant('http' as const),
  transport: fc.constantFrom('get' as const, 'pixel' as const),
  events: fc.tuple(eventShape).map((t) => [...t]),
  fault: fc.oneof({ weight: 8, arbitrary: fc.constant<RequestFault>('none') }, { weight: 1, arbitrary: fc.constant<RequestFault>('unknown-vendor') }),
  size: fc.constant<Size>('normal'),
});

const thrift: fc.Arbitrary<ThriftShape> = fc.record({
  kind: fc.constant('thrift' as const),
  variant: fc.constantFrom(...THRIFT_VARIANTS),
  cut: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
});

const stream: fc.Arbitrary<StreamShape> = fc.oneof(
  fc.record({ kind: fc.constant('enriched-garbage' as const), variant: fc.constantFrom('short-line' as const, 'bad-event-id' as const) }),
  fc.record({ kind: fc.constant('bad1-garbage' as const), variant: fc.constantFrom('not-json' as const, 'not-self-describing' as const) }),
);

export const inputShape: fc.Arbitrary<InputShape> = fc.oneof({ weight: 10, arbitrary: post }, { weight: 4, arbitrary: get }, { weight: 1, arbitrary: thrift }, { weight: 1, arbitrary: stream });

/** A case: up to `maxInputs` inputs, at most two of them megabyte-sized (they are slow to send and load). */
export function caseShape(maxInputs: number): fc.Arbitrary<CaseShape> {
  // noBias + size 'max': lengths spread evenly up to maxInputs from the first run on (fast-check otherwise
  // starts small, and a pipeline run has few runs); shrinking still goes down to one input.
  return fc
    .noBias(fc.array(inputShape, { minLength: 1, maxLength: maxInputs, size: 'max' }))
    .map((inputs) => {
      let big = 0;
      return inputs.map((i) => (i.kind === 'http' && i.size !== 'normal' && ++big > 2 ? { ...i, size: 'normal' as const } : i));
    });
}

/** One input of every kind and one event of every fault and type: the coverage example every run starts with. */
export function everyKindCase(): CaseShape {
  const ev = (type: EventType, fault: EventFault, extra: Partial<EventShape> = {}): EventShape => ({ type, fault, contexts: 1, base64: false, inUnstruct: false, text: 'every kind', num: 42, long: false, ...extra });
  const post = (events: EventShape[], fault: RequestFault = 'none', size: Size = 'normal'): HttpShape => ({ kind: 'http', transport: 'post', events, fault, size });
  return [
    post(EVENT_TYPES.map((t, i) => ev(t, 'none', { contexts: i % 3, base64: i % 2 === 0 }))),
    // Valid edge values: URLs over 4096 characters, vid over 32767, the largest NUMBER(18,2) decimal.
    post([ev('page_view', 'none', { long: true, num: 99_999 }), ev('transaction', 'none', { num: 100_000 }), ev('transaction_item', 'none', { num: 100_000 })]),
    post(EVENT_FAULTS.slice(1).map((f, i) => ev(EVENT_TYPES[i % EVENT_TYPES.length]!, f, { inUnstruct: i % 2 === 0 }))),
    { kind: 'http', transport: 'get', events: [ev('struct', 'none')], fault: 'none', size: 'normal' },
    { kind: 'http', transport: 'pixel', events: [ev('page_view', 'invalid-entity')], fault: 'none', size: 'normal' },
    { kind: 'http', transport: 'get', events: [ev('page_view', 'none')], fault: 'unknown-vendor', size: 'normal' },
    ...REQUEST_FAULTS.slice(1).map((f) => post([ev('page_view', 'none'), ev('struct', 'none')], f)),
    ...SIZES.slice(1).map((s) => post([ev('page_view', 'none'), ev('struct', 'none'), ev('unstruct', 'js-throw')], 'none', s)),
    ...THRIFT_VARIANTS.map((variant) => ({ kind: 'thrift' as const, variant, cut: 0.5 })),
    { kind: 'enriched-garbage', variant: 'short-line' },
    { kind: 'enriched-garbage', variant: 'bad-event-id' },
    { kind: 'bad1-garbage', variant: 'not-json' },
    { kind: 'bad1-garbage', variant: 'not-self-describing' },
  ];
}

// ---------------------------------------------------------------------------------------------------
// The routing model

export type BadType =
  | 'schema_violations'
  | 'enrichment_failures'
  | 'size_violation'
  | 'tracker_protocol_violations'
  | 'adapter_failures'
  | 'collector_payload_format_violation'
  | 'loader_parsing_error'
  | 'generic_error';

/** bad-1 rows are also archived by the s3-loader under s3://…/bad/ (checked as a copy, not a second destination). */
export type BadPlace = 'bad-1' | 'bad-2' | 's3:transformed-bad';

export type EventExpect =
  | { to: 'warehouse' }
  | { to: 'bad'; type: BadType; place: BadPlace }
  | { to: 'input' } // accounted for by its input's bad row(s)
  | { to: 'nowhere'; why: 'dropped' | 'refused' };

export interface InputExpect {
  /** The bad rows the input causes as a whole (none: its events are accounted for one by one). */
  bad: { type: BadType; place: BadPlace; count: number } | null;
  /** HTTP status for a request. */
  status?: number;
}

const JS_FAULTS: Partial<Record<EventFault, JsAction>> = {
  'js-throw': 'js-throw',
  'js-throw+invalid-entity': 'js-throw',
  'js-throw+too-long': 'js-throw',
  'js-drop': 'js-drop',
  'js-big': 'js-big',
  'js-tab': 'js-tab',
  'js-type': 'js-type',
};

/** Where one event of a request that reached enrich intact must end up (precedence: spec §6.3 rule 7). */
export function eventExpectation(e: EventShape): EventExpect {
  switch (e.fault) {
    case 'none':
      return { to: 'warehouse' };
    case 'js-drop':
      return { to: 'nowhere', why: 'dropped' };
    case 'invalid-entity':
    case 'unknown-schema':
    case 'atomic-parse':
    case 'js-throw+invalid-entity':
    case 'too-long':
    case 'decimal-overflow': // checked by enrich next to the length limits: a warehouse would refuse the whole window
      return { to: 'bad', type: 'schema_violations', place: 'bad-1' };
    case 'js-throw':
    case 'js-throw+too-long':
      return { to: 'bad', type: 'enrichment_failures', place: 'bad-1' };
    case 'js-big':
      return { to: 'bad', type: 'size_violation', place: 'bad-1' };
    case 'js-tab':
    case 'js-type':
      return { to: 'bad', type: 'loader_parsing_error', place: 's3:transformed-bad' };
  }
}

// ---------------------------------------------------------------------------------------------------
// Materialised cases (fresh ids, concrete bytes)

export interface MaterialEvent {
  eid: string;
  shape: EventShape;
  expect: EventExpect;
}

export type MaterialInput =
  | { kind: 'http'; marker: string; shape: HttpShape; request: { method: 'GET' | 'POST'; path: string; body?: string; headers: Record<string, string> }; events: MaterialEvent[]; expect: InputExpect }
  | { kind: 'record'; marker: string; shape: ThriftShape | StreamShape; stream: 'raw' | 'enriched' | 'bad-1'; data: Buffer; events: []; expect: InputExpect };

export interface MaterialCase {
  /** app_id of every event of the case (unique per materialisation; ends with '.' so no tag is a prefix of another). */
  appId: string;
  inputs: MaterialInput[];
}

export const MARKER_PREFIX = 'furrow-routing/';
/** The marker of an input, as it appears in User-Agent headers, Thrift bytes and stream records. */
export const MARKER_RE = /furrow-routing\/([a-z0-9]+\/[0-9]+)/g;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const SDJ = (schema: string, data: unknown) => ({ schema: `iglu:com.acme/${schema}/jsonschema/1-0-0`, data });
const CONTEXTS = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0';
const UNSTRUCT = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';
const INVALID = [SDJ('user', { userId: 42 }), SDJ('button_click', { id: 7 })];
const UNKNOWN = SDJ('no_such_schema', { a: 1 });
const VALID_CONTEXTS = [SDJ('user', { userId: 'u-1', plan: 'pro' }), SDJ('product', { sku: 'sku-9', price: 9.5, tags: ['a'] }), SDJ('experiment', { name: 'e', variant: 'b' })];
const OVERFLOW = ['1e30', '99999999999999999', '-12345678901234567.5', '1E+16'];

/** Tracker parameters of one event (every value a string). `pad` adds a routing_pad context of that many bytes. */
export function eventParams(e: EventShape, eid: string, appId: string, pad = 0): Record<string, string> {
  const p: Record<string, string> = { e: '', p: 'web', tv: 'furrow-routing-0.1', aid: appId, eid, dtm: String(1_790_000_000_000 + e.num), vid: String(1 + e.num), duid: `d${e.num}` };
  // The largest decimal NUMBER(18,2) holds, now and then.
  const money = (scale: number) => (e.num % 10_000 === 0 ? '9999999999999998' : (e.num / scale).toFixed(2));
  const entities: unknown[] = VALID_CONTEXTS.slice(0, e.contexts);
  let unstruct: unknown = SDJ('button_click', { id: `b${e.num % 100}`, label: e.text, value: e.num / 100 });
  const badEntity = e.fault === 'unknown-schema' ? UNKNOWN : e.fault === 'invalid-entity' || e.fault === 'js-throw+invalid-entity' ? INVALID[e.num % 2]! : null;
  if (badEntity) {
    if (e.type === 'unstruct' && e.inUnstruct) unstruct = badEntity;
    else entities.push(badEntity);
  }
  if (pad > 0) entities.push(SDJ('routing_pad', { note: 'p'.repeat(pad) }));
  switch (e.type) {
    case 'page_view':
      Object.assign(p, { e: 'pv', url: `https://shop.example.com/p/${e.num}?q=${encodeURIComponent(e.text)}`, page: e.text });
      break;
    case 'page_ping':
      Object.assign(p, { e: 'pp', url: 'https://shop.example.com/', pp_mix: '0', pp_max: String(e.num % 500), pp_miy: '0', pp_may: String(e.num % 900) });
      break;
    case 'struct':
      Object.assign(p, { e: 'se', se_ca: 'shop', se_ac: 'add', se_la: e.text, se_va: String(e.num / 100) });
      break;
    case 'unstruct': {
      p.e = 'ue';
      const json = JSON.stringify({ schema: UNSTRUCT, data: unstruct });
      if (e.base64) p.ue_px = b64(json);
      else p.ue_pr = json;
      break;
    }
    case 'transaction':
      Object.assign(p, { e: 'tr', tr_id: `o${e.num}`, tr_tt: money(100), tr_cu: 'EUR' });
      break;
    case 'transaction_item':
      Object.assign(p, { e: 'ti', ti_id: `o${e.num}`, ti_sk: `sku-${e.num % 7}`, ti_pr: money(1000), ti_qu: String(1 + (e.num % 9)) });
      break;
  }
  if (entities.length) {
    const json = JSON.stringify({ schema: CONTEXTS, data: entities });
    if (e.base64) p.cx = b64(json);
    else p.co = json;
  }
  if (e.long) {
    // Over 4096 in all, every part within its own limit (path 3000, query 6000; referrer path 6000).
    p.url = `https://shop.example.com/${'p'.repeat(1_000 + (e.num % 1_900))}?q=${'q'.repeat(3_200 + (e.num % 2_700))}`;
    p.refr = `https://search.example.com/${'r'.repeat(4_100 + (e.num % 1_800))}`;
  }
  const js = JS_FAULTS[e.fault];
  if (js) p.uid = js;
  if (e.fault === 'atomic-parse') p.tid = `not-a-number-${e.num}`;
  if (e.fault === 'too-long' || e.fault === 'js-throw+too-long') p.tna = 'n'.repeat(129 + (e.num % 200));
  if (e.fault === 'decimal-overflow') {
    if (e.type === 'transaction_item') p.ti_pr = OVERFLOW[e.num % OVERFLOW.length]!;
    else p.tr_tt = OVERFLOW[e.num % OVERFLOW.length]!;
  }
  return p;
}

/** Body sizes that put a request in each size class (the sink takes records under 1,000,000 bytes). */
const SIZE_TARGETS = { split: 1_020_000, 'split-oversized-event': 1_003_000, oversized: 1_150_000, refused: 2_150_000 } as const;

function tp2Body(events: Record<string, string>[]): string {
  return JSON.stringify({ schema: PAYLOAD_DATA_SCHEMA, data: events });
}

function httpRequest(shape: HttpShape, events: MaterialEvent[], appId: string, marker: string): MaterialInput & { kind: 'http' } {
  const headers: Record<string, string> = { 'user-agent': `Mozilla/5.0 (conformance) ${MARKER_PREFIX}${marker}` };
  const params = (pads: number[] = []) => events.map((e, i) => eventParams(e.shape, e.eid, appId, pads[i] ?? 0));
  let expect: InputExpect = { bad: null, status: 200 };
  const allInput = () => events.forEach((e) => (e.expect = { to: 'input' }));

  if (shape.transport !== 'post') {
    const qs = new URLSearchParams(params()[0]).toString();
    const path = shape.fault === 'unknown-vendor' ? '/com.acme.unknown/v1' : shape.transport === 'pixel' ? '/i' : TP2_PATH;
    if (shape.fault === 'unknown-vendor') {
      allInput();
      expect = { bad: { type: 'adapter_failures', place: 'bad-1', count: 1 }, status: 200 };
    }
    return { kind: 'http', marker, shape, request: { method: 'GET', path: `${path}?${qs}`, headers }, events, expect };
  }

  headers['content-type'] = 'application/json; charset=utf-8';
  let path = TP2_PATH;
  let body: string;
  if (shape.size !== 'normal') {
    // Padding (a valid routing_pad context) puts the request in its size class. The other events stay
    // small (no long URLs), so the classes hold with a wide margin whatever else the request carries.
    for (const e of events) e.shape = { ...e.shape, long: false };
    const onlyFirst = shape.size === 'split-oversized-event';
    const padded = events.map((_, i) => !onlyFirst || i === 0);
    const k = padded.filter(Boolean).length;
    const build = (per: number) => params(padded.map((p) => (p ? per : 0)));
    // split-oversized-event: the first event alone is ~1,003,000 bytes (no record can hold it); otherwise the body is.
    const size = (per: number) => (onlyFirst ? JSON.stringify(build(per)[0]).length : tp2Body(build(per)).length);
    const target = SIZE_TARGETS[shape.size];
    const base = size(0);
    let per = Math.max(1, Math.floor((target - base) / k));
    // Base64 contexts grow by 4/3: correct the padding once from the measured size.
    const first = size(per);
    per = Math.max(1, Math.floor(per + (target - first) / k / ((first - base) / (per * k))));
    const ps = build(per);
    body = tp2Body(ps);
    if (shape.size === 'refused') {
      events.forEach((e) => (e.expect = { to: 'nowhere', why: 'refused' }));
      expect = { bad: null, status: 413 };
    } else if (shape.size === 'oversized') {
      allInput();
      expect = { bad: { type: 'size_violation', place: 'bad-1', count: 1 }, status: 200 };
    } else {
      // Split: an event too big for a record on its own becomes a size_violation; the rest are split off.
      let oversized = 0;
      ps.forEach((p, i) => {
        if (JSON.stringify(p).length >= 1_000_000) {
          events[i]!.expect = { to: 'input' };
          oversized++;
        }
      });
      expect = { bad: oversized ? { type: 'size_violation', place: 'bad-1', count: oversized } : null, status: 200 };
    }
    return { kind: 'http', marker, shape, request: { method: 'POST', path, body, headers }, events, expect };
  }

  const ps = params();
  switch (shape.fault) {
    case 'none':
      body = tp2Body(ps);
      break;
    case 'non-string-value':
      body = JSON.stringify({ schema: PAYLOAD_DATA_SCHEMA, data: ps.map((p, i) => (i === ps.length - 1 ? { ...p, vid: Number(p.vid) } : p)) });
      break;
    case 'not-json':
      body = tp2Body(ps).slice(0, -2);
      break;
    case 'not-payload-data':
      body = JSON.stringify({ schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'not-a-batch', events: ps } });
      break;
    case 'payload-data-invalid':
      body = JSON.stringify({ schema: PAYLOAD_DATA_SCHEMA, data: { events: ps } });
      break;
    case 'wrong-content-type':
      body = tp2Body(ps);
      headers['content-type'] = 'text/plain';
      break;
    case 'unknown-vendor':
      body = tp2Body(ps);
      path = '/com.acme.unknown/v1';
      break;
  }
  if (shape.fault !== 'none') {
    allInput();
    expect = { bad: { type: shape.fault === 'unknown-vendor' ? 'adapter_failures' : 'tracker_protocol_violations', place: 'bad-1', count: 1 }, status: 200 };
  }
  return { kind: 'http', marker, shape, request: { method: 'POST', path, body, headers }, events, expect };
}

function thriftRecord(shape: ThriftShape, marker: string, appId: string): Buffer {
  const p: CollectorPayload = {
    schema: COLLECTOR_PAYLOAD_SCHEMA,
    // The marker in the first field on the wire, so any cut after it keeps it.
    ipAddress: `${MARKER_PREFIX}${marker}`,
    timestamp: Date.now(),
    encoding: 'UTF-8',
    collector: 'furrow-conformance',
    path: TP2_PATH,
    querystring: `e=pv&p=web&tv=t&aid=${encodeURIComponent(appId)}&eid=${randomUUID()}`,
    headers: [],
    networkUserId: randomUUID(),
  };
  const markerEnd = 7 + Buffer.byteLength(p.ipAddress!);
  switch (shape.variant) {
    case 'truncated': {
      const whole = encodeCollectorPayload(p);
      return whole.subarray(0, markerEnd + Math.floor(shape.cut * (whole.length - markerEnd)));
    }
    case 'bad-field-type': {
      const whole = encodeCollectorPayload(p);
      return Buffer.concat([whole.subarray(0, markerEnd), Buffer.from([0x99, 0x00, 0xc8]), whole.subarray(markerEnd)]);
    }
    case 'trailing-bytes':
      return Buffer.concat([encodeCollectorPayload(p), Buffer.from('trailing')]);
    case 'wrong-schema':
      return encodeCollectorPayload({ ...p, schema: 'iglu:com.acme/not_a_collector_payload/thrift/1-0-0' });
    case 'bad-path-and-nuid':
      return encodeCollectorPayload({ ...p, path: '/nope', networkUserId: 'not-a-uuid' });
  }
}

function enrichedGarbage(variant: 'short-line' | 'bad-event-id', marker: string, appId: string): Buffer {
  if (variant === 'short-line') return Buffer.from(`${appId}\tweb\t${MARKER_PREFIX}${marker}`);
  const v = new Array<string>(FIELD_COUNT).fill('');
  v[FIELD_INDEX.app_id] = appId;
  v[FIELD_INDEX.collector_tstamp] = '2026-11-27 12:00:00.000';
  v[FIELD_INDEX.v_collector] = 'furrow-conformance';
  v[FIELD_INDEX.v_etl] = 'furrow-conformance';
  v[FIELD_INDEX.event_id] = 'not-a-uuid';
  v[FIELD_INDEX.event] = 'page_view';
  v[FIELD_INDEX.useragent] = `${MARKER_PREFIX}${marker}`;
  return Buffer.from(v.join('\t'));
}

/** Give a case shape fresh ids and concrete requests/records, with the expected outcome of everything. */
export function materialise(shape: CaseShape, tag: string): MaterialCase {
  const appId = `furrow-routing.${tag}.`;
  const inputs = shape.map((s, i): MaterialInput => {
    const marker = `${tag}/${i}`;
    if (s.kind === 'http') {
      const events = s.events.map((e) => ({ eid: randomUUID(), shape: e, expect: eventExpectation(e) }));
      return httpRequest(s, events, appId, marker);
    }
    if (s.kind === 'thrift') {
      const count = s.variant === 'bad-path-and-nuid' ? 2 : 1;
      return { kind: 'record', marker, shape: s, stream: 'raw', data: thriftRecord(s, marker, appId), events: [], expect: { bad: { type: 'collector_payload_format_violation', place: 'bad-1', count } } };
    }
    if (s.kind === 'enriched-garbage')
      return { kind: 'record', marker, shape: s, stream: 'enriched', data: enrichedGarbage(s.variant, marker, appId), events: [], expect: { bad: { type: 'loader_parsing_error', place: 's3:transformed-bad', count: 1 } } };
    const data = s.variant === 'not-json' ? `not a bad row ${MARKER_PREFIX}${marker}` : JSON.stringify({ data: `${MARKER_PREFIX}${marker}` });
    return { kind: 'record', marker, shape: s, stream: 'bad-1', data: Buffer.from(data), events: [], expect: { bad: { type: 'generic_error', place: 'bad-2', count: 1 } } };
  });
  return { appId, inputs };
}

/** One-line description of an input, for failure messages and the shrunk counterexample. */
export function describeInput(i: MaterialInput): string {
  if (i.kind === 'record') return `${i.shape.kind}:${'variant' in i.shape ? i.shape.variant : ''} → ${i.stream}`;
  const s = i.shape;
  return `${s.transport.toUpperCase()} ${i.request.path.split('?')[0]} fault=${s.fault} size=${s.size} events=[${i.events.map((e) => `${e.shape.type}/${e.shape.fault}`).join(', ')}]`;
}
