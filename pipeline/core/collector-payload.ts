/**
 * Snowplow's raw-stream record: the Thrift struct `CollectorPayload` 1-0-0
 * (`com.snowplowanalytics.snowplow.CollectorPayload.thrift.model1`), serialised with TBinaryProtocol,
 * struct only (no message envelope), exactly as Thrift's Java `TSerializer` writes it:
 * fields in ascending id order (so `schema`, id 31337, comes last), unset fields skipped, a STOP byte at
 * the end. The collector encodes, Enrich decodes. Pure: no I/O, no AWS imports.
 *
 * IDL (SP `collector-payload.thrift`):
 *   31337: string schema | 100: string ipAddress | 200: i64 timestamp | 210: string encoding
 *   220: string collector | 300: optional string userAgent | 310: optional string refererUri
 *   320: optional string path | 330: optional string querystring | 340: optional string body
 *   350: optional list<string> headers | 360: optional string contentType
 *   400: optional string hostname | 410: optional string networkUserId
 */

import { Buffer } from 'node:buffer';

export const COLLECTOR_PAYLOAD_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0';

/**
 * One HTTP request as the collector recorded it. Strings the collector always fills are still optional
 * here because a decoder must accept records written by others that leave them unset (Thrift "default"
 * requiredness). `undefined` means "not set": the field is not on the wire.
 */
export interface CollectorPayload {
  schema?: string;
  ipAddress?: string;
  /** Milliseconds since the epoch (Thrift i64; always written, 0 when unknown). */
  timestamp: number;
  encoding?: string;
  collector?: string;
  userAgent?: string;
  refererUri?: string;
  path?: string;
  querystring?: string;
  body?: string;
  headers?: string[];
  contentType?: string;
  hostname?: string;
  networkUserId?: string;
}

/** Thrift wire type codes used by this struct. */
export const TType = { STOP: 0, BOOL: 2, BYTE: 3, DOUBLE: 4, I16: 6, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, SET: 14, LIST: 15 } as const;

/** Field ids, in declaration order (the order Java's toString uses). */
export const FIELD_IDS = {
  schema: 31337,
  ipAddress: 100,
  timestamp: 200,
  encoding: 210,
  collector: 220,
  userAgent: 300,
  refererUri: 310,
  path: 320,
  querystring: 330,
  body: 340,
  headers: 350,
  contentType: 360,
  hostname: 400,
  networkUserId: 410,
} as const satisfies Record<keyof CollectorPayload, number>;

const FIELD_BY_ID = new Map<number, keyof CollectorPayload>(
  Object.entries(FIELD_IDS).map(([name, id]) => [id, name as keyof CollectorPayload]),
);

/** Typed failure of `decodeCollectorPayload`; Enrich turns it into a collector_payload_format_violation. */
export class ThriftDecodeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'ThriftDecodeError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Encoder: one pass to size, one allocation, one pass to write. Strings are written with Buffer#write
// (native UTF-8, unpaired surrogates become U+FFFD exactly like Buffer.from / the thrift library): a JS
// byte loop is no faster for short strings and much slower once the strings reaching it come in several
// representations (flat, cons, sliced), which turns `charCodeAt` megamorphic in a busy collector.

function stringFieldSize(s: string | undefined): number {
  return s === undefined ? 0 : 3 + 4 + Buffer.byteLength(s, 'utf8');
}

/**
 * Exact encoded size in bytes, without encoding (used to decide on splitting). `rawBody`, as in
 * `encodeCollectorPayload`, stands for the body.
 */
export function collectorPayloadSize(p: CollectorPayload, rawBody?: Uint8Array): number {
  let size = 3 + 8 + 1; // timestamp field + STOP
  size += stringFieldSize(p.schema) + stringFieldSize(p.ipAddress) + stringFieldSize(p.encoding) + stringFieldSize(p.collector);
  size += stringFieldSize(p.userAgent) + stringFieldSize(p.refererUri) + stringFieldSize(p.path) + stringFieldSize(p.querystring);
  size += rawBody !== undefined ? 3 + 4 + rawBody.length : stringFieldSize(p.body);
  size += stringFieldSize(p.contentType) + stringFieldSize(p.hostname) + stringFieldSize(p.networkUserId);
  if (p.headers !== undefined) {
    size += 3 + 1 + 4;
    for (const h of p.headers) size += 4 + Buffer.byteLength(h, 'utf8');
  }
  return size;
}

