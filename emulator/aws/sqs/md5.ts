import { createHash, type Hash } from 'node:crypto';

/** A message attribute as it travels in the JSON protocol (binary values are base64). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** MD5 hex of a string's UTF-8 bytes (`MD5OfMessageBody`, `MD5OfBody`). */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/** Whether a DataType (`Binary`, `Binary.png`, ...) carries a BinaryValue rather than a StringValue. */
export function isBinaryType(dataType: string): boolean {
  return dataType === 'Binary' || dataType.startsWith('Binary.');
}

/**
 * `MD5OfMessageAttributes` (and `MD5OfMessageSystemAttributes`) as AWS computes it: attributes sorted by
 * name; for each, the name, the data type and the value are each written as a 4-byte big-endian length
 * followed by the bytes, with a one-byte transport type (1 = string, 2 = binary) before the value.
 */
export function md5OfAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  for (const name of Object.keys(attributes).sort()) {
    const attr = attributes[name]!;
    lengthPrefixed(hash, Buffer.from(name, 'utf8'));
    lengthPrefixed(hash, Buffer.from(attr.DataType, 'utf8'));
    if (isBinaryType(attr.DataType)) {
      hash.update(TRANSPORT_BINARY);
      lengthPrefixed(hash, Buffer.from(attr.BinaryValue ?? '', 'base64'));
    } else {
      hash.update(TRANSPORT_STRING);
      lengthPrefixed(hash, Buffer.from(attr.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

const TRANSPORT_STRING = Buffer.from([1]);
const TRANSPORT_BINARY = Buffer.from([2]);

function lengthPrefixed(hash: Hash, bytes: Buffer): void {
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(bytes.length, 0);
  hash.update(len);
  hash.update(bytes);
}
