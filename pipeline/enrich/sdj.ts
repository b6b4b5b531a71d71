/**
 * Self-describing JSON of an event (EN `IgluUtils`): the tracker's `unstruct_event` and `contexts`, and the
 * contexts enrichments derive. Inputs go through: JSON parse (max depth) → self-describing envelope →
 * wrapper criterion (`unstruct_event 1-0-*` / `contexts 1-0-*`) → wrapper schema → each entity's schema.
 * Valid entities are kept even when a sibling fails (they still appear in the partially enriched event).
 * Output columns are written as circe would: `contexts` always wrapped as contexts/1-0-1, `unstruct_event`
 * as unstruct_event/1-0-0, entity text kept as sent (key order, number text).
 */
import {
  criterionMatches,
  formatSchemaCriterion,
  IgluParseError,
  parseSchemaCriterion,
  parseSchemaKey,
  parseSelfDescribingData,
  type SchemaKey,
} from '../core/schema-key';
import { criterionMismatch, igluError, notIglu, notJson, type SchemaViolationMessage } from '../core/bad-rows-enrich';
import type { IgluValidator, SdjCheck } from './iglu-client';
import { JsonTextError, losslessElement, losslessMember, parseJsonText, stringifyDatum, stringifyWithSchema, type JsonDatum } from './json-text';

export const CONTEXTS_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1';
export const CONTEXTS_V0_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0';
export const UNSTRUCT_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';
export const VALIDATION_INFO_SCHEMA = 'iglu:com.snowplowanalytics.iglu/validation_info/jsonschema/1-0-0';
const CONTEXTS_CRITERION = parseSchemaCriterion('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-*');
const UNSTRUCT_CRITERION = parseSchemaCriterion('iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-*');

/** A validated entity; `schema` already rewritten to the superseding version if there was one. */
export interface ValidSdj {
  key: SchemaKey;
  schema: string;
  /** The whole `{schema, data}` datum as received (for faithful re-serialisation). */
  datum: JsonDatum;
  /** Set when validated with a superseding schema: the schema the tracker sent. */
  originalSchema?: string;
}

function isThenable<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === 'function';
}

/** Await only when needed: the validator answers synchronously for cached schemas. */
export async function check(validator: IgluValidator, key: SchemaKey, uri: string, data: unknown): Promise<SdjCheck> {
  const r = validator.check(key, uri, data);
  return isThenable(r) ? await r : r;
}

// Schema URIs repeat endlessly: parse each once (bounded; cleared when full).
const KEY_CACHE = new Map<string, SchemaKey>();

/** `parseSelfDescribingData` with the schema URI parse memoised. */
export function parseEnvelope(json: unknown): { key: SchemaKey; schema: string; data: unknown } {
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as { schema?: unknown; data?: unknown };
    if (typeof o.schema === 'string' && 'data' in o) {
      let key = KEY_CACHE.get(o.schema);
      if (!key) {
        key = parseSchemaKey(o.schema);
        if (KEY_CACHE.size >= 10_000) KEY_CACHE.clear();
        KEY_CACHE.set(o.schema, key);
      }
      return { key, schema: o.schema, data: o.data };
    }
  }
  return parseSelfDescribingData(json); // throws the precise IgluParseError
}

function parseCode(err: unknown): string {
  return err instanceof IgluParseError ? err.code : 'INVALID_DATA_PAYLOAD';
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: SchemaViolationMessage };

/** Validate one entity datum (already parsed). Returns the valid entity or one violation. */
export async function validateEntity(validator: IgluValidator, datum: JsonDatum): Promise<Checked<ValidSdj>> {
  let sd;
  try {
    sd = parseEnvelope(datum.value);
  } catch (err) {
    return { ok: false, error: notIglu(datum.value, parseCode(err)) };
  }
  const r = await check(validator, sd.key, sd.schema, sd.data);
  if (!r.valid) return { ok: false, error: igluError(sd.schema, r.error) };
  if (r.supersededBy === undefined) return { ok: true, value: { key: sd.key, schema: sd.schema, datum } };
  const schema = `iglu:${sd.key.vendor}/${sd.key.name}/${sd.key.format}/${r.supersededBy}`;
  const [model, revision, addition] = r.supersededBy.split('-').map(Number);
  const key = { ...sd.key, version: { model: model!, revision: revision!, addition: addition! } };
  return { ok: true, value: { key, schema, datum, originalSchema: sd.schema } };
}

/** The wrapper's `data` (plain and, when needed, lossless). */
type Wrapped = JsonDatum;

