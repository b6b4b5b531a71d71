import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENRICHED_FIELDS, EnrichedEvent, FIELD_COUNT, FIELD_INDEX, FIELD_TYPES, formatTstamp, type ColumnType } from '../core/enriched-event';
import { LineBuffer } from './processor';
import { fastTransform, referenceTransformLine, transformLine } from './wide-row';

const P = { artifact: 'furrow-transformer', version: 'test' };
const CONTEXTS = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-';
const UNSTRUCT = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-';

// ---------------------------------------------------------------------------------------------------------
// Generators: enriched TSV lines that are mostly valid, with every kind of column value the reference
// accepts (and a few it rejects), so that both the fast path and its fallbacks are exercised.

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Text of an `s` column: plain, JSON-special (quotes, backslashes, controls, U+2028), non-ASCII, lone surrogates. Never a tab. */
const stringValue = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom('say "hi"', 'C:\\dir', 'a\nb\r', '\u0000\u001f', '\u2028\u2029', '\ud800', 'x\udc00y', '😀 é ß', '</script>', 'null') },
  )
  .map((s) => s.replace(/\t/g, ' '))
  .filter((s) => s !== '');

/** Enrich's timestamp form for any instant of years 0100..9999, fraction .000 now and then. */
const canonicalTstamp = fc
  .tuple(fc.integer({ min: Date.UTC(100, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), fc.boolean())
  .map(([ms, whole]) => formatTstamp(whole ? ms - (((ms % 1000) + 1000) % 1000) : ms));

/** Timestamps close to the edges: the same day repeated, leap days, impossible dates, short years, other forms. */
const edgeTstamp = fc.oneof(
  fc.constantFrom(
    '2026-11-27 10:00:00.000',
    '2026-11-27 10:00:00.001',
    '2026-11-27 23:59:59.999',
    '2024-02-29 12:00:00.500',
    '2000-02-29 00:00:00.000',
    '2100-02-29 00:00:00.000',
    '2026-02-30 00:00:00.000',
    '2026-04-31 00:00:00.000',
    '2026-13-01 00:00:00.000',
    '2026-00-10 00:00:00.000',
    '2026-01-00 00:00:00.000',
    '2026-01-01 24:00:00.000',
    '2026-01-01 00:60:00.000',
    '2026-01-01 00:00:60.000',
    '0050-06-01 00:00:00.000',
    '0099-12-31 23:59:59.999',
    '0100-01-01 00:00:00.000',
    '2026-01-01 00:00:00',
    '2026-01-01 00:00:00.5',
    '2026-01-01 00:00:00.123456789',
    '2026-01-01T00:00:00.000',
    '2026/01/01 00:00:00.000',
    '2026-01-01 00:00:00.00a',
    ' 2026-01-01 00:00:00.000',
    'yesterday',
  ),
  fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }))
    .chain(([y, mo, d, h, mi, s]) =>
      fc.constantFrom('', '.000', '.123', '.5', '.12345').map((frac) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}`),
    ),
);
const intValue = fc.integer({ min: -2147483647, max: 2147483647 }).map(String);
const edgeInt = fc.constantFrom('+5', '007', '-0', '0', '2147483647', '-2147483647', '2147483648', '-2147483649', '1e3', '1.0', ' 1', 'x', '9007199254740993');

const numberValue = fc.oneof({ weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) }, { weight: 1, arbitrary: fc.integer().map(String) });
const edgeNumber = fc.constantFrom('1e999', '-1e999', '.5', '1.', '-0', '-0.0', '0.10', '10.00', '1E5', '+.5e-3', '5e-324', 'NaN', 'Infinity', 'abc', '1,5');

const boolValue = fc.constantFrom('0', '1');
const edgeBool = fc.constantFrom('true', '2');

/**
 * Iglu URIs from a small pool, so that column names repeat and collide (`com.acme` and `com-acme` shred to
 * the same column; so do two minor versions of a model), plus invalid ones.
 */
const schemaUri = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('com.acme', 'com-acme', 'com_acme', 'org.w3', 'io.Example'),
        fc.constantFrom('user', 'PerformanceTiming', 'link-click', 'my.Event-name', 'aBC', 'HTTPHeader'),
        fc.constantFrom('1', '2', '10', '01'),
        fc.constantFrom('0-0', '0-3', '2-1'),
      )
      .map(([v, n, model, rest]) => `iglu:${v}/${n}/jsonschema/${model}-${rest}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('iglu:com.acme/user/jsonschema/1-0', 'iglu:com acme/user/jsonschema/1-0-0', 'com.acme/user/jsonschema/1-0-0', 'iglu:com.acme/us"er/jsonschema/1-0-0', '') },
);

/** A self-describing entity as the tracker sends it (data possibly absent), or something that is not one. */
const entity = fc.oneof(
  { weight: 8, arbitrary: fc.record({ schema: schemaUri, data: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: ['schema'] }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 'text', 5, [], { data: 1 }, { schema: 7, data: 1 }) },
);

