import { validation } from '../errors';

/**
 * DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 .. 9.99..E+125, kept as decimal strings
 * on the wire and in storage. Arithmetic and comparison go through this exact decimal form (BigInt
 * coefficient + base-10 exponent), never through floats, so lease counters never lose precision.
 */
export interface Decimal {
  /** -1, 0 or 1; a zero is always { sign: 0, coef: 0n, exp: 0 }. */
  readonly sign: -1 | 0 | 1;
  /** The significant digits, without trailing zeros (> 0 unless the value is zero). */
  readonly coef: bigint;
  /** value = sign × coef × 10^exp */
  readonly exp: number;
}

const MAX_SIGNIFICANT_DIGITS = 38;
const MAX_ADJUSTED_EXPONENT = 125;
const MIN_ADJUSTED_EXPONENT = -130;
const NUMBER_SYNTAX = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export const ZERO: Decimal = { sign: 0, coef: 0n, exp: 0 };

/** Parses a decimal string; null if it is not a number at all (no range checks). */
export function parseDecimal(text: string): Decimal | null {
  const m = NUMBER_SYNTAX.exec(text);
  if (!m) return null;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart.length + fracPart.length === 0) return null;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(exponent)) return null;
  let digits = (intPart + fracPart).replace(/^0+/, '');
  if (digits === '') return ZERO;
  let exp = exponent - fracPart.length;
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return { sign: m[1] === '-' ? -1 : 1, coef: BigInt(digits), exp };
}

function make(sign: -1 | 1, coef: bigint, exp: number): Decimal {
  if (coef === 0n) return ZERO;
  while (coef % 10n === 0n) {
    coef /= 10n;
    exp++;
  }
  return { sign, coef, exp };
}

function digitCount(d: Decimal): number {
  return d.sign === 0 ? 1 : d.coef.toString().length;
}

/** Throws AWS's ValidationException when the number cannot be stored in DynamoDB. */
export function checkStorable(d: Decimal): void {
  if (d.sign === 0) return;
  const digits = digitCount(d);
  const adjusted = d.exp + digits - 1;
  if (adjusted > MAX_ADJUSTED_EXPONENT) throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (adjusted < MIN_ADJUSTED_EXPONENT) throw validation('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  if (digits > MAX_SIGNIFICANT_DIGITS) throw validation('Attempting to store more than 38 significant digits in a Number');
}

/** Parses, range-checks and normalizes a wire number ("00042" → "42", "1.50" → "1.5", "1E2" → "100"). */
export function normalizeNumber(text: string): string {
  const d = typeof text === 'string' ? parseDecimal(text) : null;
  if (!d) throw validation(`The parameter cannot be converted to a numeric value: ${String(text)}`);
  checkStorable(d);
  return formatDecimal(d);
}

/** Plain decimal notation, no exponent: what DynamoDB returns. */
export function formatDecimal(d: Decimal): string {
  if (d.sign === 0) return '0';
  const digits = d.coef.toString();
  let body: string;
  if (d.exp >= 0) body = digits + '0'.repeat(d.exp);
  else {
    const point = digits.length + d.exp;
    body = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return d.sign < 0 ? `-${body}` : body;
}

function signed(d: Decimal, exp: number): bigint {
  const scaled = d.coef * 10n ** BigInt(d.exp - exp);
  return d.sign < 0 ? -scaled : scaled;
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  if (a.sign === 0) return b;
  if (b.sign === 0) return a;
  const exp = Math.min(a.exp, b.exp);
  const sum = signed(a, exp) + signed(b, exp);
  return sum < 0n ? make(-1, -sum, exp) : make(1, sum, exp);
}

export function negateDecimal(d: Decimal): Decimal {
  return d.sign === 0 ? d : { ...d, sign: d.sign === 1 ? -1 : 1 };
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  if (a.sign === 0) return 0;
  // Same sign: compare magnitudes by adjusted exponent first, then by aligned coefficients.
  const adjA = a.exp + digitCount(a);
  const adjB = b.exp + digitCount(b);
  let magnitude: number;
  if (adjA !== adjB) magnitude = adjA < adjB ? -1 : 1;
  else {
    const exp = Math.min(a.exp, b.exp);
    const ca = a.coef * 10n ** BigInt(a.exp - exp);
    const cb = b.coef * 10n ** BigInt(b.exp - exp);
    magnitude = ca === cb ? 0 : ca < cb ? -1 : 1;
  }
  return a.sign === 1 ? magnitude : -magnitude;
}

/**
 * Compares two normalized number strings (`formatDecimal` output: no exponent, no leading zeros, no
 * trailing fraction zeros, no "-0") numerically without parsing them. Every N inside the emulator is
 * normalized on the way in, and key ordering calls this on every binary-search step.
 */
export function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  const negA = a.charCodeAt(0) === 45;
  const negB = b.charCodeAt(0) === 45;
  if (negA !== negB) return negA ? -1 : 1;
  const magnitude = compareMagnitudes(negA ? a.slice(1) : a, negB ? b.slice(1) : b);
  return negA ? -magnitude : magnitude;
}

function compareMagnitudes(a: string, b: string): number {
  const pointA = a.indexOf('.');
  const pointB = b.indexOf('.');
  const intA = pointA < 0 ? a.length : pointA;
  const intB = pointB < 0 ? b.length : pointB;
  // More integer digits means larger; with equal integer lengths, ASCII order of the whole string is
  // numeric order ('.' sorts before every digit, and a missing fraction sorts first).
  if (intA !== intB) return intA < intB ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Exact a ± b on normalized number strings; throws the AWS error if the result is not storable. */
export function addNumbers(a: string, b: string, subtract = false): string {
  const da = parseDecimal(a) ?? ZERO;
  const db = parseDecimal(b) ?? ZERO;
  const result = addDecimal(da, subtract ? negateDecimal(db) : db);
  checkStorable(result);
  return formatDecimal(result);
}

/** Bytes DynamoDB charges for a (normalized) number: about one per two significant digits, plus one. */
export function numberSizeBytes(normalized: string): number {
  const digits = normalized.replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}
