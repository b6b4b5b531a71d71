/**
 * URI handling for `page_url` / `page_referrer` as Enrich does it (EN `ConversionUtils.stringToUri`,
 * `explodeUri`): spaces become `%20`, the text is parsed by `java.net.URI` rules (RFC 2396), and if that
 * fails a lenient parse percent-encodes the offending characters (Enrich falls back to scala-uri and
 * `toJavaURI`). Components are the *raw* (undecoded) path, query and fragment; a missing port is 443 for
 * https and 80 for anything else. A host Java would not accept as a server name (`my_host`, `foo.123`)
 * makes the authority registry-based: host null.
 */

export interface ParsedUri {
  /** `URI.toString`: the input (with spaces as %20), or its lenient re-encoding. */
  text: string;
  scheme: string | null;
  host: string | null;
  /** -1 when absent. */
  port: number;
  rawPath: string | null;
  rawQuery: string | null;
  rawFragment: string | null;
}

export class UriParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UriParseError';
  }
}

// Character classes of java.net.URI (ASCII); any non-ASCII char that is not a control or space char is "other".
const ALPHANUM = 'A-Za-z0-9';
const MARK = "\\-_.!~*'()";
const UNRESERVED = `${ALPHANUM}${MARK}`;
const PATH_CHARS = new RegExp(`^(?:[${UNRESERVED}:@&=+$,;/]|%[0-9A-Fa-f]{2}|[^\\x00-\\x7f\\x80-\\x9f\\s])*$`);
const URIC_CHARS = new RegExp(`^(?:[${UNRESERVED};/?:@&=+$,\\[\\]]|%[0-9A-Fa-f]{2}|[^\\x00-\\x7f\\x80-\\x9f\\s])*$`);
const USERINFO_CHARS = new RegExp(`^(?:[${UNRESERVED};:&=+$,]|%[0-9A-Fa-f]{2}|[^\\x00-\\x7f\\x80-\\x9f\\s])*$`);
const REGNAME_CHARS = new RegExp(`^(?:[${UNRESERVED}$,;:@&=+]|%[0-9A-Fa-f]{2}|[^\\x00-\\x7f\\x80-\\x9f\\s])+$`);
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+(%[A-Za-z0-9._~-]+)?\]$/;
const PORT = /^\d*$/;

/** RFC 3986 appendix B split; never fails. */
const SPLIT = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

interface Authority {
  host: string | null;
  port: number;
}

// Authorities repeat (one site, a few referrers): remember each answer (bounded; cleared when full).
const AUTHORITY_CACHE = new Map<string, Authority | null>();

function serverAuthority(auth: string): Authority | undefined {
  const hit = AUTHORITY_CACHE.get(auth);
  if (hit !== undefined) return hit ?? undefined;
  const parsed = parseServerAuthority(auth);
  if (AUTHORITY_CACHE.size >= 10_000) AUTHORITY_CACHE.clear();
  AUTHORITY_CACHE.set(auth, parsed ?? null);
  return parsed;
}

function parseServerAuthority(auth: string): Authority | undefined {
  let hostPort = auth;
  const at = auth.lastIndexOf('@');
  if (at >= 0) {
    if (!USERINFO_CHARS.test(auth.slice(0, at))) return undefined;
    hostPort = auth.slice(at + 1);
  }
  let host = hostPort;
  let portText = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return undefined;
    host = hostPort.slice(0, close + 1);
    const rest = hostPort.slice(close + 1);
    if (rest.length && !rest.startsWith(':')) return undefined;
    portText = rest.slice(1);
    if (!IPV6.test(host)) return undefined;
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon >= 0) {
      host = hostPort.slice(0, colon);
      portText = hostPort.slice(colon + 1);
    }
    if (!IPV4.test(host)) {
      if (!HOSTNAME.test(host)) return undefined;
      // A fully qualified name's rightmost label must start with a letter.
      const labels = host.replace(/\.$/, '').split('.');
      if (labels.length > 1 && !/^[A-Za-z]/.test(labels[labels.length - 1]!)) return undefined;
    }
  }
  if (!PORT.test(portText)) return undefined;
  const port = portText.length ? Number(portText) : -1;
  if (port > 2147483647) return undefined;
  return { host: host.length ? host : null, port };
}

