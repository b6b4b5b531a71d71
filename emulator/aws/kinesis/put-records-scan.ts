/**
 * A PutRecords request body read in place. The generic path (`JSON.parse` of the whole body) turns a 5 MB request
 * into one large string plus a string per record, and the records' base64 text then sits on the JS heap until it
 * is copied off it: on a machine where page faults are dear that copying cost more than everything else the
 * emulator does per record (profiled in session 4: toString, scavenges and demotion were ~60% of its CPU under
 * the collector benchmark). This scanner finds each record's `Data` as a byte range of the body instead, so the
 * bytes go straight into the shard's storage.
 *
 * It accepts only the plain shape the AWS SDKs send — an ASCII object with `Records` (objects of `Data`,
 * `PartitionKey` and optional `ExplicitHashKey` strings), `StreamName` and/or `StreamARN` — and no backslash
 * escapes. Anything else returns undefined and the caller falls back to `JSON.parse`, which then produces the
 * exact validation errors; so the scanner can decline freely but must never accept what `JSON.parse` would read
 * differently.
 */
export interface ScannedPutRecords {
  streamName?: string;
  streamArn?: string;
  /** Number of records. */
  n: number;
  /** Byte range [dataStart[i], dataEnd[i]) of record i's base64 `Data` text in the body. */
  dataStart: Uint32Array;
  dataEnd: Uint32Array;
  partitionKeys: string[];
  explicitHashKeys: Array<string | undefined>;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const BACKSLASH = 0x5c;
/** More records than this is a validation error the generic path words. */
const MAX_RECORDS = 500;

/** The caller has checked that `body` is ASCII (`buffer.isAscii`). */
export function scanPutRecords(body: Buffer): ScannedPutRecords | undefined {
  // One memchr over the body: without backslashes every string ends at its next quote.
  if (body.indexOf(BACKSLASH) !== -1) return undefined;
  let scanned: ScannedPutRecords | undefined;
  let streamName: string | undefined;
  let streamArn: string | undefined;
  const end = object(body, ws(body, 0), (name, at) => {
    if (name === 'Records') {
      const r = records(body, at);
      if (r === undefined) return -1;
      scanned = r.scanned;
      return r.next;
    }
    if (name !== 'StreamName' && name !== 'StreamARN') return -1;
    const e = stringEnd(body, at);
    if (e === -1) return -1;
    if (name === 'StreamName') streamName = body.toString('latin1', at + 1, e);
    else streamArn = body.toString('latin1', at + 1, e);
    return e + 1;
  });
  if (end === -1 || ws(body, end) !== body.length || scanned === undefined) return undefined;
  const out: ScannedPutRecords = scanned;
  out.streamName = streamName;
  out.streamArn = streamArn;
  return out;
}

function records(body: Buffer, start: number): { scanned: ScannedPutRecords; next: number } | undefined {
  if (body[start] !== OPEN_ARRAY) return undefined;
  const dataStart = new Uint32Array(MAX_RECORDS);
  const dataEnd = new Uint32Array(MAX_RECORDS);
  const partitionKeys: string[] = [];
  const explicitHashKeys: Array<string | undefined> = [];
  let n = 0;
  let i = ws(body, start + 1);
  if (body[i] === CLOSE_ARRAY) return undefined; // empty: the generic path words the error
  for (;;) {
    if (n === MAX_RECORDS) return undefined;
    let key: string | undefined;
    let explicit: string | undefined;
    let ds = -1;
    let de = -1;
    // Values other than strings (null, numbers, objects) and unknown members: the generic path decides.
    i = object(body, i, (name, at) => {
      // Data is base64 text, not checked against the alphabet (the generic path checks only its length), but a
      // raw control character would make JSON.parse fail, so stringEnd sends such a body to the generic path.
      const e = stringEnd(body, at);
      if (e === -1) return -1;
      if (name === 'Data') [ds, de] = [at + 1, e];
      else if (name === 'PartitionKey') key = body.toString('latin1', at + 1, e);
      else if (name === 'ExplicitHashKey') explicit = body.toString('latin1', at + 1, e);
      else return -1;
      return e + 1;
    });
    if (i === -1 || ds === -1 || key === undefined) return undefined;
    dataStart[n] = ds;
    dataEnd[n] = de;
    partitionKeys.push(key);
    explicitHashKeys.push(explicit);
    n++;
    i = ws(body, i);
    if (body[i] === COMMA) i = ws(body, i + 1);
    else if (body[i] === CLOSE_ARRAY) return { scanned: { n, dataStart, dataEnd, partitionKeys, explicitHashKeys }, next: i + 1 };
    else return undefined;
  }
}

/**
 * Walk the object opening at `i`: `value(name, at)` reads each member's value, which starts at `at`, and returns
 * the index just past it (-1: decline). Returns the index just past the closing brace, or -1.
 */
function object(body: Buffer, i: number, value: (name: string, at: number) => number): number {
  if (body[i] !== OPEN_OBJECT) return -1;
  i = ws(body, i + 1);
  if (body[i] === CLOSE_OBJECT) return i + 1;
  for (;;) {
    const nameEnd = stringEnd(body, i);
    if (nameEnd === -1) return -1;
    const name = body.toString('latin1', i + 1, nameEnd);
    i = ws(body, nameEnd + 1);
    if (body[i] !== COLON) return -1;
    i = value(name, ws(body, i + 1));
    if (i === -1) return -1;
    i = ws(body, i);
    if (body[i] === COMMA) i = ws(body, i + 1);
    else return body[i] === CLOSE_OBJECT ? i + 1 : -1;
  }
}

/** Index of the closing quote of the string opening at `i`; -1 if none opens there or it holds a control character. */
function stringEnd(body: Buffer, i: number): number {
  if (body[i] !== QUOTE) return -1;
  const end = body.indexOf(QUOTE, i + 1);
  if (end === -1) return -1;
  for (let k = i + 1; k < end; k++) if (body[k]! < 0x20) return -1;
  return end;
}

/** Skip JSON whitespace. */
function ws(body: Buffer, i: number): number {
  for (;;) {
    const c = body[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}
