/**
 * Snowplow tracker protocol: how raw event parameters map to enriched-event columns (EN `Transform.scala`)
 * and the value converters behind the mapping (EN `ConversionUtils`, `EventEnrichments`, `MiscEnrichments`,
 * `ClientEnrichments`). Every converter returns the column's TSV text (or null), or a `ParseFailure`; all
 * failures of one event are collected by the caller into a single atomic schema violation.
 * Pure: no I/O.
 */
import { FIELD_INDEX, formatTstamp, type FieldName } from './enriched-event';

/** A parameter value that cannot be converted; becomes one `atomic_field_parse_error` data report. */
export class ParseFailure {
  constructor(
    readonly message: string,
    readonly value: string | null = null,
  ) {}
}

export type Converter = (value: string) => string | null | ParseFailure;

// ---------------------------------------------------------------------------------------------------------
// Sanitising

/**
 * Snowplow's `makeTsvSafe` / `fixTabsNewlines`: tab → 4 spaces, then every ASCII control character
 * (Java's `\p{Cntrl}`: U+0000–U+001F and U+007F) removed; an empty result becomes null.
 * Scans first so clean strings (the common case) are returned without allocation.
 */
export function makeTsvSafe(s: string | null | undefined): string | null {
  if (s === null || s === undefined || s.length === 0) return null;
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x09) out += '    ';
    else if (c >= 0x20 && c !== 0x7f) out += s[i];
  }
  return out.length === 0 ? null : out;
}

/** The collector's User-Agent header as Enrich keeps it: `\r` and `\n` removed, tab → 4 spaces. */
export function cleanHeaderValue(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a || c === 0x0d || c === 0x09) {
      clean = false;
      break;
    }
  }
  return clean ? s : s.replace(/[\r\n]/g, '').replace(/\t/g, '    ');
}

export const tsv: Converter = (v) => makeTsvSafe(v);

// ---------------------------------------------------------------------------------------------------------
// Numbers

