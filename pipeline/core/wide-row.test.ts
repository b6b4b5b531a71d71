import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ATOMIC_COLUMNS,
  ATOMIC_COLUMN_NAMES,
  InvalidIdentifierError,
  IDENTIFIER_PATTERN,
  LOAD_TSTAMP_COLUMN,
  POSTGRES_MAX_IDENTIFIER,
  entityColumnsOf,
  postgresColumnName,
  selfDescribingColumn,
  transformSchema,
  validateIdentifier,
} from './wide-row';
import { IgluParseError, parseSchemaKey } from './schema-key';
import { DEFAULT_FIELD_LIMITS } from './atomic-fields';

describe('self-describing column naming (spec §3.6)', () => {
  it('matches the Analytics SDK examples', () => {
    expect(selfDescribingColumn('SELF_DESCRIBING_EVENT', parseSchemaKey('iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1'))).toBe(
      'unstruct_event_com_snowplowanalytics_snowplow_link_click_1',
    );
    expect(selfDescribingColumn('CONTEXT', parseSchemaKey('iglu:org.w3/PerformanceTiming/jsonschema/1-0-0'))).toBe('contexts_org_w3_performance_timing_1');
    expect(transformSchema('contexts', 'com.acme-corp', 'my.Event-name', 3)).toBe('contexts_com_acme_corp_my_event_name_3');
  });

  it('keeps runs of capitals together the way Java replaceAll does', () => {
    expect(transformSchema('unstruct_event', 'a', 'aBC', 1)).toBe('unstruct_event_a_a_bc_1');
    expect(transformSchema('unstruct_event', 'a', 'HTTPHeader', 1)).toBe('unstruct_event_a_httpheader_1');
    expect(transformSchema('unstruct_event', 'a', 'my_URL', 1)).toBe('unstruct_event_a_my_url_1');
  });

  it('property: every valid Iglu vendor/name/model yields a valid identifier', () => {
    const vendor = fc.stringMatching(/^[a-zA-Z0-9\-_.]{1,40}$/);
    const name = fc.stringMatching(/^[a-zA-Z0-9\-_]{1,40}$/);
    fc.assert(
      fc.property(vendor, name, fc.integer({ min: 1, max: 999 }), fc.boolean(), (v, n, m, ctx) => {
        const c = selfDescribingColumn(ctx ? 'CONTEXT' : 'SELF_DESCRIBING_EVENT', { vendor: v, name: n, version: { model: m } });
        expect(c).toMatch(IDENTIFIER_PATTERN);
        expect(c.endsWith(`_${m}`)).toBe(true);
      }),
    );
  });

  it('one column per model: 1-0-0 and 1-2-3 share it, 2-0-0 gets its own, highest key wins', () => {
    const cols = entityColumnsOf([
      { schemaKey: 'iglu:com.acme/button_press/jsonschema/1-0-0', snowplowEntity: 'SELF_DESCRIBING_EVENT' },
      { schemaKey: 'iglu:com.acme/button_press/jsonschema/1-2-3', snowplowEntity: 'SELF_DESCRIBING_EVENT' },
      { schemaKey: 'iglu:com.acme/button_press/jsonschema/1-1-0', snowplowEntity: 'SELF_DESCRIBING_EVENT' },
      { schemaKey: 'iglu:com.acme/button_press/jsonschema/2-0-0', snowplowEntity: 'SELF_DESCRIBING_EVENT' },
      { schemaKey: 'iglu:com.acme/user/jsonschema/1-0-0', snowplowEntity: 'CONTEXT' },
    ]);
    expect(cols).toEqual([
      { name: 'contexts_com_acme_user_1', entity: 'CONTEXT', schemaKey: 'iglu:com.acme/user/jsonschema/1-0-0' },
      { name: 'unstruct_event_com_acme_button_press_1', entity: 'SELF_DESCRIBING_EVENT', schemaKey: 'iglu:com.acme/button_press/jsonschema/1-2-3' },
      { name: 'unstruct_event_com_acme_button_press_2', entity: 'SELF_DESCRIBING_EVENT', schemaKey: 'iglu:com.acme/button_press/jsonschema/2-0-0' },
    ]);
  });

  it('hostile schema keys never become columns', () => {
    expect(() => entityColumnsOf([{ schemaKey: 'iglu:com.acme"; DROP TABLE x; --/e/jsonschema/1-0-0', snowplowEntity: 'CONTEXT' }])).toThrow(IgluParseError);
    expect(() => entityColumnsOf([{ schemaKey: 'iglu:com.acme/e vil/jsonschema/1-0-0', snowplowEntity: 'CONTEXT' }])).toThrow(IgluParseError);
  });
});

