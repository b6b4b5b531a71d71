/**
 * The `collector` section of the pipeline config (validated by `pipeline/config`'s `section()`).
 * Key names follow Snowplow's collector where one exists (spec §1.9), durations in ms (`…Ms`) or as
 * Snowplow-style strings where Snowplow uses them (`cookie.expiration: "365 days"`). Stream names come
 * from the shared `streams` section (`raw` for good records, `bad1` for size_violation bad rows).
 */
import { availableParallelism } from 'node:os';
import { ConfigError, section, type PipelineConfig } from '../config/index';

export type SameSite = 'None' | 'Lax' | 'Strict';
export type AckMode = 'buffered' | 'ack';

export interface CollectorConfig {
  interface: string;
  port: number;
  /**
   * HTTP worker processes sharing the port (node:cluster), each with its own event loop and Kinesis producers
   * (default 1: one process, no cluster). One per core on a dedicated instance: a Node event loop uses one
   * core, so this is how the collector uses the rest. /metrics sums every worker; /health answers for the
   * worker that serves it. `"auto"`: one per core the process may use (`os.availableParallelism()`).
   */
  workers: number | 'auto';
  /** Custom two-segment paths → the path recorded (and routed), e.g. `/com.acme/track` → `/com.snowplowanalytics.snowplow/tp2`. */
  paths: Record<string, string>;
  enableDefaultRedirect: boolean;
  /** If non-empty, a redirect target's host must be one of these. */
  redirectDomains: string[];
  /** Replace `placeholder` (default `${SP_NUID}`) in redirect targets with the network user id. */
  redirectMacro: { enabled: boolean; placeholder?: string };
  cookie: {
    enabled: boolean;
    name: string;
    /** Snowplow-style duration, e.g. `365 days`. */
    expiration: string;
    domains: string[];
    fallbackDomain?: string;
    secure: boolean;
    httpOnly: boolean;
    sameSite: string;
    clientCookieName?: string;
  };
  doNotTrackCookie: { enabled: boolean; name: string; value: string };
  cookieBounce: { enabled: boolean; name: string; fallbackNetworkUserId: string; forwardedProtocolHeader?: string };
  cors: { accessControlMaxAge: string };
  rootResponse: { enabled: boolean; statusCode: number; headers: Record<string, string>; body: string };
  crossDomain: { enabled: boolean; domains: string[]; secure: boolean };
  hsts: { enable: boolean; maxAge: string };
  networking: {
    /** Bodies above this get 413 and nothing is recorded. */
    dropPayloadSize: number;
    /** Encoded payloads above this become one size_violation instead of being split. */
    maxPayloadSize: number;
    /** Request line + headers, in bytes (Node's maxHeaderSize); above it: 400. */
    maxHeadersLength: number;
    /** Whole request (headers + body) must arrive within this, else 408. */
    bodyReadTimeoutMs: number;
    /** An answer must be ready within this (ack mode waits for Kinesis), else 408. */
    responseHeaderTimeoutMs: number;
    /** Keep-alive idle timeout (Snowplow: 610 s, above an ALB's 60 s). */
    idleTimeoutMs: number;
    maxConnections: number;
  };
  /** Use the client IP instead of a random UUID as the partition key (deprecated in Snowplow 3.5). */
  useIpAddressAsPartitionKey: boolean;
  sink: {
    /** The sink's record limit; larger payloads are split (Kinesis: 1,000,000). */
    maxBytes: number;
    buffer: { byteLimit: number; recordLimit: number; timeLimitMs: number };
    /** Bound on unacknowledged bytes per stream; beyond it tracking requests get 503. */
    maxBufferBytes: number;
    maxInFlight: number;
    unhealthyAfterFailures: number;
    backoff: { minMs: number; maxMs: number };
    /**
     * Run the producers in a worker thread, off the HTTP event loop (default false). On an instance with a core
     * to spare it raises the HTTP loop's capacity (~40 → ~31–36 µs of main-thread CPU per tp2 POST); it costs
     * ~80–100 MB more peak RSS (a second V8 heap) and gains nothing when every core is busy anyway.
     */
    thread: boolean;
  };
  /** `buffered`: answer once the record is queued (fast; a crash loses the buffer). `ack`: answer after Kinesis acknowledged it. */
  ackMode: AckMode;
  /** Keep serving this long after SIGTERM before draining (Snowplow's preTerminationPeriod; give the LB time to deregister). */
  preTerminationPeriodMs: number;
  /** Upper bound on the final flush after SIGTERM. */
  shutdownTimeoutMs: number;
  logLevel: string;
  /** Forward `/micro/*` here (the emulator's Snowplow Micro-compatible API); unset: 404. */
  microUpstream?: string;
}

const str = { type: 'string' } as const;
const bool = (d: boolean) => ({ type: 'boolean', default: d }) as const;
const int = (d: number, minimum = 0) => ({ type: 'integer', minimum, default: d }) as const;
const strDefault = (d: string) => ({ type: 'string', default: d }) as const;
const strings = (d: string[] = []) => ({ type: 'array', items: str, default: d }) as const;
const obj = (properties: Record<string, object>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, required, default: {} }) as const;

