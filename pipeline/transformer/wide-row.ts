/**
 * Pure: one enriched TSV line → a wide-row JSON line (or a loader_parsing_error bad row), plus the window's types.
 *
 * Two implementations of one function:
 *  - `referenceTransformLine`: the definition. `EnrichedEvent.fromTsv` (Analytics SDK parse rules), then
 *    `JSON.stringify(e.toJson())` (Analytics SDK `toJson(lossy = true)`), then the entity types.
 *  - `transformLine`: the fast path the transformer runs. It writes the JSON text straight from the TSV
 *    fields (precomputed `"key":` fragments per column, type-specific formatting, JSON escaping only when a
 *    string needs it, each JSON column parsed once, shredded column names cached per schema) without the
 *    intermediate EnrichedEvent or the generic object. Anything it does not handle itself (a line the
 *    SDK rules reject, an unusual timestamp or number) goes to the reference, so bad rows and their
 *    messages come from one place.
 * Invariant (pipeline/transformer/wide-row.test.ts): for every line, `transformLine(line)` deep-equals
 * `referenceTransformLine(line)`: the same JSON text byte for byte (key order included), the same types
 * in the same order, the same bad row.
 */
import {
  ENRICHED_FIELDS,
  EnrichedEvent,
  EnrichedEventParseError,
  FIELD_COUNT,
  FIELD_INDEX,
  FIELD_TYPES,
  formatInstant,
  isIntColumnValue,
  isNumberColumnValue,
  isUuid,
  isWrapperJson,
  parseTstamp,
  shreddedColumnName,
} from '../core/enriched-event';
import { badRow, serializeBadRow, type Processor } from '../core/bad-rows';
import type { SnowplowEntity } from '../core/wide-row';

export type TransformResult =
  | {
      kind: 'good';
      line: string;
      collectorTstamp: string;
      /** `collector_tstamp` in epoch milliseconds (what the window's min/max are made of). */
      collectorMs: number;
      types: [string, SnowplowEntity][];
    }
  | { kind: 'bad'; line: string };

const SDJ_URI = /^iglu:[a-zA-Z0-9_.-]+\/[a-zA-Z0-9_-]+\/[a-zA-Z0-9_-]+\/[0-9]+-[0-9]+-[0-9]+$/;

function schemasOf(json: string | null, wrapped: 'list' | 'single'): string[] {
  if (json === null) return [];
  try {
    const v = JSON.parse(json) as { data?: unknown };
    const items = wrapped === 'list' ? (Array.isArray(v.data) ? v.data : []) : [v.data];
    return items.map((x) => (x as { schema?: unknown })?.schema).filter((s): s is string => typeof s === 'string' && SDJ_URI.test(s));
  } catch {
    return [];
  }
}

/** The loader_parsing_error failure of the Analytics SDK's `Event.parse`. */
function parsingFailure(line: string, err: unknown): unknown {
  const fields = line.split('\t').length;
  if (fields !== FIELD_COUNT) return { type: 'FieldNumberMismatch', fieldCount: fields };
  const messages = err instanceof EnrichedEventParseError ? err.errors : [String((err as Error)?.message ?? err)];
  return { type: 'RowDecodingError', errors: messages.map((message) => ({ type: 'UnhandledRowDecodingError', message })) };
}

/** The definition (see the module comment): parse into an EnrichedEvent, then `JSON.stringify(e.toJson())`. */
export function referenceTransformLine(line: string, processor: Processor): TransformResult {
  let e: EnrichedEvent;
  try {
    e = EnrichedEvent.fromTsv(line);
  } catch (err) {
    return { kind: 'bad', line: serializeBadRow(badRow('loader_parsing_error', processor, parsingFailure(line, err), line)) };
  }
  const types: [string, SnowplowEntity][] = [];
  for (const s of schemasOf(e.contexts, 'list')) types.push([s, 'CONTEXT']);
  for (const s of schemasOf(e.derived_contexts, 'list')) types.push([s, 'CONTEXT']);
  for (const s of schemasOf(e.unstruct_event, 'single')) types.push([s, 'SELF_DESCRIBING_EVENT']);
  return { kind: 'good', line: JSON.stringify(e.toJson()), collectorTstamp: e.collector_tstamp!, collectorMs: parseTstamp(e.collector_tstamp!), types };
}

