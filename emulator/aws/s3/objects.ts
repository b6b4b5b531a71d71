import { AwsError } from '../errors';
import type { EdgeResponse } from '../types';
import {
  checksumHeaders,
  checksumXml,
  invalidArgument,
  noSuchKey,
  objectPropsFromRequest,
  requestedChecksumAlgorithm,
  type S3Call,
} from './call';
import { storedContentEncoding } from './chunked';
import { createHasher, type ChecksumAlgorithm } from './checksums';
import { evaluateConditions } from './conditions';
import { header, readVerifiedBody } from './payload';
import { resolveRange } from './range';
import { MAX_KEY_BYTES } from './routing';
import type { ObjectProps, S3Object, S3Store, StoredChecksum } from './store';
import { el, isoTime, leafText, malformedXml, parseXmlBody, wrap, xmlResponse } from './xml';

export function putObject({ req, bucket, key, store, ctx }: S3Call): EdgeResponse {
  const b = store.bucket(bucket);
  const payload = readVerifiedBody(req);
  checkWriteConditions(req, key, b.objects.get(key));
  const props = objectPropsFromRequest(req, payload.contentEncoding);
  const checksum = payload.checksum
    ? { ...payload.checksum, type: 'FULL_OBJECT' as const }
    : computedChecksum(store, requestedChecksumAlgorithm(req), payload.data);
  const object: S3Object = {
    ...props,
    key,
    body: store.bodies.put(payload.data),
    size: payload.data.length,
    etag: `"${payload.md5Hex}"`,
    lastModified: ctx.now(),
    checksum,
  };
  store.putObject(bucket, object);
  return { status: 200, headers: { etag: object.etag, ...checksumHeaders(checksum) }, body: '' };
}

/** Conditional writes: `If-None-Match: *` (create only) and `If-Match: <etag>` (replace only that version). */
export function checkWriteConditions(req: S3Call['req'], key: string, existing: S3Object | undefined): void {
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new AwsError('NotImplemented', 'If-None-Match on writes supports only *', 501);
    if (existing) throw new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: 'If-None-Match' });
  }
  const ifMatch = header(req, 'if-match');
  if (ifMatch !== undefined) {
    if (!existing) throw noSuchKey(key); // S3 answers 404 for If-Match on a missing key
    evaluateConditions({ ifMatch }, existing.etag, existing.lastModified);
  }
}

/** A FULL_OBJECT checksum computed by the emulator when the client asked for an algorithm but sent no value. */
function computedChecksum(store: S3Store, algorithm: ChecksumAlgorithm | undefined, data: Buffer | { body: string }): StoredChecksum | undefined {
  if (!algorithm) return undefined;
  const hasher = createHasher(algorithm);
  if (Buffer.isBuffer(data)) hasher.update(data);
  else store.bodies.forEachChunk(data.body, (c) => hasher.update(c));
  return { algorithm, value: hasher.digest().toString('base64'), type: 'FULL_OBJECT' };
}