/** JSON text: JSON.stringify's, with insignificant whitespace, or with \u escapes (the writer must not copy the text). */
function jsonText(value: unknown): fc.Arbitrary<string> {
  const plain = JSON.stringify(value);
  return fc.constantFrom(plain, JSON.stringify(value, null, 1).replace(/\n/g, ' '), plain.replace(/"schema"/g, '"sch\\u0065ma"').replace(/"data"/g, '"d\\u0061ta"').replace(/"iglu:/g, '"iglu\\u003a'));
}

const contextsValue = fc
  .tuple(fc.constantFrom(`${CONTEXTS}0`, `${CONTEXTS}1`), fc.array(entity, { maxLength: 4 }))
  .chain(([schema, data]) => jsonText({ schema, data }));
const edgeContexts = fc.constantFrom('{', 'null', '5', '[]', `{"schema":"${CONTEXTS}0","data":{}}`, `{"schema":"${UNSTRUCT}0","data":[]}`, `{"data":[]}`);

const unstructValue = fc.tuple(fc.constantFrom(`${UNSTRUCT}0`, `${UNSTRUCT}1`), entity).chain(([schema, data]) => jsonText({ schema, data }));
const edgeUnstruct = fc.constantFrom('{', 'null', `{"schema":"${UNSTRUCT}0"}`, `{"schema":"${CONTEXTS}0","data":{}}`, '"x"');

const eventIdValue = fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) });
const edgeEventId = fc.constantFrom('not-a-uuid', '4a4a8a2c7b4a4f429f7e2b5a3f3e3d10', '4A4A8A2C-7B4A-4F42-9F7E-2B5A3F3E3D1');

/** A value of column i: one the reference accepts, or (edges) one close to or past the edge of what it accepts. */
function valueOf(i: number, edges = false): fc.Arbitrary<string> {
  const name = ENRICHED_FIELDS[i]!;
  if (name === 'event_id') return edges ? edgeEventId : eventIdValue;
  if (name === 'contexts' || name === 'derived_contexts') return edges ? edgeContexts : contextsValue;
  if (name === 'unstruct_event') return edges ? edgeUnstruct : unstructValue;
  const valid: Record<ColumnType, fc.Arbitrary<string>> = { s: stringValue, ts: canonicalTstamp, i: intValue, b: boolValue, f: numberValue, d: numberValue, J: fc.constant('') };
  const edge: Record<ColumnType, fc.Arbitrary<string>> = { s: stringValue, ts: edgeTstamp, i: edgeInt, b: edgeBool, f: edgeNumber, d: edgeNumber, J: fc.constant('') };
  return (edges ? edge : valid)[FIELD_TYPES[name]];
}

/** Most columns empty (as in real events), the required ones there, the others of their kind. */
const REQUIRED = new Set(['event_id', 'collector_tstamp', 'v_collector', 'v_etl']);
const validColumns = fc.tuple(
  ...Array.from({ length: FIELD_COUNT }, (_, i) =>
    REQUIRED.has(ENRICHED_FIELDS[i]!) ? valueOf(i) : fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: valueOf(i) }),
  ),
);

/**
 * A TSV line: valid, or with up to three columns changed to edge values (or emptied), or with a field
 * too many or too few.
 */
const enrichedLine = fc
  .tuple(
    validColumns,
    fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as [number, string][]) },
      { weight: 2, arbitrary: fc.array(fc.nat(FIELD_COUNT - 1).chain((i) => fc.tuple(fc.constant(i), fc.oneof(valueOf(i, true), fc.constant('')))), { minLength: 1, maxLength: 3 }) },
    ),
    fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1),
  )
  .map(([v, changes, extra]) => {
    const values = [...v];
    for (const [i, value] of changes) values[i] = value;
    if (extra > 0) values.push('x');
    if (extra < 0) values.pop();
    return values.join('\t');
  });

// ---------------------------------------------------------------------------------------------------------

