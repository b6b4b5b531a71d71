/**
 * HTTP request → `CollectorPayload` (spec §1.6-1.8, §2.1): the client IP, the recorded header list
 * (original order and case, sanitised cookies, the content type appended last), and every field the
 * collector writes. Pure: takes the request's parts, returns the payload.
 */
import { isIP } from 'node:net';
import { COLLECTOR_PAYLOAD_SCHEMA, type CollectorPayload } from '../core/collector-payload';
import { sanitizeCookieHeader } from './cookies';

/** The headers the collector acts on, gathered in one pass over `rawHeaders`. */
export interface SeenHeaders {
  userAgent?: string;
  referer?: string;
  origin?: string;
  host?: string;
  contentType?: string;
  xForwardedFor?: string;
  forwarded?: string;
  spAnonymous: boolean;
  cookies: string[];
  /** The value of a configured header (cookie bounce's forwarded-protocol header). */
  forwardedProto?: string;
  /** The first Content-Length value. */
  contentLength?: string;
  /** Whether a Transfer-Encoding header is present. */
  transferEncoding?: boolean;
}

export function scanHeaders(rawHeaders: string[], forwardedProtoHeader?: string): SeenHeaders {
  // Every field present from the start: one hidden class for every request.
  const seen: SeenHeaders = {
    userAgent: undefined,
    referer: undefined,
    origin: undefined,
    host: undefined,
    contentType: undefined,
    xForwardedFor: undefined,
    forwarded: undefined,
    spAnonymous: false,
    cookies: [],
    forwardedProto: undefined,
    contentLength: undefined,
    transferEncoding: undefined,
  };
  const protoName = forwardedProtoHeader?.toLowerCase();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    switch (name) {
      case 'user-agent':
        seen.userAgent ??= value;
        break;
      case 'referer':
        seen.referer ??= value;
        break;
      case 'origin':
        seen.origin ??= value;
        break;
      case 'host':
        seen.host ??= value;
        break;
      case 'content-type':
        seen.contentType ??= value;
        break;
      case 'x-forwarded-for':
        seen.xForwardedFor = seen.xForwardedFor === undefined ? value : `${seen.xForwardedFor}, ${value}`;
        break;
      case 'forwarded':
        seen.forwarded ??= value;
        break;
      case 'sp-anonymous':
        seen.spAnonymous = true;
        break;
      case 'cookie':
        seen.cookies.push(value);
        break;
      case 'content-length':
        seen.contentLength ??= value;
        break;
      case 'transfer-encoding':
        seen.transferEncoding = true;
        break;
    }
    if (protoName !== undefined && name === protoName) seen.forwardedProto ??= value;
  }
  return seen;
}

/** IPv6 in brackets, canonical (RFC 5952) like ip4s's `toUriString`; IPv4 as is. */
export function renderIp(ip: string): string {
  const kind = isIP(ip);
  if (kind === 4) return ip;
  if (kind === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return mapped[1]!;
    try {
      return new URL(`http://[${ip}]/`).hostname;
    } catch {
      return `[${ip.toLowerCase()}]`; // zone ids (fe80::1%eth0) are valid IPs but not URL hosts
    }
  }
  return ip;
}

/**
 * `X-Forwarded-For`: the first element when every element is an IP or `unknown` (otherwise the header
 * does not parse and is ignored); `unknown` as first element gives `unknown`.
 */
function fromXForwardedFor(value: string): string | undefined {
  const parts = value.split(',').map((s) => s.trim());
  if (!parts.every((p) => p.toLowerCase() === 'unknown' || isIP(p) !== 0)) return undefined;
  const first = parts[0]!;
  return first.toLowerCase() === 'unknown' ? 'unknown' : first;
}

/** `Forwarded` (RFC 7239): the first element's `for=` node, quotes, brackets and port removed. */
function fromForwarded(value: string): string | undefined {
  const first = value.split(',')[0]!;
  for (const pair of first.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    let node = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(node);
    if (v6) node = v6[1]!;
    else if (/^[\d.]+:\d+$/.test(node)) node = node.slice(0, node.indexOf(':'));
    return isIP(node) !== 0 ? node : undefined;
  }
  return undefined;
}

