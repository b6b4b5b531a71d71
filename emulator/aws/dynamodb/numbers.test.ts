import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addNumbers, compareDecimal, compareNumbers, normalizeNumber, numberSizeBytes, parseDecimal } from './numbers';

describe('DynamoDB numbers', () => {
  it('normalizes like AWS: leading/trailing zeros, exponents, negative zero', () => {
    expect(normalizeNumber('00042')).toBe('42');
    expect(normalizeNumber('3.1400')).toBe('3.14');
    expect(normalizeNumber('1.0')).toBe('1');
    expect(normalizeNumber('1.5E2')).toBe('150');
    expect(normalizeNumber('1e-3')).toBe('0.001');
    expect(normalizeNumber('-0')).toBe('0');
    expect(normalizeNumber('+7')).toBe('7');
    expect(normalizeNumber('.5')).toBe('0.5');
    expect(normalizeNumber('12345678901234567890123456789012345678')).toBe('12345678901234567890123456789012345678');
  });

  it('rejects what AWS rejects, with its messages', () => {
    expect(() => normalizeNumber('abc')).toThrow('The parameter cannot be converted to a numeric value: abc');
    expect(() => normalizeNumber('')).toThrow('cannot be converted');
    expect(() => normalizeNumber('1 ')).toThrow('cannot be converted');
    expect(() => normalizeNumber('123456789012345678901234567890123456789')).toThrow('Attempting to store more than 38 significant digits in a Number');
    expect(() => normalizeNumber('1E+126')).toThrow('Number overflow');
    expect(() => normalizeNumber('-1E+126')).toThrow('Number overflow');
    expect(() => normalizeNumber('1E-131')).toThrow('Number underflow');
    expect(normalizeNumber('9.9999999999999999999999999999999999999E+125')).toMatch(/^99999999999999999999999999999999999999/);
    expect(normalizeNumber('1E-130')).toBe(`0.${'0'.repeat(129)}1`);
  });

  it('compares numerically, not as strings', () => {
    expect(compareNumbers('9', '10')).toBeLessThan(0);
    expect(compareNumbers('-10', '-9')).toBeLessThan(0);
    expect(compareNumbers('0.001', '0.01')).toBeLessThan(0);
    expect(compareNumbers('100', '100')).toBe(0);
    expect(compareNumbers('-0.5', '0')).toBeLessThan(0);
    expect(compareNumbers('99999999999999999999999999999999999999', '1E-130')).toBeGreaterThan(0);
  });

  it('adds exactly beyond 2^53 (lease counters never lose precision)', () => {
    expect(addNumbers('9007199254740993', '1')).toBe('9007199254740994');
    expect(addNumbers('0.1', '0.2')).toBe('0.3');
    expect(addNumbers('5', '7', true)).toBe('-2');
    expect(() => addNumbers('9.9e125', '9.9e125')).toThrow('Number overflow');
  });

  it('property: integer addition and comparison agree with BigInt', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n }), fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n }), (a, b) => {
        expect(addNumbers(a.toString(), b.toString())).toBe((a + b).toString());
        expect(Math.sign(compareNumbers(a.toString(), b.toString()))).toBe(a === b ? 0 : a < b ? -1 : 1);
      }),
    );
  });

  it('property: the parse-free ordering of normalized strings equals exact decimal ordering', () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: -25, max: 25 }))
      .map(([coef, exp]) => normalizeNumber(`${coef}e${exp}`));
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(Math.sign(compareNumbers(a, b))).toBe(Math.sign(compareDecimal(parseDecimal(a)!, parseDecimal(b)!)));
      }),
    );
  });

  it('sizes numbers at about one byte per two significant digits plus one', () => {
    expect(numberSizeBytes('1')).toBe(2);
    expect(numberSizeBytes('99999999999999999999999999999999999999')).toBe(20);
  });
});
