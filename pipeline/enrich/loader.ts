/**
 * Raw Kinesis record → validated collector payload (EN `ThriftLoader`, `CollectorPayload.parseApi`).
 * Thrift is decoded with the collector's codec. Every problem is one collector_payload_format_violation
 * message; a record with a bad path *and* a bad network user id yields two.
 */
import { decodeCollectorPayload, ThriftDecodeError, type CollectorPayload } from '../core/collector-payload';
import type { CPFormatViolationMessage } from '../core/bad-rows-enrich';
import { criterionMatches, parseSchemaCriterion, trySchemaKey } from '../core/schema-key';
import { extractIpAddress } from './ip-address';
import { parseQuerystring, QuerystringError } from './querystring';
import type { Api, LoadedPayload } from './raw-event';
import type { NVP } from '../core/bad-rows-enrich';

const EXPECTED_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-*';
const EXPECTED = parseSchemaCriterion(EXPECTED_SCHEMA);
const API_PATH = /^\/?([^/]+)\/([^/]+)\/?$/;
export const SNOWPLOW_TP1: Api = { vendor: 'com.snowplowanalytics.snowplow', version: 'tp1' };

export type LoadResult = { ok: true; payload: LoadedPayload } | { ok: false; messages: CPFormatViolationMessage[] };

/** `/vendor/version`, or the legacy pixel paths `/i`, `/i?...`, `/ice.png...` (tp1). */
export function parseApi(path: string): Api | undefined {
  const m = API_PATH.exec(path);
  if (m) return { vendor: m[1]!, version: m[2]! };
  if (path.startsWith('/ice.png') || path === '/i' || path.startsWith('/i?')) return SNOWPLOW_TP1;
  return undefined;
}

const UUID_CANONICAL = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UUID_PART = /^[+-]?[0-9a-fA-F]+$/;
const UUID_WIDTHS = [8, 4, 4, 4, 12];

/** Java `UUID.fromString` (lenient: 1-1-1-1-1 is a UUID), rendered canonically; undefined if invalid. */
export function javaUuid(s: string): string | undefined {
  if (s.length === 36 && UUID_CANONICAL.test(s)) return s.toLowerCase();
  if (s.length > 36) return undefined;
  const parts = s.split('-');
  if (parts.length !== 5 || !parts.every((p) => UUID_PART.test(p))) return undefined;
  return parts
    .map((p, i) => {
      const bits = BigInt(UUID_WIDTHS[i]! * 4);
      const v = BigInt.asUintN(Number(bits), BigInt(p.startsWith('-') ? `-0x${p.slice(1)}` : `0x${p.replace(/^\+/, '')}`));
      return v.toString(16).padStart(UUID_WIDTHS[i]!, '0');
    })
    .join('-');
}

const SUPPORTED_ENCODINGS = new Set(['utf-8', 'utf8']);

function decodeError(err: unknown): CPFormatViolationMessage {
  if (err instanceof ThriftDecodeError && /^truncated/.test(err.message))
    return { error: 'error deserializing raw event: Reached end of bytes when parsing as thrift format' };
  return { error: `error deserializing raw event: ${(err as Error).message}` };
}

/** Decode and validate one raw record. Never throws. */
export function loadRecord(bytes: Uint8Array): LoadResult {
  let cp: CollectorPayload;
  try {
    cp = decodeCollectorPayload(bytes);
  } catch (err) {
    return { ok: false, messages: [decodeError(err)] };
  }
  // Charset.forName runs before validation in Enrich, and its failure is a deserialisation error.
  if (cp.encoding === undefined) return { ok: false, messages: [{ error: 'error deserializing raw event: Null charset name' }] };
  if (!SUPPORTED_ENCODINGS.has(cp.encoding.toLowerCase())) return { ok: false, messages: [{ error: `error deserializing raw event: ${cp.encoding}` }] };

  const messages: CPFormatViolationMessage[] = [];
  let querystring: NVP[] = [];
  if (cp.querystring !== undefined) {
    try {
      querystring = parseQuerystring(cp.querystring, cp.encoding);
    } catch (err) {
      if (!(err instanceof QuerystringError)) throw err;
      messages.push({ payloadField: 'querystring', value: cp.querystring, expectation: err.message });
    }
  }
  let api: Api | undefined;
  if (cp.path === undefined) messages.push({ payloadField: 'path', value: null, expectation: 'request does not contain a path' });
  else {
    api = parseApi(cp.path);
    if (!api) messages.push({ payloadField: 'path', value: cp.path, expectation: 'path does not match (/)vendor/version(/) nor is a legacy /i(ce.png) request' });
  }
  let userId: string | null = null;
  if (cp.networkUserId !== undefined) {
    const u = javaUuid(cp.networkUserId);
    if (u === undefined) messages.push({ payloadField: 'networkUserId', value: cp.networkUserId, expectation: 'not valid UUID' });
    else userId = u;
  }
  const key = cp.schema === undefined ? undefined : trySchemaKey(cp.schema);
  if (!key || !criterionMatches(EXPECTED, key)) messages.push({ error: `verifying record as ${EXPECTED_SCHEMA} failed: found ${cp.schema ?? 'null'}` });
  if (messages.length) return { ok: false, messages };

  const headers = cp.headers ?? [];
  return {
    ok: true,
    payload: {
      api: api!,
      querystring,
      contentType: cp.contentType ?? null,
      body: cp.body ?? null,
      source: { name: cp.collector ?? '', encoding: cp.encoding, hostname: cp.hostname ?? null },
      context: {
        timestamp: cp.timestamp,
        ipAddress: extractIpAddress(headers, cp.ipAddress ?? null),
        useragent: cp.userAgent ?? null,
        refererUri: cp.refererUri ?? null,
        headers,
        userId,
      },
    },
  };
}
