/**
 * The bad-row types Enrich emits (BR `BadRow.scala`, `Failure.scala`, `FailureDetails.scala`, `Payload.scala`;
 * IC `com.snowplowanalytics.snowplow.badrows/*`), built on the envelope in `bad-rows.ts`:
 *   collector_payload_format_violation 1-0-0, adapter_failures 1-0-0, tracker_protocol_violations 1-0-1,
 *   schema_violations 2-0-1, enrichment_failures 2-0-1 (size_violation lives in bad-rows.ts).
 * Key order follows the Scala case classes (it is part of the format); `None` is `null`, never dropped.
 *
 * Our own texts (expectations, errors, field names) are cut to the maxLength the IC schemas declare for
 * them. Payload strings (parameters, headers, bodies) are kept whole so a bad row stays recoverable, even
 * where the IC schemas cap them (e.g. 512 for parameter values; see snowplow/iglu-central#1201: those caps
 * are informational and Snowplow's own rows exceed them).
 * Pure: no I/O.
 */
import { badRow, isoInstant, type BadRow, type Processor } from './bad-rows';
import { ENRICHED_FIELDS, FIELD_COUNT, FIELD_TYPES, type EnrichedEvent } from './enriched-event';
import type { ClientErrorJson } from '../iglu/errors';

export const CPFV_LOADER = 'thrift';

function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) : s;
}

// ---------------------------------------------------------------------------------------------------------
// Failure messages

/** `{payloadField, value, expectation}` or `{error}` (BR `CPFormatViolationMessage`). */
export type CPFormatViolationMessage = { payloadField: string; value: string | null; expectation: string } | { error: string };

/** Tracker protocol / adapter messages (BR `TrackerProtocolViolation`, `AdapterFailure`). */
export type AdapterMessage =
  | { field: string; value: string | null; expectation: string } // InputData
  | { field: string; value: string | null; error: string } // NotJson
  | { json: unknown; error: string } // NotIglu (error = iglu-core ParseError code)
  | { schemaKey: string; schemaCriterion: string } // CriterionMismatch (tp2 only)
  | { schemaKey: string; error: ClientErrorJson } // IgluError (tp2 only)
  | { actual: string | null; expectedMapping: Record<string, string>; expectation: string }; // SchemaMapping (webhooks)

/** Schema violation messages (BR `SchemaViolation`). */
export type SchemaViolationMessage =
  | { field: string; value: string | null; error: string } // NotJson
  | { json: unknown; error: string } // NotIglu
  | { schemaKey: string; schemaCriterion: string } // CriterionMismatch
  | { schemaKey: string; error: ClientErrorJson }; // IgluError

export interface EnrichmentInformation {
  schemaKey: string;
  identifier: string;
}

export type EnrichmentFailureMessageBody =
  | { error: string } // Simple
  | { field: string; value: string | null; expectation: string } // InputData
  | { schemaKey: string; error: ClientErrorJson }; // IgluError

export interface EnrichmentFailureMessage {
  enrichment: EnrichmentInformation | null;
  message: EnrichmentFailureMessageBody;
}

export const inputData = (field: string, value: string | null, expectation: string) => ({
  field: cut(field, 64),
  value,
  expectation: cut(expectation, 256),
});
export const notJson = (field: string, value: string | null, error: string) => ({ field: cut(field, 64), value, error });
export const notIglu = (json: unknown, error: string) => ({ json, error });
export const criterionMismatch = (schemaKey: string, schemaCriterion: string) => ({ schemaKey, schemaCriterion });
export const igluError = (schemaKey: string, error: ClientErrorJson) => ({ schemaKey, error });

export function enrichmentFailure(message: EnrichmentFailureMessageBody, enrichment: EnrichmentInformation | null = null): EnrichmentFailureMessage {
  if ('error' in message && typeof message.error === 'string') message = { error: cut(message.error, 512) };
  return { enrichment: enrichment && { schemaKey: enrichment.schemaKey, identifier: cut(enrichment.identifier, 256) }, message };
}

// ---------------------------------------------------------------------------------------------------------
// Payloads

