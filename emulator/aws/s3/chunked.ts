import { AwsError } from '../errors';

/** A decoded `aws-chunked` body: the payload bytes and the trailing headers (names lower-cased). */
export interface AwsChunkedBody {
  payload: Buffer;
  trailers: Map<string, string>;
}

const CRLF = Buffer.from('\r\n');

/**
 * Decode S3's `aws-chunked` framing, which the SDK uses for stream bodies with a trailing checksum:
 *
 *     <hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
 *     [x-amz-checksum-crc32:<base64>\r\n][x-amz-trailer-signature:<sig>\r\n]\r\n
 *
 * Signatures are not checked (the emulator accepts any credentials). Bad framing is the client's
 * fault, so it answers S3's 400s rather than throwing anything else.
 */
export function decodeAwsChunked(body: Buffer): AwsChunkedBody {
  const chunks: Buffer[] = [];
  let pos = 0;
  while (true) {
    const eol = body.indexOf(CRLF, pos);
    if (eol === -1) throw incomplete();
    const header = body.toString('latin1', pos, eol);
    const sizeText = header.split(';', 1)[0]!.trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw malformed(`invalid chunk size "${header.slice(0, 40)}"`);
    const size = parseInt(sizeText, 16);
    const start = eol + 2;
    if (size === 0) return { payload: Buffer.concat(chunks), trailers: parseTrailers(body, start) };
    if (start + size > body.length) throw incomplete();
    chunks.push(body.subarray(start, start + size));
    pos = start + size;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw malformed('chunk data is not followed by CRLF');
    pos += 2;
  }
}

function parseTrailers(body: Buffer, from: number): Map<string, string> {
  const trailers = new Map<string, string>();
  const text = body.toString('latin1', from);
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new AwsError('MalformedTrailerError', 'The request contained trailing data that was not well-formed.', 400);
    trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return trailers;
}

const incomplete = () => new AwsError('IncompleteBody', 'The request body terminated unexpectedly', 400);
const malformed = (why: string) => new AwsError('InvalidRequest', `Malformed aws-chunked request body: ${why}`, 400);

/** True when the request body uses `aws-chunked` framing (by content-encoding or streaming sha256 marker). */
export function isAwsChunked(contentEncoding: string | undefined, contentSha256: string | undefined): boolean {
  if (contentEncoding && contentEncoding.split(',').some((t) => t.trim().toLowerCase() === 'aws-chunked')) return true;
  return Boolean(contentSha256 && contentSha256.startsWith('STREAMING-'));
}

/** The Content-Encoding to store: the request's, without the `aws-chunked` transport token. */
export function storedContentEncoding(contentEncoding: string | undefined): string | undefined {
  if (!contentEncoding) return undefined;
  const kept = contentEncoding
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'aws-chunked');
  return kept.length ? kept.join(',') : undefined;
}
