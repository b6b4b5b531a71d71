/**
 * The wide-row warehouse shape, pure: the 128 atomic columns of `atomic.events` (+ `load_tstamp`) with
 * their Snowflake and Postgres types, the self-describing column naming rule of the Analytics SDK
 * (`SnowplowEvent.transformSchema`), and the identifier validator every loader uses before a name
 * derived from an Iglu schema reaches SQL.
 *
 * Naming rule (spec §3.6):
 *   prefix  = `unstruct_event_` (self-describing event) | `contexts_` (contexts and derived contexts)
 *   vendor' = lower(vendor with `.`/`-` → `_`)
 *   name'   = lower(name with `.`/`-` → `_`, then `([^A-Z_])([A-Z])` → `$1_$2`)
 *   column  = prefix + vendor' + `_` + name' + `_` + model          (model = SchemaVer major only)
 */
import { compareSchemaVer, parseSchemaKey, type SchemaKey } from './schema-key';

/** How an entity is attached to an event: decides the column prefix and its warehouse type. */
export type SnowplowEntity = 'SELF_DESCRIBING_EVENT' | 'CONTEXT';

export const UNSTRUCT_EVENT_PREFIX = 'unstruct_event_';
export const CONTEXTS_PREFIX = 'contexts_';

/** The part of a SchemaKey the naming rule reads (compatible with `SchemaKey` from schema-key.ts). */
export interface SchemaKeyLike {
  vendor: string;
  name: string;
  version: { model: number };
}

/** `com.snowplowanalytics.snowplow` → `com_snowplowanalytics_snowplow`. */
export function snakeCaseVendor(vendor: string): string {
  return vendor.replace(/[.-]/g, '_').toLowerCase();
}

/** `PerformanceTiming` → `performance_timing`; `link-click` → `link_click`. */
export function snakeCaseName(name: string): string {
  return name
    .replace(/[.-]/g, '_')
    .replace(/([^A-Z_])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The Analytics SDK's `transformSchema(prefix, vendor, name, model)`. `prefix` is given without the
 * trailing underscore (`contexts`, `unstruct_event`) or with it; both work. No validation here: call
 * `selfDescribingColumn` (which validates) before using the result in SQL.
 */
export function transformSchema(prefix: string, vendor: string, name: string, model: number | string): string {
  const p = prefix.endsWith('_') ? prefix : `${prefix}_`;
  return `${p}${snakeCaseVendor(vendor)}_${snakeCaseName(name)}_${model}`;
}

/** Column prefix of an entity kind. */
export function entityPrefix(entity: SnowplowEntity): string {
  return entity === 'SELF_DESCRIBING_EVENT' ? UNSTRUCT_EVENT_PREFIX : CONTEXTS_PREFIX;
}

/** The wide-row column of an entity, validated as a safe SQL identifier (throws `InvalidIdentifierError`). */
export function selfDescribingColumn(entity: SnowplowEntity, key: SchemaKeyLike, maxLength = SNOWFLAKE_MAX_IDENTIFIER): string {
  return validateIdentifier(transformSchema(entityPrefix(entity), key.vendor, key.name, key.version.model), maxLength);
}

// ---------------------------------------------------------------------------------------------------
// Identifiers

/** What a column or table name derived from data must look like before it is used in SQL. */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]*$/;
/** Snowflake's identifier limit (characters). */
export const SNOWFLAKE_MAX_IDENTIFIER = 255;
/** Postgres' NAMEDATALEN − 1 (bytes; our identifiers are ASCII). Longer names are silently truncated by Postgres. */
export const POSTGRES_MAX_IDENTIFIER = 63;

export class InvalidIdentifierError extends Error {
  constructor(
    readonly identifier: string,
    reason: string,
  ) {
    super(`invalid SQL identifier ${JSON.stringify(identifier.length > 300 ? `${identifier.slice(0, 300)}…` : identifier)}: ${reason}`);
    this.name = 'InvalidIdentifierError';
  }
}

/**
 * Accept only `^[a-z_][a-z0-9_]*$` up to `maxLength` characters; anything else (quotes, spaces,
 * semicolons, non-ASCII, empty, too long) is rejected, so a hostile vendor or name can never reach SQL.
 */
export function validateIdentifier(name: string, maxLength = SNOWFLAKE_MAX_IDENTIFIER): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidIdentifierError(String(name), 'empty');
  if (name.length > maxLength) throw new InvalidIdentifierError(name, `longer than ${maxLength} characters`);
  if (!IDENTIFIER_PATTERN.test(name)) throw new InvalidIdentifierError(name, `must match ${IDENTIFIER_PATTERN}`);
  return name;
}

export function isValidIdentifier(name: string, maxLength = SNOWFLAKE_MAX_IDENTIFIER): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= maxLength && IDENTIFIER_PATTERN.test(name);
}

/**
 * A Postgres-safe column name for a (validated) wide-row column: unchanged when it fits in 63 bytes,
 * otherwise the first 54 characters + `_` + 8 hex digits of a stable hash of the full name, so two long
 * names never collapse into one the way Postgres' silent truncation would make them.
 */
