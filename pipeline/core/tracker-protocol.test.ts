import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EnrichedEvent, FIELD_INDEX } from './enriched-event';
import {
  cleanHeaderValue,
  dimensions,
  firstIp,
  javaBigDecimal,
  javaBigDecimalString,
  javaInteger,
  javaIntKeepText,
  makeTsvSafe,
  mapParameters,
  msToTstamp,
  ParseFailure,
  uuid,
} from './tracker-protocol';

// Every ASCII control character (tab, CR and LF included).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

describe('makeTsvSafe', () => {
  it('replaces tabs with four spaces, drops ASCII control characters, empty becomes null', () => {
    expect(makeTsvSafe('a\tb')).toBe('a    b');
    expect(makeTsvSafe('a\r\nb\u0000c\u007f')).toBe('abc');
    expect(makeTsvSafe('\n\r')).toBeNull();
    expect(makeTsvSafe('')).toBeNull();
    expect(makeTsvSafe(null)).toBeNull();
    // Only ASCII controls are \p{Cntrl} in Java: C1 controls and Unicode separators stay.
    expect(makeTsvSafe('a\u0085b\u2028c')).toBe('a\u0085b\u2028c');
  });

  it('property: never leaves a tab, CR or LF, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = makeTsvSafe(s);
        if (out === null) return;
        expect(out).not.toMatch(CONTROL);
        expect(makeTsvSafe(out)).toBe(out);
      }),
    );
  });

  it('cleanHeaderValue removes CR/LF and turns tabs into spaces only', () => {
    expect(cleanHeaderValue('UA\r\n1\t2')).toBe('UA1    2');
  });
});

describe('numbers', () => {
  it('BigDecimal: Java toString after rescaling a negative scale to 0', () => {
    expect(javaBigDecimalString('10.00')).toBe('10.00');
    expect(javaBigDecimalString('1.5e3')).toBe('1500');
    expect(javaBigDecimalString('1E+2')).toBe('100');
    expect(javaBigDecimalString('0.0000001')).toBe('1E-7');
    expect(javaBigDecimalString('0.000001')).toBe('0.000001');
    expect(javaBigDecimalString('-0.00')).toBe('0.00');
    expect(javaBigDecimalString('0.0000000')).toBe('0E-7');
    expect(javaBigDecimalString('-12.345e-10')).toBe('-1.2345E-9');
    expect(javaBigDecimalString('+.5')).toBe('0.5');
    expect(javaBigDecimalString('007')).toBe('7');
    for (const bad of ['', '.', 'abc', '1,5', '1e', ' 1', 'NaN', 'Infinity', '0x10']) expect(javaBigDecimalString(bad)).toBeUndefined();
    expect(javaBigDecimal('NULL')).toBeNull();
    expect(javaBigDecimal('x')).toBeInstanceOf(ParseFailure);
  });

  it('Integer: sign, 32-bit range, "null" → null, canonical text; tid keeps its text', () => {
    expect(javaInteger('+007')).toBe('7');
    expect(javaInteger('-2147483648')).toBe('-2147483648');
    expect(javaInteger('2147483648')).toBeInstanceOf(ParseFailure);
    expect(javaInteger('null')).toBeNull();
    expect(javaInteger('1.0')).toBeInstanceOf(ParseFailure);
    expect(javaIntKeepText('007')).toBe('007');
    expect(javaIntKeepText('null')).toBeInstanceOf(ParseFailure);
  });

  it('dimensions: WIDTHxHEIGHT within Int', () => {
    expect(dimensions('1920x1080')).toEqual(['1920', '1080']);
    expect(dimensions('1920X1080')).toBeInstanceOf(ParseFailure);
    expect(dimensions('99999999999x1')).toBeInstanceOf(ParseFailure);
  });
});

describe('timestamps and identifiers', () => {
  it('ms since epoch → yyyy-MM-dd HH:mm:ss.SSS UTC; outside years 0–9999 is an error', () => {
    expect(msToTstamp('1700000000123')).toBe('2023-11-14 22:13:20.123');
    expect(msToTstamp('0')).toBe('1970-01-01 00:00:00.000');
    expect(msToTstamp('-1')).toBe('1969-12-31 23:59:59.999');
    expect(msToTstamp('253402300800000')).toBeInstanceOf(ParseFailure); // year 10000
    expect((msToTstamp('1.5') as ParseFailure).message).toBe('not in the expected format: ms since epoch');
  });

  it('UUIDs must be canonical (any case) and come out lower-case', () => {
    expect(uuid('AB6CA7AB-2AB1-4ADD-8F9B-E1B3C8C64B2A')).toBe('ab6ca7ab-2ab1-4add-8f9b-e1b3c8c64b2a');
    expect(uuid('ab6ca7ab2ab14add8f9be1b3c8c64b2a')).toBeInstanceOf(ParseFailure);
  });

  it('ip: the first token before a comma, pipe or space', () => {
    expect(firstIp('1.2.3.4, 5.6.7.8')).toBe('1.2.3.4');
    expect(firstIp('1.2.3.4|x')).toBe('1.2.3.4');
    expect(firstIp(',1.2.3.4')).toBeNull();
  });
});

describe('mapParameters', () => {
  it('maps tracker parameters onto columns, tnuid overriding nuid, and collects every parse error', () => {
    const e = new EnrichedEvent();
    e.network_userid = 'from-cookie';
    const params = new Map<string, string | null>([
      ['e', 'pv'],
      ['aid', 'shop\tone'],
      ['nuid', 'from-nuid'],
      ['tnuid', 'from-tnuid'],
      ['vp', '800x600'],
      ['f_pdf', '1'],
      ['cookie', 'yes'],
      ['vid', 'abc'],
      ['tr_tt', '12.50'],
      ['ev_ca', 'legacy-cat'],
      ['unknown', 'ignored'],
      ['page', null],
    ]);
    const errors = mapParameters(params, e.values);
    expect(e.event).toBe('page_view');
    expect(e.app_id).toBe('shop    one');
    expect(e.network_userid).toBe('from-tnuid');
    expect([e.br_viewwidth, e.br_viewheight]).toEqual(['800', '600']);
    expect(e.br_features_pdf).toBe('1');
    expect(e.tr_total).toBe('12.50');
    expect(e.se_category).toBe('legacy-cat');
    expect(e.values[FIELD_INDEX.page_title]).toBeNull();
    expect(errors.map((x) => x.field).sort()).toEqual(['cookie', 'vid']);
  });
});
