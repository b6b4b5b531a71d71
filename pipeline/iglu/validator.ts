/**
 * JSON Schema draft-04 validation as Iglu does it (ajv-draft-04 + ajv-formats), with compiled validators
 * cached per schema, and errors turned into Snowplow's shapes:
 *  - data errors → `ValidatorReport {message, path, keyword, targets}` (the networknt validator's
 *    vocabulary: JSONPath `$.a[0].b`, keyword, arguments); message texts follow its wording but are not
 *    byte-identical (spec-collector-enrich 4.2 says match on structure and keyword);
 *  - unusable schemas → `SchemaIssue {path, message}`.
 */
import Ajv04 from 'ajv-draft-04';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { LruCache } from './cache';
import type { SchemaIssue, ValidatorReport } from './errors';

export type CompiledSchema = { ok: true; validate: (data: unknown) => ValidatorReport[] | null } | { ok: false; issues: SchemaIssue[] };

/** Members of a self-describing schema that are Iglu metadata, not JSON Schema. */
const IGLU_MEMBERS = new Set(['self', '$schema', '$supersedes', '$supersededBy']);

export function newAjv(): Ajv04 {
  // unicodeRegExp off: Iglu's patterns are Java regexes and often carry escapes a `u` RegExp rejects.
  const ajv = new Ajv04({ allErrors: true, strict: false, logger: false, unicodeRegExp: false, validateSchema: false, addUsedSchema: false });
  addFormats(ajv);
  return ajv;
}

export class SchemaValidator {
  private readonly ajv = newAjv();
  private readonly compiled: LruCache<string, { source: object; compiled: CompiledSchema; body?: object }>;
  compilations = 0;

  constructor(capacity = 2000) {
    // Forget ajv's own reference when we evict, or it keeps every schema ever compiled.
    this.compiled = new LruCache(capacity, (_k, v) => {
      if (v.body) this.ajv.removeSchema(v.body);
    });
  }

  /** Draft-04 meta-schema check of a schema (Iglu metadata members ignored). Empty = usable. */
  checkSchema(schema: unknown): SchemaIssue[] {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return [{ path: '$', message: 'schema must be a JSON object' }];
    const body = stripIglu(schema as Record<string, unknown>);
    if (this.ajv.validateSchema(body)) return [];
    return (this.ajv.errors ?? []).map((e) => ({ path: jsonPath(e.instancePath, body), message: `${jsonPath(e.instancePath, body)}: ${e.message ?? e.keyword}` }));
  }

  /**
   * The compiled validator for a schema. `cacheKey` names it (the schema URI); a different `schema`
   * object under the same key (a patched schema) is recompiled.
   */
  compile(cacheKey: string, schema: Record<string, unknown>): CompiledSchema {
    const hit = this.compiled.get(cacheKey);
    if (hit && hit.value.source === schema) return hit.value.compiled;
    const issues = this.checkSchema(schema);
    let entry: { source: object; compiled: CompiledSchema; body?: object };
    if (issues.length) entry = { source: schema, compiled: { ok: false, issues } };
    else {
      const body = stripIglu(schema);
      try {
        const fn = this.ajv.compile(body);
        this.compilations++;
        entry = { source: schema, body, compiled: { ok: true, validate: (data) => (fn(data) ? null : toReports(fn, data)) } };
      } catch (err) {
        entry = { source: schema, compiled: { ok: false, issues: [{ path: '$', message: (err as Error).message }] } };
      }
    }
    this.compiled.set(cacheKey, entry, Date.now());
    return entry.compiled;
  }
}

function stripIglu(schema: Record<string, unknown>): Record<string, unknown> {
  let needs = false;
  for (const k in schema) if (IGLU_MEMBERS.has(k)) needs = true;
  if (!needs) return schema;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (!IGLU_MEMBERS.has(k)) body[k] = v;
  return body;
}