describe('wide-row writer (fast path)', () => {
  it('property "fast path ≡ reference": transformLine(line) equals referenceTransformLine(line): same JSON text (key order included), types, timestamp, bad row', () => {
    let good = 0;
    let runs = 0;
    fc.assert(
      fc.property(enrichedLine, (line) => {
        runs++;
        const fast = transformLine(line, P);
        const reference = referenceTransformLine(line, P);
        expect(fast).toStrictEqual(reference);
        // Every good line is written by the fast path itself, not handed to the reference.
        expect(fastTransform(line) === null).toBe(reference.kind === 'bad');
        if (fast.kind === 'good') good++;
      }),
      { numRuns: 1500 },
    );
    // The property is about good lines mostly: make sure the generator produces plenty of them.
    expect(good / runs).toBeGreaterThan(0.3);
  });

  it('property "fast path ≡ reference" on fully populated events (every column set, valid)', () => {
    const full = fc.tuple(...Array.from({ length: FIELD_COUNT }, (_, i) => valueOf(i))).map((v) => v.join('\t'));
    fc.assert(
      fc.property(full, (line) => {
        const reference = referenceTransformLine(line, P);
        expect(reference.kind, reference.line.slice(0, 600)).toBe('good');
        expect(transformLine(line, P)).toStrictEqual(reference);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the reference on the cases the fast path treats specially', () => {
    const base = () => {
      const e = new EnrichedEvent();
      e.event_id = '4a4a8a2c-7b4a-4f42-9f7e-2b5a3f3e3d10';
      e.collector_tstamp = '2026-11-27 10:00:00.000';
      e.v_collector = 'c';
      e.v_etl = 'e';
      return e;
    };
    const cases: ((e: EnrichedEvent) => void)[] = [
      () => {},
      (e) => (e.app_id = 'say "hi" \\ \u0001 \ud800'),
      (e) => (e.collector_tstamp = '2026-11-27 10:00:00'),
      (e) => (e.collector_tstamp = '0050-01-01 00:00:00.000'),
      (e) => (e.dvce_created_tstamp = '2024-02-29 23:59:59.999'),
      (e) => (e.dvce_created_tstamp = '2026-02-29 00:00:00.000'),
      (e) => ((e.se_value = '1e999'), (e.tr_total = '-0')),
      (e) => ((e.page_urlport = '+0443'), (e.txn_id = '-0')),
      (e) => ((e.geo_latitude = '51.50'), (e.geo_longitude = '-0.120')),
      (e) => (e.geo_latitude = '51.5'),
      (e) => {
        e.contexts = JSON.stringify({
          schema: `${CONTEXTS}1`,
          data: [
            { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { id: 1 } },
            { schema: 'iglu:com.acme/clash/jsonschema/1-0-0', data: { from: 'tracker' } },
            { schema: 'iglu:com-acme/user/jsonschema/1-0-3' },
          ],
        });
        e.derived_contexts = JSON.stringify({
          schema: `${CONTEXTS}0`,
          data: [
            { schema: 'iglu:com.acme/other/jsonschema/1-0-0', data: [] },
            { schema: 'iglu:com.acme/clash/jsonschema/1-0-1', data: { from: 'enrich' } },
          ],
        });
      },
      (e) => (e.unstruct_event = JSON.stringify({ schema: `${UNSTRUCT}0`, data: { schema: 'iglu:com.acme/nodata/jsonschema/1-0-0' } })),
      (e) => (e.unstruct_event = `{"schema":"${UNSTRUCT}0","data":{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{"s":"\\u00e9\\ud800","n":1.50}}}`),
      (e) => (e.br_features_pdf = 'yes'),
    ];
    for (const change of cases) {
      const e = base();
      change(e);
      const line = e.toTsv();
      expect(transformLine(line, P)).toStrictEqual(referenceTransformLine(line, P));
    }
    const clash = base();
    cases[10]!(clash);
    const out = transformLine(clash.toTsv(), P);
    expect(out.kind).toBe('good');
    if (out.kind === 'good') {
      const keys = Object.keys(JSON.parse(out.line));
      expect(keys.slice(128)).toEqual(['contexts_com_acme_user_1', 'contexts_com_acme_clash_1', 'contexts_com_acme_other_1']);
      expect(JSON.parse(out.line).contexts_com_acme_clash_1).toEqual([{ from: 'enrich' }]);
      expect(out.collectorMs).toBe(Date.UTC(2026, 10, 27, 10));
    }
  });

  it('keeps the 128 atomic keys in column order, then the shredded ones', () => {
    const e = new EnrichedEvent();
    e.event_id = '4a4a8a2c-7b4a-4f42-9f7e-2b5a3f3e3d10';
    e.collector_tstamp = '2026-11-27 10:00:00.000';
    e.v_collector = 'c';
    e.v_etl = 'e';
    const out = transformLine(e.toTsv(), P);
    if (out.kind !== 'good') throw new Error('expected a good line');
    expect(Object.keys(JSON.parse(out.line))).toEqual(ENRICHED_FIELDS.filter((_, i) => i !== FIELD_INDEX.contexts && i !== FIELD_INDEX.unstruct_event && i !== FIELD_INDEX.derived_contexts));
  });
});

describe('LineBuffer', () => {
  it('property: each drain yields exactly the UTF-8 of the lines joined by \\n, and the memory is reused safely', () => {
    const line = fc.oneof({ weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 3 }).map((s) => s.repeat(150_000)) });
    fc.assert(
      fc.property(fc.array(fc.array(line, { maxLength: 8 }), { minLength: 1, maxLength: 4 }), (files) => {
        const sink = new LineBuffer();
        for (const lines of files) {
          for (const l of lines) sink.append(l);
          expect(sink.lines).toBe(lines.length);
          const got = sink.drain((bytes) => Buffer.from(bytes));
          expect(got.equals(Buffer.from(lines.join('\n')))).toBe(true);
          expect(sink.lines).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});
