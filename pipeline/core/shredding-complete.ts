/**
 * The `shredding_complete` message (spec §2.5), pure: the seal a transformer writes to
 * `<run>/shredding_complete.json` and sends to the loader's SQS FIFO queue when a window is complete.
 *
 * Envelope: `{"schema":"iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/2-0-1","data":{…}}`.
 * The loader matches vendor `…storage.rdbloader`, name `shredding_complete`, model 2 (2-0-0 has no
 * `count.bad`); Iglu Central files the schema under `…storage` without `.rdbloader`, which we accept too.
 * Validation follows the Iglu Central 2-0-1 schema (`additionalProperties: false` at the top level).
 */
import { parseSchemaKey, trySchemaKey } from './schema-key';
import type { SnowplowEntity } from './wide-row';

export const SHREDDING_COMPLETE_SCHEMA = 'iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/2-0-1';
const ACCEPTED_VENDORS = new Set(['com.snowplowanalytics.snowplow.storage.rdbloader', 'com.snowplowanalytics.snowplow.storage']);

export type Compression = 'GZIP' | 'NONE';

export interface WideRowTypesInfo {
  transformation: 'WIDEROW';
  fileFormat: 'JSON' | 'PARQUET';
  types: { schemaKey: string; snowplowEntity: SnowplowEntity }[];
}

export interface ShreddedTypesInfo {
  transformation: 'SHREDDED';
  types: { schemaKey: string; format: 'TSV' | 'JSON'; snowplowEntity: SnowplowEntity }[];
}

export interface ShreddingComplete {
  /** Run folder URI, always with a trailing slash, e.g. `s3://furrow/transformed/run=2021-10-15-09-10-00-<uuid>/`. */
  base: string;
  compression: Compression;
  typesInfo: WideRowTypesInfo | ShreddedTypesInfo;
  timestamps: {
    /** ISO-8601 date-times as sent (nanosecond precision kept as text). */
    jobStarted: string;
    jobCompleted: string;
    min: string | null;
    max: string | null;
  };
  processor: { artifact: string; version: string };
  count: { good: number; bad?: number } | null;
}

/** Why a message is not a valid `shredding_complete`: `path` names the offending field (`$.typesInfo.types[2].schemaKey`). */
export class ShreddingCompleteError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`invalid shredding_complete message: ${path}: ${reason}`);
    this.name = 'ShreddingCompleteError';
  }
}