/** ajv `instancePath` (`/a/0/b`) → JSONPath as the JVM validator prints it (`$.a[0].b`). */
export function jsonPath(instancePath: string, root: unknown): string {
  if (!instancePath) return '$';
  let out = '$';
  let node: unknown = root;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out += `[${seg}]`;
      node = node[Number(seg)];
    } else {
      out += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg) ? `.${seg}` : `['${seg.replace(/'/g, "\\'")}']`;
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function child(path: string, prop: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(prop) ? `${path}.${prop}` : `${path}['${prop}']`;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function valueAt(root: unknown, instancePath: string): unknown {
  if (!instancePath) return root;
  let node: unknown = root;
  for (const raw of instancePath.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** Turn ajv's errors into Snowplow-shaped reports, in ajv's order. */
export function toReports(fn: ValidateFunction, data: unknown): ValidatorReport[] {
  return (fn.errors ?? []).map((e) => toReport(e, data));
}

export function toReport(e: ErrorObject, data: unknown): ValidatorReport {
  const path = jsonPath(e.instancePath, data);
  const p = e.params as Record<string, any>;
  const r = (message: string, targets: unknown[] = []): ValidatorReport => ({ message, path, keyword: e.keyword, targets: targets.map(String) });
  switch (e.keyword) {
    case 'required':
      return r(`${child(path, p.missingProperty)}: is missing but it is required`, [p.missingProperty]);
    case 'additionalProperties':
      return r(`${child(path, p.additionalProperty)}: is not defined in the schema and the schema does not allow additional properties`, [p.additionalProperty]);
    case 'type': {
      const actual = jsonType(valueAt(data, e.instancePath));
      const expected = String(p.type).split(',').join(', ');
      return r(`${path}: ${actual} found, ${expected} expected`, [actual, expected]);
    }
    case 'maxLength':
      return r(`${path}: must be at most ${p.limit} characters long`, [p.limit]);
    case 'minLength':
      return r(`${path}: must be at least ${p.limit} characters long`, [p.limit]);
    case 'enum': {
      const list = `[${(p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}]`;
      return r(`${path}: does not have a value in the enumeration ${list}`, [list]);
    }
    case 'pattern':
      return r(`${path}: does not match the regex pattern ${p.pattern}`, [p.pattern]);
    case 'format':
      return r(`${path}: does not match the ${p.format} pattern`, [p.format]);
    case 'maximum':
      return r(`${path}: must have ${p.comparison === '<' ? 'an exclusive ' : 'a '}maximum value of ${p.limit}`, [p.limit]);
    case 'minimum':
      return r(`${path}: must have ${p.comparison === '>' ? 'an exclusive ' : 'a '}minimum value of ${p.limit}`, [p.limit]);
    case 'maxItems':
      return r(`${path}: there must be a maximum of ${p.limit} items in the array`, [p.limit]);
    case 'minItems':
      return r(`${path}: there must be a minimum of ${p.limit} items in the array`, [p.limit]);
    case 'uniqueItems':
      return r(`${path}: the items in the array must be unique`);
    case 'maxProperties':
      return r(`${path}: may only have a maximum of ${p.limit} properties`, [p.limit]);
    case 'minProperties':
      return r(`${path}: should have a minimum of ${p.limit} properties`, [p.limit]);
    case 'multipleOf':
      return r(`${path}: must be multiple of ${p.multipleOf}`, [p.multipleOf]);
    case 'oneOf':
      return r(`${path}: should be valid to one and only one schema, but ${p.passingSchemas ? (p.passingSchemas as number[]).length : 0} are valid`);
    case 'anyOf':
      return r(`${path}: should be valid to any of the schemas`);
    case 'not':
      return r(`${path}: should not be valid to the schema`);
    case 'dependencies':
      return r(`${path}: has an error with dependencies ${p.property} -> ${p.deps}`, [p.property, p.deps]);
    case 'additionalItems':
      return r(`${path}: index ${p.limit} is not defined in the schema and the schema does not allow additional items`, [p.limit]);
    default:
      return r(`${path}: ${e.message ?? e.keyword}`);
  }
}