describe('identifier validator', () => {
  it('rejects anything that could break out of an identifier', () => {
    for (const bad of ['', 'a b', 'a"b', "a'b", 'a;b', 'A', '1abc', 'a-b', 'é', 'a\u0000', 'x'.repeat(256)])
      expect(() => validateIdentifier(bad), bad).toThrow(InvalidIdentifierError);
    expect(validateIdentifier('contexts_com_acme_x_1')).toBe('contexts_com_acme_x_1');
    expect(() => validateIdentifier('x'.repeat(64), POSTGRES_MAX_IDENTIFIER)).toThrow(/longer than 63/);
  });

  it('property: any string the validator accepts contains only [a-z0-9_]', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        let ok = true;
        try {
          validateIdentifier(s);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidIdentifierError);
          ok = false;
        }
        if (ok) expect(/^[a-z0-9_]+$/.test(s)).toBe(true);
      }),
    );
  });

  it('property: postgres names fit in 63 bytes, are stable, and distinct long names stay distinct', () => {
    const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,120}$/);
    fc.assert(
      fc.property(ident, ident, (a, b) => {
        const pa = postgresColumnName(a);
        expect(pa.length).toBeLessThanOrEqual(POSTGRES_MAX_IDENTIFIER);
        expect(pa).toMatch(IDENTIFIER_PATTERN);
        expect(postgresColumnName(a)).toBe(pa);
        if (a.length <= 63) expect(pa).toBe(a);
        if (a !== b) expect(postgresColumnName(b)).not.toBe(pa);
      }),
    );
  });
});

describe('atomic.events columns', () => {
  it('has the 128 atomic columns in DDL order, then load_tstamp', () => {
    expect(ATOMIC_COLUMNS).toHaveLength(128);
    expect(new Set(ATOMIC_COLUMN_NAMES).size).toBe(128);
    expect(ATOMIC_COLUMN_NAMES[0]).toBe('app_id');
    expect(ATOMIC_COLUMN_NAMES[127]).toBe('true_tstamp');
    expect(LOAD_TSTAMP_COLUMN.name).toBe('load_tstamp');
    expect(ATOMIC_COLUMNS.filter((c) => c.notNull).map((c) => c.name)).toEqual(['collector_tstamp', 'event_id', 'v_collector', 'v_etl']);
  });

  it('every column holds every value enrich lets through (one that did not would fail the load of its whole window)', () => {
    for (const c of ATOMIC_COLUMNS) {
      const n = /^(?:VARCHAR|CHAR)\((\d+)\)$/.exec(c.snowflake)?.[1];
      const limit = (DEFAULT_FIELD_LIMITS as Record<string, number | undefined>)[c.name];
      if (n !== undefined) {
        expect(limit, `${c.name}: enrich has no length limit for a ${c.snowflake} column`).toBeDefined();
        expect(Number(n), `${c.name}: ${c.snowflake} is narrower than enrich's limit ${limit}`).toBeGreaterThanOrEqual(limit!);
        expect(c.postgres).toBe(`varchar(${n})`);
      }
      // Enrich's integers are Int32 (Java toInt): Postgres needs integer, not smallint.
      if (c.kind === 'integer') expect(['integer', 'bigint']).toContain(c.postgres);
    }
  });

  it('maps Snowflake types to Postgres ones without blank-padding CHAR', () => {
    const byName = Object.fromEntries(ATOMIC_COLUMNS.map((c) => [c.name, c]));
    expect(byName.event_id).toMatchObject({ snowflake: 'CHAR(36)', postgres: 'varchar(36)', kind: 'string' });
    expect(byName.domain_sessionid!.postgres).toBe('varchar(128)');
    expect(byName.tr_total).toMatchObject({ snowflake: 'NUMBER(18,2)', postgres: 'numeric(18,2)', kind: 'decimal' });
    expect(byName.collector_tstamp).toMatchObject({ snowflake: 'TIMESTAMP', postgres: 'timestamp', kind: 'timestamp' });
    expect(byName.br_cookies!.kind).toBe('boolean');
    expect(byName.domain_sessionidx).toMatchObject({ snowflake: 'SMALLINT', postgres: 'integer', kind: 'integer' });
    expect(byName.geo_latitude!.kind).toBe('double');
  });
});
