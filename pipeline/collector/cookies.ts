/**
 * Cookies and the network user id (spec §1.6): which nuid a request gets, the `Set-Cookie` the answer
 * carries, the do-not-track cookie, the cookie-bounce decision, and the RFC 6265 sanitising of recorded
 * `Cookie` headers (§1.8). Pure functions over already-parsed request parts.
 */
import type { ResolvedCollectorConfig } from './config';

export const SP_ANONYMOUS_NUID = '00000000-0000-0000-0000-000000000000';

/** RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. */
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

export function isCookieOctets(s: string): boolean {
  return COOKIE_OCTETS.test(s);
}

/** Request cookies from every `Cookie` header value; the first occurrence of a name wins. */
export function parseCookies(values: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values)
    for (const part of v.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      if (name && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
    }
  return out;
}

/** `parseCookies(values).get(name)` without building the map (the hot path needs one or two cookies). */
export function cookieValue(values: string[], name: string): string | undefined {
  for (const v of values) {
    let start = 0;
    while (start <= v.length) {
      let end = v.indexOf(';', start);
      if (end < 0) end = v.length;
      const eq = v.indexOf('=', start);
      if (eq > start && eq < end && v.slice(start, eq).trim() === name) return v.slice(eq + 1, end).trim();
      start = end + 1;
    }
  }
  return undefined;
}

/** A whole `Cookie` value that sanitising leaves as it is: cookie-octet parts, `;`-separated, none empty. */
const CLEAN_COOKIE_HEADER = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+(?:;[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+)*$/;

/**
 * A recorded `Cookie` header value: spaces removed, split on `;`, parts with a character outside the
 * cookie-octet set dropped, re-joined with `;`. `undefined` when nothing is left (the header is dropped).
 */
export function sanitizeCookieHeader(value: string): string | undefined {
  if (CLEAN_COOKIE_HEADER.test(value)) return value;
  const kept = value
    .replace(/ /g, '')
    .split(';')
    .filter((p) => p.length > 0 && COOKIE_OCTETS.test(p));
  return kept.length > 0 ? kept.join(';') : undefined;
}

/** Hosts of the `Origin` header (space-separated `scheme://host[:port]`), unparseable entries skipped. */
export interface OriginHost {
  scheme: string;
  host: string;
  port?: string;
}

const ORIGIN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::(\d{1,5}))?$/;

export function parseOrigin(value: string | undefined): OriginHost[] {
  if (!value) return [];
  const out: OriginHost[] = [];
  for (const token of value.split(' ')) {
    const m = ORIGIN.exec(token);
    if (m) out.push({ scheme: m[1]!, host: m[2]!, ...(m[3] ? { port: m[3] } : {}) });
  }
  return out;
}

/** `Access-Control-Allow-Origin`: the first Origin host as `scheme://host[:port]`, else `*`. */
export function allowOrigin(origins: OriginHost[]): string {
  const o = origins[0];
  return o ? `${o.scheme}://${o.host}${o.port ? `:${o.port}` : ''}` : '*';
}

/** The first configured domain some Origin host equals or is a subdomain of; else fallbackDomain; else none. */
export function cookieDomain(domains: string[], fallback: string | undefined, origins: OriginHost[]): string | undefined {
  for (const d of domains) {
    const bare = d.replace(/^\./, '');
    const lower = bare.toLowerCase();
    if (origins.some((o) => o.host.toLowerCase() === lower || o.host.toLowerCase().endsWith(`.${lower}`))) return bare;
  }
  return fallback?.replace(/^\./, '');
}

export interface NuidDecision {
  /** The id recorded in the payload. */
  nuid: string;
  /** Whether the request asks for a bounce (first leg: answer 302, record nothing). */
  bounce: boolean;
}

/**
 * nuid order: SP-Anonymous → all zeros; `nuid` query parameter; the `sp` cookie; while bouncing the
 * configured fallback; otherwise a fresh UUIDv4.
 */
export function resolveNuid(
  cfg: ResolvedCollectorConfig,
  input: { spAnonymous: boolean; nuidParam: string | undefined; cookieValue: string | undefined; bouncing: boolean; pixelExpected: boolean; redirect: boolean },
  newId: () => string,
): NuidDecision {
  const found = input.spAnonymous ? SP_ANONYMOUS_NUID : (input.nuidParam ?? input.cookieValue);
  const bounce = cfg.cookieBounce.enabled && found === undefined && !input.bouncing && input.pixelExpected && !input.redirect;
  const nuid = found ?? (input.bouncing ? cfg.cookieBounce.fallbackNetworkUserId : newId());
  return { nuid, bounce };
}

/** Whether the do-not-track cookie matches (its configured value is a regex matched against the whole value). */
export function doNotTrack(cfg: ResolvedCollectorConfig, dntRegex: RegExp | null, cookieHeaders: string[]): boolean {
  if (!cfg.doNotTrackCookie.enabled || !dntRegex) return false;
  const v = cookieValue(cookieHeaders, cfg.doNotTrackCookie.name);
  return v !== undefined && dntRegex.test(v);
}

export function compileDntRegex(cfg: ResolvedCollectorConfig): RegExp | null {
  return cfg.doNotTrackCookie.enabled ? new RegExp(`^(?:${cfg.doNotTrackCookie.value})$`) : null;
}

/** `Expires` date (IMF-fixdate), cached per second: the hot path renders the same string many times. */
let expiresCache = { second: -1, offset: 0, text: '' };
function imfFixdate(ms: number, offset: number): string {
  const second = Math.floor(ms / 1000);
  if (expiresCache.second !== second || expiresCache.offset !== offset)
    expiresCache = { second, offset, text: new Date(second * 1000 + offset).toUTCString() };
  return expiresCache.text;
}

/**
 * The `Set-Cookie` values for a tracked request, or [] when none is due:
 * `name=value; Expires=…; Domain=…; Path=/; SameSite=…; Secure; HttpOnly` (attribute order of http4s's
 * ResponseCookie; never Max-Age; Secure forced with SameSite=None; re-issued on every hit).
 */
export function setCookieHeaders(
  cfg: ResolvedCollectorConfig,
  input: { nuid: string; spAnonymous: boolean; hadCookie: boolean; origins: OriginHost[]; now: number },
): string[] {
  if (!cfg.cookie.enabled) return [];
  if (input.spAnonymous && !input.hadCookie) return [];
  // SP-Anonymous with an existing cookie: expire it (empty value, Expires in the past).
  const expire = input.spAnonymous && input.hadCookie;
  const value = expire ? '' : input.nuid;
  // Never let a client-chosen nuid (query parameter) inject attributes or break the header.
  if (!COOKIE_OCTETS.test(value)) return [];
  const offset = expire ? -cfg.cookieExpirationMs : cfg.cookieExpirationMs;
  const domain = cookieDomain(cfg.cookie.domains, cfg.cookie.fallbackDomain, input.origins);
  const secure = cfg.cookie.secure || cfg.sameSite === 'None';
  const attrs = `; Expires=${imfFixdate(input.now, offset)}${domain ? `; Domain=${domain}` : ''}; Path=/; SameSite=${cfg.sameSite}${secure ? '; Secure' : ''}`;
  const out = [`${cfg.cookie.name}=${value}${attrs}${cfg.cookie.httpOnly ? '; HttpOnly' : ''}`];
  if (cfg.cookie.clientCookieName) out.push(`${cfg.cookie.clientCookieName}=${value}${attrs}`);
  return out;
}