// ---------------------------------------------------------------------------------------------------------
// Fast path

// Column kinds.
const STRING = 0;
const TSTAMP = 1;
const INT = 2;
const BOOL = 3;
const NUMBER = 4;
const SKIP = 5;

const N = FIELD_COUNT;
const CONTEXTS = FIELD_INDEX.contexts;
const UNSTRUCT = FIELD_INDEX.unstruct_event;
const DERIVED = FIELD_INDEX.derived_contexts;
const EVENT_ID = FIELD_INDEX.event_id;
const COLLECTOR_TSTAMP = FIELD_INDEX.collector_tstamp;
const V_COLLECTOR = FIELD_INDEX.v_collector;
const V_ETL = FIELD_INDEX.v_etl;
const LATITUDE = FIELD_INDEX.geo_latitude;
const LONGITUDE = FIELD_INDEX.geo_longitude;

const KINDS: number[] = ENRICHED_FIELDS.map((name) => {
  switch (FIELD_TYPES[name]) {
    case 'ts':
      return TSTAMP;
    case 'i':
      return INT;
    case 'b':
      return BOOL;
    case 'f':
    case 'd':
      return NUMBER;
    case 'J':
      return SKIP;
    default:
      return STRING;
  }
});

/** `"name":` of every atomic column, preceded by `{` for the first one and `,` for the others ('' for JSON columns). */
const KEYS: string[] = [];
/** `"name":null` with the same prefix: the text of an empty column. */
const NULLS: string[] = [];
{
  let first = true;
  for (let i = 0; i < N; i++) {
    if (KINDS[i] === SKIP) {
      KEYS.push('');
      NULLS.push('');
      continue;
    }
    KEYS.push(`${first ? '{' : ','}${JSON.stringify(ENRICHED_FIELDS[i])}:`);
    NULLS.push(`${KEYS[i]}null`);
    first = false;
  }
}

/*
 * The atomic part of the line is written as few, large pieces: everything between two values that come
 * from the data is one precomputed fragment. Fragment (close, a, i, open) = the closing text of the
 * previous value (close: none, `"` or `Z"`), the empty columns a..i-1 (`,"x":null`…), the key of column i
 * and the opening quote of its value when the value is written unquoted (open). i = N is the tail.
 */
const CLOSERS = ['', '"', 'Z"'];
const C_NONE = 0;
const C_QUOTE = 1;
const C_INSTANT = 2;
const W = N + 1;
/** Computed fragments ('' = not yet), filled as event shapes are seen. */
const FRAGMENTS: string[] = Array.from({ length: CLOSERS.length * 2 * W * W }, () => '');
/** Characters the cache may hold: real traffic has few shapes; random input stops being cached past this. */
const FRAGMENT_BUDGET = 8_000_000;
let fragmentChars = 0;

function fragment(close: number, a: number, i: number, open: number): string {
  const at = ((close * 2 + open) * W + a) * W + i;
  let f = FRAGMENTS[at]!;
  if (f === '') {
    f = CLOSERS[close]! + NULLS.slice(a, i).join('') + (i < N ? KEYS[i]! + (open ? '"' : '') : '');
    if (fragmentChars + f.length <= FRAGMENT_BUDGET) {
      FRAGMENTS[at] = f;
      fragmentChars += f.length;
    }
  }
  return f;
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at `at`, or -1. */
function two(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

// The last day seen by `instantTime` (`yyyy-MM-dd`), as `yyyy-MM-ddT` and as epoch milliseconds.
let dayText = '';
let dayIso = '';
let dayMs = 0;
/** Epoch milliseconds of the last timestamp `instantTime` accepted. */
let lastMs = 0;

/**
 * For Enrich's own `yyyy-MM-dd HH:mm:ss.SSS` form of a real date (year >= 100): the time part of the ISO
 * instant that `formatInstant(parseTstamp(ts))` writes (`HH:mm:ss` or `HH:mm:ss.SSS`, the fraction only
 * when not zero), with the day taken from `dayIso` and the instant left in `lastMs`. null for anything
 * else (other forms, impossible dates): those go through the reference functions.
 */
function instantTime(ts: string): string | null {
  if (ts.length !== 23 || ts.charCodeAt(10) !== 32) return null;
  if (!ts.startsWith(dayText) || dayText === '') {
    if (ts.charCodeAt(4) !== 45 || ts.charCodeAt(7) !== 45) return null;
    const hi = two(ts, 0);
    const lo = two(ts, 2);
    const month = two(ts, 5);
    const day = two(ts, 8);
    if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) return null;
    const year = hi * 100 + lo;
    if (year < 100) return null;
    const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    if (day > DAYS_IN_MONTH[month]! + (leap ? 1 : 0)) return null;
    dayText = ts.slice(0, 10);
    dayIso = `${dayText}T`;
    dayMs = Date.UTC(year, month - 1, day);
  }
  if (ts.charCodeAt(13) !== 58 || ts.charCodeAt(16) !== 58 || ts.charCodeAt(19) !== 46) return null;
  const h = two(ts, 11);
  const m = two(ts, 14);
  const sec = two(ts, 17);
  const ms1 = ts.charCodeAt(20) - 48;
  const ms23 = two(ts, 21);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59 || ms1 < 0 || ms1 > 9 || ms23 < 0) return null;
  const ms = ms1 * 100 + ms23;
  lastMs = dayMs + ((h * 60 + m) * 60 + sec) * 1000 + ms;
  return ts.slice(11, ms === 0 ? 19 : 23);
}