export function postgresColumnName(column: string): string {
  validateIdentifier(column);
  if (column.length <= POSTGRES_MAX_IDENTIFIER) return column;
  return `${column.slice(0, POSTGRES_MAX_IDENTIFIER - 9)}_${fnv1a32(column).toString(16).padStart(8, '0')}`;
}

/** FNV-1a, 32 bits: tiny, deterministic, no crypto import in the pure core. */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// atomic.events columns

/** Value kind of an atomic column, enough for a loader to encode a JSON value for either warehouse. */
export type AtomicKind = 'string' | 'timestamp' | 'integer' | 'double' | 'decimal' | 'boolean';

export interface AtomicColumn {
  name: string;
  kind: AtomicKind;
  /** Snowflake type exactly as the RDB loader's DDL writes it. */
  snowflake: string;
  /** Postgres equivalent (CHAR(n) → varchar(n): Snowflake's CHAR does not blank-pad, Postgres' would). */
  postgres: string;
  notNull?: boolean;
}

function col(name: string, snowflake: string, notNull = false): AtomicColumn {
  const kind: AtomicKind = /^(VARCHAR|CHAR)/.test(snowflake)
    ? 'string'
    : snowflake === 'TIMESTAMP'
      ? 'timestamp'
      : snowflake === 'INTEGER' || snowflake === 'SMALLINT'
        ? 'integer'
        : snowflake === 'DOUBLE PRECISION'
          ? 'double'
          : snowflake.startsWith('NUMBER')
            ? 'decimal'
            : 'boolean';
  // Snowflake's SMALLINT is NUMBER(38,0) and enrich accepts any Int32 (vid=40000): Postgres' smallint
  // would refuse it and, with it, the load of the whole window.
  const postgres = snowflake
    .replace(/^SMALLINT$/, 'INTEGER')
    .replace(/^CHAR\(/, 'VARCHAR(')
    .replace(/^NUMBER\(/, 'NUMERIC(')
    .toLowerCase();
  return notNull ? { name, kind, snowflake, postgres, notNull } : { name, kind, snowflake, postgres };
}

const V = (n: number) => `VARCHAR(${n})`;
const C = (n: number) => `CHAR(${n})`;
const TS = 'TIMESTAMP';
const INT = 'INTEGER';
const DBL = 'DOUBLE PRECISION';
const DEC = 'NUMBER(18,2)';
const BOOL = 'BOOLEAN';

/** The 128 atomic columns in DDL and COPY order (RDB loader `atomic-def.sql` / `AtomicColumns.Columns`). */
export const ATOMIC_COLUMNS: readonly AtomicColumn[] = Object.freeze([
  col('app_id', V(255)),
  col('platform', V(255)),
  col('etl_tstamp', TS),
  col('collector_tstamp', TS, true),
  col('dvce_created_tstamp', TS),
  col('event', V(128)),
  col('event_id', C(36), true),
  col('txn_id', INT),
  col('name_tracker', V(128)),
  col('v_tracker', V(100)),
  col('v_collector', V(100), true),
  col('v_etl', V(100), true),
  col('user_id', V(255)),
  col('user_ipaddress', V(128)),
  col('user_fingerprint', V(128)),
  col('domain_userid', V(128)),
  col('domain_sessionidx', 'SMALLINT'),
  col('network_userid', V(128)),
  col('geo_country', C(2)),
  col('geo_region', C(3)),
  col('geo_city', V(75)),
  col('geo_zipcode', V(15)),
  col('geo_latitude', DBL),
  col('geo_longitude', DBL),
  col('geo_region_name', V(100)),
  col('ip_isp', V(100)),
  col('ip_organization', V(128)),
  col('ip_domain', V(128)),
  col('ip_netspeed', V(100)),
  // 10000, not the RDB loader's 4096: enrich lets URLs through up to 10000 characters (as Snowplow Enrich
  // does), and one longer value made the warehouse refuse the whole window (value too long).
  col('page_url', V(10000)),
  col('page_title', V(2000)),
  col('page_referrer', V(10000)),
  col('page_urlscheme', V(16)),
  col('page_urlhost', V(255)),
  col('page_urlport', INT),
  col('page_urlpath', V(3000)),
  col('page_urlquery', V(6000)),
  col('page_urlfragment', V(3000)),
  col('refr_urlscheme', V(16)),
  col('refr_urlhost', V(255)),
  col('refr_urlport', INT),
  col('refr_urlpath', V(6000)),
  col('refr_urlquery', V(6000)),
  col('refr_urlfragment', V(3000)),
  col('refr_medium', V(25)),
  col('refr_source', V(50)),
  col('refr_term', V(255)),
  col('mkt_medium', V(255)),
  col('mkt_source', V(255)),
  col('mkt_term', V(255)),
  col('mkt_content', V(500)),
  col('mkt_campaign', V(255)),
  col('se_category', V(1000)),
  col('se_action', V(1000)),
  col('se_label', V(4096)),
  col('se_property', V(1000)),
  col('se_value', DBL),
  col('tr_orderid', V(255)),
  col('tr_affiliation', V(255)),
  col('tr_total', DEC),
  col('tr_tax', DEC),
  col('tr_shipping', DEC),
  col('tr_city', V(255)),
  col('tr_state', V(255)),
  col('tr_country', V(255)),
  col('ti_orderid', V(255)),
  col('ti_sku', V(255)),
  col('ti_name', V(255)),
  col('ti_category', V(255)),
  col('ti_price', DEC),
  col('ti_quantity', INT),
  col('pp_xoffset_min', INT),
  col('pp_xoffset_max', INT),
  col('pp_yoffset_min', INT),
  col('pp_yoffset_max', INT),
  col('useragent', V(1000)),
  col('br_name', V(50)),
  col('br_family', V(50)),
  col('br_version', V(50)),
  col('br_type', V(50)),
  col('br_renderengine', V(50)),
  col('br_lang', V(255)),
  col('br_features_pdf', BOOL),
  col('br_features_flash', BOOL),
  col('br_features_java', BOOL),
  col('br_features_director', BOOL),
  col('br_features_quicktime', BOOL),
  col('br_features_realplayer', BOOL),
  col('br_features_windowsmedia', BOOL),
  col('br_features_gears', BOOL),
  col('br_features_silverlight', BOOL),
  col('br_cookies', BOOL),
  col('br_colordepth', V(12)),
  col('br_viewwidth', INT),
  col('br_viewheight', INT),
  col('os_name', V(50)),
  col('os_family', V(50)),
  col('os_manufacturer', V(50)),
  col('os_timezone', V(255)),
  col('dvce_type', V(50)),
  col('dvce_ismobile', BOOL),
  col('dvce_screenwidth', INT),
  col('dvce_screenheight', INT),
  col('doc_charset', V(128)),
  col('doc_width', INT),
  col('doc_height', INT),
  col('tr_currency', C(3)),
  col('tr_total_base', DEC),
  col('tr_tax_base', DEC),
  col('tr_shipping_base', DEC),
  col('ti_currency', C(3)),
  col('ti_price_base', DEC),
  col('base_currency', C(3)),
  col('geo_timezone', V(64)),
  col('mkt_clickid', V(1000)), // enrich's limit (the RDB loader's DDL says 128)
  col('mkt_network', V(64)),
  col('etl_tags', V(500)),
  col('dvce_sent_tstamp', TS),
  col('refr_domain_userid', V(128)),
  col('refr_dvce_tstamp', TS),
  col('domain_sessionid', C(128)),
  col('derived_tstamp', TS),
  col('event_vendor', V(1000)),
  col('event_name', V(1000)),
  col('event_format', V(128)),
  col('event_version', V(128)),
  col('event_fingerprint', V(128)),
  col('true_tstamp', TS),
]);

/** The 129th column, added by the loader (`featureFlags.addLoadTstampColumn`), set to the load time. */
export const LOAD_TSTAMP_COLUMN: AtomicColumn = Object.freeze({ name: 'load_tstamp', kind: 'timestamp', snowflake: 'TIMESTAMP', postgres: 'timestamp' });

export const ATOMIC_COLUMN_NAMES: readonly string[] = Object.freeze(ATOMIC_COLUMNS.map((c) => c.name));

/** Snowflake types of self-describing columns (spec §3.6: OBJECT / ARRAY, not VARIANT). */
export function snowflakeEntityType(entity: SnowplowEntity): 'OBJECT' | 'ARRAY' {
  return entity === 'SELF_DESCRIBING_EVENT' ? 'OBJECT' : 'ARRAY';
}

/** A self-describing column a window needs, with the highest SchemaKey seen for it. */
export interface EntityColumn {
  /** Wide-row JSON key and Snowflake column (validated). */
  name: string;
  entity: SnowplowEntity;
  /** The highest full SchemaKey (by SchemaVer) of the types that map to this column. */
  schemaKey: string;
}

/**
 * The self-describing columns a window needs, from its `typesInfo.types`: one per (entity, vendor, name,
 * model), keeping the highest SchemaKey (spec §3.3 step 2), sorted by column name. Throws
 * `IgluParseError` for a malformed key and `InvalidIdentifierError` for a name that is not a safe identifier.
 */
export function entityColumnsOf(types: readonly { schemaKey: string; snowplowEntity: SnowplowEntity }[]): EntityColumn[] {
  const byName = new Map<string, { entity: SnowplowEntity; key: SchemaKey; uri: string }>();
  for (const t of types) {
    const key = parseSchemaKey(t.schemaKey);
    const name = selfDescribingColumn(t.snowplowEntity, key);
    const seen = byName.get(name);
    if (!seen || compareSchemaVer(key.version, seen.key.version) > 0) byName.set(name, { entity: t.snowplowEntity, key, uri: t.schemaKey });
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, v]) => ({ name, entity: v.entity, schemaKey: v.uri }));
}
