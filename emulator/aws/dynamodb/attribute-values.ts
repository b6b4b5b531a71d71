import { AwsError, validation } from '../errors';
import { compareNumbers, normalizeNumber, numberSizeBytes } from './numbers';

/** A DynamoDB AttributeValue as it travels in JSON 1.0 (B and BS are base64 strings). */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: Item }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type Item = Record<string, AttributeValue>;

export type TypeCode = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'M' | 'L' | 'SS' | 'NS' | 'BS';
export type ScalarKeyType = 'S' | 'N' | 'B';

export const TYPE_CODES: readonly TypeCode[] = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];
const TYPE_SET = new Set<string>(TYPE_CODES);

/** Item size limit: 400 KB, compared as `size > 409600`. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** The type code of a stored (already validated) value. */
export function typeOf(v: AttributeValue): TypeCode {
  for (const k in v) return k as TypeCode;
  throw new Error('empty attribute value');
}

/** Upper-case type names as AWS prints them in operand-type errors. */
export function typeName(t: TypeCode): string {
  switch (t) {
    case 'S':
      return 'STRING';
    case 'N':
      return 'NUMBER';
    case 'B':
      return 'BINARY';
    case 'BOOL':
      return 'BOOLEAN';
    case 'NULL':
      return 'NULL';
    case 'M':
      return 'MAP';
    case 'L':
      return 'LIST';
    case 'SS':
      return 'STRING_SET';
    case 'NS':
      return 'NUMBER_SET';
    case 'BS':
      return 'BINARY_SET';
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function normalizeBinary(b: unknown): string {
  if (typeof b !== 'string' || b.length % 4 === 1 || !BASE64.test(b))
    throw serialization('Base64 encoded binary value is invalid');
  return Buffer.from(b, 'base64').toString('base64');
}

/** A malformed request body (the SDK never sends one). */
const serialization = (message: string) => new AwsError('SerializationException', message, 400);

/**
 * Validates one incoming AttributeValue and returns its normalized copy: numbers normalized, binaries
 * re-encoded, sets checked for emptiness and duplicates, `NULL: false` stored as `NULL: true` (AWS does).
 */
export function normalizeValue(raw: unknown): AttributeValue {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  const keys = Object.keys(raw).filter((k) => (raw as Record<string, unknown>)[k] !== undefined && (raw as Record<string, unknown>)[k] !== null);
  if (keys.length === 0) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (keys.length > 1) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
  const type = keys[0]!;
  const v = (raw as Record<string, unknown>)[type];
  if (!TYPE_SET.has(type)) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  switch (type as TypeCode) {
    case 'S':
      if (typeof v !== 'string') throw serialization('STRING_VALUE can not be converted to a String');
      return { S: v };
    case 'N':
      if (typeof v !== 'string') throw serialization('NUMBER_VALUE cannot be converted to String');
      return { N: normalizeNumber(v) };
    case 'B':
      return { B: normalizeBinary(v) };
    case 'BOOL':
      if (typeof v !== 'boolean') throw serialization('BOOLEAN_VALUE can not be converted to a Boolean');
      return { BOOL: v };
    case 'NULL':
      if (typeof v !== 'boolean') throw serialization('NULL_VALUE can not be converted to a Boolean');
      return { NULL: true };
    case 'M': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw serialization('Unexpected value type in payload');
      const out: Item = {};
      for (const [k, inner] of Object.entries(v)) out[k] = normalizeValue(inner);
      return { M: out };
    }
    case 'L': {
      if (!Array.isArray(v)) throw serialization('Unexpected value type in payload');
      return { L: v.map(normalizeValue) };
    }
    case 'SS':
    case 'NS':
    case 'BS':
      return normalizeSet(type as 'SS' | 'NS' | 'BS', v);
  }
}

function normalizeSet(type: 'SS' | 'NS' | 'BS', v: unknown): AttributeValue {
  if (!Array.isArray(v)) throw serialization('Unexpected value type in payload');
  if (v.length === 0) {
    if (type === 'SS') throw validation('One or more parameter values were invalid: An string set  may not be empty');
    if (type === 'NS') throw validation('One or more parameter values were invalid: An number set  may not be empty');
    throw validation('One or more parameter values were invalid: Binary sets should not be empty');
  }
  const members = v.map((m) => {
    if (type === 'NS') {
      if (typeof m !== 'string') throw serialization('NUMBER_VALUE cannot be converted to String');
      return normalizeNumber(m);
    }
    if (type === 'BS') return normalizeBinary(m);
    if (typeof m !== 'string') throw serialization('STRING_VALUE can not be converted to a String');
    return m;
  });
  if (new Set(members).size !== members.length)
    throw validation(`One or more parameter values were invalid: Input collection [${v.join(', ')}] contains duplicates.`);
  if (type === 'SS') return { SS: members };
  if (type === 'NS') return { NS: members };
  return { BS: members };
}

/** Validates every attribute of an incoming item (names and values). */
export function normalizeItem(raw: unknown, what = 'item'): Item {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw validation(`1 validation error detected: Value null at '${what}' failed to satisfy constraint: Member must not be null`);
  const out: Item = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name.length === 0) throw validation('One or more parameter values were invalid: An AttributeName may not be empty');
    out[name] = normalizeValue(value);
  }
  return out;
}

