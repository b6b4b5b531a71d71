/**
 * The enriched event: Snowplow's 131 atomic columns in TSV order (EN `ConversionUtils.tabSeparatedEnrichedEvent`,
 * DOC `pipeline/enriched-tsv-format`), the mutable record Enrich fills in, its TSV form, and the analytics-SDK
 * style JSON view (Scala Analytics SDK 3.x `Event.toJson(lossy = true)`) used by later stages and the Micro API.
 *
 * Every column is held as its TSV text (`string`) or `null`, so `toTsv()` is a single `join('\t')` (Array#join
 * renders null as ''). Named accessors (`event.page_url`) are generated on the prototype from the column list.
 * Pure: no I/O.
 */

import { transformSchema } from './wide-row';

/** Column value type: s string, ts timestamp, i integer, b 0/1, f float, d decimal, J JSON. */
export type ColumnType = 's' | 'ts' | 'i' | 'b' | 'f' | 'd' | 'J';

const COLUMNS = [
  ['app_id', 's'], ['platform', 's'], ['etl_tstamp', 'ts'], ['collector_tstamp', 'ts'], ['dvce_created_tstamp', 'ts'],
  ['event', 's'], ['event_id', 's'], ['txn_id', 'i'], ['name_tracker', 's'], ['v_tracker', 's'],
  ['v_collector', 's'], ['v_etl', 's'], ['user_id', 's'], ['user_ipaddress', 's'], ['user_fingerprint', 's'],
  ['domain_userid', 's'], ['domain_sessionidx', 'i'], ['network_userid', 's'], ['geo_country', 's'], ['geo_region', 's'],
  ['geo_city', 's'], ['geo_zipcode', 's'], ['geo_latitude', 'f'], ['geo_longitude', 'f'], ['geo_region_name', 's'],
  ['ip_isp', 's'], ['ip_organization', 's'], ['ip_domain', 's'], ['ip_netspeed', 's'], ['page_url', 's'],
  ['page_title', 's'], ['page_referrer', 's'], ['page_urlscheme', 's'], ['page_urlhost', 's'], ['page_urlport', 'i'],
  ['page_urlpath', 's'], ['page_urlquery', 's'], ['page_urlfragment', 's'], ['refr_urlscheme', 's'], ['refr_urlhost', 's'],
  ['refr_urlport', 'i'], ['refr_urlpath', 's'], ['refr_urlquery', 's'], ['refr_urlfragment', 's'], ['refr_medium', 's'],
  ['refr_source', 's'], ['refr_term', 's'], ['mkt_medium', 's'], ['mkt_source', 's'], ['mkt_term', 's'],
  ['mkt_content', 's'], ['mkt_campaign', 's'], ['contexts', 'J'], ['se_category', 's'], ['se_action', 's'],
  ['se_label', 's'], ['se_property', 's'], ['se_value', 'd'], ['unstruct_event', 'J'], ['tr_orderid', 's'],
  ['tr_affiliation', 's'], ['tr_total', 'd'], ['tr_tax', 'd'], ['tr_shipping', 'd'], ['tr_city', 's'],
  ['tr_state', 's'], ['tr_country', 's'], ['ti_orderid', 's'], ['ti_sku', 's'], ['ti_name', 's'],
  ['ti_category', 's'], ['ti_price', 'd'], ['ti_quantity', 'i'], ['pp_xoffset_min', 'i'], ['pp_xoffset_max', 'i'],
  ['pp_yoffset_min', 'i'], ['pp_yoffset_max', 'i'], ['useragent', 's'], ['br_name', 's'], ['br_family', 's'],
  ['br_version', 's'], ['br_type', 's'], ['br_renderengine', 's'], ['br_lang', 's'], ['br_features_pdf', 'b'],
  ['br_features_flash', 'b'], ['br_features_java', 'b'], ['br_features_director', 'b'], ['br_features_quicktime', 'b'], ['br_features_realplayer', 'b'],
  ['br_features_windowsmedia', 'b'], ['br_features_gears', 'b'], ['br_features_silverlight', 'b'], ['br_cookies', 'b'], ['br_colordepth', 's'],
  ['br_viewwidth', 'i'], ['br_viewheight', 'i'], ['os_name', 's'], ['os_family', 's'], ['os_manufacturer', 's'],
  ['os_timezone', 's'], ['dvce_type', 's'], ['dvce_ismobile', 'b'], ['dvce_screenwidth', 'i'], ['dvce_screenheight', 'i'],
  ['doc_charset', 's'], ['doc_width', 'i'], ['doc_height', 'i'], ['tr_currency', 's'], ['tr_total_base', 'd'],
  ['tr_tax_base', 'd'], ['tr_shipping_base', 'd'], ['ti_currency', 's'], ['ti_price_base', 'd'], ['base_currency', 's'],
  ['geo_timezone', 's'], ['mkt_clickid', 's'], ['mkt_network', 's'], ['etl_tags', 's'], ['dvce_sent_tstamp', 'ts'],
  ['refr_domain_userid', 's'], ['refr_dvce_tstamp', 'ts'], ['derived_contexts', 'J'], ['domain_sessionid', 's'], ['derived_tstamp', 'ts'],
  ['event_vendor', 's'], ['event_name', 's'], ['event_format', 's'], ['event_version', 's'], ['event_fingerprint', 's'],
  ['true_tstamp', 'ts'],
] as const satisfies readonly (readonly [string, ColumnType])[];

