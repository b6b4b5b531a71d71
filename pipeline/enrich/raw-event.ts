/**
 * Enrich's two intermediate shapes: the loaded collector payload (EN `loaders.CollectorPayload`: the Thrift
 * record validated and its querystring parsed) and the raw event an adapter makes of it (EN `RawEvent`:
 * one event's parameters plus the shared collector context). Both render to their bad-row payload JSON.
 */
import type { CollectorPayloadJson, NVP, RawEventJson } from '../core/bad-rows-enrich';

export interface Api {
  vendor: string;
  version: string;
}

export interface Source {
  /** The collector's name and version (`ssc-3.4.0-kinesissink`), becomes `v_collector`. */
  name: string;
  encoding: string;
  hostname: string | null;
}

export interface PayloadContext {
  /** Collector time, ms since the epoch. */
  timestamp: number;
  /** Client IP re-derived from the headers (see ip-address.ts). */
  ipAddress: string | null;
  useragent: string | null;
  refererUri: string | null;
  headers: string[];
  /** The collector's network user id, canonical lower-case UUID. */
  userId: string | null;
}

export interface LoadedPayload {
  api: Api;
  querystring: NVP[];
  contentType: string | null;
  body: string | null;
  source: Source;
  context: PayloadContext;
}

export type RawParameters = Map<string, string | null>;

export interface RawEvent {
  api: Api;
  parameters: RawParameters;
  contentType: string | null;
  source: Source;
  context: PayloadContext;
}

/**
 * Joda `DateTime.toString` in UTC: `2021-08-29T12:01:05.787Z` (always with milliseconds). A collector time
 * outside years 0–9999 (only a corrupted record has one) is null, where Joda would print a non-RFC-3339 year.
 */
export function jodaDateTime(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < -62167219200000 || ms > 253402300799999) return null;
  return new Date(ms).toISOString();
}

export function collectorPayloadJson(p: LoadedPayload): CollectorPayloadJson {
  return {
    vendor: p.api.vendor,
    version: p.api.version,
    querystring: p.querystring.map((q) => ({ name: q.name, value: q.value })),
    contentType: p.contentType,
    body: p.body,
    collector: p.source.name,
    encoding: p.source.encoding,
    hostname: p.source.hostname,
    timestamp: jodaDateTime(p.context.timestamp),
    ipAddress: p.context.ipAddress,
    useragent: p.context.useragent,
    refererUri: p.context.refererUri,
    headers: p.context.headers,
    networkUserId: p.context.userId,
  };
}

export function rawEventJson(e: RawEvent): RawEventJson {
  const parameters: NVP[] = [];
  for (const [name, value] of e.parameters) parameters.push({ name, value });
  return {
    vendor: e.api.vendor,
    version: e.api.version,
    parameters,
    contentType: e.contentType,
    loaderName: e.source.name,
    encoding: e.source.encoding,
    hostname: e.source.hostname,
    timestamp: jodaDateTime(e.context.timestamp),
    ipAddress: e.context.ipAddress,
    useragent: e.context.useragent,
    refererUri: e.context.refererUri,
    headers: e.context.headers,
    userId: e.context.userId,
  };
}
