/**
 * Snowplow bad rows (BR `snowplow-badrows`): self-describing JSON
 * `{"schema":"iglu:com.snowplowanalytics.snowplow.badrows/<type>/jsonschema/<version>","data":{processor,failure,payload}}`,
 * serialised compactly with keys in that order and `null`s kept (circe `noSpaces` of the case classes).
 * The collector emits only `size_violation`; Enrich adds its types to `BAD_ROW_VERSIONS` and a builder each.
 */

export const BAD_ROW_VENDOR = 'com.snowplowanalytics.snowplow.badrows';

/** The version each bad-row type is emitted with (BR `Schemas.scala`). Extend as stages add types. */
export const BAD_ROW_VERSIONS = {
  size_violation: '1-0-0',
  collector_payload_format_violation: '1-0-0',
  adapter_failures: '1-0-0',
  tracker_protocol_violations: '1-0-1',
  schema_violations: '2-0-1',
  enrichment_failures: '2-0-1',
  loader_parsing_error: '2-0-0',
  generic_error: '1-0-0',
} as const;

export type BadRowType = keyof typeof BAD_ROW_VERSIONS;

/** Which app produced the row, e.g. `{artifact: 'furrow-collector', version: '0.1.0'}`. */
export interface Processor {
  artifact: string;
  version: string;
}

export interface BadRow<F = unknown, P = unknown> {
  schema: string;
  data: { processor: Processor; failure: F; payload: P };
}

export function badRowSchema(type: BadRowType): string {
  return `iglu:${BAD_ROW_VENDOR}/${type}/jsonschema/${BAD_ROW_VERSIONS[type]}`;
}

/** Build the envelope; key order (schema, data; processor, failure, payload) is part of the format. */
export function badRow<F, P>(type: BadRowType, processor: Processor, failure: F, payload: P): BadRow<F, P> {
  return { schema: badRowSchema(type), data: { processor: { artifact: processor.artifact, version: processor.version }, failure, payload } };
}

/** Compact JSON, `undefined` normalised to `null` (circe encodes `None` as `null`, it never drops keys). */
export function serializeBadRow(row: BadRow): string {
  return JSON.stringify(row, (_key, value) => (value === undefined ? null : value));
}

/** Instant rendering used in failures (`2021-08-29T12:01:05.787Z`). */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------------------
// size_violation 1-0-0 (IC schema: failure {timestamp, maximumAllowedSizeBytes, actualSizeBytes, expectation}, payload string)

export interface SizeViolationFailure {
  timestamp: string;
  maximumAllowedSizeBytes: number;
  actualSizeBytes: number;
  expectation: string;
}

export type SizeViolation = BadRow<SizeViolationFailure, string>;

export interface SizeViolationInput {
  processor: Processor;
  /** Failure time in ms since the epoch. */
  timestamp: number;
  maximumAllowedSizeBytes: number;
  actualSizeBytes: number;
  expectation: string;
  /** Already truncated by the caller (collector: `toString().take(max/10)`). */
  payload: string;
}

export function sizeViolation(i: SizeViolationInput): SizeViolation {
  return badRow(
    'size_violation',
    i.processor,
    { timestamp: isoInstant(i.timestamp), maximumAllowedSizeBytes: i.maximumAllowedSizeBytes, actualSizeBytes: i.actualSizeBytes, expectation: i.expectation },
    i.payload,
  );
}
