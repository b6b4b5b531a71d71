import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KinesisClient, PutRecordsCommand, PutRecordsInput$, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { emulatorSettings, kinesisClient } from './aws-clients';
import { installFastPutRecords, putRecordsBody, sdkBodySerializer } from './kinesis-producer-serializer';

/** What the SDK's own serializer writes for a PutRecords input. */
function sdkBody(client: KinesisClient, input: unknown): Buffer {
  const s = sdkBodySerializer(client);
  s.write(PutRecordsInput$, input);
  return Buffer.from(s.flush() as Uint8Array);
}

// Any UTF-16 (lone surrogates, controls, quotes, backslashes, U+2028, astral pairs) for the strings.
const anyString = fc.oneof(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }));
// Lengths 0..64 cover every base64 remainder; subarrays of a larger buffer check byteOffset handling.
const data = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(7)).map(([b, o]) => b.subarray(o)),
);
const entry = fc.record({ Data: data, PartitionKey: anyString, ExplicitHashKey: fc.option(fc.stringMatching(/^[0-9]{1,39}$/), { nil: undefined }) }, { requiredKeys: ['Data', 'PartitionKey'] });
const input = fc.record({ StreamName: anyString, Records: fc.array(entry, { maxLength: 8 }) });

describe('PutRecords fast body (installFastPutRecords)', () => {
  const client = kinesisClient(emulatorSettings('http://127.0.0.1:1'));
  afterAll(() => client.destroy());

  it('property: for any StreamName/Records input the fast body is byte-identical to the SDK serializer', () => {
    fc.assert(
      fc.property(input, (i) => {
        const fast = putRecordsBody(i);
        expect(fast).toBeDefined();
        expect(fast!.equals(sdkBody(client, i))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves inputs outside its shape to the SDK (StreamARN, string Data, missing key, __type)', () => {
    const r = { Data: Buffer.from('x'), PartitionKey: 'k' };
    expect(putRecordsBody({ StreamARN: 'arn:aws:kinesis:us-east-1:0:stream/s', Records: [r] })).toBeUndefined();
    expect(putRecordsBody({ StreamName: 's', StreamARN: 'arn', Records: [r] })).toBeUndefined();
    expect(putRecordsBody({ StreamName: 's', Records: [{ Data: 'text', PartitionKey: 'k' }] })).toBeUndefined();
    expect(putRecordsBody({ StreamName: 's', Records: [{ Data: Buffer.from('x') }] })).toBeUndefined();
    expect(putRecordsBody({ StreamName: 's', Records: [null] })).toBeUndefined();
    expect(putRecordsBody({ StreamName: 's', Records: [r], __type: 'X' })).toBeUndefined();
  });

  describe('through the SDK client', () => {
    let server: Server;
    let endpoint: string;
    const seen: { target: string; body: Buffer; auth: string; sha: string }[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          seen.push({ target: String(req.headers['x-amz-target']), body: Buffer.concat(chunks), auth: String(req.headers.authorization), sha: String(req.headers['x-amz-content-sha256'] ?? '') });
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 'shardId-000000000000' }] }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('installs on the pinned SDK, once, and the client sends the same bytes and payload hash as without it', async () => {
      const plain = kinesisClient(emulatorSettings(endpoint, { maxAttempts: 1 }));
      const fast = kinesisClient(emulatorSettings(endpoint, { maxAttempts: 1 }));
      try {
        expect(installFastPutRecords(fast)).toBe(true);
        expect(installFastPutRecords(fast)).toBe(true);
        const input: PutRecordsCommandInput = { StreamName: 'raw', Records: [{ Data: Buffer.from('héllo "world"'), PartitionKey: 'k\u2028' }, { Data: new Uint8Array([0, 255, 7]), PartitionKey: '1.2.3.4' }] };
        expect(putRecordsBody(input)).toBeDefined();
        seen.length = 0;
        const out = await fast.send(new PutRecordsCommand(input));
        await plain.send(new PutRecordsCommand(input));
        expect(out.Records?.[0]?.SequenceNumber).toBe('1');
        expect(seen.map((s) => s.target)).toEqual(['Kinesis_20131202.PutRecords', 'Kinesis_20131202.PutRecords']);
        expect(seen[0]!.body.equals(seen[1]!.body)).toBe(true);
        // SigV4 signed the same payload hash (the signatures themselves differ by the random invocation id).
        expect(seen[0]!.sha).toMatch(/^[0-9a-f]{64}$/);
        expect(seen[0]!.sha).toBe(seen[1]!.sha);
        expect(seen[0]!.auth).toMatch(/^AWS4-HMAC-SHA256 Credential=.*x-amz-content-sha256.*Signature=[0-9a-f]{64}$/);
        // Other operations still go through the SDK's serializer.
        seen.length = 0;
        await fast.send(new PutRecordsCommand({ StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/raw', Records: [{ Data: Buffer.from('x'), PartitionKey: 'k' }] }));
        expect(JSON.parse(seen[0]!.body.toString())).toEqual({ Records: [{ Data: 'eA==', PartitionKey: 'k' }], StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/raw' });
      } finally {
        plain.destroy();
        fast.destroy();
      }
    });
  });
});
