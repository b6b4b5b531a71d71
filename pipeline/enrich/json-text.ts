/**
 * JSON in and out the way Enrich (circe) does it, at `JSON.parse` speed for the common case:
 * - parse with a maximum nesting depth (`validation.maxJsonDepth`);
 * - write compactly (circe `noSpaces`), keeping the input's key order and each number's original text.
 *
 * `JSON.parse` loses both for some inputs: numbers whose text is not JS-canonical (`1.0`, `1e2`, integers
 * beyond 2^53) and objects with array-index-like keys (`{"b":1,"1":2}` reorders). A single scan over the
 * text detects those (and measures depth); only then does a slower lossless parser keep a tree that is
 * written back verbatim. Trackers that build JSON with `JSON.stringify` always take the fast path.
 */

/** Lossless tree: numbers keep their text, objects keep key order (and duplicates). */
export type LosslessNode =
  | null
  | boolean
  | string
  | { readonly num: string }
  | LosslessNode[]
  | { readonly entries: [string, LosslessNode][] };

export interface ParsedJson {
  /** Plain JS value (numbers as doubles), used for validation. */
  value: unknown;
  /** Present only when `JSON.stringify(value)` would not reproduce the input faithfully. */
  lossless?: LosslessNode;
}

export class JsonTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonTextError';
  }
}

interface ScanResult {
  depth: number;
  faithful: boolean;
}

function isCanonicalNumber(text: string): boolean {
  // Integers up to 15 digits without a leading "-0" print back identically; check the rest exactly.
  let simple = text.length <= 15;
  if (simple)
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 46 || c === 101 || c === 69) {
        simple = false;
        break;
      }
    }
  if (simple && !(text.charCodeAt(0) === 45 && text.charCodeAt(1) === 48)) return true;
  return String(Number(text)) === text;
}

function isIndexLikeKey(text: string, start: number, end: number): boolean {
  // Array-index keys (canonical uint32 < 2^32-1) are enumerated first by JS objects.
  const len = end - start;
  if (len === 0 || len > 10) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  if (len > 1 && text.charCodeAt(start) === 48) return false;
  return Number(text.slice(start, end)) < 4294967295;
}

/** One pass over valid-or-not JSON text: max nesting depth and whether the fast path is faithful. */
function scan(text: string): ScanResult {
  let depth = 0;
  let maxDepth = 0;
  let faithful = true;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = ++i;
      let escaped = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) {
          escaped = true;
          i += 2;
          continue;
        }
        if (d === 34) break;
        i++;
      }
      const end = i;
      i++;
      if (faithful && !escaped) {
        let j = i;
        while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13 || text.charCodeAt(j) === 9)) j++;
        if (text.charCodeAt(j) === 58 /* : */ && isIndexLikeKey(text, start, end)) faithful = false;
      } else if (faithful && escaped) {
        // An escaped key could still be index-like ("\u0031"); decode only in that rare case.
        let j = i;
        while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13 || text.charCodeAt(j) === 9)) j++;
        if (text.charCodeAt(j) === 58) {
          try {
            const key = JSON.parse(text.slice(start - 1, end + 1)) as string;
            if (isIndexLikeKey(key, 0, key.length)) faithful = false;
          } catch {
            /* invalid; JSON.parse reports it */
          }
        }
      }
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) maxDepth = depth;
    } else if (c === 125 || c === 93) depth--;
    else if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i++;
        else break;
      }
      if (faithful && !isCanonicalNumber(text.slice(start, i))) faithful = false;
      continue;
    }
    i++;
  }
  return { depth: maxDepth, faithful };
}

/** circe/jawn-style error text for the bad row (`invalid json: ...` is added by the caller). */
function describeParseError(text: string, err: unknown): string {
  if (text.trim().length === 0) return 'exhausted input';
  const msg = (err as Error).message ?? String(err);
  return msg.replace(/^Unexpected end of JSON input$/, 'exhausted input');
}

/** Deepest nesting of arrays/objects, stopping once past `limit`; flags array-index-like keys. */
function measure(v: unknown, depth: number, limit: number, state: { indexKeys: boolean }): number {
  if (v === null || typeof v !== 'object') return depth;
  const d = depth + 1;
  if (d > limit) return d;
  let max = d;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object') {
        const m = measure(x, d, limit, state);
        if (m > max) max = m;
        if (max > limit) return max;
      }
    }
    return max;
  }
  let first = true;
  for (const k in v as Record<string, unknown>) {
    // JS enumerates array-index keys first, so only an object's first key needs checking.
    if (first) {
      first = false;
      if (isIndexLikeKey(k, 0, k.length)) state.indexKeys = true;
    }
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object') {
      const m = measure(x, d, limit, state);
      if (m > max) max = m;
      if (max > limit) return max;
    }
  }
  return max;
}

