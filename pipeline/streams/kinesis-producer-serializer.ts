/**
 * A faster PutRecords request body, inside the real SDK client.
 *
 * The SDK (Smithy schema serde) writes JSON byte by byte in JavaScript, base64 included: for the 500 ~1.5 KB
 * records of a full batch that is the largest single cost of a collector request. `installFastPutRecords`
 * wraps the client's own body serializer so that a PutRecords input of the common shape (StreamName, and
 * records of Data bytes, PartitionKey and an optional ExplicitHashKey) is written with native base64 and
 * `JSON.stringify` instead; everything else (other operations, StreamARN, string Data, unusual values)
 * still goes to the SDK's serializer. The bytes are identical to the SDK's (a property test compares them),
 * and the request still goes through the client's middleware: endpoint, SigV4 signing, retries, the HTTP
 * handler.
 */
import { Buffer } from 'node:buffer';
import { PutRecordsInput$, type KinesisClient } from '@aws-sdk/client-kinesis';

/** What the SDK's protocol asks of its body serializer. */
interface BodySerializer {
  write(schema: unknown, value: unknown): void;
  flush(): unknown;
  setSerdeContext(context: unknown): void;
}

const DATA = '{"Data":"';
/** After the base64 Data, the closing quote and the next member's name. */
const THEN_HASH_KEY = '","ExplicitHashKey":';
const THEN_PARTITION_KEY = '","PartitionKey":';

/**
 * The PutRecords JSON body exactly as the SDK's serializer writes it (members in schema order, unset ones
 * left out, blobs in padded base64, strings as `JSON.stringify` escapes them), or undefined when the input
 * is outside the shape handled here. Sized first, then written into one buffer (no megabyte string).
 */
export function putRecordsBody(input: unknown): Buffer | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const i = input as Record<string, unknown>;
  const records = i.Records;
  if (!Array.isArray(records) || typeof i.StreamName !== 'string') return undefined;
  if (i.StreamARN != null || i.StreamId != null || i.DryRun != null || typeof i.__type === 'string') return undefined;
  const tail = `],"StreamName":${JSON.stringify(i.StreamName)}}`;
  // Per record: `{"Data":"<base64>[","ExplicitHashKey":<json>]","PartitionKey":<json>}`, comma-separated.
  const datas: Buffer[] = new Array<Buffer>(records.length);
  const keys: string[] = new Array<string>(records.length);
  let size = 12 + Buffer.byteLength(tail, 'utf8') + Math.max(0, records.length - 1);
  for (let n = 0; n < records.length; n++) {
    const r = records[n] as Record<string, unknown> | null | undefined;
    if (r === null || typeof r !== 'object') return undefined;
    const data = r.Data;
    const key = r.PartitionKey;
    const hashKey = r.ExplicitHashKey;
    if (!(data instanceof Uint8Array) || typeof key !== 'string' || (hashKey != null && typeof hashKey !== 'string') || typeof r.__type === 'string') return undefined;
    datas[n] = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    keys[n] = (hashKey != null ? `${THEN_HASH_KEY}${JSON.stringify(hashKey)},"PartitionKey":` : THEN_PARTITION_KEY) + JSON.stringify(key) + '}';
    size += DATA.length + Math.ceil(data.byteLength / 3) * 4 + Buffer.byteLength(keys[n]!, 'utf8');
  }
  const body = Buffer.allocUnsafe(size);
  let off = body.write('{"Records":[', 0, 'latin1');
  for (let n = 0; n < records.length; n++) {
    if (n > 0) body[off++] = 0x2c; // ,
    off += body.write(DATA, off, 'latin1');
    off += body.write(datas[n]!.toString('base64'), off, 'latin1');
    off += body.write(keys[n]!, off, 'utf8');
  }
  off += body.write(tail, off, 'utf8');
  if (off !== size) throw new Error(`PutRecords body: wrote ${off} bytes, sized ${size}`); // a bug, never input
  return body;
}

class FastPutRecordsSerializer implements BodySerializer {
  private body: Buffer | undefined;
  constructor(readonly sdk: BodySerializer) {}
  setSerdeContext(context: unknown): void {
    this.sdk.setSerdeContext(context);
  }
  write(schema: unknown, value: unknown): void {
    this.body = schema === PutRecordsInput$ ? putRecordsBody(value) : undefined;
    if (this.body === undefined) this.sdk.write(schema, value);
  }
  flush(): unknown {
    const body = this.body;
    if (body === undefined) return this.sdk.flush();
    this.body = undefined;
    return body;
  }
}

/**
 * Route this client's PutRecords bodies through `putRecordsBody`. Idempotent. Returns false (and changes
 * nothing) if the client's protocol does not look like the one this was written against.
 */
export function installFastPutRecords(client: KinesisClient): boolean {
  const protocol = (client.config as { protocol?: unknown }).protocol as { serializer?: Partial<BodySerializer> } | undefined;
  const serializer = protocol?.serializer;
  if (serializer instanceof FastPutRecordsSerializer) return true;
  if (!protocol || typeof serializer?.write !== 'function' || typeof serializer.flush !== 'function' || typeof serializer.setSerdeContext !== 'function')
    return false;
  protocol.serializer = new FastPutRecordsSerializer(serializer as BodySerializer);
  return true;
}

/** The SDK's own serializer of a client (for tests comparing both). */
export function sdkBodySerializer(client: KinesisClient): BodySerializer {
  const s = ((client.config as { protocol?: unknown }).protocol as { serializer: BodySerializer }).serializer;
  return s instanceof FastPutRecordsSerializer ? s.sdk : s;
}