/**
 * The recorded client IP: `unknown` with SP-Anonymous; else the first `X-Forwarded-For` entry; else the
 * `Forwarded: for=` node (Snowplow's collector skips this header, but Enrich reads it, so the result
 * agrees with what Enrich derives); else the socket's address; else `unknown`.
 */
export function clientIp(seen: SeenHeaders, remoteAddress: string | undefined): string {
  if (seen.spAnonymous) return 'unknown';
  const ip =
    (seen.xForwardedFor !== undefined ? fromXForwardedFor(seen.xForwardedFor) : undefined) ??
    (seen.forwarded !== undefined ? fromForwarded(seen.forwarded) : undefined) ??
    remoteAddress;
  return ip === undefined || ip === '' ? 'unknown' : renderIp(ip);
}

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * The content type as http4s re-renders it, lower-cased: `type/sub; param=value`. `undefined` if the
 * header does not parse as a media type (http4s then has no content type either).
 */
export function normaliseContentType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Trackers send the same few content types over and over: remember the last one.
  if (value === lastContentType.raw) return lastContentType.normalised;
  const normalised = normalise(value);
  lastContentType = { raw: value, normalised };
  return normalised;
}

let lastContentType: { raw: string; normalised: string | undefined } = { raw: '', normalised: undefined };

function normalise(value: string): string | undefined {
  const parts = value
    .toLowerCase()
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0 || !MEDIA_TYPE.test(parts[0]!)) return undefined;
  return parts.join('; ');
}

const ANONYMISED = new Set(['x-forwarded-for', 'x-real-ip', 'cookie']);

/** `Name: value` for every header in order; cookies sanitised; with SP-Anonymous no XFF/X-Real-Ip/Cookie; content type last. */
export function recordedHeaders(rawHeaders: string[], spAnonymous: boolean, contentType: string | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.length === 6 || name.length === 9 || name.length === 15 ? name.toLowerCase() : '';
    if (spAnonymous && ANONYMISED.has(lower)) continue;
    if (lower === 'cookie') {
      const v = sanitizeCookieHeader(rawHeaders[i + 1]!);
      if (v !== undefined) out.push(`${name}: ${v}`);
      continue;
    }
    out.push(`${name}: ${rawHeaders[i + 1]}`);
  }
  if (contentType !== undefined) out.push(contentType);
  return out;
}

export interface PayloadInput {
  now: number;
  collector: string;
  ipAddress: string;
  path: string;
  querystring: string;
  /** POST only ('' for an empty body); undefined when the caller hands its UTF-8 bytes to `splitAndSerialize` as `rawBody`. */
  body: string | undefined;
  rawHeaders: string[];
  seen: SeenHeaders;
  /** POST with a parseable Content-Type. */
  contentType: string | undefined;
  hostname: string | undefined;
  networkUserId: string;
}

/**
 * Every field is present (unset ones `undefined`, which the encoder skips) in one fixed order, so that GET and
 * POST payloads share a hidden class and the encoder's property loads stay monomorphic.
 */
export function buildPayload(i: PayloadInput): CollectorPayload {
  return {
    schema: COLLECTOR_PAYLOAD_SCHEMA,
    ipAddress: i.ipAddress,
    timestamp: i.now,
    encoding: 'UTF-8',
    collector: i.collector,
    userAgent: i.seen.userAgent,
    refererUri: i.seen.referer,
    path: i.path,
    querystring: i.querystring,
    body: i.body,
    headers: recordedHeaders(i.rawHeaders, i.seen.spAnonymous, i.contentType),
    contentType: i.contentType,
    hostname: i.hostname,
    networkUserId: i.networkUserId,
  };
}

/** `Host` header without its port (`[::1]:9090` → `[::1]`). */
export function hostWithoutPort(host: string | undefined): string | undefined {
  if (!host) return undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  return colon > 0 ? host.slice(0, colon) : host;
}
