import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { BAD_ROW_VERSIONS, badRow, badRowSchema, serializeBadRow, sizeViolation } from './bad-rows';

// The data part of iglu:com.snowplowanalytics.snowplow.badrows/size_violation/jsonschema/1-0-0 (IC), as published.
const SIZE_VIOLATION_1_0_0 = {
  type: 'object',
  properties: {
    failure: {
      type: 'object',
      properties: {
        timestamp: { type: 'string', format: 'date-time' },
        maximumAllowedSizeBytes: { type: 'integer', maximum: 1073741824, minimum: 0 },
        actualSizeBytes: { type: 'integer', maximum: 1073741824, minimum: 0 },
        expectation: { type: 'string', maxLength: 256 },
      },
      required: ['timestamp', 'maximumAllowedSizeBytes', 'actualSizeBytes'],
      additionalProperties: false,
    },
    payload: { type: 'string' },
    processor: {
      type: 'object',
      properties: { artifact: { type: 'string', maxLength: 512 }, version: { type: 'string', pattern: '^(\\d+\\.\\d+\\.\\d+.*)$', maxLength: 32 } },
      required: ['artifact', 'version'],
      additionalProperties: false,
    },
  },
  required: ['failure', 'payload', 'processor'],
  additionalProperties: false,
};

describe('bad rows', () => {
  it('builds the size_violation envelope with the exact schema URI, key order and compact JSON', () => {
    const row = sizeViolation({
      processor: { artifact: 'furrow-collector', version: '0.1.0' },
      timestamp: Date.UTC(2021, 7, 29, 12, 1, 5, 787),
      maximumAllowedSizeBytes: 1_000_000,
      actualSizeBytes: 1_000_123,
      expectation: 'oversized collector payload: GET requests cannot be split',
      payload: 'CollectorPayload(schema:x',
    });
    expect(serializeBadRow(row)).toBe(
      '{"schema":"iglu:com.snowplowanalytics.snowplow.badrows/size_violation/jsonschema/1-0-0","data":{"processor":{"artifact":"furrow-collector","version":"0.1.0"},' +
        '"failure":{"timestamp":"2021-08-29T12:01:05.787Z","maximumAllowedSizeBytes":1000000,"actualSizeBytes":1000123,"expectation":"oversized collector payload: GET requests cannot be split"},' +
        '"payload":"CollectorPayload(schema:x"}}',
    );
    const ajv = new Ajv({ strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(SIZE_VIOLATION_1_0_0);
    expect(validate(JSON.parse(serializeBadRow(row)).data), JSON.stringify(validate.errors)).toBe(true);
  });

  it('keeps nulls instead of dropping keys (circe encodes None as null)', () => {
    const row = badRow('generic_error', { artifact: 'a', version: '1.0.0' }, { timestamp: 't', errors: ['e'], extra: undefined }, null);
    expect(serializeBadRow(row)).toContain('"extra":null');
    expect(serializeBadRow(row)).toContain('"payload":null');
  });

  it('names every type with its emitted version', () => {
    for (const [type, version] of Object.entries(BAD_ROW_VERSIONS))
      expect(badRowSchema(type as keyof typeof BAD_ROW_VERSIONS)).toBe(`iglu:com.snowplowanalytics.snowplow.badrows/${type}/jsonschema/${version}`);
  });
});