/** Shredded column name per schema URI (null: not a valid Iglu URI), per prefix. Bounded. */
class ColumnNames {
  private readonly cache = new Map<string, string | null>();
  constructor(private readonly prefix: 'contexts_' | 'unstruct_event_') {}
  get(schema: string): string | null {
    let name = this.cache.get(schema);
    if (name === undefined) {
      name = null;
      if (SDJ_URI.test(schema)) {
        const [vendor, n, , version] = schema.slice(5).split('/') as [string, string, string, string];
        name = `,${JSON.stringify(shreddedColumnName(this.prefix, vendor, n, version.slice(0, version.indexOf('-'))))}:`;
      }
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(schema, name);
    }
    return name;
  }
}

/** `,"contexts_…":` per context schema URI. */
const CONTEXT_KEYS = new ColumnNames('contexts_');
/** `,"unstruct_event_…":` per event schema URI. */
const UNSTRUCT_KEYS = new ColumnNames('unstruct_event_');

interface Sdj {
  schema?: unknown;
  data?: unknown;
}

/**
 * The shredded keys of one contexts column, appended to `keys`/`values` with object-assignment semantics
 * (a key already there keeps its place and takes the new value: a derived context replaces a tracker
 * context of the same column). Returns false when the column is not a contexts JSON.
 */
function shredContexts(raw: string, keys: string[], values: string[], types: [string, SnowplowEntity][]): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return false;
  }
  if (!isWrapperJson(parsed, 'list')) return false;
  const items = (parsed as { data: unknown[] }).data;
  const start = keys.length;
  // This column's groups in first-seen order (their keys at keys[start..]) and their data texts.
  const groups: string[][] = [];
  for (let i = 0; i < items.length; i++) {
    const ctx = items[i] as Sdj | null;
    const schema = ctx ? ctx.schema : undefined;
    if (typeof schema !== 'string') continue;
    const key = CONTEXT_KEYS.get(schema);
    if (key === null) continue;
    types.push([schema, 'CONTEXT']);
    // JSON.stringify writes undefined as null inside an array
    const text = JSON.stringify(ctx!.data) ?? 'null';
    let g = -1;
    for (let k = start; k < keys.length; k++)
      if (keys[k] === key) {
        g = k - start;
        break;
      }
    if (g >= 0) groups[g]!.push(text);
    else {
      keys.push(key);
      groups.push([text]);
    }
  }
  if (groups.length === 0) return true;
  // Assign the groups: a key an earlier column already set is replaced in place.
  const added = keys.splice(start);
  for (let k = 0; k < added.length; k++) {
    const g = groups[k]!;
    const value = g.length === 1 ? `[${g[0]}]` : `[${g.join(',')}]`;
    const at = keys.indexOf(added[k]!);
    if (at >= 0) values[at] = value;
    else {
      keys.push(added[k]!);
      values.push(value);
    }
  }
  return true;
}

