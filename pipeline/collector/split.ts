/**
 * From one recorded request to the records the sinks receive (spec §2.4, the collector's three size tiers):
 *   encoded size < maxBytes (the sink's record limit)    → one good record
 *   encoded size > maxPayloadSize                         → one size_violation bad row
 *   otherwise                                             → split the POST batch into several good records
 *                                                           (same metadata, each below maxBytes); events too
 *                                                           big on their own, or a payload that cannot be
 *                                                           split, become size_violation bad rows.
 * Pure: no I/O. The caller sends `good` to the raw stream and `bad` to the bad stream, all under one
 * partition key.
 */
import { collectorPayloadToString, encodeCollectorPayload, type CollectorPayload } from '../core/collector-payload';
import { serializeBadRow, sizeViolation, type Processor } from '../core/bad-rows';

export interface SplitOptions {
  /** The sink's record limit (Kinesis: 1,000,000). A record must be strictly smaller. */
  maxBytes: number;
  /** Payloads larger than this are not split but rejected whole (networking.maxPayloadSize, 1,048,576). */
  maxPayloadSize: number;
  processor: Processor;
  /** Failure timestamp (ms); defaults to now. */
  now?: number;
}

export interface SplitResult {
  /** Thrift CollectorPayload records for the raw stream. */
  good: Buffer[];
  /** size_violation bad rows (UTF-8 JSON) for the bad stream. */
  bad: Buffer[];
}

/** The size_violation `expectation` is limited to 256 characters by its schema. */
const MAX_EXPECTATION = 256;

class CannotSplit extends Error {}

function violation(p: CollectorPayload, o: SplitOptions, max: number, actual: number, message: string, truncateTo: number): Buffer {
  const expectation = `oversized collector payload: ${message}`.slice(0, MAX_EXPECTATION);
  const row = sizeViolation({
    processor: o.processor,
    timestamp: o.now ?? Date.now(),
    maximumAllowedSizeBytes: max,
    actualSizeBytes: actual,
    expectation,
    payload: collectorPayloadToString(p).slice(0, Math.floor(truncateTo / 10)),
  });
  return Buffer.from(serializeBadRow(row), 'utf8');
}

const IGLU_URI = /^iglu:[a-zA-Z0-9-_.]+\/[a-zA-Z0-9-_]+\/[a-zA-Z0-9-_]+\/[0-9]+-[0-9]+-[0-9]+$/;

/** The body's self-describing envelope: its schema and the serialised events of its data array. */
function parseBatch(body: string | undefined): { schema: string; events: string[] } {
  if (body === undefined) throw new CannotSplit('GET requests cannot be split');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new CannotSplit(`cannot split POST requests which are not json: ${(err as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new CannotSplit('cannot split POST requests which are not self-describing');
  const sd = json as Record<string, unknown>;
  if (typeof sd.schema !== 'string' || !IGLU_URI.test(sd.schema) || !('data' in sd))
    throw new CannotSplit('cannot split POST requests which are not self-describing');
  if (!Array.isArray(sd.data)) throw new CannotSplit('cannot split POST requests which do not contain a data array');
  if (sd.data.length === 0) throw new CannotSplit('cannot split POST requests whose data array is empty');
  return { schema: sd.schema, events: sd.data.map((e) => JSON.stringify(e)) };
}

/**
 * `rawBody`: the POST body as valid UTF-8 bytes, in place of `p.body` (see `encodeCollectorPayload`); it is
 * decoded only when the request has to be split or reported.
 */
export function splitAndSerialize(p: CollectorPayload, o: SplitOptions, rawBody?: Uint8Array): SplitResult {
  const whole = encodeCollectorPayload(p, rawBody);
  if (whole.length < o.maxBytes) return { good: [whole], bad: [] };
  if (rawBody !== undefined) p = { ...p, body: Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength).toString('utf8') };
  if (whole.length > o.maxPayloadSize)
    return {
      good: [],
      bad: [violation(p, o, o.maxPayloadSize, whole.length, `Payload exceeds max size of ${o.maxPayloadSize}. Actual length: ${whole.length}`, o.maxPayloadSize)],
    };
  try {
    const { schema, events } = parseBatch(p.body);
    // Exact per-record overhead: everything but the events, with the body rebuilt as {"schema":…,"data":[]}.
    const bodyPrefix = `{"schema":${JSON.stringify(schema)},"data":[`;
    const overhead = whole.length - Buffer.byteLength(p.body!, 'utf8') + Buffer.byteLength(bodyPrefix, 'utf8') + 2;
    if (overhead >= o.maxBytes) throw new CannotSplit('cannot split this POST request because event without "data" field is still too big');
    // Greedy packing, counting one joining comma per event: overhead + Σ(size + 1) - 1 < maxBytes.
    const budget = o.maxBytes - overhead;
    const good: Buffer[] = [];
    const bad: Buffer[] = [];
    let batch: string[] = [];
    let used = 0;
    const emit = () => {
      if (batch.length === 0) return;
      good.push(encodeCollectorPayload({ ...p, headers: p.headers && [...p.headers], body: `${bodyPrefix}${batch.join(',')}]}` }));
      batch = [];
      used = 0;
    };
    for (const e of events) {
      const size = Buffer.byteLength(e, 'utf8') + 1;
      if (size > budget) {
        bad.push(violation(p, o, o.maxBytes, size - 1, 'this POST request split is still too large', o.maxBytes));
        continue;
      }
      if (used + size > budget) emit();
      batch.push(e);
      used += size;
    }
    emit();
    return { good, bad };
  } catch (err) {
    if (!(err instanceof CannotSplit)) throw err;
    return { good: [], bad: [violation(p, o, o.maxBytes, whole.length, err.message, o.maxBytes)] };
  }
}
