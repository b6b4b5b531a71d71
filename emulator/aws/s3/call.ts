import { AwsError } from '../errors';
import type { EdgeRequest, ServiceContext } from '../types';
import { checksumHeader, parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksums';
import { header } from './payload';
import type { ObjectProps, S3Store, StoredChecksum } from './store';

/** Everything a handler needs about one request. `bucket`/`key` are set for the operations that have them. */
export interface S3Call {
  req: EdgeRequest;
  bucket: string;
  key: string;
  store: S3Store;
  ctx: ServiceContext;
}

/** The account's canonical owner, shown in listings (any credentials map to it). */
export const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';
export const OWNER_NAME = 'furrow';

export const noSuchKey = (key: string) => new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });

export const invalidArgument = (message: string, name: string, value: string) =>
  new AwsError('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value });

export const notImplemented = (operation: string) =>
  new AwsError('NotImplemented', `${operation} is not implemented by the Furrow emulator`, 501);

const STORAGE_CLASSES = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'OUTPOSTS',
  'SNOW',
  'EXPRESS_ONEZONE',
]);

/** S3's limit on the size of all user metadata (names and values, UTF-8). */
const MAX_METADATA_BYTES = 2048;

/** Object properties from PutObject / CreateMultipartUpload / CopyObject(REPLACE) request headers. */
export function objectPropsFromRequest(req: EdgeRequest, contentEncoding: string | undefined): ObjectProps {
  const metadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const key = name.slice('x-amz-meta-'.length);
    const text = Array.isArray(value) ? value.join(',') : value;
    metadata[key] = text;
    metadataBytes += Buffer.byteLength(key) + Buffer.byteLength(text);
  }
  if (metadataBytes > MAX_METADATA_BYTES)
    throw new AwsError('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', 400, {
      Size: String(metadataBytes),
      MaxSizeAllowed: String(MAX_METADATA_BYTES),
    });
  const storageClass = header(req, 'x-amz-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.has(storageClass)) throw new AwsError('InvalidStorageClass', 'The storage class you specified is not valid', 400, { StorageClassRequested: storageClass });
  return {
    contentType: header(req, 'content-type') || 'binary/octet-stream',
    contentEncoding,
    cacheControl: header(req, 'cache-control'),
    contentDisposition: header(req, 'content-disposition'),
    contentLanguage: header(req, 'content-language'),
    expires: header(req, 'expires'),
    metadata,
    storageClass,
  };
}

/** The checksum algorithm a request asks S3 to use (`x-amz-checksum-algorithm` / the SDK's own header). */
export function requestedChecksumAlgorithm(req: EdgeRequest): ChecksumAlgorithm | undefined {
  const name = header(req, 'x-amz-checksum-algorithm') ?? header(req, 'x-amz-sdk-checksum-algorithm');
  if (name === undefined || name.trim() === '') return undefined;
  const algorithm = parseChecksumAlgorithm(name);
  if (!algorithm) throw new AwsError('InvalidRequest', `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]`, 400);
  return algorithm;
}

/** `x-amz-checksum-<alg>` + `x-amz-checksum-type` response headers. */
export function checksumHeaders(checksum: StoredChecksum | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [checksumHeader(checksum.algorithm)]: checksum.value, 'x-amz-checksum-type': checksum.type };
}

/** `<ChecksumCRC32>..</ChecksumCRC32><ChecksumType>..</ChecksumType>` for result XML. */
export function checksumXml(checksum: StoredChecksum | undefined, el: (n: string, v: string) => string): string {
  if (!checksum) return '';
  return el(`Checksum${checksum.algorithm}`, checksum.value) + el('ChecksumType', checksum.type);
}

/** Strip quotes and a weak marker so ETags from headers and XML compare equal. */
export const normalizeEtag = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

/** HTTP dates compare at second precision (Last-Modified carries no milliseconds). */
export const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;
