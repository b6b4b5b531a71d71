import type { EdgeResponse } from '../types';
import { invalidArgument, OWNER_ID, OWNER_NAME, type S3Call } from './call';
import { compareKeys } from './keys';
import type { Bucket, S3Object } from './store';
import { el, isoTime, wrap, xmlResponse } from './xml';

/** The most keys one list page returns, whatever MaxKeys asks for. */
const PAGE_LIMIT = 1000;

interface ListPage {
  contents: S3Object[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: where the next page starts. */
  last?: string;
}

/**
 * One page of a bucket listing in UTF-8 order: keys under `prefix` strictly after `after`, with keys that
 * contain `delimiter` past the prefix rolled up into common prefixes (each counted once against `max`).
 */
export function listPage(b: Bucket, prefix: string, delimiter: string, after: string | undefined, max: number): ListPage {
  const page: ListPage = { contents: [], commonPrefixes: [], truncated: false };
  if (max <= 0) return page;
  let i = after !== undefined && compareKeys(after, prefix) >= 0 ? b.keys.upperBound(after) : b.keys.lowerBound(prefix);
  let lastPrefix: string | undefined;
  for (let key = b.keys.at(i); key !== undefined && key.startsWith(prefix); key = b.keys.at(++i)) {
    let rolledUp: string | undefined;
    if (delimiter) {
      const d = key.indexOf(delimiter, prefix.length);
      if (d !== -1) rolledUp = key.slice(0, d + delimiter.length);
    }
    if (rolledUp !== undefined) {
      // Keys under one common prefix are contiguous; a prefix already returned (or ended the last page) is skipped.
      if (rolledUp === lastPrefix || (after !== undefined && compareKeys(rolledUp, after) <= 0)) continue;
    }
    if (page.contents.length + page.commonPrefixes.length >= max) {
      page.truncated = true;
      break;
    }
    if (rolledUp !== undefined) {
      page.commonPrefixes.push(rolledUp);
      lastPrefix = rolledUp;
      page.last = rolledUp;
    } else {
      page.contents.push(b.objects.get(key)!);
      page.last = key;
    }
  }
  return page;
}

/** `EncodingType=url`: how S3 encodes names in listings (space as '+', '/' kept). */
export function urlEncodeName(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/%2F/g, '/');
}

function listParams(q: URLSearchParams) {
  const encodingType = q.get('encoding-type') ?? '';
  if (encodingType !== '' && encodingType !== 'url')
    throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  const maxText = q.get('max-keys');
  let maxKeys = PAGE_LIMIT;
  if (maxText !== null) {
    if (!/^\d{1,10}$/.test(maxText.trim()) || Number(maxText) > 2 ** 31 - 1)
      throw invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', maxText);
    maxKeys = Number(maxText);
  }
  const encode = encodingType === 'url' ? urlEncodeName : (s: string) => s;
  return { prefix: q.get('prefix') ?? '', delimiter: q.get('delimiter') ?? '', maxKeys, encodingType, encode };
}

function contentsXml(o: S3Object, encode: (s: string) => string, withOwner: boolean): string {
  return wrap(
    'Contents',
    el('Key', encode(o.key)) +
      el('LastModified', isoTime(o.lastModified)) +
      el('ETag', o.etag) +
      (o.checksum ? el('ChecksumAlgorithm', o.checksum.algorithm) + el('ChecksumType', o.checksum.type) : '') +
      el('Size', o.size) +
      (withOwner ? ownerXml() : '') +
      el('StorageClass', o.storageClass),
  );
}

export const ownerXml = () => wrap('Owner', el('ID', OWNER_ID) + el('DisplayName', OWNER_NAME));

const TOKEN_VERSION = '1';

function encodeToken(last: string): string {
  return TOKEN_VERSION + Buffer.from(last, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  if (!token.startsWith(TOKEN_VERSION) || !/^[A-Za-z0-9_-]+$/.test(token.slice(1)))
    throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  return Buffer.from(token.slice(1), 'base64url').toString('utf8');
}

export function listObjectsV2({ req, bucket, store }: S3Call): EdgeResponse {
  const b = store.bucket(bucket);
  const q = req.query;
  const p = listParams(q);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after');
  if (token === '') throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  const after = token !== null ? decodeToken(token) : startAfter || undefined;
  const page = listPage(b, p.prefix, p.delimiter, after, Math.min(p.maxKeys, PAGE_LIMIT));
  const withOwner = q.get('fetch-owner') === 'true';
  const xml =
    el('Name', bucket) +
    el('Prefix', p.encode(p.prefix)) +
    (p.delimiter ? el('Delimiter', p.encode(p.delimiter)) : '') +
    el('MaxKeys', p.maxKeys) +
    (p.encodingType ? el('EncodingType', p.encodingType) : '') +
    el('KeyCount', page.contents.length + page.commonPrefixes.length) +
    el('IsTruncated', page.truncated) +
    (token !== null ? el('ContinuationToken', token) : '') +
    (page.truncated && page.last !== undefined ? el('NextContinuationToken', encodeToken(page.last)) : '') +
    (startAfter ? el('StartAfter', p.encode(startAfter)) : '') +
    page.contents.map((o) => contentsXml(o, p.encode, withOwner)).join('') +
    page.commonPrefixes.map((cp) => wrap('CommonPrefixes', el('Prefix', p.encode(cp)))).join('');
  return xmlResponse('ListBucketResult', xml);
}

/** ListObjects (v1): Marker/NextMarker paging; NextMarker only with a delimiter, as S3 documents. */
export function listObjectsV1({ req, bucket, store }: S3Call): EdgeResponse {
  const b = store.bucket(bucket);
  const p = listParams(req.query);
  const marker = req.query.get('marker') ?? '';
  const page = listPage(b, p.prefix, p.delimiter, marker || undefined, Math.min(p.maxKeys, PAGE_LIMIT));
  const xml =
    el('Name', bucket) +
    el('Prefix', p.encode(p.prefix)) +
    el('Marker', p.encode(marker)) +
    (page.truncated && p.delimiter && page.last !== undefined ? el('NextMarker', p.encode(page.last)) : '') +
    (p.delimiter ? el('Delimiter', p.encode(p.delimiter)) : '') +
    el('MaxKeys', p.maxKeys) +
    (p.encodingType ? el('EncodingType', p.encodingType) : '') +
    el('IsTruncated', page.truncated) +
    page.contents.map((o) => contentsXml(o, p.encode, true)).join('') +
    page.commonPrefixes.map((cp) => wrap('CommonPrefixes', el('Prefix', p.encode(cp)))).join('');
  return xmlResponse('ListBucketResult', xml);
}
