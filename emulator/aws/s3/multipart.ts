import { createHash, randomBytes } from 'node:crypto';
import { AwsError } from '../errors';
import type { EdgeResponse } from '../types';
import { checksumXml, invalidArgument, normalizeEtag, objectPropsFromRequest, requestedChecksumAlgorithm, type S3Call } from './call';
import { storedContentEncoding } from './chunked';
import { checksumHeader, checksumOf, compositeChecksum, createHasher, isWellFormedChecksum } from './checksums';
import { ownerXml, urlEncodeName } from './listing';
import { checkWriteConditions, copySourceObject } from './objects';
import { header, readVerifiedBody } from './payload';
import type { ChecksumType, MultipartUpload, S3Object, StoredChecksum, UploadPart } from './store';
import { el, isoTime, leafText, malformedXml, parseXmlBody, wrap, xmlResponse } from './xml';

/** Every part but the last must be at least this big. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;

export function createMultipartUpload({ req, bucket, key, store, ctx }: S3Call): EdgeResponse {
  store.bucket(bucket);
  const props = objectPropsFromRequest(req, storedContentEncoding(header(req, 'content-encoding')));
  const checksumAlgorithm = requestedChecksumAlgorithm(req);
  const typeHeader = header(req, 'x-amz-checksum-type')?.toUpperCase();
  if (typeHeader !== undefined && typeHeader !== 'FULL_OBJECT' && typeHeader !== 'COMPOSITE')
    throw new AwsError('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.', 400);
  let checksumType: ChecksumType | undefined;
  if (checksumAlgorithm) {
    // S3's defaults and limits: CRC64NVME is full-object only; SHA digests cannot be combined, so composite only.
    checksumType = (typeHeader as ChecksumType | undefined) ?? (checksumAlgorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
    const allowed = checksumAlgorithm === 'CRC64NVME' ? ['FULL_OBJECT'] : checksumAlgorithm.startsWith('SHA') ? ['COMPOSITE'] : ['FULL_OBJECT', 'COMPOSITE'];
    if (!allowed.includes(checksumType))
      throw new AwsError('InvalidRequest', `The ${checksumType} checksum type cannot be used with the ${checksumAlgorithm.toLowerCase()} checksum algorithm.`, 400);
  }
  const id = randomBytes(32).toString('base64url');
  store.createUpload({ id, bucket, key, initiated: ctx.now(), props, checksumAlgorithm, checksumType });
  const headers: Record<string, string> = {};
  if (checksumAlgorithm && checksumType) {
    headers['x-amz-checksum-algorithm'] = checksumAlgorithm;
    headers['x-amz-checksum-type'] = checksumType;
  }
  return xmlResponse('InitiateMultipartUploadResult', el('Bucket', bucket) + el('Key', key) + el('UploadId', id), headers);
}

function partNumberOf(q: URLSearchParams): number {
  const text = q.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER))
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, 'partNumber', text);
  return n;
}

/** The part checksum in the upload's algorithm: the one sent (which must be that algorithm) or one we compute. */
function partChecksum(upload: MultipartUpload, sent: { algorithm: string; value: string } | undefined, data: Buffer): string | undefined {
  const algorithm = upload.checksumAlgorithm;
  if (!algorithm) return undefined;
  if (sent && sent.algorithm !== algorithm)
    throw new AwsError(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${sent.algorithm.toLowerCase()}`,
      400,
    );
  return sent?.value ?? checksumOf(algorithm, data);
}

function storePart(call: S3Call, upload: MultipartUpload, partNumber: number, data: Buffer, md5Hex: string, checksum: string | undefined): UploadPart {
  const part: UploadPart = {
    partNumber,
    body: call.store.bodies.put(data),
    size: data.length,
    etag: `"${md5Hex}"`,
    lastModified: call.ctx.now(),
    checksum,
  };
  call.store.putPart(upload.id, part);
  return part;
}

export function uploadPart(call: S3Call): EdgeResponse {
  const { req, bucket, key, store } = call;
  const partNumber = partNumberOf(req.query);
  const upload = store.upload(req.query.get('uploadId') ?? '', bucket, key);
  const payload = readVerifiedBody(req);
  const checksum = partChecksum(upload, payload.checksum, payload.data);
  const part = storePart(call, upload, partNumber, payload.data, payload.md5Hex, checksum);
  const headers: Record<string, string> = { etag: part.etag };
  if (checksum && upload.checksumAlgorithm) headers[checksumHeader(upload.checksumAlgorithm)] = checksum;
  return { status: 200, headers, body: '' };
}

export function uploadPartCopy(call: S3Call): EdgeResponse {
  const { req, bucket, key, store } = call;
  const partNumber = partNumberOf(req.query);
  const upload = store.upload(req.query.get('uploadId') ?? '', bucket, key);
  const { src } = copySourceObject(req, store);
  const rangeText = header(req, 'x-amz-copy-source-range');
  let data: Buffer;
  if (rangeText === undefined) data = store.bodies.read(src.body);
  else {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
    if (!m || Number(m[2]) < Number(m[1]) || Number(m[2]) >= src.size)
      throw invalidArgument(`Range specified is not valid for source object of size: ${src.size}`, 'x-amz-copy-source-range', rangeText);
    data = store.bodies.read(src.body, Number(m[1]), Number(m[2]) + 1);
  }
  const md5Hex = createHash('md5').update(data).digest('hex');
  const checksum = partChecksum(upload, undefined, data);
  const part = storePart(call, upload, partNumber, data, md5Hex, checksum);
  const sum = checksum && upload.checksumAlgorithm ? el(`Checksum${upload.checksumAlgorithm}`, checksum) : '';
  return xmlResponse('CopyPartResult', el('ETag', part.etag) + el('LastModified', isoTime(part.lastModified)) + sum);
}

interface RequestedPart {
  partNumber: number;
  etag: string;
  checksums: Record<string, string>;
}

function requestedParts(body: Buffer): RequestedPart[] {
  const root = parseXmlBody(body).CompleteMultipartUpload;
  if (!root || typeof root !== 'object') throw malformedXml();
  const parts = (root as Record<string, unknown>).Part;
  if (!Array.isArray(parts) || parts.length === 0) throw malformedXml();
  return parts.map((p) => {
    if (!p || typeof p !== 'object') throw malformedXml();
    const rec = p as Record<string, unknown>;
    const numberText = leafText(rec.PartNumber)?.trim() ?? '';
    const etag = leafText(rec.ETag);
    if (!/^\d{1,5}$/.test(numberText) || etag === undefined) throw malformedXml();
    const checksums: Record<string, string> = {};
    for (const name of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']) {
      const v = leafText(rec[`Checksum${name}`]);
      if (v !== undefined) checksums[name] = v.trim();
    }
    return { partNumber: Number(numberText), etag, checksums };
  });
}

const invalidPart = (upload: MultipartUpload, p: RequestedPart, why = '') =>
  new AwsError(
    'InvalidPart',
    `One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.${why}`,
    400,
    { UploadId: upload.id, PartNumber: String(p.partNumber), ETag: p.etag },
  );

export function completeMultipartUpload(call: S3Call): EdgeResponse {
  const { req, bucket, key, store, ctx } = call;
  const upload = store.upload(req.query.get('uploadId') ?? '', bucket, key);
  // The x-amz-checksum-* headers of this request describe the whole object, not the XML body, so only
  // Content-MD5 is checked against the body here.
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && createHash('md5').update(req.body).digest('base64') !== contentMd5.trim())
    throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  const requested = requestedParts(req.body);

  for (let i = 1; i < requested.length; i++)
    if (requested[i]!.partNumber <= requested[i - 1]!.partNumber)
      throw new AwsError('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', 400, {
        UploadId: upload.id,
      });
  const chosen: UploadPart[] = [];
  for (const [i, p] of requested.entries()) {
    const stored = upload.parts.get(p.partNumber);
    if (!stored || normalizeEtag(stored.etag) !== normalizeEtag(p.etag)) throw invalidPart(upload, p);
    const algorithm = upload.checksumAlgorithm;
    const sent = algorithm ? p.checksums[algorithm] : undefined;
    if (sent !== undefined && stored.checksum !== undefined && sent !== stored.checksum)
      throw invalidPart(upload, p, ` The ${algorithm} checksum of the part does not match.`);
    if (i < requested.length - 1 && stored.size < MIN_PART_BYTES)
      throw new AwsError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, {
        ProposedSize: String(stored.size),
        MinSizeAllowed: String(MIN_PART_BYTES),
        PartNumber: String(p.partNumber),
        ETag: stored.etag,
      });
    chosen.push(stored);
  }
  checkWriteConditions(req, key, store.bucket(bucket).objects.get(key));

  const md5s = Buffer.concat(chosen.map((p) => Buffer.from(normalizeEtag(p.etag), 'hex')));
  const etag = `"${createHash('md5').update(md5s).digest('hex')}-${chosen.length}"`;
  const body = store.bodies.concat(chosen.map((p) => p.body));
  const checksum = assembledChecksum(call, upload, chosen, body);
  const object: S3Object = {
    ...upload.props,
    key,
    body,
    size: chosen.reduce((n, p) => n + p.size, 0),
    etag,
    lastModified: ctx.now(),
    checksum,
    partsCount: chosen.length,
  };
  store.completeUpload(upload, object);
  const location = `${ctx.endpoint()}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return xmlResponse(
    'CompleteMultipartUploadResult',
    el('Location', location) + el('Bucket', bucket) + el('Key', key) + el('ETag', etag) + checksumXml(checksum, el),
  );
}

/** The object checksum: COMPOSITE from the part checksums, or FULL_OBJECT over the assembled bytes (checked against the request's). */
function assembledChecksum({ req, store }: S3Call, upload: MultipartUpload, parts: UploadPart[], body: string): StoredChecksum | undefined {
  const algorithm = upload.checksumAlgorithm;
  if (!algorithm) return undefined;
  if (upload.checksumType === 'COMPOSITE')
    return { algorithm, type: 'COMPOSITE', value: compositeChecksum(algorithm, parts.map((p) => p.checksum ?? '')) };
  const hasher = createHasher(algorithm);
  store.bodies.forEachChunk(body, (c) => hasher.update(c));
  const value = hasher.digest().toString('base64');
  const sent = header(req, checksumHeader(algorithm));
  if (sent !== undefined && isWellFormedChecksum(algorithm, sent.trim()) && sent.trim() !== value) {
    store.bodies.remove(body);
    throw new AwsError('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, 400);
  }
  return { algorithm, type: 'FULL_OBJECT', value };
}

export function abortMultipartUpload({ req, bucket, key, store }: S3Call): EdgeResponse {
  const upload = store.upload(req.query.get('uploadId') ?? '', bucket, key);
  store.abortUpload(upload.id);
  return { status: 204 };
}

export function listParts({ req, bucket, key, store }: S3Call): EdgeResponse {
  const upload = store.upload(req.query.get('uploadId') ?? '', bucket, key);
  const marker = Number(req.query.get('part-number-marker') ?? '0') || 0;
  const maxText = req.query.get('max-parts');
  const maxParts = maxText !== null && /^\d+$/.test(maxText) ? Math.min(Number(maxText), 1000) : 1000;
  const all = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const algorithm = upload.checksumAlgorithm;
  const parts = page
    .map((p) =>
      wrap(
        'Part',
        el('PartNumber', p.partNumber) +
          el('LastModified', isoTime(p.lastModified)) +
          el('ETag', p.etag) +
          (algorithm && p.checksum ? el(`Checksum${algorithm}`, p.checksum) : '') +
          el('Size', p.size),
      ),
    )
    .join('');
  const xml =
    el('Bucket', bucket) +
    el('Key', key) +
    el('UploadId', upload.id) +
    el('PartNumberMarker', marker) +
    el('NextPartNumberMarker', page.length ? page[page.length - 1]!.partNumber : marker) +
    el('MaxParts', maxParts) +
    el('IsTruncated', truncated) +
    parts +
    wrap('Initiator', el('ID', 'furrow') + el('DisplayName', 'furrow')) +
    ownerXml() +
    el('StorageClass', upload.props.storageClass) +
    (algorithm ? el('ChecksumAlgorithm', algorithm) + el('ChecksumType', upload.checksumType) : '');
  return xmlResponse('ListPartsResult', xml);
}

/** ListMultipartUploads without paging markers: every upload under the prefix, by key then initiation time. */
export function listMultipartUploads({ req, bucket, store }: S3Call): EdgeResponse {
  store.bucket(bucket);
  const prefix = req.query.get('prefix') ?? '';
  const encode = req.query.get('encoding-type') === 'url' ? urlEncodeName : (s: string) => s;
  const uploads = store
    .listUploads(bucket)
    .filter((u) => u.key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated - b.initiated))
    .slice(0, 1000);
  const xml =
    el('Bucket', bucket) +
    el('KeyMarker', '') +
    el('UploadIdMarker', '') +
    el('Prefix', encode(prefix)) +
    el('MaxUploads', 1000) +
    el('IsTruncated', false) +
    uploads
      .map((u) =>
        wrap(
          'Upload',
          el('Key', encode(u.key)) +
            el('UploadId', u.id) +
            wrap('Initiator', el('ID', 'furrow') + el('DisplayName', 'furrow')) +
            ownerXml() +
            el('StorageClass', u.props.storageClass) +
            el('Initiated', isoTime(u.initiated)) +
            (u.checksumAlgorithm ? el('ChecksumAlgorithm', u.checksumAlgorithm) + el('ChecksumType', u.checksumType) : ''),
        ),
      )
      .join('');
  return xmlResponse('ListMultipartUploadsResult', xml);
}