/**
 * The fast path alone: null when the line needs the reference, which happens exactly for the lines the
 * reference turns into bad rows (the writer handles every valid line itself).
 */
export function fastTransform(line: string): TransformResult | null {
  const v = line.split('\t');
  if (v.length !== N) return null;
  const id = v[EVENT_ID]!;
  if (id.length !== 36 || !isUuid(id)) return null;
  if (v[V_COLLECTOR] === '' || v[V_ETL] === '') return null;
  const collectorTstamp = v[COLLECTOR_TSTAMP]!;
  if (collectorTstamp === '') return null;
  let collectorMs = NaN;
  let out = '';
  // The closer the previous value needs, and the first empty column not written yet.
  let close = C_NONE;
  let a = 0;
  for (let i = 0; i < N; i++) {
    const s = v[i]!;
    if (s === '') continue;
    switch (KINDS[i]) {
      case STRING:
        if (NEEDS_ESCAPE.test(s)) {
          out += fragment(close, a, i, 0) + JSON.stringify(s);
          close = C_NONE;
        } else {
          out += fragment(close, a, i, 1) + s;
          close = C_QUOTE;
        }
        break;
      case TSTAMP: {
        const time = instantTime(s);
        if (time !== null) {
          out += fragment(close, a, i, 1) + dayIso + time;
          close = C_INSTANT;
          if (i === COLLECTOR_TSTAMP) collectorMs = lastMs;
        } else {
          const ms = parseTstamp(s);
          if (Number.isNaN(ms)) return null;
          out += fragment(close, a, i, 1) + formatInstant(ms);
          close = C_QUOTE;
          if (i === COLLECTOR_TSTAMP) collectorMs = ms;
        }
        break;
      }
      case INT:
        if (!isIntColumnValue(s)) return null;
        out += fragment(close, a, i, 0) + String(Number(s));
        close = C_NONE;
        break;
      case BOOL:
        if (s !== '1' && s !== '0') return null;
        out += fragment(close, a, i, 0) + (s === '1' ? 'true' : 'false');
        close = C_NONE;
        break;
      case NUMBER: {
        if (!isNumberColumnValue(s)) return null;
        const n = Number(s);
        // JSON.stringify writes ±Infinity (1e999) as null
        out += fragment(close, a, i, 0) + (Number.isFinite(n) ? String(n) : 'null');
        close = C_NONE;
        break;
      }
      default:
        // a JSON column: shredded below; it has no atomic key, so it does not break the run of empty columns
        continue;
    }
    a = i + 1;
  }
  out += fragment(close, a, N, 0);
  const types: [string, SnowplowEntity][] = [];
  if (v[CONTEXTS] !== '' || v[DERIVED] !== '') {
    const keys: string[] = [];
    const values: string[] = [];
    if (v[CONTEXTS] !== '' && !shredContexts(v[CONTEXTS]!, keys, values, types)) return null;
    if (v[DERIVED] !== '' && !shredContexts(v[DERIVED]!, keys, values, types)) return null;
    for (let k = 0; k < keys.length; k++) out += keys[k]! + values[k]!;
  }
  if (v[UNSTRUCT] !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v[UNSTRUCT]!);
    } catch {
      return null;
    }
    if (!isWrapperJson(parsed, 'single')) return null;
    const inner = (parsed as Sdj).data as Sdj | null | undefined;
    const schema = inner ? inner.schema : undefined;
    const key = typeof schema === 'string' ? UNSTRUCT_KEYS.get(schema) : null;
    if (key !== null) {
      types.push([schema as string, 'SELF_DESCRIBING_EVENT']);
      // An absent `data` leaves the key out, as JSON.stringify does with undefined properties.
      const text = JSON.stringify(inner!.data) as string | undefined;
      if (text !== undefined) out += key + text;
    }
  }
  if (v[LATITUDE] !== '' && v[LONGITUDE] !== '') out += `,"geo_location":"${Number(v[LATITUDE])},${Number(v[LONGITUDE])}"}`;
  else out += '}';
  return { kind: 'good', line: out, collectorTstamp, collectorMs, types };
}

/** One enriched TSV line → wide-row JSON line + types, or a loader_parsing_error bad row (same as the reference). */
export function transformLine(line: string, processor: Processor): TransformResult {
  return fastTransform(line) ?? referenceTransformLine(line, processor);
}
