import { AwsError } from '../errors';
import { normalizeEtag, wholeSeconds } from './call';

/** The conditional headers of one request, by role (GET/HEAD use plain names, CopyObject the copy-source ones). */
export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export type ConditionOutcome = 'ok' | 'not-modified';

const preconditionFailed = (condition: string) =>
  new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition });

function etagMatches(list: string, etag: string): boolean {
  const want = normalizeEtag(etag);
  return list.split(',').some((e) => e.trim() === '*' || normalizeEtag(e) === want);
}

function parseDate(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * RFC 7232 evaluation order as S3 applies it: If-Match (else If-Unmodified-Since) can fail with 412;
 * then If-None-Match (else If-Modified-Since) turns a read into 304. `notModifiedIsFailure` is for
 * CopyObject, where a failed If-None-Match / If-Modified-Since is a 412 too.
 */
export function evaluateConditions(c: Conditions, etag: string, lastModified: number, notModifiedIsFailure = false): ConditionOutcome {
  const modified = wholeSeconds(lastModified);
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) throw preconditionFailed('If-Match');
  } else {
    const since = parseDate(c.ifUnmodifiedSince);
    if (since !== undefined && modified > since) throw preconditionFailed('If-Unmodified-Since');
  }
  const since = parseDate(c.ifModifiedSince);
  const notModified = c.ifNoneMatch !== undefined ? etagMatches(c.ifNoneMatch, etag) : since !== undefined && modified <= since;
  const which = c.ifNoneMatch !== undefined ? 'If-None-Match' : 'If-Modified-Since';
  if (!notModified) return 'ok';
  if (notModifiedIsFailure) throw preconditionFailed(which);
  return 'not-modified';
}
