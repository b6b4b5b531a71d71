/**
 * Iglu schema identity, pure: `SchemaVer` (MODEL-REVISION-ADDITION), `SchemaKey`
 * (`iglu:vendor/name/format/m-r-a`), `SchemaCriterion` (`iglu:vendor/name/format/1-0-*`) and the
 * self-describing envelope check. No I/O, so every stage (collector, enrich, loaders) can use it.
 */

export interface SchemaVer {
  model: number;
  revision: number;
  addition: number;
}

export interface SchemaKey {
  vendor: string;
  name: string;
  format: string;
  version: SchemaVer;
}

/** A version pattern where any part may be `*` (`null` here), e.g. `1-0-*` or `1-*-*`. */
export interface SchemaCriterion {
  vendor: string;
  name: string;
  format: string;
  model: number | null;
  revision: number | null;
  addition: number | null;
}

/** Iglu core's parse-failure codes, as they appear in bad rows (`NotIglu` messages). */
export type IgluParseCode = 'INVALID_IGLUURI' | 'INVALID_SCHEMAVER' | 'INVALID_DATA_PAYLOAD' | 'INVALID_SCHEMA' | 'INVALID_METASCHEMA';

export class IgluParseError extends Error {
  constructor(
    readonly code: IgluParseCode,
    message: string,
  ) {
    super(message);
    this.name = 'IgluParseError';
  }
}

/** Vendor, name and format character classes of the Iglu meta-schema. */
export const VENDOR_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
export const NAME_PATTERN = /^[a-zA-Z0-9\-_]+$/;
export const FORMAT_PATTERN = NAME_PATTERN;
/** Full SchemaVer: model starts at 1, no leading zeros (iglu-core's rule; stricter than the meta-schema's `[0-9]+`). */
const SCHEMAVER = /^([1-9][0-9]*)-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$/;
const CRITERION_VER = /^([1-9][0-9]*|\*)-(0|[1-9][0-9]*|\*)-(0|[1-9][0-9]*|\*)$/;
const URI = /^iglu:([a-zA-Z0-9\-_.]+)\/([a-zA-Z0-9\-_]+)\/([a-zA-Z0-9\-_]+)\/([^/]+)$/;

export const META_SCHEMA_URI = 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#';

export function parseSchemaVer(text: string): SchemaVer {
  const m = SCHEMAVER.exec(text);
  if (!m) throw new IgluParseError('INVALID_SCHEMAVER', `'${text}' is not a valid SchemaVer (MODEL-REVISION-ADDITION, model >= 1)`);
  const ver = { model: Number(m[1]), revision: Number(m[2]), addition: Number(m[3]) };
  if (!Number.isSafeInteger(ver.model) || !Number.isSafeInteger(ver.revision) || !Number.isSafeInteger(ver.addition))
    throw new IgluParseError('INVALID_SCHEMAVER', `'${text}' has a version part that is too large`);
  return ver;
}

export function isSchemaVer(text: string): boolean {
  return SCHEMAVER.test(text);
}

export function formatSchemaVer(v: SchemaVer): string {
  return `${v.model}-${v.revision}-${v.addition}`;
}

/** Total order of SchemaVer: model, then revision, then addition. */
export function compareSchemaVer(a: SchemaVer, b: SchemaVer): number {
  return a.model - b.model || a.revision - b.revision || a.addition - b.addition;
}

/** Parse `iglu:vendor/name/format/m-r-a`. Throws `IgluParseError` (INVALID_IGLUURI or INVALID_SCHEMAVER). */
export function parseSchemaKey(uri: string): SchemaKey {
  if (typeof uri !== 'string') throw new IgluParseError('INVALID_IGLUURI', 'Iglu URI must be a string');
  const m = URI.exec(uri);
  if (!m) throw new IgluParseError('INVALID_IGLUURI', `'${truncate(uri)}' is not a valid Iglu URI (iglu:vendor/name/format/model-revision-addition)`);
  return { vendor: m[1]!, name: m[2]!, format: m[3]!, version: parseSchemaVer(m[4]!) };
}

/** Parse the path form `vendor/name/format/m-r-a` (the static-registry layout under `schemas/`). */
export function parseSchemaPath(path: string): SchemaKey {
  return parseSchemaKey(`iglu:${path.replace(/^\/+/, '')}`);
}

export function trySchemaKey(uri: string): SchemaKey | undefined {
  try {
    return parseSchemaKey(uri);
  } catch {
    return undefined;
  }
}

export function schemaKeyToUri(k: SchemaKey): string {
  return `iglu:${k.vendor}/${k.name}/${k.format}/${formatSchemaVer(k.version)}`;
}

/**
 * `.` and `..` fit the vendor grammar (so they parse, as in Iglu), but as a folder name they mean "here" and
 * "the parent": a registry looking them up would read outside its `schemas/` folder. Lookups refuse them.
 */
export function isPathSafeVendor(vendor: string): boolean {
  return vendor !== '.' && vendor !== '..';
}