function isAsciiDigits(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Java `Integer.parseInt`: optional sign, ASCII digits, 32-bit range. Returns undefined when invalid. */
export function parseJavaInt(s: string): number | undefined {
  const signed = s.charCodeAt(0) === 43 /* + */ || s.charCodeAt(0) === 45; /* - */
  if (!isAsciiDigits(s, signed ? 1 : 0)) return undefined;
  const n = Number(s);
  if (n > 2147483647 || n < -2147483648) return undefined;
  return n === 0 ? 0 : n; // no -0
}

/** Java `Long.parseLong` within JS's exact range; undefined when not an integer literal. */
export function parseJavaLong(s: string): number | undefined {
  const signed = s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45;
  if (!isAsciiDigits(s, signed ? 1 : 0)) return undefined;
  const n = Number(s);
  if (Math.abs(n) > 2 ** 63) return undefined; // Long range (the boundary itself is approximate in doubles)
  return n;
}

/** `tid`: any Java int, kept as written (EN `validateInteger` returns the input string). */
export const javaIntKeepText: Converter = (v) => (parseJavaInt(v) === undefined ? new ParseFailure('Not a valid integer', v) : v);

/** `vid`, `ti_qu`, `pp_*`: Java Integer, `"null"` (any case) → null, written canonically. */
export const javaInteger: Converter = (v) => {
  if (v.length === 4 && v.toLowerCase() === 'null') return null;
  const n = parseJavaInt(v);
  return n === undefined ? new ParseFailure('Cannot be converted to java.lang.Integer', v) : String(n);
};

const BIGDEC_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * `java.math.BigDecimal(String)` then `toString`, with a negative scale rescaled to 0 first (Enrich's
 * `stringToJBigDecimal`): `1.5e3` → `1500`, `0.0000001` → `1E-7`, `10.00` stays `10.00`.
 * Returns undefined when the text is not a BigDecimal literal.
 */
export function javaBigDecimalString(s: string): string | undefined {
  const m = BIGDEC_RE.exec(s);
  if (!m) return undefined;
  const intPart = m[2]!;
  const fracPart = m[3] ?? '';
  if (intPart.length === 0 && fracPart.length === 0) return undefined;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 2147483647) return undefined;
  let digits = (intPart + fracPart).replace(/^0+(?=\d)/, '');
  let scale = fracPart.length - exp;
  if (scale < 0) {
    if (-scale > 100_000) return undefined; // would not fit a Redshift column anyway; avoid huge strings
    if (digits !== '0') digits += '0'.repeat(-scale);
    scale = 0;
  }
  const negative = m[1] === '-' && /[1-9]/.test(digits);
  const adjusted = -scale + (digits.length - 1);
  let body: string;
  if (adjusted >= -6) {
    if (scale === 0) body = digits;
    else if (digits.length > scale) body = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
    else body = `0.${'0'.repeat(scale - digits.length)}${digits}`;
  } else {
    body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}E${adjusted}` : `${digits}E${adjusted}`;
  }
  return negative ? `-${body}` : body;
}

/** `se_va`, `tr_tt`, `tr_tx`, `tr_sh`, `ti_pr`: BigDecimal, `"null"` (any case) → null. */
export const javaBigDecimal: Converter = (v) => {
  if (v.length === 4 && v.toLowerCase() === 'null') return null;
  const d = javaBigDecimalString(v);
  return d === undefined ? new ParseFailure('Cannot be converted to java.math.BigDecimal', v) : d;
};

/** `f_*`, `cookie`: exactly "1" or "0". */
export const booleanByte: Converter = (v) =>
  v === '1' || v === '0' ? v : new ParseFailure('Cannot be converted to Boolean-like java.lang.Byte', v);

// ---------------------------------------------------------------------------------------------------------
// Identifiers, timestamps, enums

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `eid`, `sid`: a canonical UUID in any case; written lower-case. */
export const uuid: Converter = (v) => (v.length === 36 && UUID_RE.test(v) ? v.toLowerCase() : new ParseFailure('Not a valid UUID', v));

/** Latest instant Enrich accepts (9999-12-31T23:59:59.999Z) and the earliest (0000-01-01T00:00:00.000Z). */
const MAX_TSTAMP_MS = 253402300799999;
const MIN_TSTAMP_MS = -62167219200000;

/** Milliseconds since the epoch → `yyyy-MM-dd HH:mm:ss.SSS`, or a ParseFailure (not a long, year outside 0–9999). */
export function msToTstamp(v: string): string | ParseFailure {
  const ms = parseJavaLong(v);
  if (ms === undefined) return new ParseFailure('not in the expected format: ms since epoch', v);
  if (ms > MAX_TSTAMP_MS || ms < MIN_TSTAMP_MS) {
    const shown = Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : v;
    return new ParseFailure(`formatting as ${shown} is not Redshift-compatible`, v);
  }
  return formatTstamp(ms);
}

export const timestamp: Converter = (v) => msToTstamp(v);

/** Tracker event codes → `event` values (EN `EventEnrichments.extractEventType`). */
export const EVENT_TYPES: Readonly<Record<string, string>> = {
  pv: 'page_view',
  pp: 'page_ping',
  se: 'struct',
  ev: 'struct',
  ue: 'unstruct',
  ad: 'ad_impression',
  tr: 'transaction',
  ti: 'transaction_item',
};

export const eventType: Converter = (v) => EVENT_TYPES[v] ?? new ParseFailure('Not a valid event type', v);

export const PLATFORMS: ReadonlySet<string> = new Set(['web', 'iot', 'app', 'mob', 'pc', 'cnsl', 'tv', 'srv', 'headset']);

export const platform: Converter = (v) => (PLATFORMS.has(v) ? v : new ParseFailure('not recognized as a tracking platform', v));

/** `ip`: the first token before `,`, `|` or space, TSV-safe (EN `MiscEnrichments.extractIp`). */
export function firstIp(v: string): string | null {
  let end = v.length;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 44 || c === 124 || c === 32) {
      end = i;
      break;
    }
  }
  return makeTsvSafe(end === v.length ? v : v.slice(0, end));
}

export const ip: Converter = (v) => firstIp(v);

const DIMENSIONS_RE = /^(\d+)x(\d+)$/;

/** `res`, `vp`, `ds`: `WIDTHxHEIGHT`; returns `[width, height]` or a failure. */
export function dimensions(v: string): [string, string] | ParseFailure {
  const m = DIMENSIONS_RE.exec(v);
  if (!m) return new ParseFailure('does not conform to regex (\\d+)x(\\d+)', v);
  const w = parseJavaInt(m[1]!);
  const h = parseJavaInt(m[2]!);
  if (w === undefined || h === undefined) return new ParseFailure('could not be converted to java.lang.Integer s', v);
  return [String(w), String(h)];
}

// ---------------------------------------------------------------------------------------------------------
// The mapping

export interface ParameterMapping {
  /** Tracker parameter name. */
  param: string;
  /** Target column(s): one, or two for `WIDTHxHEIGHT` parameters. */
  field: FieldName | readonly [FieldName, FieldName];
  convert: Converter | 'dimensions';
}

/**
 * Parameter → column table (first pass). Later entries for the same column win where both are present
 * (`ti_nm` over its buggy alias `ti_na`, `se_*` over legacy `ev_*`). `tnuid` is applied in a second pass
 * and overrides `nuid`. `e`, `co`/`cx` and `ue_pr`/`ue_px` are handled by the pipeline (event type and
 * self-describing JSON validation) but `e` is listed so its parse errors join the atomic ones.
 */
export const PARAMETER_MAPPINGS: readonly ParameterMapping[] = [
  { param: 'e', field: 'event', convert: eventType },
  { param: 'ip', field: 'user_ipaddress', convert: ip },
  { param: 'aid', field: 'app_id', convert: tsv },
  { param: 'p', field: 'platform', convert: platform },
  { param: 'tid', field: 'txn_id', convert: javaIntKeepText },
  { param: 'uid', field: 'user_id', convert: tsv },
  { param: 'duid', field: 'domain_userid', convert: tsv },
  { param: 'nuid', field: 'network_userid', convert: tsv },
  { param: 'ua', field: 'useragent', convert: tsv },
  { param: 'fp', field: 'user_fingerprint', convert: tsv },
  { param: 'vid', field: 'domain_sessionidx', convert: javaInteger },
  { param: 'sid', field: 'domain_sessionid', convert: uuid },
  { param: 'dtm', field: 'dvce_created_tstamp', convert: timestamp },
  { param: 'ttm', field: 'true_tstamp', convert: timestamp },
  { param: 'stm', field: 'dvce_sent_tstamp', convert: timestamp },
  { param: 'tna', field: 'name_tracker', convert: tsv },
  { param: 'tv', field: 'v_tracker', convert: tsv },
  { param: 'cv', field: 'v_collector', convert: tsv },
  { param: 'lang', field: 'br_lang', convert: tsv },
  { param: 'f_pdf', field: 'br_features_pdf', convert: booleanByte },
  { param: 'f_fla', field: 'br_features_flash', convert: booleanByte },
  { param: 'f_java', field: 'br_features_java', convert: booleanByte },
  { param: 'f_dir', field: 'br_features_director', convert: booleanByte },
  { param: 'f_qt', field: 'br_features_quicktime', convert: booleanByte },
  { param: 'f_realp', field: 'br_features_realplayer', convert: booleanByte },
  { param: 'f_wma', field: 'br_features_windowsmedia', convert: booleanByte },
  { param: 'f_gears', field: 'br_features_gears', convert: booleanByte },
  { param: 'f_ag', field: 'br_features_silverlight', convert: booleanByte },
  { param: 'cookie', field: 'br_cookies', convert: booleanByte },
  { param: 'res', field: ['dvce_screenwidth', 'dvce_screenheight'], convert: 'dimensions' },
  { param: 'cd', field: 'br_colordepth', convert: tsv },
  { param: 'tz', field: 'os_timezone', convert: tsv },
  { param: 'refr', field: 'page_referrer', convert: tsv },
  { param: 'url', field: 'page_url', convert: tsv },
  { param: 'page', field: 'page_title', convert: tsv },
  { param: 'cs', field: 'doc_charset', convert: tsv },
  { param: 'ds', field: ['doc_width', 'doc_height'], convert: 'dimensions' },
  { param: 'vp', field: ['br_viewwidth', 'br_viewheight'], convert: 'dimensions' },
  { param: 'eid', field: 'event_id', convert: uuid },
  { param: 'ev_ca', field: 'se_category', convert: tsv },
  { param: 'ev_ac', field: 'se_action', convert: tsv },
  { param: 'ev_la', field: 'se_label', convert: tsv },
  { param: 'ev_pr', field: 'se_property', convert: tsv },
  { param: 'ev_va', field: 'se_value', convert: javaBigDecimal },
  { param: 'se_ca', field: 'se_category', convert: tsv },
  { param: 'se_ac', field: 'se_action', convert: tsv },
  { param: 'se_la', field: 'se_label', convert: tsv },
  { param: 'se_pr', field: 'se_property', convert: tsv },
  { param: 'se_va', field: 'se_value', convert: javaBigDecimal },
  { param: 'tr_id', field: 'tr_orderid', convert: tsv },
  { param: 'tr_af', field: 'tr_affiliation', convert: tsv },
  { param: 'tr_tt', field: 'tr_total', convert: javaBigDecimal },
  { param: 'tr_tx', field: 'tr_tax', convert: javaBigDecimal },
  { param: 'tr_sh', field: 'tr_shipping', convert: javaBigDecimal },
  { param: 'tr_ci', field: 'tr_city', convert: tsv },
  { param: 'tr_st', field: 'tr_state', convert: tsv },
  { param: 'tr_co', field: 'tr_country', convert: tsv },
  { param: 'ti_id', field: 'ti_orderid', convert: tsv },
  { param: 'ti_sk', field: 'ti_sku', convert: tsv },
  { param: 'ti_na', field: 'ti_name', convert: tsv },
  { param: 'ti_nm', field: 'ti_name', convert: tsv },
  { param: 'ti_ca', field: 'ti_category', convert: tsv },
  { param: 'ti_pr', field: 'ti_price', convert: javaBigDecimal },
  { param: 'ti_qu', field: 'ti_quantity', convert: javaInteger },
  { param: 'pp_mix', field: 'pp_xoffset_min', convert: javaInteger },
  { param: 'pp_max', field: 'pp_xoffset_max', convert: javaInteger },
  { param: 'pp_miy', field: 'pp_yoffset_min', convert: javaInteger },
  { param: 'pp_may', field: 'pp_yoffset_max', convert: javaInteger },
  { param: 'tr_cu', field: 'tr_currency', convert: tsv },
  { param: 'ti_cu', field: 'ti_currency', convert: tsv },
];

/** Second pass: `tnuid` overrides the network user id set from `nuid` or the collector cookie. */
export const SECOND_PASS_MAPPINGS: readonly ParameterMapping[] = [{ param: 'tnuid', field: 'network_userid', convert: tsv }];

/** Self-describing JSON parameters: raw JSON and base64url-encoded forms. */
export const SDJ_PARAMETERS = { contexts: ['co', 'cx'], unstruct: ['ue_pr', 'ue_px'] } as const;

/** One atomic parse error (field = the tracker parameter, as in Enrich's `AtomicError.ParseError`). */
export interface AtomicParseError {
  field: string;
  message: string;
  value: string | null;
}

interface CompiledMapping {
  param: string;
  index: number;
  index2: number;
  convert: Converter | null;
}

function compile(list: readonly ParameterMapping[]): CompiledMapping[] {
  return list.map((m) => ({
    param: m.param,
    index: FIELD_INDEX[typeof m.field === 'string' ? m.field : m.field[0]],
    index2: typeof m.field === 'string' ? -1 : FIELD_INDEX[m.field[1]],
    convert: m.convert === 'dimensions' ? null : m.convert,
  }));
}

const FIRST_PASS = new Map(compile(PARAMETER_MAPPINGS).map((m) => [m.param, m]));
const SECOND_PASS = compile(SECOND_PASS_MAPPINGS);

function applyOne(m: CompiledMapping, v: string, values: (string | null)[], errors: AtomicParseError[]): void {
  if (m.convert === null) {
    const d = dimensions(v);
    if (d instanceof ParseFailure) errors.push({ field: m.param, message: d.message, value: v });
    else {
      values[m.index] = d[0];
      values[m.index2] = d[1];
    }
    return;
  }
  const out = m.convert(v);
  if (out instanceof ParseFailure) errors.push({ field: m.param, message: out.message, value: v });
  else values[m.index] = out;
}

/**
 * Map the raw parameters onto the columns (`values`, in TSV order), in place. Parameters without a value
 * are skipped; unknown parameters are ignored. Where two parameters feed one column (`ti_na`/`ti_nm`,
 * `ev_*`/`se_*`) the one later in the input wins (Enrich's order is Scala map order, i.e. unspecified).
 * Returns every parse error; the caller folds them into one atomic schema violation.
 */
export function mapParameters(params: ReadonlyMap<string, string | null>, values: (string | null)[]): AtomicParseError[] {
  const errors: AtomicParseError[] = [];
  for (const [k, v] of params) {
    if (v === null) continue;
    const m = FIRST_PASS.get(k);
    if (m !== undefined) applyOne(m, v, values, errors);
  }
  for (const m of SECOND_PASS) {
    const v = params.get(m.param);
    if (v !== undefined && v !== null) applyOne(m, v, values, errors);
  }
  return errors;
}