/** Steps 1–4 shared by both inputs: parse, envelope, criterion, wrapper schema. */
async function unwrap(
  validator: IgluValidator,
  raw: string,
  field: 'unstruct' | 'contexts',
  criterion: typeof CONTEXTS_CRITERION,
  maxDepth: number,
): Promise<Checked<Wrapped>> {
  let parsed;
  try {
    parsed = parseJsonText(raw, maxDepth);
  } catch (err) {
    if (!(err instanceof JsonTextError)) throw err;
    return { ok: false, error: notJson(field, raw, `invalid json: ${err.message}`) };
  }
  let sd;
  try {
    sd = parseEnvelope(parsed.value);
  } catch (err) {
    return { ok: false, error: notIglu(parsed.value, parseCode(err)) };
  }
  if (!criterionMatches(criterion, sd.key)) return { ok: false, error: criterionMismatch(sd.schema, formatSchemaCriterion(criterion)) };
  const r = await check(validator, sd.key, sd.schema, sd.data);
  if (!r.valid) return { ok: false, error: igluError(sd.schema, r.error) };
  return { ok: true, value: { value: sd.data, lossless: losslessMember(parsed.lossless, 'data') } };
}

export interface InputSdjs {
  unstruct?: ValidSdj;
  contexts: ValidSdj[];
  errors: SchemaViolationMessage[];
}

/** Parse and validate the event's `unstruct_event` and `contexts` raw JSON (either may be absent). */
export async function parseAndValidateInput(
  validator: IgluValidator,
  unstructRaw: string | undefined,
  contextsRaw: string | undefined,
  maxDepth: number,
): Promise<InputSdjs> {
  const out: InputSdjs = { contexts: [], errors: [] };
  if (unstructRaw !== undefined) {
    const w = await unwrap(validator, unstructRaw, 'unstruct', UNSTRUCT_CRITERION, maxDepth);
    if (!w.ok) out.errors.push(w.error);
    else {
      const inner = await validateEntity(validator, w.value);
      if (inner.ok) out.unstruct = inner.value;
      else out.errors.push(inner.error);
    }
  }
  if (contextsRaw !== undefined) {
    const w = await unwrap(validator, contextsRaw, 'contexts', CONTEXTS_CRITERION, maxDepth);
    if (!w.ok) out.errors.push(w.error);
    else {
      // The wrapper schema guarantees an array; guard anyway so a lax schema cannot crash us.
      const items = Array.isArray(w.value.value) ? (w.value.value as unknown[]) : [];
      for (let i = 0; i < items.length; i++) {
        const r = await validateEntity(validator, { value: items[i], lossless: losslessElement(w.value.lossless, i) });
        if (r.ok) out.contexts.push(r.value);
        else out.errors.push(r.error);
      }
    }
  }
  return out;
}

/** Compact text of an entity, with its (possibly superseded) schema. */
export function entityText(e: ValidSdj): string {
  return e.originalSchema === undefined ? stringifyDatum(e.datum) : stringifyWithSchema(e.datum, e.schema);
}

/** The `contexts` / `derived_contexts` column: contexts/1-0-1 wrapper, or null for an empty list. */
export function formatContexts(entities: readonly ValidSdj[]): string | null {
  if (entities.length === 0) return null;
  let s = `{"schema":"${CONTEXTS_SCHEMA}","data":[`;
  for (let i = 0; i < entities.length; i++) s += (i ? ',' : '') + entityText(entities[i]!);
  return `${s}]}`;
}

/** The `unstruct_event` column: unstruct_event/1-0-0 wrapper. */
export function formatUnstruct(entity: ValidSdj): string {
  return `{"schema":"${UNSTRUCT_SCHEMA}","data":${entityText(entity)}}`;
}

/** A derived context built by Enrich itself (enrichment output, validation_info). */
export function derivedEntity(key: SchemaKey, schema: string, data: unknown): ValidSdj {
  return { key, schema, datum: { value: { schema, data } } };
}

/** `validation_info` entity for an input validated against a superseding schema. */
export function validationInfo(e: ValidSdj): ValidSdj {
  return derivedEntity(
    { vendor: 'com.snowplowanalytics.iglu', name: 'validation_info', format: 'jsonschema', version: { model: 1, revision: 0, addition: 0 } },
    VALIDATION_INFO_SCHEMA,
    { originalSchema: e.originalSchema, validatedWith: `${e.key.version.model}-${e.key.version.revision}-${e.key.version.addition}` },
  );
}