/** `vendor/name/format/m-r-a`, the path under a registry's `schemas/` folder (check `isPathSafeVendor` first). */
export function schemaKeyToPath(k: SchemaKey): string {
  return `${k.vendor}/${k.name}/${k.format}/${formatSchemaVer(k.version)}`;
}

export function schemaKeyEquals(a: SchemaKey, b: SchemaKey): boolean {
  return a.vendor === b.vendor && a.name === b.name && a.format === b.format && compareSchemaVer(a.version, b.version) === 0;
}

/** Validate the parts individually, e.g. for a REST path `/{vendor}/{name}/{format}/{version}`. */
export function makeSchemaKey(vendor: string, name: string, format: string, version: string): SchemaKey {
  if (!VENDOR_PATTERN.test(vendor)) throw new IgluParseError('INVALID_IGLUURI', `invalid vendor '${truncate(vendor)}'`);
  if (!NAME_PATTERN.test(name)) throw new IgluParseError('INVALID_IGLUURI', `invalid name '${truncate(name)}'`);
  if (!FORMAT_PATTERN.test(format)) throw new IgluParseError('INVALID_IGLUURI', `invalid format '${truncate(format)}'`);
  return { vendor, name, format, version: parseSchemaVer(version) };
}

export function parseSchemaCriterion(uri: string): SchemaCriterion {
  const m = URI.exec(uri);
  const v = m && CRITERION_VER.exec(m[4]!);
  if (!m || !v) throw new IgluParseError('INVALID_IGLUURI', `'${truncate(uri)}' is not a valid schema criterion (iglu:vendor/name/format/1-0-*)`);
  const part = (s: string) => (s === '*' ? null : Number(s));
  return { vendor: m[1]!, name: m[2]!, format: m[3]!, model: part(v[1]!), revision: part(v[2]!), addition: part(v[3]!) };
}

export function formatSchemaCriterion(c: SchemaCriterion): string {
  const p = (n: number | null) => (n === null ? '*' : String(n));
  return `iglu:${c.vendor}/${c.name}/${c.format}/${p(c.model)}-${p(c.revision)}-${p(c.addition)}`;
}

export function criterionMatches(c: SchemaCriterion, k: SchemaKey): boolean {
  return (
    c.vendor === k.vendor &&
    c.name === k.name &&
    c.format === k.format &&
    (c.model === null || c.model === k.version.model) &&
    (c.revision === null || c.revision === k.version.revision) &&
    (c.addition === null || c.addition === k.version.addition)
  );
}

/** A self-describing datum `{schema, data}` with its parsed key. */
export interface SelfDescribingData<T = unknown> {
  key: SchemaKey;
  schema: string;
  data: T;
}

/**
 * Check the envelope of self-describing data: an object with a string `schema` holding a valid Iglu URI
 * and a `data` member (any JSON, including null). Extra members are ignored, as in iglu-core.
 */
export function parseSelfDescribingData(json: unknown): SelfDescribingData {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new IgluParseError('INVALID_DATA_PAYLOAD', 'self-describing data must be a JSON object with schema and data');
  const o = json as Record<string, unknown>;
  if (typeof o.schema !== 'string') throw new IgluParseError('INVALID_IGLUURI', "self-describing data has no string 'schema' member");
  if (!('data' in o)) throw new IgluParseError('INVALID_DATA_PAYLOAD', "self-describing data has no 'data' member");
  return { key: parseSchemaKey(o.schema), schema: o.schema, data: o.data };
}

/** The `self` object of a self-describing schema. */
export interface SchemaSelf {
  vendor: string;
  name: string;
  format: string;
  version: string;
}

/**
 * Extract the key of a self-describing JSON schema (`{"self":{vendor,name,format,version}, ...}`) and
 * its body (everything except `self` and `$schema`). Throws INVALID_SCHEMA / INVALID_METASCHEMA.
 */
export function parseSelfDescribingSchema(json: unknown): { key: SchemaKey; body: Record<string, unknown> } {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new IgluParseError('INVALID_SCHEMA', 'a schema must be a JSON object');
  const o = json as Record<string, unknown>;
  if ('$schema' in o && o.$schema !== META_SCHEMA_URI)
    throw new IgluParseError('INVALID_METASCHEMA', `'$schema' must be ${META_SCHEMA_URI}`);
  const self = o.self as Record<string, unknown> | undefined;
  if (!self || typeof self !== 'object' || Array.isArray(self)) throw new IgluParseError('INVALID_SCHEMA', "a self-describing schema needs a 'self' object");
  const { vendor, name, format, version } = self;
  if (typeof vendor !== 'string' || typeof name !== 'string' || typeof format !== 'string' || typeof version !== 'string')
    throw new IgluParseError('INVALID_SCHEMA', "'self' needs string vendor, name, format and version");
  const key = makeSchemaKey(vendor, name, format, version);
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (k !== 'self' && k !== '$schema') body[k] = v;
  return { key, body };
}

export function schemaSelf(k: SchemaKey): SchemaSelf {
  return { vendor: k.vendor, name: k.name, format: k.format, version: formatSchemaVer(k.version) };
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
