import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked, storedContentEncoding } from './chunked';
import { checksumOf, compositeChecksum } from './checksums';

/** Frame `payload` the way the SDK does, in chunks of the given sizes, optionally signed. */
function frame(payload: Buffer, sizes: number[], signed: boolean, trailer?: string): Buffer {
  const ext = signed ? `;chunk-signature=${'0'.repeat(64)}` : '';
  const out: Buffer[] = [];
  let pos = 0;
  for (const size of sizes) {
    if (pos >= payload.length) break;
    const chunk = payload.subarray(pos, pos + size);
    pos += chunk.length;
    out.push(Buffer.from(`${chunk.length.toString(16)}${ext}\r\n`), chunk, Buffer.from('\r\n'));
  }
  if (pos < payload.length) {
    const rest = payload.subarray(pos);
    out.push(Buffer.from(`${rest.length.toString(16)}${ext}\r\n`), rest, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`0${ext}\r\n${trailer ? `${trailer}\r\n` : ''}\r\n`));
  return Buffer.concat(out);
}

describe('aws-chunked decoding', () => {
  it('recovers exactly the payload and the trailer for any chunking', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 8 }),
        fc.boolean(),
        (bytes, sizes, signed) => {
          const payload = Buffer.from(bytes);
          const crc = checksumOf('CRC32', payload);
          const decoded = decodeAwsChunked(frame(payload, sizes, signed, `x-amz-checksum-crc32:${crc}`));
          expect(decoded.payload.equals(payload)).toBe(true);
          expect(decoded.trailers.get('x-amz-checksum-crc32')).toBe(crc);
        },
      ),
    );
  });

  it('never throws anything but an S3 error on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeAwsChunked(Buffer.from(bytes));
        } catch (err) {
          expect((err as { code?: string }).code).toMatch(/^(IncompleteBody|InvalidRequest|MalformedTrailerError)$/);
        }
      }),
    );
  });

  it('stores Content-Encoding without the aws-chunked token', () => {
    expect(storedContentEncoding('aws-chunked')).toBeUndefined();
    expect(storedContentEncoding('gzip,aws-chunked')).toBe('gzip');
    expect(storedContentEncoding('aws-chunked, br')).toBe('br');
    expect(storedContentEncoding(undefined)).toBeUndefined();
  });

  it('builds COMPOSITE checksums from raw part checksums with a part-count suffix', () => {
    const parts = ['AAAAAA==', '/////w=='];
    expect(compositeChecksum('CRC32', parts)).toBe(`${checksumOf('CRC32', Buffer.from([0, 0, 0, 0, 255, 255, 255, 255]))}-2`);
  });
});