function writeI32(buf: Buffer, off: number, n: number): void {
  buf[off] = n >>> 24;
  buf[off + 1] = n >>> 16;
  buf[off + 2] = n >>> 8;
  buf[off + 3] = n;
}

function writeFieldHeader(buf: Buffer, off: number, type: number, id: number): number {
  buf[off] = type;
  buf[off + 1] = id >>> 8;
  buf[off + 2] = id;
  return off + 3;
}

/** A Thrift string: i32 byte length, then the UTF-8 bytes. */
function writeString(buf: Buffer, off: number, s: string): number {
  const n = buf.write(s, off + 4, 'utf8');
  writeI32(buf, off, n);
  return off + 4 + n;
}

function writeStringField(buf: Buffer, off: number, id: number, v: string | undefined): number {
  return v === undefined ? off : writeString(buf, writeFieldHeader(buf, off, TType.STRING, id), v);
}

/**
 * Serialise to TBinaryProtocol bytes, byte-identical to Thrift's Java/JS library output.
 *
 * `rawBody`: the body as the UTF-8 bytes it arrived in, written as they are in place of `p.body`. The collector
 * passes a POST body this way when it is valid UTF-8 (then the bytes are exactly what encoding its string would
 * write), which spares every POST a decode to a string and an encode back.
 */
export function encodeCollectorPayload(p: CollectorPayload, rawBody?: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(collectorPayloadSize(p, rawBody));
  // Wire order: ascending field id, so `schema` (31337) comes last.
  let off = writeStringField(buf, 0, FIELD_IDS.ipAddress, p.ipAddress);
  off = writeFieldHeader(buf, off, TType.I64, FIELD_IDS.timestamp);
  // i64 big-endian as two's-complement halves (exact for every safe integer; no BigInt on the hot path).
  const t = Math.trunc(p.timestamp);
  const high = Math.floor(t / 0x1_0000_0000);
  writeI32(buf, off, high);
  writeI32(buf, off + 4, t - high * 0x1_0000_0000);
  off += 8;
  off = writeStringField(buf, off, FIELD_IDS.encoding, p.encoding);
  off = writeStringField(buf, off, FIELD_IDS.collector, p.collector);
  off = writeStringField(buf, off, FIELD_IDS.userAgent, p.userAgent);
  off = writeStringField(buf, off, FIELD_IDS.refererUri, p.refererUri);
  off = writeStringField(buf, off, FIELD_IDS.path, p.path);
  off = writeStringField(buf, off, FIELD_IDS.querystring, p.querystring);
  if (rawBody !== undefined) {
    off = writeFieldHeader(buf, off, TType.STRING, FIELD_IDS.body);
    writeI32(buf, off, rawBody.length);
    buf.set(rawBody, off + 4);
    off += 4 + rawBody.length;
  } else off = writeStringField(buf, off, FIELD_IDS.body, p.body);
  const headers = p.headers;
  if (headers !== undefined) {
    off = writeFieldHeader(buf, off, TType.LIST, FIELD_IDS.headers);
    buf[off] = TType.STRING;
    writeI32(buf, off + 1, headers.length);
    off += 5;
    for (let i = 0; i < headers.length; i++) off = writeString(buf, off, headers[i]!);
  }
  off = writeStringField(buf, off, FIELD_IDS.contentType, p.contentType);
  off = writeStringField(buf, off, FIELD_IDS.hostname, p.hostname);
  off = writeStringField(buf, off, FIELD_IDS.networkUserId, p.networkUserId);
  off = writeStringField(buf, off, FIELD_IDS.schema, p.schema);
  buf[off++] = TType.STOP;
  if (off !== buf.length) throw new Error(`collector payload encoder: wrote ${off} bytes, sized ${buf.length}`); // a bug, never input
  return buf;
}

// ---------------------------------------------------------------------------------------------------------
// Decoder: accepts any field order, skips unknown ids (of any type, nested), rejects truncated input and
// wrong types for known ids. Bounded: every length is checked against the remaining bytes before use.

