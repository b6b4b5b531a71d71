import { AwsError } from '../errors';

/** An inclusive byte range of an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Resolve a `Range` header against an object of `size` bytes, as S3 does: `bytes=a-b`, `bytes=a-`,
 * `bytes=-n` (last n bytes). Syntax S3 does not understand (several ranges, other units, b < a) is
 * ignored and the whole object is served (null); a well-formed range past the end is a 416 InvalidRange.
 */
export function resolveRange(rangeHeader: string | undefined, size: number): ByteRange | null {
  if (rangeHeader === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(rangeHeader);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw invalidRange(rangeHeader, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return null;
  if (start >= size) throw invalidRange(rangeHeader, size);
  return { start, end: Math.min(last, size - 1) };
}

export const invalidRange = (requested: string, size: number) =>
  new AwsError(
    'InvalidRange',
    'The requested range is not satisfiable',
    416,
    { RangeRequested: requested, ActualObjectSize: String(size) },
    { 'content-range': `bytes */${size}` },
  );