/** Code-point order (= UTF-8 byte order, which is how DynamoDB orders strings), unlike JS's UTF-16 `<`. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    // A surrogate (a code point above U+FFFF) sorts after every BMP character above the surrogate block.
    if (sa !== sb && (sa ? cb >= 0xe000 : ca >= 0xe000)) return sa ? 1 : -1;
    return ca < cb ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareBinary(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64'));
}

/** Ordering of two scalars of the same key type (S, N or B). */
export function compareScalars(type: ScalarKeyType, a: string, b: string): number {
  if (type === 'S') return compareStrings(a, b);
  if (type === 'N') return compareNumbers(a, b);
  return compareBinary(a, b);
}

/** The scalar payload of an S, N or B value. */
export function scalarOf(v: AttributeValue): string {
  return (v as { S?: string; N?: string; B?: string }).S ?? (v as { N?: string }).N ?? (v as { B: string }).B;
}

/** Deep equality with DynamoDB semantics: numbers by value, sets regardless of order. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  switch (ta) {
    case 'S':
      return (a as { S: string }).S === (b as { S: string }).S;
    case 'N':
      return compareNumbers((a as { N: string }).N, (b as { N: string }).N) === 0;
    case 'B':
      return (a as { B: string }).B === (b as { B: string }).B;
    case 'BOOL':
      return (a as { BOOL: boolean }).BOOL === (b as { BOOL: boolean }).BOOL;
    case 'NULL':
      return true;
    case 'SS':
    case 'NS':
    case 'BS': {
      const sa = (a as Record<string, string[]>)[ta]!;
      const sb = (b as Record<string, string[]>)[ta]!;
      if (sa.length !== sb.length) return false;
      const members = new Set(sa);
      return sb.every((m) => members.has(m));
    }
    case 'L': {
      const la = (a as { L: AttributeValue[] }).L;
      const lb = (b as { L: AttributeValue[] }).L;
      return la.length === lb.length && la.every((x, i) => valuesEqual(x, lb[i]!));
    }
    case 'M': {
      const ma = (a as { M: Item }).M;
      const mb = (b as { M: Item }).M;
      const ka = Object.keys(ma);
      if (ka.length !== Object.keys(mb).length) return false;
      return ka.every((k) => mb[k] !== undefined && valuesEqual(ma[k]!, mb[k]!));
    }
  }
}

/** Size in bytes as DynamoDB counts it (UTF-8 strings, ~1 byte per 2 digits for numbers, 3+1/element for documents). */
export function valueSize(v: AttributeValue): number {
  switch (typeOf(v)) {
    case 'S':
      return Buffer.byteLength((v as { S: string }).S, 'utf8');
    case 'N':
      return numberSizeBytes((v as { N: string }).N);
    case 'B':
      return Buffer.byteLength((v as { B: string }).B, 'base64');
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (v as { SS: string[] }).SS.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
    case 'NS':
      return (v as { NS: string[] }).NS.reduce((n, s) => n + numberSizeBytes(s), 0);
    case 'BS':
      return (v as { BS: string[] }).BS.reduce((n, s) => n + Buffer.byteLength(s, 'base64'), 0);
    case 'L':
      return (v as { L: AttributeValue[] }).L.reduce((n, x) => n + 1 + valueSize(x), 3);
    case 'M': {
      let n = 3;
      for (const [k, x] of Object.entries((v as { M: Item }).M)) n += 1 + Buffer.byteLength(k, 'utf8') + valueSize(x);
      return n;
    }
  }
}

export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += Buffer.byteLength(k, 'utf8') + valueSize(v);
  return n;
}

/** A deep copy (faster than structuredClone for these plain JSON shapes). */
export function cloneValue(v: AttributeValue): AttributeValue {
  if ('M' in v) return { M: cloneItem(v.M) };
  if ('L' in v) return { L: v.L.map(cloneValue) };
  if ('SS' in v) return { SS: [...v.SS] };
  if ('NS' in v) return { NS: [...v.NS] };
  if ('BS' in v) return { BS: [...v.BS] };
  return { ...v };
}

export function cloneItem(item: Item): Item {
  const out: Item = {};
  for (const k in item) out[k] = cloneValue(item[k]!);
  return out;
}
