/**
 * Querystring parsing as Enrich's loader does it (EN `Loader.parseQuerystring`): the text must be legal in
 * `java.net.URI` as `http://localhost/?<qs>` (so raw spaces, `"`, `{`, a stray `%` ... are rejected), then
 * Apache `URLEncodedUtils.parse`: pairs split on `&` and `;`, name/value split on the first `=`, `+` is a
 * space, `%XX` are UTF-8 bytes (malformed sequences become U+FFFD), empty names dropped, a name without
 * `=` has a null value. Anything after `#` is a fragment and ignored.
 */
import type { NVP } from '../core/bad-rows-enrich';

export class QuerystringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuerystringError';
  }
}

const PREFIX_LENGTH = 'http://localhost/?'.length;

/** Index of the first character java.net.URI would reject in a query (+ optional fragment), or -1. */
function illegalIndex(qs: string): { index: number; reason: 'char' | 'escape' } | undefined {
  let fragment = false;
  for (let i = 0; i < qs.length; i++) {
    const c = qs.charCodeAt(i);
    if (c === 37 /* % */) {
      if (!isHex(qs.charCodeAt(i + 1)) || !isHex(qs.charCodeAt(i + 2))) return { index: i, reason: 'escape' };
      i += 2;
      continue;
    }
    if (c === 35 /* # */) {
      if (fragment) return { index: i, reason: 'char' };
      fragment = true;
      continue;
    }
    if (c < 0x21 || c === 0x7f || c === 34 || c === 60 || c === 62 || c === 92 || c === 94 || c === 96 || c === 123 || c === 124 || c === 125)
      return { index: i, reason: 'char' };
    if (c >= 0x80 && (c <= 0x9f || /\s/.test(qs[i]!))) return { index: i, reason: 'char' };
  }
  return undefined;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** `application/x-www-form-urlencoded` component decoding (`+` → space, `%XX` → UTF-8 bytes). */
export function decodeFormComponent(s: string): string {
  if (s.indexOf('%') < 0) return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 37 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      // Collect a run of escapes and decode the bytes together (multi-byte characters span several).
      const bytes: number[] = [];
      while (i < s.length && s.charCodeAt(i) === 37 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
        bytes.push(parseInt(s.substr(i + 1, 2), 16));
        i += 3;
      }
      out += Buffer.from(bytes).toString('utf8');
      continue;
    }
    out += c === 43 ? ' ' : s[i];
    i++;
  }
  return out;
}

/**
 * Parse a collector querystring. Throws `QuerystringError` with Enrich's message when the text is not a
 * legal URI query. Only UTF-8 style decoding is implemented (the collector always writes `UTF-8`).
 */
export function parseQuerystring(qs: string, encoding = 'UTF-8'): NVP[] {
  const bad = illegalIndex(qs);
  if (bad) {
    const what = bad.reason === 'escape' ? 'Malformed escape pair' : 'Illegal character in query';
    throw new QuerystringError(
      `could not extract name-value pairs from querystring with encoding ${encoding}: ${what} at index ${bad.index + PREFIX_LENGTH}`,
    );
  }
  const hash = qs.indexOf('#');
  return splitQuery(hash >= 0 ? qs.slice(0, hash) : qs);
}

/** Split and decode an already-legal raw query (no `#`): `URLEncodedUtils.parse` on a parsed URI. */
export function splitQuery(query: string): NVP[] {
  const out: NVP[] = [];
  if (query.length === 0) return out;
  let start = 0;
  for (let i = 0; i <= query.length; i++) {
    const c = i < query.length ? query.charCodeAt(i) : 38;
    if (c !== 38 /* & */ && c !== 59 /* ; */) continue;
    if (i > start) {
      const pair = query.slice(start, i);
      const eq = pair.indexOf('=');
      const name = decodeFormComponent(eq >= 0 ? pair.slice(0, eq) : pair);
      if (name.length > 0) out.push({ name, value: eq >= 0 ? decodeFormComponent(pair.slice(eq + 1)) : null });
    }
    start = i + 1;
  }
  return out;
}

/** Name → value with the last occurrence winning (Scala `List[(k, v)].toMap`). */
export function toParameterMap(nvps: readonly NVP[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const p of nvps) m.set(p.name, p.value);
  return m;
}