export interface NVP {
  name: string;
  value: string | null;
}

/** BR `Payload.CollectorPayload`: what the collector recorded, as the loader parsed it. */
export interface CollectorPayloadJson {
  vendor: string;
  version: string;
  querystring: NVP[];
  contentType: string | null;
  body: string | null;
  collector: string;
  encoding: string;
  hostname: string | null;
  timestamp: string | null;
  ipAddress: string | null;
  useragent: string | null;
  refererUri: string | null;
  headers: string[];
  networkUserId: string | null;
}

/** BR `Payload.RawEvent`: one event's parameters and the collector context. */
export interface RawEventJson {
  vendor: string;
  version: string;
  parameters: NVP[];
  contentType: string | null;
  loaderName: string;
  encoding: string;
  hostname: string | null;
  timestamp: string | null;
  ipAddress: string | null;
  useragent: string | null;
  refererUri: string | null;
  headers: string[];
  userId: string | null;
}

/**
 * BR `PartiallyEnrichedEvent`: all 131 columns; ints and 0/1 bytes as JSON numbers, floats as numbers,
 * decimals, timestamps and `txn_id` as strings, the JSON columns as JSON *strings*.
 */
export function partiallyEnrichedEvent(e: EnrichedEvent): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  const v = e.values;
  for (let i = 0; i < FIELD_COUNT; i++) {
    const name = ENRICHED_FIELDS[i]!;
    const value = v[i] ?? null;
    if (value === null) {
      out[name] = null;
      continue;
    }
    const t = FIELD_TYPES[name];
    out[name] = (t === 'i' && name !== 'txn_id') || t === 'b' || t === 'f' ? Number(value) : value;
  }
  return out;
}

export interface EnrichmentPayload {
  enriched: Record<string, string | number | null>;
  raw: RawEventJson;
}

// ---------------------------------------------------------------------------------------------------------
// Bad rows

export type CPFormatViolation = BadRow<{ timestamp: string; loader: string; message: CPFormatViolationMessage }, string>;
export type AdapterFailures = BadRow<{ timestamp: string; vendor: string; version: string; messages: AdapterMessage[] }, CollectorPayloadJson>;
export type TrackerProtocolViolations = AdapterFailures;
export type SchemaViolations = BadRow<{ timestamp: string; messages: SchemaViolationMessage[] }, EnrichmentPayload>;
export type EnrichmentFailures = BadRow<{ timestamp: string; messages: EnrichmentFailureMessage[] }, EnrichmentPayload>;

/** One row per message; `payload` is the raw record in base64 (EN `ThriftLoader`). */
export function cpFormatViolation(processor: Processor, timestamp: number, message: CPFormatViolationMessage, rawBase64: string, loader = CPFV_LOADER): CPFormatViolation {
  const m: CPFormatViolationMessage =
    'error' in message
      ? { error: cut(message.error, 512) }
      : { payloadField: cut(message.payloadField, 64), value: message.value, expectation: cut(message.expectation, 256) };
  return badRow('collector_payload_format_violation', processor, { timestamp: isoInstant(timestamp), loader, message: m }, rawBase64);
}

export function adapterFailures(
  type: 'adapter_failures' | 'tracker_protocol_violations',
  processor: Processor,
  timestamp: number,
  vendor: string,
  version: string,
  messages: AdapterMessage[],
  payload: CollectorPayloadJson,
): AdapterFailures {
  return badRow(type, processor, { timestamp: isoInstant(timestamp), vendor, version, messages }, payload);
}

export function schemaViolations(processor: Processor, timestamp: number, messages: SchemaViolationMessage[], payload: EnrichmentPayload): SchemaViolations {
  return badRow('schema_violations', processor, { timestamp: isoInstant(timestamp), messages }, payload);
}

export function enrichmentFailures(processor: Processor, timestamp: number, messages: EnrichmentFailureMessage[], payload: EnrichmentPayload): EnrichmentFailures {
  return badRow('enrichment_failures', processor, { timestamp: isoInstant(timestamp), messages }, payload);
}