export const collectorConfigSchema = obj({
  interface: strDefault('127.0.0.1'),
  port: { type: 'integer', minimum: 0, maximum: 65535, default: 9090 },
  paths: { type: 'object', additionalProperties: { type: 'string', pattern: '^/' }, default: {} },
  workers: { oneOf: [{ type: 'integer', minimum: 1, maximum: 256 }, { const: 'auto' }], default: 1 },
  enableDefaultRedirect: bool(false),
  redirectDomains: strings(),
  redirectMacro: obj({ enabled: bool(false), placeholder: str }),
  cookie: obj({
    enabled: bool(true),
    name: strDefault('sp'),
    expiration: strDefault('365 days'),
    domains: strings(),
    fallbackDomain: str,
    secure: bool(true),
    httpOnly: bool(true),
    sameSite: { type: 'string', pattern: '^(?:[Nn][Oo][Nn][Ee]|[Ll][Aa][Xx]|[Ss][Tt][Rr][Ii][Cc][Tt])$', default: 'None' },
    clientCookieName: str,
  }),
  doNotTrackCookie: obj({ enabled: bool(false), name: strDefault(''), value: strDefault('') }),
  cookieBounce: obj({
    enabled: bool(false),
    name: strDefault('n3pc'),
    fallbackNetworkUserId: strDefault('00000000-0000-4000-A000-000000000000'),
    forwardedProtocolHeader: str,
  }),
  cors: obj({ accessControlMaxAge: strDefault('60 minutes') }),
  rootResponse: obj({
    enabled: bool(false),
    statusCode: { type: 'integer', minimum: 100, maximum: 599, default: 302 },
    headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    body: strDefault(''),
  }),
  crossDomain: obj({ enabled: bool(false), domains: strings(['*']), secure: bool(true) }),
  hsts: obj({ enable: bool(false), maxAge: strDefault('365 days') }),
  networking: obj({
    dropPayloadSize: int(2_097_152, 1),
    maxPayloadSize: int(1_048_576, 1),
    maxHeadersLength: int(61_440, 1024),
    bodyReadTimeoutMs: int(25_000, 1),
    responseHeaderTimeoutMs: int(30_000, 1),
    idleTimeoutMs: int(610_000, 1),
    maxConnections: int(1024, 1),
  }),
  useIpAddressAsPartitionKey: bool(false),
  sink: obj({
    maxBytes: { type: 'integer', minimum: 1024, maximum: 1_048_576, default: 1_000_000 },
    buffer: obj({ byteLimit: int(3_145_728, 1), recordLimit: int(500, 1), timeLimitMs: int(500) }),
    maxBufferBytes: int(64 * 1024 * 1024, 1_048_576),
    maxInFlight: int(4, 1),
    unhealthyAfterFailures: int(3, 1),
    backoff: obj({ minMs: int(100, 1), maxMs: int(10_000, 1) }),
    thread: bool(false),
  }),
  ackMode: { type: 'string', enum: ['buffered', 'ack'], default: 'buffered' },
  preTerminationPeriodMs: int(0),
  shutdownTimeoutMs: int(30_000, 1),
  logLevel: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info' },
  microUpstream: { type: 'string', pattern: '^https?://' },
});

const UNITS: Record<string, number> = {
  ms: 1, millis: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** `365 days`, `60 minutes`, `30 s`, `500ms` → milliseconds (a bare number means ms). */
export function parseDuration(text: string, where: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? (m[2] ?? '').toLowerCase() || 'ms' : '';
  if (!m || UNITS[unit] === undefined) throw new ConfigError(`invalid config: ${where}: '${text}' is not a duration like '365 days' or '500 ms'`);
  return Math.round(Number(m[1]) * UNITS[unit]!);
}

/** The section plus derived values, checked for consistency. */
export interface ResolvedCollectorConfig extends CollectorConfig {
  /** `"auto"` resolved to this machine's cores. */
  workers: number;
  cookieExpirationMs: number;
  corsMaxAgeSeconds: number;
  hstsMaxAgeSeconds: number;
  sameSite: SameSite;
  goodStream: string;
  badStream: string;
}

export function collectorConfig(config: PipelineConfig): ResolvedCollectorConfig {
  const c = section<CollectorConfig>(config, 'collector', collectorConfigSchema);
  const lower = c.cookie.sameSite.toLowerCase();
  const sameSite: SameSite = lower === 'lax' ? 'Lax' : lower === 'strict' ? 'Strict' : 'None';
  if (c.networking.maxPayloadSize > c.networking.dropPayloadSize)
    throw new ConfigError('invalid config: collector.networking.maxPayloadSize must not exceed dropPayloadSize');
  if (c.sink.backoff.maxMs < c.sink.backoff.minMs) throw new ConfigError('invalid config: collector.sink.backoff.maxMs must be >= minMs');
  for (const [from, to] of Object.entries(c.paths))
    if (!/^\/[^/]+\/[^/]+$/.test(from)) throw new ConfigError(`invalid config: collector.paths: '${from}' (→ ${to}) must be a two-segment path /vendor/version`);
  if (c.doNotTrackCookie.enabled) {
    try {
      new RegExp(c.doNotTrackCookie.value);
    } catch (err) {
      throw new ConfigError(`invalid config: collector.doNotTrackCookie.value: ${(err as Error).message}`);
    }
  }
  return {
    ...c,
    workers: c.workers === 'auto' ? availableParallelism() : c.workers,
    sameSite,
    cookieExpirationMs: parseDuration(c.cookie.expiration, 'collector.cookie.expiration'),
    corsMaxAgeSeconds: Math.floor(parseDuration(c.cors.accessControlMaxAge, 'collector.cors.accessControlMaxAge') / 1000),
    hstsMaxAgeSeconds: Math.floor(parseDuration(c.hsts.maxAge, 'collector.hsts.maxAge') / 1000),
    goodStream: config.streams.raw,
    badStream: config.streams.bad1,
  };
}