export type FieldName = (typeof COLUMNS)[number][0];

/** The 131 column names in TSV order. */
export const ENRICHED_FIELDS: readonly FieldName[] = COLUMNS.map((c) => c[0]);
export const FIELD_COUNT = 131;
/** Type of every column, by name. */
export const FIELD_TYPES: Readonly<Record<FieldName, ColumnType>> = Object.fromEntries(COLUMNS) as Record<FieldName, ColumnType>;
/** 0-based TSV index of every column, by name. */
export const FIELD_INDEX: Readonly<Record<FieldName, number>> = Object.fromEntries(COLUMNS.map((c, i) => [c[0], i])) as Record<FieldName, number>;

if (ENRICHED_FIELDS.length !== FIELD_COUNT) throw new Error(`enriched-event: ${ENRICHED_FIELDS.length} columns, expected ${FIELD_COUNT}`);

export type AtomicValues = { [K in FieldName]: string | null };

/** Typed failure of `EnrichedEvent.fromTsv` / `fromJson`; loaders turn it into a loader_parsing_error. */
export class EnrichedEventParseError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
    this.name = 'EnrichedEventParseError';
  }
}

// Declaration merging gives the class the 131 named accessors defined on its prototype below.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface EnrichedEvent extends AtomicValues {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class EnrichedEvent {
  /** The columns in TSV order; null = empty. */
  readonly values: (string | null)[];

  constructor(values?: (string | null)[]) {
    if (values) {
      if (values.length !== FIELD_COUNT) throw new EnrichedEventParseError([`expected ${FIELD_COUNT} values, got ${values.length}`]);
      this.values = values;
    } else this.values = new Array<string | null>(FIELD_COUNT).fill(null);
  }

  get(name: FieldName): string | null {
    return this.values[FIELD_INDEX[name]]!;
  }

  set(name: FieldName, value: string | null): void {
    this.values[FIELD_INDEX[name]] = value;
  }

  clone(): EnrichedEvent {
    return new EnrichedEvent(this.values.slice());
  }

  /** The enriched TSV line: 131 fields joined by tabs, no trailing newline, null as ''. */
  toTsv(): string {
    return this.values.join('\t');
  }

  /**
   * Parse an enriched TSV line (Analytics SDK rules): exactly 131 fields, required `event_id` (UUID),
   * `collector_tstamp`, `v_collector`, `v_etl`; typed columns must parse. Throws `EnrichedEventParseError`.
   */
  static fromTsv(line: string): EnrichedEvent {
    const values: (string | null)[] = line.split('\t');
    if (values.length !== FIELD_COUNT)
      throw new EnrichedEventParseError([`Field number mismatch: expected ${FIELD_COUNT}, got ${values.length}`]);
    for (let i = 0; i < FIELD_COUNT; i++) if (values[i] === '') values[i] = null;
    const event = new EnrichedEvent(values);
    const errors = validateColumns(event);
    if (errors.length) throw new EnrichedEventParseError(errors);
    return event;
  }

  /** Analytics-SDK JSON (see `toAnalyticsJson`). */
  toJson(options: AnalyticsJsonOptions = {}): Record<string, unknown> {
    return toAnalyticsJson(this, options);
  }

  /** Lossless JSON (see `toEventJson`); `fromJson(toEventJson())` restores the TSV. */
  toEventJson(): Record<string, unknown> {
    return toEventJson(this);
  }

  /** Rebuild the event from `toEventJson` output (see `fromAnalyticsJson`). */
  static fromJson(json: Record<string, unknown>): EnrichedEvent {
    return fromAnalyticsJson(json);
  }
}

