import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IgluParseError,
  compareSchemaVer,
  criterionMatches,
  formatSchemaCriterion,
  parseSchemaCriterion,
  parseSchemaKey,
  parseSchemaPath,
  parseSchemaVer,
  parseSelfDescribingData,
  parseSelfDescribingSchema,
  schemaKeyToPath,
  schemaKeyToUri,
} from './schema-key';

const ident = (extra: string) => fc.stringMatching(new RegExp(`^[a-zA-Z0-9_${extra}-]{1,20}$`));
const ver = fc.record({ model: fc.integer({ min: 1, max: 1000 }), revision: fc.nat(1000), addition: fc.nat(1000) });
const key = fc.record({ vendor: ident('.'), name: ident(''), format: ident(''), version: ver });

describe('SchemaKey', () => {
  it('parses an Iglu URI into its parts', () => {
    expect(parseSchemaKey('iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4')).toEqual({
      vendor: 'com.snowplowanalytics.snowplow',
      name: 'payload_data',
      format: 'jsonschema',
      version: { model: 1, revision: 0, addition: 4 },
    });
  });

  it('property: uri and path forms round-trip for every valid key', () => {
    fc.assert(
      fc.property(key, (k) => {
        expect(parseSchemaKey(schemaKeyToUri(k))).toEqual(k);
        expect(parseSchemaPath(schemaKeyToPath(k))).toEqual(k);
      }),
    );
  });

  it.each([
    ['iglu:com.acme/ev/jsonschema/1-0', 'INVALID_SCHEMAVER'],
    ['iglu:com.acme/ev/jsonschema/0-1-0', 'INVALID_SCHEMAVER'],
    ['iglu:com.acme/ev/jsonschema/1-01-0', 'INVALID_SCHEMAVER'],
    ['iglu:com.acme/ev/jsonschema/a-b-c', 'INVALID_SCHEMAVER'],
    ['com.acme/ev/jsonschema/1-0-0', 'INVALID_IGLUURI'],
    ['iglu:com.acme/e v/jsonschema/1-0-0', 'INVALID_IGLUURI'],
    ['iglu:com.acme/ev/1-0-0', 'INVALID_IGLUURI'],
    ['iglu:com/acme/ev/jsonschema/1-0-0', 'INVALID_IGLUURI'],
  ])('rejects %s with %s', (uri, code) => {
    try {
      parseSchemaKey(uri);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IgluParseError);
      expect((e as IgluParseError).code).toBe(code);
    }
  });

  it('property: SchemaVer order is lexicographic on (model, revision, addition)', () => {
    fc.assert(
      fc.property(ver, ver, (a, b) => {
        const expected = a.model !== b.model ? a.model - b.model : a.revision !== b.revision ? a.revision - b.revision : a.addition - b.addition;
        expect(Math.sign(compareSchemaVer(a, b))).toBe(Math.sign(expected));
      }),
    );
    expect(parseSchemaVer('2-10-3')).toEqual({ model: 2, revision: 10, addition: 3 });
  });
});

describe('SchemaCriterion', () => {
  it('matches keys on the fixed parts only', () => {
    const c = parseSchemaCriterion('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-*');
    expect(formatSchemaCriterion(c)).toBe('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-*');
    expect(criterionMatches(c, parseSchemaKey('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-7'))).toBe(true);
    expect(criterionMatches(c, parseSchemaKey('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-1-0'))).toBe(false);
    expect(criterionMatches(c, parseSchemaKey('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/2-0-0'))).toBe(false);
    expect(criterionMatches(c, parseSchemaKey('iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0'))).toBe(false);
  });
});

describe('self-describing envelopes', () => {
  it('accepts {schema, data} with any data, and names what is wrong otherwise', () => {
    expect(parseSelfDescribingData({ schema: 'iglu:com.acme/a/jsonschema/1-0-0', data: null }).key.name).toBe('a');
    expect(() => parseSelfDescribingData([1])).toThrow(expect.objectContaining({ code: 'INVALID_DATA_PAYLOAD' }));
    expect(() => parseSelfDescribingData({ data: {} })).toThrow(expect.objectContaining({ code: 'INVALID_IGLUURI' }));
    expect(() => parseSelfDescribingData({ schema: 'iglu:com.acme/a/jsonschema/1-0-0' })).toThrow(expect.objectContaining({ code: 'INVALID_DATA_PAYLOAD' }));
  });

  it('splits a self-describing schema into key and body', () => {
    const { key, body } = parseSelfDescribingSchema({
      $schema: 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#',
      self: { vendor: 'com.acme', name: 'a', format: 'jsonschema', version: '1-2-3' },
      type: 'object',
    });
    expect(schemaKeyToUri(key)).toBe('iglu:com.acme/a/jsonschema/1-2-3');
    expect(body).toEqual({ type: 'object' });
    expect(() => parseSelfDescribingSchema({ type: 'object' })).toThrow(expect.objectContaining({ code: 'INVALID_SCHEMA' }));
    expect(() => parseSelfDescribingSchema({ $schema: 'http://json-schema.org/draft-04/schema#', self: {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_METASCHEMA' }),
    );
  });
});