class Reader {
  off = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number): void {
    if (n < 0 || this.off + n > this.buf.length) throw new ThriftDecodeError(`truncated: need ${n} more byte(s), ${this.buf.length - this.off} left`, this.off);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.off);
    this.off += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.off);
    this.off += 8;
    return v;
  }
  string(): string {
    const len = this.i32();
    if (len < 0) throw new ThriftDecodeError(`negative string length ${len}`, this.off - 4);
    this.need(len);
    const s = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return s;
  }
  advance(n: number): void {
    this.need(n);
    this.off += n;
  }
  skip(type: number, depth = 0): void {
    if (depth > 64) throw new ThriftDecodeError('nesting deeper than 64', this.off);
    switch (type) {
      case TType.BOOL:
      case TType.BYTE:
        return this.advance(1);
      case TType.I16:
        return this.advance(2);
      case TType.I32:
        return this.advance(4);
      case TType.I64:
      case TType.DOUBLE:
        return this.advance(8);
      case TType.STRING: {
        const len = this.i32();
        if (len < 0) throw new ThriftDecodeError(`negative binary length ${len}`, this.off - 4);
        return this.advance(len);
      }
      case TType.STRUCT:
        for (;;) {
          const t = this.u8();
          if (t === TType.STOP) return;
          this.i16();
          this.skip(t, depth + 1);
        }
      case TType.MAP: {
        const k = this.u8();
        const v = this.u8();
        const n = this.i32();
        if (n < 0) throw new ThriftDecodeError(`negative map size ${n}`, this.off - 4);
        for (let i = 0; i < n; i++) {
          this.skip(k, depth + 1);
          this.skip(v, depth + 1);
        }
        return;
      }
      case TType.SET:
      case TType.LIST: {
        const e = this.u8();
        const n = this.i32();
        if (n < 0) throw new ThriftDecodeError(`negative list size ${n}`, this.off - 4);
        for (let i = 0; i < n; i++) this.skip(e, depth + 1);
        return;
      }
      default:
        throw new ThriftDecodeError(`unknown field type ${type}`, this.off);
    }
  }
}

/** Parse TBinaryProtocol bytes into a `CollectorPayload`. Throws `ThriftDecodeError` on malformed input. */
export function decodeCollectorPayload(bytes: Uint8Array): CollectorPayload {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(buf);
  const out: CollectorPayload = { timestamp: 0 };
  for (;;) {
    const type = r.u8();
    if (type === TType.STOP) break;
    const id = r.i16();
    const name = FIELD_BY_ID.get(id);
    if (name === undefined) {
      r.skip(type);
      continue;
    }
    if (name === 'timestamp') {
      if (type !== TType.I64) {
        r.skip(type);
        continue;
      }
      // Millisecond timestamps fit a double exactly for the next 285,000 years.
      out.timestamp = Number(r.i64());
    } else if (name === 'headers') {
      if (type !== TType.LIST) {
        r.skip(type);
        continue;
      }
      const elem = r.u8();
      const n = r.i32();
      if (n < 0) throw new ThriftDecodeError(`negative list size ${n}`, r.off - 4);
      if (elem !== TType.STRING) {
        for (let i = 0; i < n; i++) r.skip(elem);
        continue;
      }
      // Each element takes at least 4 bytes: reject impossible sizes before allocating.
      r.need(n * 4);
      const headers: string[] = [];
      for (let i = 0; i < n; i++) headers.push(r.string());
      out.headers = headers;
    } else {
      // Like Thrift's generated readers, a known id with an unexpected type is skipped, not an error.
      if (type !== TType.STRING) {
        r.skip(type);
        continue;
      }
      out[name] = r.string();
    }
  }
  if (r.off !== buf.length) throw new ThriftDecodeError(`${buf.length - r.off} trailing byte(s) after the struct`, r.off);
  return out;
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The Java-generated `toString()`: declaration order, "default" fields always present (`null` when unset),
 * optional fields only when set, lists as `[a, b]`. The collector's size_violation payload is a prefix
 * of this text, so it must match Snowplow's rendering.
 */
export function collectorPayloadToString(p: CollectorPayload): string {
  const parts: string[] = [];
  const always = (name: string, v: string | undefined) => parts.push(`${name}:${v === undefined ? 'null' : v}`);
  const opt = (name: string, v: string | undefined) => {
    if (v !== undefined) parts.push(`${name}:${v}`);
  };
  always('schema', p.schema);
  always('ipAddress', p.ipAddress);
  parts.push(`timestamp:${Math.trunc(p.timestamp)}`);
  always('encoding', p.encoding);
  always('collector', p.collector);
  opt('userAgent', p.userAgent);
  opt('refererUri', p.refererUri);
  opt('path', p.path);
  opt('querystring', p.querystring);
  opt('body', p.body);
  if (p.headers !== undefined) parts.push(`headers:[${p.headers.join(', ')}]`);
  opt('contentType', p.contentType);
  opt('hostname', p.hostname);
  opt('networkUserId', p.networkUserId);
  return `CollectorPayload(${parts.join(', ')})`;
}
