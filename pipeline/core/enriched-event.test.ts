import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ENRICHED_FIELDS,
  EnrichedEvent,
  EnrichedEventParseError,
  FIELD_INDEX,
  FIELD_TYPES,
  formatInstant,
  formatTstamp,
  parseTstamp,
  shreddedColumnName,
  type FieldName,
} from './enriched-event';

// Every ASCII control character (tab, CR and LF included).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/g;

const CONTEXTS = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1';
const UNSTRUCT = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';

function minimal(): EnrichedEvent {
  const e = new EnrichedEvent();
  e.event_id = '4a4a8a2c-7b4a-4f42-9f7e-2b5a3f3e3d10';
  e.collector_tstamp = '2026-01-02 03:04:05.678';
  e.etl_tstamp = '2026-01-02 03:04:06.000';
  e.v_collector = 'ssc-3.4.0-kinesissink';
  e.v_etl = 'furrow-enrich-0.1.0';
  e.event = 'page_view';
  return e;
}

describe('the 131 columns', () => {
  it('are in Snowplow order, with the JSON columns at #53, #59 and #123', () => {
    expect(ENRICHED_FIELDS).toHaveLength(131);
    expect(new Set(ENRICHED_FIELDS).size).toBe(131);
    expect(ENRICHED_FIELDS[0]).toBe('app_id');
    expect(ENRICHED_FIELDS[52]).toBe('contexts');
    expect(ENRICHED_FIELDS[58]).toBe('unstruct_event');
    expect(ENRICHED_FIELDS[122]).toBe('derived_contexts');
    expect(ENRICHED_FIELDS[130]).toBe('true_tstamp');
    expect(FIELD_INDEX.page_urlport).toBe(34);
    expect(FIELD_TYPES.se_value).toBe('d');
  });

  it('named accessors read and write the TSV slots', () => {
    const e = minimal();
    e.page_url = 'https://x';
    expect(e.values[FIELD_INDEX.page_url]).toBe('https://x');
    expect(e.get('page_url')).toBe('https://x');
  });
});

