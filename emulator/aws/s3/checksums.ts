import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';

/** The flexible-checksum algorithms S3 accepts in `x-amz-checksum-*` headers and trailers. */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

/** Raw digest length in bytes, used to reject malformed base64 values before comparing. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

/** `CRC32` -> `x-amz-checksum-crc32`. */
export const checksumHeader = (algorithm: ChecksumAlgorithm) => `x-amz-checksum-${algorithm.toLowerCase()}`;

/** `crc32c` / `CRC32C` -> `CRC32C`; anything unknown -> null. */
export function parseChecksumAlgorithm(name: string): ChecksumAlgorithm | null {
  const upper = name.trim().toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : null;
}

/** True when `value` is base64 of exactly the digest length of `algorithm`. */
export function isWellFormedChecksum(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === DIGEST_BYTES[algorithm];
}

/** An incremental digest: feed chunks, then read the raw bytes once. */
export interface Hasher {
  update(chunk: Buffer): void;
  digest(): Buffer;
}

export function createHasher(algorithm: ChecksumAlgorithm): Hasher {
  switch (algorithm) {
    case 'CRC32':
      return crcHasher(crc32Update, 4);
    case 'CRC32C':
      return crcHasher(crc32cUpdate, 4);
    case 'CRC64NVME':
      return crc64Hasher();
    case 'SHA1':
      return nodeHasher(createHash('sha1'));
    case 'SHA256':
      return nodeHasher(createHash('sha256'));
  }
}

/** Base64 digest of `data`, the form S3 puts in `x-amz-checksum-*`. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const h = createHasher(algorithm);
  h.update(data);
  return h.digest().toString('base64');
}

/**
 * S3's COMPOSITE multipart checksum: the checksum of the concatenated raw part checksums, suffixed
 * with `-<part count>` (the SDK recognises the suffix and skips validating it on GetObject).
 */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: string[]): string {
  const raw = Buffer.concat(partChecksums.map((c) => Buffer.from(c, 'base64')));
  return `${checksumOf(algorithm, raw)}-${partChecksums.length}`;
}

function nodeHasher(hash: Hash): Hasher {
  return { update: (c) => void hash.update(c), digest: () => hash.digest() };
}

function crcHasher(update: (crc: number, data: Buffer) => number, bytes: 4): Hasher {
  let crc = 0;
  return {
    update: (c) => void (crc = update(crc, c)),
    digest: () => {
      const out = Buffer.alloc(bytes);
      out.writeUInt32BE(crc >>> 0);
      return out;
    },
  };
}

/** Table for a reflected 32-bit CRC with polynomial `poly` (already bit-reversed). */
function crc32Table(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Continue a reflected CRC-32 (init/xorout 0xFFFFFFFF folded in, like zlib's crc32(data, prev)). */
function tableCrc32(table: Uint32Array, crc: number, data: Buffer): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const CRC32_TABLE = crc32Table(0xedb88320);
const CRC32C_TABLE = crc32Table(0x82f63b78);
// Node >= 20.15 ships a native CRC-32 (the one S3 calls CRC32); older Node falls back to the table.
const nativeCrc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

const crc32Update = (crc: number, data: Buffer): number =>
  nativeCrc32 ? nativeCrc32(data, crc) : tableCrc32(CRC32_TABLE, crc, data);
const crc32cUpdate = (crc: number, data: Buffer): number => tableCrc32(CRC32C_TABLE, crc, data);

/**
 * CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, init and xorout all ones), kept as two 32-bit
 * halves so it runs on plain numbers instead of BigInt.
 */
const CRC64_TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const lsb = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (lsb) {
        h = (h ^ polyHi) >>> 0;
        l = (l ^ polyLo) >>> 0;
      }
    }
    hi[n] = h;
    lo[n] = l;
  }
  return { hi, lo };
})();

function crc64Hasher(): Hasher {
  let h = 0xffffffff;
  let l = 0xffffffff;
  return {
    update(data) {
      const { hi, lo } = CRC64_TABLE;
      for (let i = 0; i < data.length; i++) {
        const idx = (l ^ data[i]!) & 0xff;
        const nl = ((l >>> 8) | (h << 24)) >>> 0;
        const nh = h >>> 8;
        l = (nl ^ lo[idx]!) >>> 0;
        h = (nh ^ hi[idx]!) >>> 0;
      }
    },
    digest() {
      const out = Buffer.alloc(8);
      out.writeUInt32BE(~h >>> 0, 0);
      out.writeUInt32BE(~l >>> 0, 4);
      return out;
    },
  };
}