for (let i = 0; i < FIELD_COUNT; i++) {
  const index = i;
  Object.defineProperty(EnrichedEvent.prototype, ENRICHED_FIELDS[i]!, {
    get(this: EnrichedEvent) {
      return this.values[index];
    },
    set(this: EnrichedEvent, v: string | null) {
      this.values[index] = v;
    },
    enumerable: false,
    configurable: false,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Column validation and typed values

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TSTAMP_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isUuid(s: string): boolean {
  return s.length === 36 && UUID_RE.test(s);
}

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/** Milliseconds since the epoch of a `yyyy-MM-dd HH:mm:ss[.SSS]` UTC timestamp, or NaN. */
export function parseTstamp(ts: string): number {
  // Fast path for the exact format Enrich writes; anything else goes through the regex.
  if (ts.length === 23 && ts.charCodeAt(4) === 45 && ts.charCodeAt(7) === 45 && ts.charCodeAt(10) === 32 && ts.charCodeAt(19) === 46) {
    const y = digits(ts, 0, 4);
    if (y >= 100) {
      const t = Date.UTC(y, digits(ts, 5, 2) - 1, digits(ts, 8, 2), digits(ts, 11, 2), digits(ts, 14, 2), digits(ts, 17, 2), digits(ts, 20, 3));
      if (!Number.isNaN(t) && formatTstamp(t) === ts) return t;
      if (Number.isNaN(t)) return NaN;
    }
  }
  const m = TSTAMP_RE.exec(ts);
  if (!m) return NaN;
  const ms = m[7] ? Number((m[7] + '00').slice(0, 3)) : 0;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  // Date.UTC maps years 0-99 to 1900-1999; fix them up.
  const year = Number(m[1]);
  if (year < 100) {
    const d = new Date(t);
    d.setUTCFullYear(year);
    return d.getTime();
  }
  return t;
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => (i < 10 ? `00${i}` : i < 100 ? `0${i}` : String(i)));
const DAY_MS = 86_400_000;
// Events of a batch mostly share a day: remember the last day's `yyyy-MM-dd ` prefix.
let lastDay = NaN;
let lastDayText = '';

/** `yyyy-MM-dd HH:mm:ss.SSS` in UTC (Redshift-compatible format Enrich writes). Years 0..9999 only. */
export function formatTstamp(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    const d = new Date(day * DAY_MS);
    lastDayText = `${pad(d.getUTCFullYear(), 4)}-${TWO_DIGITS[d.getUTCMonth() + 1]}-${TWO_DIGITS[d.getUTCDate()]} `;
    lastDay = day;
  }
  let rest = ms - day * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const sec = rest % 60;
  rest = (rest - sec) / 60;
  const min = rest % 60;
  const hour = (rest - min) / 60;
  return `${lastDayText}${TWO_DIGITS[hour]}:${TWO_DIGITS[min]}:${TWO_DIGITS[sec]}.${THREE_DIGITS[milli]}`;
}

/** Java `Instant.toString` (ISO_INSTANT): fraction only when non-zero, in groups of three digits. */
export function formatInstant(ms: number): string {
  const d = new Date(ms);
  const frac = d.getUTCMilliseconds();
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${frac ? `.${pad(frac, 3)}` : ''}Z`
  );
}

/** Whether an `i` column's text is valid: an integer literal within Int32 (Analytics SDK `Int` columns). */
export function isIntColumnValue(value: string): boolean {
  return INT_RE.test(value) && Number.isSafeInteger(Number(value)) && Math.abs(Number(value)) <= 2147483647;
}

/** Whether an `f`/`d` column's text is valid: a decimal literal, optionally with an exponent. */
export function isNumberColumnValue(value: string): boolean {
  return NUM_RE.test(value);
}

/**
 * Whether a parsed `contexts` / `derived_contexts` (`list`) or `unstruct_event` (`single`) column is a
 * self-describing JSON of the right wrapper schema (contexts: with a `data` array).
 */
export function isWrapperJson(parsed: unknown, kind: 'list' | 'single'): boolean {
  const p = parsed as { schema?: unknown; data?: unknown } | null;
  if (!p || typeof p.schema !== 'string' || !p.schema.startsWith(kind === 'single' ? UNSTRUCT_PREFIX : CONTEXTS_PREFIX)) return false;
  return kind === 'single' || Array.isArray(p.data);
}

function validateColumns(e: EnrichedEvent): string[] {
  const errors: string[] = [];
  const v = e.values;
  for (let i = 0; i < FIELD_COUNT; i++) {
    const value = v[i];
    if (value === null || value === undefined) continue;
    const name = ENRICHED_FIELDS[i]!;
    switch (FIELD_TYPES[name]) {
      case 'ts':
        if (Number.isNaN(parseTstamp(value))) errors.push(`Cannot parse key ${name} with value ${value} into datetime`);
        break;
      case 'i':
        if (!isIntColumnValue(value)) errors.push(`Cannot parse key ${name} with value ${value} into integer`);
        break;
      case 'b':
        if (value !== '0' && value !== '1') errors.push(`Cannot parse key ${name} with value ${value} into boolean`);
        break;
      case 'f':
      case 'd':
        if (!isNumberColumnValue(value)) errors.push(`Cannot parse key ${name} with value ${value} into double`);
        break;
      case 'J':
        try {
          const parsed = JSON.parse(value) as { schema?: unknown; data?: unknown };
          const want = name === 'unstruct_event' ? UNSTRUCT_PREFIX : CONTEXTS_PREFIX;
          if (!parsed || typeof parsed.schema !== 'string' || !parsed.schema.startsWith(want))
            errors.push(`Cannot parse key ${name}: not a ${want}* self-describing JSON`);
          else if (name !== 'unstruct_event' && !Array.isArray(parsed.data)) errors.push(`Cannot parse key ${name}: data is not an array`);
        } catch {
          errors.push(`Cannot parse key ${name} with value ${value.slice(0, 100)} into JSON`);
        }
        break;
      default:
        break;
    }
  }
  if (!v[FIELD_INDEX.event_id] || !isUuid(v[FIELD_INDEX.event_id]!)) errors.push(`Cannot parse key event_id with value ${v[FIELD_INDEX.event_id]} into UUID`);
  for (const required of ['collector_tstamp', 'v_collector', 'v_etl'] as const)
    if (v[FIELD_INDEX[required]] === null) errors.push(`Field ${required} cannot be empty`);
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Analytics SDK JSON

const CONTEXTS_PREFIX = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-';
const UNSTRUCT_PREFIX = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-';
const SDJ_URI = /^iglu:([a-zA-Z0-9\-_.]+)\/([a-zA-Z0-9\-_]+)\/([a-zA-Z0-9\-_]+)\/([0-9]+)-([0-9]+)-([0-9]+)$/;

/** JSON columns are not atomic keys in the SDK JSON: they become shredded keys. */
const JSON_COLUMNS = new Set<FieldName>(['contexts', 'unstruct_event', 'derived_contexts']);

/** The SDK column name of a self-describing entity (the naming rule lives in wide-row.ts). */
export function shreddedColumnName(prefix: 'contexts_' | 'unstruct_event_', vendor: string, name: string, model: number | string): string {
  return transformSchema(prefix, vendor, name, model);
}

export interface AnalyticsJsonOptions {
  /** Add `_schema_version` to each context object (Analytics SDK >= 3.2). Default false (SDK 3.1, RDB Loader 6.1.5). */
  schemaVersion?: boolean;
}

function typedAtomic(name: FieldName, value: string | null): unknown {
  if (value === null) return null;
  switch (FIELD_TYPES[name]) {
    case 'i':
      return Number(value);
    case 'f':
    case 'd':
      return Number(value);
    case 'b':
      return value === '1';
    case 'ts':
      return formatInstant(parseTstamp(value));
    default:
      return value;
  }
}

interface Sdj {
  schema: string;
  data: unknown;
}

function shredContexts(raw: string | null, out: Record<string, unknown>, opts: AnalyticsJsonOptions): void {
  if (raw === null) return;
  const parsed = JSON.parse(raw) as { data?: Sdj[] };
  const groups = new Map<string, unknown[]>();
  for (const ctx of parsed.data ?? []) {
    const m = ctx && typeof ctx.schema === 'string' ? SDJ_URI.exec(ctx.schema) : null;
    if (!m) continue;
    const key = shreddedColumnName('contexts_', m[1]!, m[2]!, m[4]!);
    let data = ctx.data;
    if (opts.schemaVersion && data && typeof data === 'object' && !Array.isArray(data))
      data = { _schema_version: `${m[4]}-${m[5]}-${m[6]}`, ...(data as object) };
    const list = groups.get(key);
    if (list) list.push(data);
    else groups.set(key, [data]);
  }
  for (const [k, list] of groups) out[k] = list;
}

/**
 * Analytics SDK `toJson(lossy = true)`: the 128 atomic columns (nulls kept, ints/doubles as numbers,
 * booleans, timestamps as ISO instants), then contexts, derived_contexts and the unstruct event as
 * `contexts_<vendor>_<name>_<model>` arrays / `unstruct_event_<vendor>_<name>_<model>` object, then
 * `geo_location` ("lat,lon") when both coordinates are set. A derived context with the same key as a
 * tracker context replaces it (map union), as in the SDK.
 */
export function toAnalyticsJson(e: EnrichedEvent, opts: AnalyticsJsonOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < FIELD_COUNT; i++) {
    const name = ENRICHED_FIELDS[i]!;
    if (JSON_COLUMNS.has(name)) continue;
    out[name] = typedAtomic(name, e.values[i]!);
  }
  shredContexts(e.contexts, out, opts);
  shredContexts(e.derived_contexts, out, opts);
  if (e.unstruct_event !== null) {
    const ue = JSON.parse(e.unstruct_event) as { data?: Sdj };
    const inner = ue.data;
    const m = inner && typeof inner.schema === 'string' ? SDJ_URI.exec(inner.schema) : null;
    if (m) out[shreddedColumnName('unstruct_event_', m[1]!, m[2]!, m[4]!)] = inner!.data;
  }
  if (e.geo_latitude !== null && e.geo_longitude !== null) out.geo_location = `${Number(e.geo_latitude)},${Number(e.geo_longitude)}`;
  return out;
}

function isoToTstamp(name: string, v: unknown): string {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new EnrichedEventParseError([`Cannot parse key ${name} with value ${String(v)} into datetime`]);
  return formatTstamp(ms);
}

function parseJsonColumn(value: string | null): unknown {
  return value === null ? null : JSON.parse(value);
}

/**
 * The lossless JSON form (the Analytics SDK's `Event` codec, used in loader bad-row payloads): the typed
 * atomic columns as in `toJson`, with `contexts`, `unstruct_event` and `derived_contexts` kept as
 * self-describing JSON objects (null when empty). `fromJson` inverts it exactly.
 */
export function toEventJson(e: EnrichedEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < FIELD_COUNT; i++) {
    const name = ENRICHED_FIELDS[i]!;
    out[name] = JSON_COLUMNS.has(name) ? parseJsonColumn(e.values[i]!) : typedAtomic(name, e.values[i]!);
  }
  return out;
}

function formatNumber(name: string, v: unknown, integer: boolean): string {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw new EnrichedEventParseError([`Cannot parse key ${name} with value ${String(v)} into ${integer ? 'integer' : 'double'}`]);
  return String(v);
}

/**
 * Rebuild the columns from the JSON of `toEventJson` (or from `toJson`, in which case the JSON columns,
 * which the shredded keys cannot restore exactly, are left empty). Numbers are written with JS number
 * formatting, so a TSV whose decimals are not in canonical form (`10.00`) comes back canonical (`10`),
 * as the SDK's own `toTsv` would normalise them (to `10.0`).
 */
export function fromAnalyticsJson(json: Record<string, unknown>): EnrichedEvent {
  const e = new EnrichedEvent();
  for (let i = 0; i < FIELD_COUNT; i++) {
    const name = ENRICHED_FIELDS[i]!;
    const v = json[name];
    if (v === null || v === undefined) continue;
    switch (FIELD_TYPES[name]) {
      case 'J':
        e.values[i] = JSON.stringify(v);
        break;
      case 'b':
        if (typeof v !== 'boolean') throw new EnrichedEventParseError([`Cannot parse key ${name} with value ${String(v)} into boolean`]);
        e.values[i] = v ? '1' : '0';
        break;
      case 'ts':
        e.values[i] = isoToTstamp(name, v);
        break;
      case 'i':
        e.values[i] = formatNumber(name, v, true);
        break;
      case 'f':
      case 'd':
        e.values[i] = formatNumber(name, v, false);
        break;
      default:
        if (typeof v !== 'string') throw new EnrichedEventParseError([`Cannot parse key ${name} with value ${String(v)} into string`]);
        e.values[i] = v;
    }
  }
  return e;
}