describe('TSV', () => {
  it('joins 131 fields with tabs, nulls as empty strings, no trailing newline', () => {
    const tsv = minimal().toTsv();
    expect(tsv.split('\t')).toHaveLength(131);
    expect(tsv.endsWith('\n')).toBe(false);
    expect(EnrichedEvent.fromTsv(tsv).toTsv()).toBe(tsv);
  });

  it('fromTsv rejects a wrong field count, a missing event_id and unparseable typed columns', () => {
    expect(() => EnrichedEvent.fromTsv('a\tb')).toThrow(EnrichedEventParseError);
    const e = minimal();
    e.event_id = null;
    expect(() => EnrichedEvent.fromTsv(e.toTsv())).toThrow(/event_id/);
    const f = minimal();
    f.page_urlport = 'eighty';
    expect(() => EnrichedEvent.fromTsv(f.toTsv())).toThrow(/page_urlport/);
  });

  it('timestamps format and parse as UTC', () => {
    expect(formatTstamp(0)).toBe('1970-01-01 00:00:00.000');
    expect(parseTstamp('2026-01-02 03:04:05.678')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(formatInstant(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('2026-01-02T03:04:05Z');
    expect(formatInstant(Date.UTC(2026, 0, 2, 3, 4, 5, 10))).toBe('2026-01-02T03:04:05.010Z');
  });
});

describe('analytics SDK JSON', () => {
  it('column naming rule: prefix + vendor + snake-cased name + model', () => {
    expect(shreddedColumnName('unstruct_event_', 'com.snowplowanalytics.snowplow', 'link_click', 1)).toBe(
      'unstruct_event_com_snowplowanalytics_snowplow_link_click_1',
    );
    expect(shreddedColumnName('contexts_', 'org.w3', 'PerformanceTiming', 1)).toBe('contexts_org_w3_performance_timing_1');
  });

  it('types atomic fields, shreds contexts by model, adds geo_location, lets derived contexts win', () => {
    const e = minimal();
    e.br_features_pdf = '1';
    e.page_urlport = '443';
    e.se_value = '1.50';
    e.geo_latitude = '51.5';
    e.geo_longitude = '-0.12';
    e.contexts = JSON.stringify({
      schema: CONTEXTS,
      data: [
        { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { id: 1 } },
        { schema: 'iglu:com.acme/user/jsonschema/1-0-3', data: { id: 2 } },
        { schema: 'iglu:com.acme/clash/jsonschema/1-0-0', data: { from: 'tracker' } },
      ],
    });
    e.derived_contexts = JSON.stringify({ schema: CONTEXTS, data: [{ schema: 'iglu:com.acme/clash/jsonschema/1-0-0', data: { from: 'enrich' } }] });
    e.unstruct_event = JSON.stringify({ schema: UNSTRUCT, data: { schema: 'iglu:com.acme/buttonClick/jsonschema/2-1-0', data: { x: true } } });
    const j = e.toJson();
    expect(j.br_features_pdf).toBe(true);
    expect(j.page_urlport).toBe(443);
    expect(j.se_value).toBe(1.5);
    expect(j.collector_tstamp).toBe('2026-01-02T03:04:05.678Z');
    expect(j.app_id).toBeNull();
    expect('contexts' in j).toBe(false);
    expect(j.contexts_com_acme_user_1).toEqual([{ id: 1 }, { id: 2 }]);
    expect(j.contexts_com_acme_clash_1).toEqual([{ from: 'enrich' }]);
    expect(j.unstruct_event_com_acme_button_click_2).toEqual({ x: true });
    expect(j.geo_location).toBe('51.5,-0.12');
    expect(Object.keys(j).slice(0, 128)).toEqual(ENRICHED_FIELDS.filter((f) => !['contexts', 'unstruct_event', 'derived_contexts'].includes(f)));
    expect((e.toJson({ schemaVersion: true }).contexts_com_acme_user_1 as unknown[])[1]).toEqual({ _schema_version: '1-0-3', id: 2 });
  });

  // A valid enriched TSV with canonical numbers (what Enrich writes for JSON.stringify-built input).
  const canonicalEvent = fc
    .record({
      app_id: fc.option(fc.string({ minLength: 1, maxLength: 8 }).map((s) => s.replace(CONTROL, 'x')), { nil: null }),
      page_urlport: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
      se_value: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), { nil: null }),
      br_cookies: fc.option(fc.boolean(), { nil: null }),
      dvce_created_tstamp: fc.option(fc.integer({ min: 0, max: 253402300799999 }), { nil: null }),
      ctx: fc.array(fc.record({ n: fc.constantFrom('a', 'b_c', 'dE'), v: fc.nat(3), x: fc.jsonValue() }), { maxLength: 3 }),
    })
    .map((r) => {
      const e = minimal();
      e.app_id = r.app_id;
      e.page_urlport = r.page_urlport === null ? null : String(r.page_urlport);
      e.se_value = r.se_value === null ? null : String(r.se_value === 0 ? 0 : r.se_value);
      e.br_cookies = r.br_cookies === null ? null : r.br_cookies ? '1' : '0';
      e.dvce_created_tstamp = r.dvce_created_tstamp === null ? null : formatTstamp(r.dvce_created_tstamp);
      if (r.ctx.length)
        e.contexts = JSON.stringify({
          schema: CONTEXTS,
          data: r.ctx.map((c) => ({ schema: `iglu:com.acme/${c.n}/jsonschema/1-0-${c.v}`, data: JSON.parse(JSON.stringify({ x: c.x })) })),
        });
      return e.toTsv();
    });

  it('property (round trip): TSV → JSON → TSV is the identity for valid TSVs with canonical numbers', () => {
    fc.assert(
      fc.property(canonicalEvent, (tsv) => {
        const json = JSON.parse(JSON.stringify(EnrichedEvent.fromTsv(tsv).toEventJson())) as Record<string, unknown>;
        expect(EnrichedEvent.fromJson(json).toTsv()).toBe(tsv);
      }),
      { numRuns: 200 },
    );
  });

  it('property (round trip): the lossy SDK JSON agrees with the lossless one on every atomic key', () => {
    fc.assert(
      fc.property(canonicalEvent, (tsv) => {
        const e = EnrichedEvent.fromTsv(tsv);
        const lossy = e.toJson();
        const lossless = e.toEventJson();
        for (const f of ENRICHED_FIELDS as FieldName[]) if (FIELD_TYPES[f] !== 'J') expect(lossy[f]).toEqual(lossless[f]);
        expect(EnrichedEvent.fromJson(lossy).values.filter((_, i) => FIELD_TYPES[ENRICHED_FIELDS[i]!] !== 'J')).toEqual(
          e.values.filter((_, i) => FIELD_TYPES[ENRICHED_FIELDS[i]!] !== 'J'),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('non-canonical decimals come back normalised, not corrupted', () => {
    const e = minimal();
    e.tr_total = '10.00';
    const back = EnrichedEvent.fromJson(e.toEventJson());
    expect(back.tr_total).toBe('10');
    expect(Number(back.tr_total)).toBe(Number(e.tr_total));
  });
});