/** GetObject and HeadObject: conditionals, Range, response-* overrides, checksums on request. */
export function getObject({ req, bucket, key, store }: S3Call, withBody: boolean): EdgeResponse {
  const object = store.bucket(bucket).objects.get(key);
  if (!object) throw noSuchKey(key);
  const validators = { etag: object.etag, 'last-modified': new Date(object.lastModified).toUTCString() };
  const outcome = evaluateConditions(
    {
      ifMatch: header(req, 'if-match'),
      ifNoneMatch: header(req, 'if-none-match'),
      ifModifiedSince: header(req, 'if-modified-since'),
      ifUnmodifiedSince: header(req, 'if-unmodified-since'),
    },
    object.etag,
    object.lastModified,
  );
  if (outcome === 'not-modified') return { status: 304, headers: validators };

  const headers: Record<string, string | number> = { ...validators, 'accept-ranges': 'bytes', ...objectHeaders(object, req.query) };
  const range = resolveRange(header(req, 'range'), object.size);
  if (!range && header(req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') Object.assign(headers, checksumHeaders(object.checksum));
  if (object.partsCount !== undefined && req.query.has('partNumber')) headers['x-amz-mp-parts-count'] = object.partsCount;
  if (!range) {
    headers['content-length'] = object.size;
    return { status: 200, headers, body: withBody ? store.bodies.read(object.body) : undefined };
  }
  headers['content-length'] = range.end - range.start + 1;
  headers['content-range'] = `bytes ${range.start}-${range.end}/${object.size}`;
  return { status: 206, headers, body: withBody ? store.bodies.read(object.body, range.start, range.end + 1) : undefined };
}

/** Stored properties as response headers, with GetObject's `response-*` query overrides applied. */
function objectHeaders(o: S3Object, query: URLSearchParams): Record<string, string> {
  const h: Record<string, string> = { 'content-type': o.contentType };
  if (o.contentEncoding) h['content-encoding'] = o.contentEncoding;
  if (o.cacheControl) h['cache-control'] = o.cacheControl;
  if (o.contentDisposition) h['content-disposition'] = o.contentDisposition;
  if (o.contentLanguage) h['content-language'] = o.contentLanguage;
  if (o.expires) h['expires'] = o.expires;
  if (o.storageClass !== 'STANDARD') h['x-amz-storage-class'] = o.storageClass;
  for (const [name, value] of Object.entries(o.metadata)) h[`x-amz-meta-${name}`] = value;
  for (const name of ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding']) {
    const override = query.get(`response-${name}`);
    if (override !== null) h[name] = override;
  }
  return h;
}

export function deleteObject({ bucket, key, store }: S3Call): EdgeResponse {
  store.deleteObject(bucket, key);
  return { status: 204 };
}

const MAX_DELETE_KEYS = 1000;

export function deleteObjects({ req, bucket, store }: S3Call): EdgeResponse {
  store.bucket(bucket);
  const { data } = readVerifiedBody(req);
  const doc = parseXmlBody(data).Delete;
  if (!doc || typeof doc !== 'object') throw malformedXml();
  const entries = (doc as Record<string, unknown>).Object;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_DELETE_KEYS) throw malformedXml();
  const keys = entries.map((e) => {
    const key = e && typeof e === 'object' ? leafText((e as Record<string, unknown>).Key) : undefined;
    if (key === undefined) throw malformedXml();
    return key;
  });
  const quiet = leafText((doc as Record<string, unknown>).Quiet)?.trim().toLowerCase() === 'true';

  let out = '';
  for (const key of keys) {
    if (key === '' || Buffer.byteLength(key) > MAX_KEY_BYTES) {
      const [code, message] = key === '' ? ['UserKeyMustBeSpecified', 'The key must be specified'] : ['KeyTooLongError', 'Your key is too long'];
      out += wrap('Error', el('Key', key) + el('Code', code) + el('Message', message));
      continue;
    }
    store.deleteObject(bucket, key);
    if (!quiet) out += wrap('Deleted', el('Key', key));
  }
  return xmlResponse('DeleteResult', out);
}

export function copyObject({ req, bucket, key, store, ctx }: S3Call): EdgeResponse {
  store.bucket(bucket);
  const { source, src } = copySourceObject(req, store);
  const directive = (header(req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  const algorithm = requestedChecksumAlgorithm(req);
  const storageClass = header(req, 'x-amz-storage-class');
  if (source.bucket === bucket && source.key === key && directive === 'COPY' && !storageClass && !algorithm)
    throw new AwsError(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      400,
    );

  const props: ObjectProps =
    directive === 'REPLACE'
      ? objectPropsFromRequest(req, storedContentEncoding(header(req, 'content-encoding')))
      : { ...copiedProps(src), storageClass: objectPropsFromRequest(req, undefined).storageClass };
  const body = store.bodies.copy(src.body);
  const checksum = algorithm && algorithm !== src.checksum?.algorithm ? computedChecksum(store, algorithm, { body }) : src.checksum;
  const object: S3Object = { ...props, key, body, size: src.size, etag: src.etag, lastModified: ctx.now(), checksum, partsCount: src.partsCount };
  store.putObject(bucket, object);
  return xmlResponse('CopyObjectResult', el('ETag', object.etag) + el('LastModified', isoTime(object.lastModified)) + checksumXml(checksum, el));
}

function copiedProps(o: S3Object): ObjectProps {
  const { contentType, contentEncoding, cacheControl, contentDisposition, contentLanguage, expires, metadata, storageClass } = o;
  return { contentType, contentEncoding, cacheControl, contentDisposition, contentLanguage, expires, metadata: { ...metadata }, storageClass };
}

/** The object `x-amz-copy-source` names, after its `x-amz-copy-source-if-*` conditions (CopyObject, UploadPartCopy). */
export function copySourceObject(req: S3Call['req'], store: S3Store): { source: { bucket: string; key: string }; src: S3Object } {
  const source = parseCopySource(header(req, 'x-amz-copy-source') ?? '');
  const src = store.bucket(source.bucket).objects.get(source.key);
  if (!src) throw noSuchKey(source.key);
  evaluateConditions(
    {
      ifMatch: header(req, 'x-amz-copy-source-if-match'),
      ifNoneMatch: header(req, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: header(req, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: header(req, 'x-amz-copy-source-if-unmodified-since'),
    },
    src.etag,
    src.lastModified,
    true,
  );
  return { source, src };
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=..]`, URL-encoded. */
export function parseCopySource(value: string): { bucket: string; key: string } {
  const path = value.split('?', 1)[0]!.replace(/^\//, '');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1)
    throw invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', value);
  try {
    return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', value);
  }
}
