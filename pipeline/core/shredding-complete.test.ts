import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SHREDDING_COMPLETE_SCHEMA,
  ShreddingCompleteError,
  buildShreddingComplete,
  isEmptyWindow,
  parseShreddingComplete,
  serializeShreddingComplete,
  type ShreddingComplete,
} from './shredding-complete';

/** The shape of the RDB loader's processing-spec completion.json (2-0-0, no count.bad, base without scheme). */
const FIXTURE = {
  schema: 'iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/2-0-0',
  data: {
    base: 's3://furrow/transformed/run=1970-01-01-10-30-00-6c3b8a8e-5ad8-4d2f-9c1e-2f1d7c1a9b10',
    typesInfo: {
      transformation: 'WIDEROW',
      fileFormat: 'JSON',
      types: [
        { schemaKey: 'iglu:org.w3/PerformanceTiming/jsonschema/1-0-0', snowplowEntity: 'CONTEXT' },
        { schemaKey: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', snowplowEntity: 'SELF_DESCRIBING_EVENT' },
      ],
    },
    timestamps: { jobStarted: '1970-01-01T10:30:00Z', jobCompleted: '1970-01-01T10:30:00Z', min: '2021-10-13T20:21:47.595072674Z', max: '2021-10-15T00:51:57.521746512Z' },
    compression: 'NONE',
    processor: { artifact: 'snowplow-transformer-kinesis', version: '5.6.0' },
    count: { good: 2 },
  },
};

describe('shredding_complete', () => {
  it('parses a transformer message, keeping nanosecond timestamps and adding the trailing slash', () => {
    const m = parseShreddingComplete(JSON.stringify(FIXTURE));
    expect(m.base).toBe(`${FIXTURE.data.base}/`);
    expect(m.typesInfo).toEqual(FIXTURE.data.typesInfo);
    expect(m.timestamps.min).toBe('2021-10-13T20:21:47.595072674Z');
    expect(m.count).toEqual({ good: 2 });
    expect(isEmptyWindow(m)).toBe(false);
  });

  it('accepts the transformation discriminator case-insensitively and the Iglu Central vendor', () => {
    const body = structuredClone(FIXTURE) as any;
    body.schema = 'iglu:com.snowplowanalytics.snowplow.storage/shredding_complete/jsonschema/2-0-1';
    body.data.typesInfo.transformation = 'widerow';
    expect(parseShreddingComplete(body).typesInfo.transformation).toBe('WIDEROW');
  });

  const broken: [string, (b: any) => unknown, RegExp][] = [
    ['not JSON', () => '{"schema":', /\$: not JSON/],
    ['not an object', () => [1, 2], /\$: must be an object/],
    ['wrong schema', (b) => ((b.schema = 'iglu:com.acme/other/jsonschema/2-0-0'), b), /\$\.schema: .* is not a shredding_complete schema/],
    ['legacy model', (b) => ((b.schema = 'iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/1-0-0'), b), /model 1 is not supported/],
    ['missing base', (b) => (delete b.data.base, b), /\$\.data\.base: is required/],
    ['base not a URI', (b) => ((b.data.base = 'no scheme here'), b), /\$\.data\.base: must be a URI/],
    ['bad compression', (b) => ((b.data.compression = 'ZSTD'), b), /\$\.data\.compression: must be one of GZIP, NONE/],
    ['bad schema key', (b) => ((b.data.typesInfo.types[1].schemaKey = 'iglu:com.acme"x/y/jsonschema/1-0-0'), b), /types\[1\]\.schemaKey: .* is not a valid Iglu URI/],
    ['bad entity', (b) => ((b.data.typesInfo.types[0].snowplowEntity = 'DERIVED'), b), /types\[0\]\.snowplowEntity: must be one of/],
    ['extra field', (b) => ((b.data.surprise = 1), b), /\$\.data\.surprise: unknown field/],
    ['bad date', (b) => ((b.data.timestamps.jobStarted = 'yesterday'), b), /timestamps\.jobStarted: must be an ISO-8601 date-time/],
    ['negative count', (b) => ((b.data.count.good = -1), b), /count\.good: must be a non-negative integer/],
    ['long version', (b) => ((b.data.processor.version = '1.2.3-very-long-suffix'), b), /processor\.version: must be at most 16/],
  ];
  for (const [what, mutate, message] of broken)
    it(`rejects a message with ${what} with a typed error naming the field`, () => {
      const input = mutate(structuredClone(FIXTURE));
      let err: unknown;
      try {
        parseShreddingComplete(typeof input === 'string' ? input : JSON.stringify(input));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ShreddingCompleteError);
      expect((err as Error).message).toMatch(message);
    });

  it('property: build → serialize → parse is the identity on valid messages', () => {
    const iso = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    const key = fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9.\-_]{0,20}$/), fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/), fc.nat(9), fc.nat(9), fc.nat(9))
      .map(([v, n, a, b, c]) => `iglu:${v}/${n}/jsonschema/${a + 1}-${b}-${c}`);
    const message: fc.Arbitrary<ShreddingComplete> = fc.record({
      base: fc.stringMatching(/^[a-z0-9-]{3,20}$/).map((s) => `s3://bucket/transformed/run=${s}/`),
      compression: fc.constantFrom('GZIP' as const, 'NONE' as const),
      typesInfo: fc.record({
        transformation: fc.constant('WIDEROW' as const),
        fileFormat: fc.constantFrom('JSON' as const, 'PARQUET' as const),
        types: fc.array(fc.record({ schemaKey: key, snowplowEntity: fc.constantFrom('CONTEXT' as const, 'SELF_DESCRIBING_EVENT' as const) }), { maxLength: 5 }),
      }),
      timestamps: fc.record({ jobStarted: iso, jobCompleted: iso, min: fc.option(iso), max: fc.option(iso) }),
      processor: fc.record({ artifact: fc.constant('furrow-transformer'), version: fc.constantFrom('0.1.0', '1.2.3') }),
      count: fc.option(fc.record({ good: fc.nat(), bad: fc.nat() })),
    });
    fc.assert(
      fc.property(message, (m) => {
        const text = serializeShreddingComplete(m);
        expect(JSON.parse(text).schema).toBe(SHREDDING_COMPLETE_SCHEMA);
        expect(parseShreddingComplete(text)).toEqual(m);
      }),
    );
  });

  it('refuses to build an invalid message', () => {
    const m = parseShreddingComplete(FIXTURE);
    expect(() => buildShreddingComplete({ ...m, compression: 'LZO' as never })).toThrow(ShreddingCompleteError);
  });

  it('recognises an empty window', () => {
    const m = parseShreddingComplete(FIXTURE);
    expect(isEmptyWindow({ ...m, typesInfo: { ...m.typesInfo, types: [] } as never, timestamps: { ...m.timestamps, min: null, max: null }, count: { good: 0, bad: 3 } })).toBe(true);
  });
});
