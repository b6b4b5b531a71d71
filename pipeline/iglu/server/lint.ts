/**
 * Schema linting for publish and for `POST /api/validation/validate/schema/jsonschema` (iglu-server
 * ValidationService; schema-ddl's linter in spirit). ERROR-level messages block publishing; WARNINGs are
 * reported only. Messages: `{message, level, pointer}` with a JSON Pointer into the schema.
 */
import { IgluParseError, parseSelfDescribingSchema, type SchemaKey } from '../../core/schema-key';
import { SchemaValidator } from '../validator';

export type LintLevel = 'ERROR' | 'WARNING' | 'INFO';

export interface LintMessage {
  message: string;
  level: LintLevel;
  pointer: string;
}

export interface LintResult {
  key?: SchemaKey;
  /** The schema without `self`/`$schema`. */
  body?: Record<string, unknown>;
  messages: LintMessage[];
  hasErrors: boolean;
}

const KNOWN_FORMATS = new Set(['date-time', 'date', 'time', 'email', 'hostname', 'ipv4', 'ipv6', 'uri', 'uri-reference', 'uuid', 'regex', 'json-pointer']);

const checker = new SchemaValidator(1);

export function jsonDepth(value: unknown): number {
  if (!value || typeof value !== 'object') return 0;
  let max = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    const d = jsonDepth(v);
    if (d > max) max = d;
  }
  return max + 1;
}

/** Lint a self-describing schema (or, with `key`, a bare schema body destined for that key). */
export function lintSchema(json: unknown, opts: { maxJsonDepth?: number; key?: SchemaKey } = {}): LintResult {
  const messages: LintMessage[] = [];
  const err = (message: string, pointer = '/') => messages.push({ message, level: 'ERROR', pointer });
  const warn = (message: string, pointer = '/') => messages.push({ message, level: 'WARNING', pointer });
  const done = (r: Omit<LintResult, 'messages' | 'hasErrors'>): LintResult => ({ ...r, messages, hasErrors: messages.some((m) => m.level === 'ERROR') });

  const maxDepth = opts.maxJsonDepth ?? 40;
  if (jsonDepth(json) > maxDepth) {
    err(`The schema is nested deeper than the maximum allowed JSON depth of ${maxDepth}`);
    return done({});
  }
  let key = opts.key;
  let body: Record<string, unknown>;
  if (key) {
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      err('Cannot extract JSON Schema: the schema must be a JSON object');
      return done({});
    }
    body = { ...(json as Record<string, unknown>) };
    delete body.self;
    delete body.$schema;
  } else {
    try {
      ({ key, body } = parseSelfDescribingSchema(json));
    } catch (e) {
      err(e instanceof IgluParseError ? `JSON Schema is not self-describing: ${e.message}` : 'JSON Schema is not self-describing');
      return done({});
    }
  }
  for (const issue of checker.checkSchema(body)) err(issue.message, pathToPointer(issue.path));
  if (!messages.some((m) => m.level === 'ERROR')) {
    const compiled = checker.compile(`lint:${Math.random()}`, body);
    if (!compiled.ok) for (const i of compiled.issues) err(`The schema cannot be compiled: ${i.message}`, pathToPointer(i.path));
  }
  if (body.type !== 'object') warn("The root of the schema should have type 'object'");
  if (typeof body.description !== 'string') warn('The schema has no description');
  walk(body, '', (node, ptr) => {
    const n = node as Record<string, unknown>;
    const pair = (lo: string, hi: string) => {
      if (typeof n[lo] === 'number' && typeof n[hi] === 'number' && (n[lo] as number) > (n[hi] as number)) err(`${lo} (${n[lo]}) is greater than ${hi} (${n[hi]})`, ptr || '/');
    };
    pair('minimum', 'maximum');
    pair('minLength', 'maxLength');
    pair('minItems', 'maxItems');
    pair('minProperties', 'maxProperties');
    if (typeof n.format === 'string' && !KNOWN_FORMATS.has(n.format)) warn(`Unknown format '${n.format}' is not checked by validators`, ptr || '/');
    if (Array.isArray(n.required) && n.additionalProperties === false && !n.patternProperties) {
      const props = n.properties && typeof n.properties === 'object' ? (n.properties as Record<string, unknown>) : {};
      for (const r of n.required) if (typeof r === 'string' && !(r in props)) err(`Required property '${r}' is not listed in properties and additional properties are not allowed`, ptr || '/');
    }
    const types = Array.isArray(n.type) ? n.type : [n.type];
    if (types.includes('string') && n.maxLength === undefined && n.enum === undefined && n.format === undefined) warn('A string without maxLength has no size bound', ptr || '/');
  });
  return done({ key, body });
}

function walk(node: unknown, ptr: string, visit: (node: object, ptr: string) => void): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  visit(node, ptr);
  const n = node as Record<string, unknown>;
  for (const k of ['properties', 'patternProperties', 'definitions'])
    if (n[k] && typeof n[k] === 'object') for (const [name, sub] of Object.entries(n[k] as object)) walk(sub, `${ptr}/${k}/${escape(name)}`, visit);
  for (const k of ['items', 'additionalProperties', 'additionalItems', 'not'])
    if (Array.isArray(n[k])) (n[k] as unknown[]).forEach((sub, i) => walk(sub, `${ptr}/${k}/${i}`, visit));
    else walk(n[k], `${ptr}/${k}`, visit);
  for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(n[k])) (n[k] as unknown[]).forEach((sub, i) => walk(sub, `${ptr}/${k}/${i}`, visit));
}

function escape(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `$.properties.a` → `/properties/a` (best effort for meta-schema issue paths). */
function pathToPointer(path: string): string {
  if (path === '$' || !path) return '/';
  return path
    .replace(/^\$/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\['([^']*)'\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .map(escape)
    .reduce((acc, p) => `${acc}/${p}`, '');
}
