import { createHash } from 'node:crypto';
import { AwsError } from '../errors';
import type { EdgeRequest } from '../types';
import { decodeAwsChunked, isAwsChunked, storedContentEncoding } from './chunked';
import { CHECKSUM_ALGORITHMS, checksumHeader, checksumOf, isWellFormedChecksum, type ChecksumAlgorithm } from './checksums';

/** A request body after transport framing is removed and every integrity header has been checked. */
export interface VerifiedPayload {
  data: Buffer;
  /** Hex MD5 of `data` (the object's ETag, unquoted). */
  md5Hex: string;
  /** The flexible checksum the client sent (header or trailer), verified. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** Content-Encoding to store (without `aws-chunked`). */
  contentEncoding?: string;
}

/** One header as a string (node gives arrays only for a few repeatable headers). */
export function header(req: EdgeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Decode and verify an upload body (PutObject, UploadPart, and the XML bodies that carry checksums):
 * `aws-chunked` framing with its trailer, `x-amz-decoded-content-length`, a hex `x-amz-content-sha256`,
 * `Content-MD5` and any `x-amz-checksum-*` value. Mismatches answer S3's `BadDigest` family.
 */
export function readVerifiedBody(req: EdgeRequest): VerifiedPayload {
  const contentEncoding = header(req, 'content-encoding');
  const contentSha256 = header(req, 'x-amz-content-sha256');
  let data = req.body;
  let trailers = new Map<string, string>();

  if (isAwsChunked(contentEncoding, contentSha256)) {
    ({ payload: data, trailers } = decodeAwsChunked(req.body));
    const declared = header(req, 'x-amz-decoded-content-length');
    if (declared !== undefined && (!/^\d+$/.test(declared.trim()) || Number(declared) !== data.length))
      throw new AwsError('IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length header', 400);
    for (const name of (header(req, 'x-amz-trailer') ?? '').split(',')) {
      const trailer = name.trim().toLowerCase();
      if (trailer && !trailers.has(trailer))
        throw new AwsError('MalformedTrailerError', `The request declared trailer ${trailer} but did not send it.`, 400);
    }
  } else if (contentSha256 && /^[0-9a-fA-F]{64}$/.test(contentSha256)) {
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== contentSha256.toLowerCase())
      throw new AwsError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
        ClientComputedContentSHA256: contentSha256,
        S3ComputedContentSHA256: actual,
      });
  }

  const md5 = createHash('md5').update(data).digest();
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined) {
    const given = Buffer.from(contentMd5.trim(), 'base64');
    if (given.length !== 16 || !/^[A-Za-z0-9+/]+={0,2}$/.test(contentMd5.trim()))
      throw new AwsError('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400);
    if (!given.equals(md5)) throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  }

  const checksum = verifiedChecksum(req, trailers, data);
  return { data, md5Hex: md5.toString('hex'), checksum, contentEncoding: storedContentEncoding(contentEncoding) };
}

function verifiedChecksum(req: EdgeRequest, trailers: Map<string, string>, data: Buffer): VerifiedPayload['checksum'] {
  const sent: { algorithm: ChecksumAlgorithm; value: string; name: string }[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const name = checksumHeader(algorithm);
    const value = header(req, name) ?? trailers.get(name);
    if (value !== undefined) sent.push({ algorithm, value: value.trim(), name });
  }
  if (sent.length === 0) return undefined;
  if (sent.length > 1)
    throw new AwsError('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.', 400);
  const { algorithm, value, name } = sent[0]!;
  if (!isWellFormedChecksum(algorithm, value)) throw new AwsError('InvalidRequest', `Value for ${name} header is invalid.`, 400);
  if (checksumOf(algorithm, data) !== value)
    throw new AwsError('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, 400);
  return { algorithm, value };
}
