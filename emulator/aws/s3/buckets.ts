import { AwsError } from '../errors';
import type { EdgeResponse } from '../types';
import { invalidArgument, type S3Call } from './call';
import { ownerXml } from './listing';
import { leafText, parseXmlBody, wrap, el, isoTime, malformedXml, xmlResponse, xmlText } from './xml';

/** Why `name` is not a valid general-purpose bucket name, or null when it is. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'Bucket name must be between 3 and 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'Bucket name can consist only of lowercase letters, numbers, periods (.), and hyphens (-)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'Bucket name must begin and end with a letter or number';
  if (name.includes('..')) return 'Bucket name must not contain two adjacent periods';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'Bucket name must not be formatted as an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) if (name.startsWith(prefix)) return `Bucket name must not start with ${prefix}`;
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) if (name.endsWith(suffix)) return `Bucket name must not end with ${suffix}`;
  return null;
}

export function createBucket({ req, bucket, store, ctx }: S3Call): EdgeResponse {
  const problem = bucketNameProblem(bucket);
  if (problem) throw new AwsError('InvalidBucketName', `The specified bucket is not valid. ${problem}`, 400, { BucketName: bucket });
  let region = ctx.region;
  if (req.body.length > 0) {
    const config = parseXmlBody(req.body).CreateBucketConfiguration;
    if (config === undefined) throw malformedXml();
    const constraint = config && typeof config === 'object' ? leafText((config as Record<string, unknown>).LocationConstraint) : undefined;
    if (constraint) region = constraint.trim();
  }
  store.createBucket(bucket, region, ctx.now());
  return { status: 200, headers: { location: `/${bucket}` }, body: '' };
}

export function headBucket({ bucket, store }: S3Call): EdgeResponse {
  const b = store.bucket(bucket);
  return { status: 200, headers: { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' } };
}

export function deleteBucket({ bucket, store }: S3Call): EdgeResponse {
  store.deleteBucket(bucket);
  return { status: 204 };
}

export function getBucketLocation({ bucket, store }: S3Call): EdgeResponse {
  const b = store.bucket(bucket);
  // us-east-1 is reported as an empty constraint, as S3 does for legacy reasons.
  return xmlResponse('LocationConstraint', b.region === 'us-east-1' ? '' : xmlText(b.region));
}

export function listBuckets({ req, store }: S3Call): EdgeResponse {
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const maxText = q.get('max-buckets');
  let max = 10_000;
  if (maxText !== null) {
    if (!/^\d+$/.test(maxText) || Number(maxText) < 1 || Number(maxText) > 10_000)
      throw invalidArgument('Argument max-buckets must be an integer between 1 and 10000', 'max-buckets', maxText);
    max = Number(maxText);
  }
  const token = q.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const all = store.listBuckets().filter((b) => b.name.startsWith(prefix) && b.name > after);
  const page = all.slice(0, max);
  const buckets = page
    .map((b) => wrap('Bucket', el('Name', b.name) + el('CreationDate', isoTime(b.created)) + el('BucketRegion', b.region)))
    .join('');
  const next = all.length > max ? Buffer.from(page[page.length - 1]!.name).toString('base64url') : undefined;
  return xmlResponse(
    'ListAllMyBucketsResult',
    ownerXml() + wrap('Buckets', buckets) + el('ContinuationToken', next) + (q.has('prefix') ? el('Prefix', prefix) : ''),
  );
}