/** ISO-8601 date-time (RFC 3339 as JSON Schema `date-time`), fractions up to nanoseconds. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

function fail(path: string, reason: string): never {
  throw new ShreddingCompleteError(path, reason);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be an object');
  return v as Record<string, unknown>;
}

function str(v: unknown, path: string, maxLength?: number): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  if (maxLength !== undefined && v.length > maxLength) fail(path, `must be at most ${maxLength} characters`);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[], caseInsensitive = false): T {
  if (typeof v === 'string') {
    const found = values.find((x) => (caseInsensitive ? x.toUpperCase() === v.toUpperCase() : x === v));
    if (found) return found;
  }
  return fail(path, `must be one of ${values.join(', ')}`);
}

function dateTime(v: unknown, path: string, nullable: boolean): string | null {
  if (v === null && nullable) return null;
  const s = str(v, path);
  if (!DATE_TIME.test(s) || Number.isNaN(Date.parse(s.replace(/(\.\d{3})\d+/, '$1')))) fail(path, 'must be an ISO-8601 date-time');
  return s;
}

function noExtra(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${path}.${k}`, 'unknown field');
}

function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(path, 'must be a non-negative integer');
  return v;
}

function types(v: unknown, path: string, shredded: boolean): ShreddingComplete['typesInfo']['types'] {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v.map((item, i) => {
    const p = `${path}[${i}]`;
    const o = obj(item, p);
    noExtra(o, p, shredded ? ['schemaKey', 'format', 'snowplowEntity'] : ['schemaKey', 'snowplowEntity']);
    const schemaKey = str(o.schemaKey, `${p}.schemaKey`, 256);
    if (!trySchemaKey(schemaKey)) fail(`${p}.schemaKey`, `'${schemaKey.slice(0, 100)}' is not a valid Iglu URI`);
    const snowplowEntity = oneOf(o.snowplowEntity, `${p}.snowplowEntity`, ['SELF_DESCRIBING_EVENT', 'CONTEXT'] as const);
    if (!shredded) return { schemaKey, snowplowEntity };
    return { schemaKey, format: oneOf(o.format, `${p}.format`, ['TSV', 'JSON'] as const), snowplowEntity };
  }) as ShreddingComplete['typesInfo']['types'];
}

/** Validate the `data` part of the message (already JSON-parsed). */
export function parseShreddingCompleteData(data: unknown, path = '$.data'): ShreddingComplete {
  const d = obj(data, path);
  noExtra(d, path, ['base', 'compression', 'typesInfo', 'timestamps', 'processor', 'count']);
  for (const k of ['base', 'compression', 'typesInfo', 'timestamps', 'processor']) if (!(k in d)) fail(`${path}.${k}`, 'is required');

  let base = str(d.base, `${path}.base`, 1024);
  if (!URI_SCHEME.test(base)) fail(`${path}.base`, 'must be a URI such as s3://bucket/path/run=…/');
  if (!base.endsWith('/')) base += '/'; // the loader's Folder type coerces to a trailing slash

  const compression = oneOf(d.compression, `${path}.compression`, ['GZIP', 'NONE'] as const);

  const ti = obj(d.typesInfo, `${path}.typesInfo`);
  const transformation = oneOf(ti.transformation, `${path}.typesInfo.transformation`, ['WIDEROW', 'SHREDDED'] as const, true);
  let typesInfo: ShreddingComplete['typesInfo'];
  if (transformation === 'WIDEROW') {
    noExtra(ti, `${path}.typesInfo`, ['transformation', 'fileFormat', 'types']);
    typesInfo = {
      transformation,
      fileFormat: oneOf(ti.fileFormat, `${path}.typesInfo.fileFormat`, ['JSON', 'PARQUET'] as const, true),
      types: types(ti.types, `${path}.typesInfo.types`, false) as WideRowTypesInfo['types'],
    };
  } else {
    noExtra(ti, `${path}.typesInfo`, ['transformation', 'types']);
    typesInfo = { transformation, types: types(ti.types, `${path}.typesInfo.types`, true) as ShreddedTypesInfo['types'] };
  }

  const ts = obj(d.timestamps, `${path}.timestamps`);
  const timestamps = {
    jobStarted: dateTime(ts.jobStarted, `${path}.timestamps.jobStarted`, false)!,
    jobCompleted: dateTime(ts.jobCompleted, `${path}.timestamps.jobCompleted`, false)!,
    min: dateTime(ts.min ?? null, `${path}.timestamps.min`, true),
    max: dateTime(ts.max ?? null, `${path}.timestamps.max`, true),
  };

  const pr = obj(d.processor, `${path}.processor`);
  const processor = { artifact: str(pr.artifact, `${path}.processor.artifact`, 64), version: str(pr.version, `${path}.processor.version`, 16) };

  let cnt: ShreddingComplete['count'] = null;
  if (d.count !== undefined && d.count !== null) {
    const c = obj(d.count, `${path}.count`);
    cnt = { good: count(c.good, `${path}.count.good`) };
    if (c.bad !== undefined) cnt.bad = count(c.bad, `${path}.count.bad`);
  }
  return { base, compression, typesInfo, timestamps, processor, count: cnt };
}

/**
 * Parse a message body (text or already-parsed JSON). Throws `ShreddingCompleteError` naming the field
 * that is wrong; never anything else.
 */
export function parseShreddingComplete(body: string | unknown): ShreddingComplete {
  let json: unknown = body;
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body);
    } catch (err) {
      fail('$', `not JSON (${(err as Error).message})`);
    }
  }
  const env = obj(json, '$');
  const schema = str(env.schema, '$.schema');
  let key;
  try {
    key = parseSchemaKey(schema);
  } catch {
    fail('$.schema', `'${schema.slice(0, 200)}' is not an Iglu URI`);
  }
  if (!ACCEPTED_VENDORS.has(key.vendor) || key.name !== 'shredding_complete' || key.format !== 'jsonschema')
    fail('$.schema', `'${schema}' is not a shredding_complete schema`);
  if (key.version.model !== 2) fail('$.schema', `model ${key.version.model} is not supported (only 2-x-x)`);
  if (!('data' in env)) fail('$.data', 'is required');
  return parseShreddingCompleteData(env.data);
}

/** Build the message envelope (2-0-1); `count.bad` is written only when given. Validates what it builds. */
export function buildShreddingComplete(message: ShreddingComplete): { schema: string; data: Record<string, unknown> } {
  const data: Record<string, unknown> = {
    base: message.base.endsWith('/') ? message.base : `${message.base}/`,
    typesInfo: message.typesInfo,
    timestamps: message.timestamps,
    compression: message.compression,
    processor: message.processor,
    count: message.count,
  };
  parseShreddingCompleteData(data);
  return { schema: SHREDDING_COMPLETE_SCHEMA, data };
}

/** The message body as the transformer sends it (compact JSON). */
export function serializeShreddingComplete(message: ShreddingComplete): string {
  return JSON.stringify(buildShreddingComplete(message));
}

/**
 * An empty window (no good data): the loader acks it without loading (spec §3.2). Snowplow's rule is
 * "no min/max, no types, count.good == 0"; a message without a count is judged by min/max and types.
 */
export function isEmptyWindow(m: ShreddingComplete): boolean {
  return m.timestamps.min === null && m.timestamps.max === null && m.typesInfo.types.length === 0 && (m.count === null || m.count.good === 0);
}