/**
 * Every JSON number token with a fraction or exponent has a digit right before `.`/`e`/`E`; `-0…` and
 * 16+ digit integers are the other non-canonical forms. No match means every number prints back as sent.
 */
const MAYBE_NON_CANONICAL = /\d[.eE]|-0|\d{16}/;

export interface ParseOptions {
  /** Keep number text and key order (the input is written back out). Default true. */
  faithful?: boolean;
}

/**
 * Parse JSON text; throws `JsonTextError` with Enrich's wording (`exhausted input`, `maximum allowed JSON
 * depth exceeded`, or the parser's message) on invalid input.
 */
export function parseJsonText(text: string, maxDepth: number, opts: ParseOptions = {}): ParsedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Report depth first for deep garbage, as a depth-limited parser would.
    if (scan(text).depth > maxDepth) throw new JsonTextError('maximum allowed JSON depth exceeded');
    throw new JsonTextError(describeParseError(text, err));
  }
  const state = { indexKeys: false };
  if (measure(value, 0, maxDepth, state) > maxDepth) throw new JsonTextError('maximum allowed JSON depth exceeded');
  if (opts.faithful === false) return { value };
  if (!state.indexKeys && !MAYBE_NON_CANONICAL.test(text)) return { value };
  // Possibly unfaithful: decide exactly with the text scan (strings containing "1.5" are common).
  if (!state.indexKeys && scan(text).faithful) return { value };
  return { value, lossless: parseLossless(text) };
}

// ---------------------------------------------------------------------------------------------------------
// Lossless parser (only for the rare inputs the scan flags; the text is already known to be valid JSON)

function parseLossless(text: string): LosslessNode {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): LosslessNode => {
    ws();
    const c = text.charCodeAt(i);
    if (c === 34) return str();
    if (c === 123) {
      i++;
      const entries: [string, LosslessNode][] = [];
      ws();
      if (text.charCodeAt(i) === 125) {
        i++;
        return { entries };
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        i++; // :
        entries.push([k, value()]);
        ws();
        if (text.charCodeAt(i++) === 125) return { entries };
      }
    }
    if (c === 91) {
      i++;
      const arr: LosslessNode[] = [];
      ws();
      if (text.charCodeAt(i) === 93) {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text.charCodeAt(i++) === 93) return arr;
      }
    }
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    const start = i;
    while (i < text.length && /[-+0-9.eE]/.test(text[i]!)) i++;
    return { num: text.slice(start, i) };
  };
  return value();
}

function isObjectNode(n: LosslessNode): n is { entries: [string, LosslessNode][] } {
  return n !== null && typeof n === 'object' && !Array.isArray(n) && 'entries' in n;
}

export function stringifyLossless(n: LosslessNode): string {
  if (n === null || typeof n === 'boolean' || typeof n === 'string') return JSON.stringify(n);
  if (Array.isArray(n)) return `[${n.map(stringifyLossless).join(',')}]`;
  if (isObjectNode(n)) return `{${n.entries.map(([k, v]) => `${JSON.stringify(k)}:${stringifyLossless(v)}`).join(',')}}`;
  return (n as { num: string }).num;
}

/** Child `key` of an object node, or undefined. */
export function losslessMember(n: LosslessNode | undefined, key: string): LosslessNode | undefined {
  if (n === undefined || !isObjectNode(n)) return undefined;
  let found: LosslessNode | undefined;
  for (const [k, v] of n.entries) if (k === key) found = v; // last wins, like JSON.parse
  return found;
}

/** Element `index` of an array node, or undefined. */
export function losslessElement(n: LosslessNode | undefined, index: number): LosslessNode | undefined {
  return n !== undefined && Array.isArray(n) ? n[index] : undefined;
}

/** Replace (or add) member `key` of an object node, keeping its position. */
export function losslessWithMember(n: LosslessNode, key: string, value: LosslessNode): LosslessNode {
  if (!isObjectNode(n)) return n;
  let replaced = false;
  const entries = n.entries.map(([k, v]): [string, LosslessNode] => {
    if (k === key) {
      replaced = true;
      return [k, value];
    }
    return [k, v];
  });
  if (!replaced) entries.push([key, value]);
  return { entries };
}

/** A parsed JSON datum that can be written back faithfully (plain value, or lossless tree when needed). */
export interface JsonDatum {
  value: unknown;
  lossless?: LosslessNode;
}

/** Compact text of a datum (circe noSpaces). */
export function stringifyDatum(d: JsonDatum): string {
  return d.lossless !== undefined ? stringifyLossless(d.lossless) : JSON.stringify(d.value);
}

/** `{schema, data}` with `schema` replaced in place (superseded schemas), as compact text. */
export function stringifyWithSchema(d: JsonDatum, schema: string): string {
  if (d.lossless !== undefined) return stringifyLossless(losslessWithMember(d.lossless, 'schema', schema));
  return JSON.stringify({ ...(d.value as object), schema });
}