/** Strict java.net.URI parse; returns undefined where Java would throw. */
function strictParse(text: string): ParsedUri | undefined {
  const m = SPLIT.exec(text);
  if (!m) return undefined;
  const [, scheme, authority, path, query, fragment] = m;
  if (scheme !== undefined && !SCHEME.test(scheme)) return undefined;
  if (fragment !== undefined && !URIC_CHARS.test(fragment)) return undefined;
  // Opaque URI: a scheme whose scheme-specific part does not start with '/'.
  if (scheme !== undefined && authority === undefined && !path!.startsWith('/')) {
    const ssp = text.slice(scheme.length + 1, fragment !== undefined ? text.length - fragment.length - 1 : text.length);
    if (ssp.length === 0 || !URIC_CHARS.test(ssp)) return undefined;
    return { text, scheme, host: null, port: -1, rawPath: null, rawQuery: null, rawFragment: fragment ?? null };
  }
  if (!PATH_CHARS.test(path!)) return undefined;
  if (query !== undefined && !URIC_CHARS.test(query)) return undefined;
  let host: string | null = null;
  let port = -1;
  if (authority !== undefined && authority.length) {
    const server = serverAuthority(authority);
    if (server) ({ host, port } = server);
    else if (!REGNAME_CHARS.test(authority)) return undefined; // registry-based authority: no host
  }
  return { text, scheme: scheme ?? null, host, port, rawPath: path!, rawQuery: query ?? null, rawFragment: fragment ?? null };
}

/** Percent-encode (UTF-8) every char not allowed by `allowed`, and every `%` not starting an escape. */
function encodeIllegal(part: string, allowed: RegExp): string {
  let out = '';
  for (const ch of part) {
    if (ch === '%') {
      out += '%';
      continue;
    }
    out += allowed.test(ch) ? ch : encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return out.replace(/%(?![0-9A-Fa-f]{2})/g, '%25');
}

const PATH_CHAR = new RegExp(`^(?:[${UNRESERVED}:@&=+$,;/]|[^\\x00-\\x7f\\x80-\\x9f\\s])$`);
const URIC_CHAR = new RegExp(`^(?:[${UNRESERVED};/?:@&=+$,]|[^\\x00-\\x7f\\x80-\\x9f\\s])$`);

/** Lenient parse (Enrich's scala-uri fallback): encode what Java rejects, then parse strictly. */
function lenientParse(text: string): ParsedUri | undefined {
  const m = SPLIT.exec(text);
  if (!m) return undefined;
  const [, scheme, authority, path, query, fragment] = m;
  if (scheme !== undefined && !SCHEME.test(scheme)) return undefined;
  let rebuilt = scheme !== undefined ? `${scheme}:` : '';
  let registryHost = false;
  if (authority !== undefined) {
    if (authority.length && !serverAuthority(authority)) {
      // eslint-disable-next-line no-control-regex
      if (/[\s"<>\\^`{|}\x00-\x1f\x7f]/.test(authority)) return undefined;
      registryHost = true;
    }
    rebuilt += `//${authority}`;
  }
  rebuilt += encodeIllegal(path!, PATH_CHAR);
  if (query !== undefined) rebuilt += `?${encodeIllegal(query, URIC_CHAR)}`;
  if (fragment !== undefined) rebuilt += `#${encodeIllegal(fragment, URIC_CHAR)}`;
  const parsed = strictParse(rebuilt);
  if (parsed && registryHost) parsed.host = null;
  return parsed;
}

/** Enrich's `stringToUri`: null for null input, otherwise a parsed URI or a `UriParseError`. */
export function parseUri(input: string): ParsedUri {
  const text = input.includes(' ') ? input.replace(/ /g, '%20') : input;
  const strict = strictParse(text);
  if (strict) return strict;
  const lenient = lenientParse(input.replace(/ /g, '%20'));
  if (lenient) return lenient;
  throw new UriParseError(`Provided URI [${input}] could not be parsed, neither by Java parsing nor by Scala parsing.`);
}

/** Port rule of `explodeUri`: explicit, else 443 for https, else 80 (for any scheme, even none). */
export function effectivePort(u: ParsedUri): number {
  if (u.port !== -1) return u.port;
  return u.scheme === 'https' ? 443 : 80;
}
