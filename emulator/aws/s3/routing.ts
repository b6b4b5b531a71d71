import { AwsError } from '../errors';
import type { EdgeRequest } from '../types';

/** Where a request points: path style `/bucket/key` or virtual-host style `Host: bucket.localhost`. */
export interface S3Target {
  bucket: string | null;
  key: string | null;
}

/** Largest key S3 accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** The bucket from a virtual-host style Host (`b.localhost[:port]`, `b.s3.localhost`), or null for path style. */
export function bucketFromHost(host: string | undefined): string | null {
  if (!host) return null;
  let hostname = host.trim().toLowerCase();
  if (hostname.startsWith('[')) return null; // IPv6 literal
  const colon = hostname.lastIndexOf(':');
  if (colon !== -1) hostname = hostname.slice(0, colon);
  if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
  if (!hostname.endsWith('.localhost')) return null;
  let label = hostname.slice(0, -'.localhost'.length);
  if (label === 's3') return null;
  if (label.endsWith('.s3')) label = label.slice(0, -'.s3'.length);
  return label || null;
}

export function parseTarget(req: EdgeRequest): S3Target {
  const host = (req.headers.host ?? req.headers[':authority']) as string | undefined;
  const hostBucket = bucketFromHost(host);
  const rest = req.path.startsWith('/') ? req.path.slice(1) : req.path;
  if (hostBucket !== null) return { bucket: hostBucket, key: rest === '' ? null : checkedKey(decode(rest)) };
  if (rest === '') return { bucket: null, key: null };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: decode(rest), key: null };
  const key = rest.slice(slash + 1);
  return { bucket: decode(rest.slice(0, slash)), key: key === '' ? null : checkedKey(decode(key)) };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new AwsError('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

function checkedKey(key: string): string {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new AwsError('KeyTooLongError', 'Your key is too long', 400);
  return key;
}

/** Bucket sub-resources we recognise but do not emulate; they are named so faults can target them and answer 501. */
const BUCKET_SUBRESOURCES: Record<string, string> = {
  acl: 'Acl',
  cors: 'Cors',
  encryption: 'Encryption',
  lifecycle: 'LifecycleConfiguration',
  logging: 'Logging',
  notification: 'NotificationConfiguration',
  ownershipControls: 'OwnershipControls',
  policy: 'Policy',
  publicAccessBlock: 'PublicAccessBlock',
  tagging: 'Tagging',
  versioning: 'Versioning',
  website: 'Website',
  accelerate: 'AccelerateConfiguration',
  replication: 'Replication',
  'object-lock': 'ObjectLockConfiguration',
  requestPayment: 'RequestPayment',
};
const OBJECT_SUBRESOURCES: Record<string, string> = {
  acl: 'Acl',
  tagging: 'Tagging',
  retention: 'Retention',
  'legal-hold': 'LegalHold',
  attributes: 'Attributes',
  restore: 'Restore',
  torrent: 'Torrent',
  select: 'Content',
};
const VERB: Record<string, string> = { GET: 'Get', HEAD: 'Get', PUT: 'Put', DELETE: 'Delete', POST: 'Put' };

/** The S3 operation a request asks for, named as in the S3 API (`PutObject`, `ListObjectsV2`, ...). */
export function operationOf(method: string, target: S3Target, query: URLSearchParams, hasCopySource: boolean): string {
  const { bucket, key } = target;
  if (bucket === null) return method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (key === null) {
    for (const [param, name] of Object.entries(BUCKET_SUBRESOURCES)) if (query.has(param)) return `${VERB[method] ?? method}Bucket${name}`;
    switch (method) {
      case 'PUT':
        return 'CreateBucket';
      case 'HEAD':
        return 'HeadBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        return query.has('delete') ? 'DeleteObjects' : 'Unknown';
      case 'GET':
        if (query.has('location')) return 'GetBucketLocation';
        if (query.has('uploads')) return 'ListMultipartUploads';
        if (query.get('list-type') === '2') return 'ListObjectsV2';
        return 'ListObjects';
    }
    return 'Unknown';
  }
  for (const [param, name] of Object.entries(OBJECT_SUBRESOURCES)) if (query.has(param)) return `${VERB[method] ?? method}Object${name}`;
  switch (method) {
    case 'PUT':
      if (query.has('uploadId') || query.has('partNumber'))
        return hasCopySource ? 'UploadPartCopy' : 'UploadPart';
      return hasCopySource ? 'CopyObject' : 'PutObject';
    case 'GET':
      return query.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Unknown';
  }
  return 'Unknown';
}
