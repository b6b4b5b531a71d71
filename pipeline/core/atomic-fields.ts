/**
 * Atomic field length limits (EN `AtomicFieldsLengthValidator`, `AtomicFields`, common `reference.conf`).
 * Length is counted in UTF-16 code units (Java `String.length` = JS `.length`). A longer value is an
 * `atomic_field_length_exceeded` schema violation in phase 3. Pure.
 */
import { FIELD_INDEX, type FieldName } from './enriched-event';

export const ATOMIC_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/atomic/jsonschema/1-0-0';

export const DEFAULT_FIELD_LIMITS: Readonly<Partial<Record<FieldName, number>>> = {
  app_id: 255,
  platform: 255,
  event: 128,
  event_id: 36,
  name_tracker: 128,
  v_tracker: 100,
  v_collector: 100,
  v_etl: 100,
  user_id: 255,
  user_ipaddress: 128,
  user_fingerprint: 128,
  domain_userid: 128,
  network_userid: 128,
  geo_country: 2,
  geo_region: 3,
  geo_city: 75,
  geo_zipcode: 15,
  geo_region_name: 100,
  ip_isp: 100,
  ip_organization: 128,
  ip_domain: 128,
  ip_netspeed: 100,
  page_url: 10000,
  page_title: 2000,
  page_referrer: 10000,
  page_urlscheme: 16,
  page_urlhost: 255,
  page_urlpath: 3000,
  page_urlquery: 6000,
  page_urlfragment: 3000,
  refr_urlscheme: 16,
  refr_urlhost: 255,
  refr_urlpath: 6000,
  refr_urlquery: 6000,
  refr_urlfragment: 3000,
  refr_medium: 25,
  refr_source: 50,
  refr_term: 255,
  mkt_medium: 255,
  mkt_source: 255,
  mkt_term: 255,
  mkt_content: 500,
  mkt_campaign: 255,
  se_category: 1000,
  se_action: 1000,
  se_label: 4096,
  se_property: 1000,
  tr_orderid: 255,
  tr_affiliation: 255,
  tr_city: 255,
  tr_state: 255,
  tr_country: 255,
  ti_orderid: 255,
  ti_sku: 255,
  ti_name: 255,
  ti_category: 255,
  useragent: 1000,
  br_name: 50,
  br_family: 50,
  br_version: 50,
  br_type: 50,
  br_renderengine: 50,
  br_lang: 255,
  br_colordepth: 12,
  os_name: 50,
  os_family: 50,
  os_manufacturer: 50,
  os_timezone: 255,
  dvce_type: 50,
  doc_charset: 128,
  tr_currency: 3,
  ti_currency: 3,
  base_currency: 3,
  geo_timezone: 64,
  mkt_clickid: 1000,
  mkt_network: 64,
  etl_tags: 500,
  refr_domain_userid: 128,
  domain_sessionid: 128,
  event_vendor: 1000,
  event_name: 1000,
  event_format: 128,
  event_version: 128,
  event_fingerprint: 128,
};

export interface FieldLengthError {
  field: FieldName;
  limit: number;
  length: number;
}

export interface CompiledLimits {
  readonly indices: Int32Array;
  readonly limits: Int32Array;
  readonly names: FieldName[];
}

/** Compile a limit table (defaults overridden by `overrides`) for the hot path. */
export function compileLimits(overrides: Partial<Record<FieldName, number>> = {}): CompiledLimits {
  const merged = { ...DEFAULT_FIELD_LIMITS, ...overrides } as Record<FieldName, number>;
  const names = Object.keys(merged) as FieldName[];
  return {
    names,
    indices: Int32Array.from(names.map((n) => FIELD_INDEX[n])),
    limits: Int32Array.from(names.map((n) => merged[n])),
  };
}

export const DEFAULT_LIMITS = compileLimits();

/** Every column of `values` (TSV order) longer than its limit. */
export function checkFieldLengths(values: readonly (string | null)[], limits: CompiledLimits = DEFAULT_LIMITS): FieldLengthError[] {
  let errors: FieldLengthError[] | undefined;
  const { indices, limits: max, names } = limits;
  for (let i = 0; i < indices.length; i++) {
    const v = values[indices[i]!];
    if (v !== null && v !== undefined && v.length > max[i]!) (errors ??= []).push({ field: names[i]!, limit: max[i]!, length: v.length });
  }
  return errors ?? [];
}

export function fieldLengthMessage(limit: number): string {
  return `Field is longer than maximum allowed size ${limit}`;
}

// ---------------------------------------------------------------------------------------------------------
// Decimal ranges

/**
 * The NUMBER(18,2) columns of atomic.events (RDB loader DDL, the same in Snowflake and Postgres). A
 * BigDecimal the tracker protocol accepts (`tr_tt=1e30`) does not fit them, and a warehouse refuses the
 * whole load of a window holding one (numeric overflow), so the window's valid events would be lost with
 * it: such a value is a phase-3 schema violation of its own event instead.
 */
export const DECIMAL_18_2_FIELDS: readonly FieldName[] = ['tr_total', 'tr_tax', 'tr_shipping', 'ti_price', 'tr_total_base', 'tr_tax_base', 'tr_shipping_base', 'ti_price_base'];
const DECIMAL_INDICES = DECIMAL_18_2_FIELDS.map((f) => FIELD_INDEX[f]);
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Every NUMBER(18,2) column holding a number the column cannot: at least 10^16 in magnitude once read as
 * the double the loader writes (so 9999999999999999.99, which a double rounds to 10^16, is one). Values
 * that are not numbers at all are left to the loaders' parsing (they are not a range question).
 */
export function checkDecimalRanges(values: readonly (string | null)[]): FieldName[] {
  let out: FieldName[] | undefined;
  for (let i = 0; i < DECIMAL_INDICES.length; i++) {
    const v = values[DECIMAL_INDICES[i]!];
    if (v === null || v === undefined || !NUMBER_TEXT.test(v)) continue;
    if (!(Math.abs(Number(v)) < 1e16)) (out ??= []).push(DECIMAL_18_2_FIELDS[i]!);
  }
  return out ?? [];
}

export const DECIMAL_RANGE_MESSAGE = 'Field does not fit NUMBER(18,2): at most 16 digits before the decimal point';
