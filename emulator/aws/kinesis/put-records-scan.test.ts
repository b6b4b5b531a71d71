import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAscii } from 'node:buffer';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { startEmulator } from '../index';
import { emulatorSettings, kinesisClient } from '../../../pipeline/streams/aws-clients';
import { scanPutRecords, type ScannedPutRecords } from './put-records-scan';

/** What the scan says the body holds, in JSON.parse's shape. */
function asParsed(body: Buffer, s: ScannedPutRecords): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  out.Records = Array.from({ length: s.n }, (_, i) => {
    const r: Record<string, string> = { Data: body.toString('latin1', s.dataStart[i], s.dataEnd[i]), PartitionKey: s.partitionKeys[i]! };
    if (s.explicitHashKeys[i] !== undefined) r.ExplicitHashKey = s.explicitHashKeys[i]!;
    return r;
  });
  if (s.streamName !== undefined) out.StreamName = s.streamName;
  if (s.streamArn !== undefined) out.StreamARN = s.streamArn;
  return out;
}

/** JSON.parse's reading, with members in the scan's order and nothing the scan does not keep. */
function parsedShape(body: Buffer): unknown {
  const p = JSON.parse(body.toString('latin1')) as Record<string, unknown>;
  const out: Record<string, unknown> = { Records: p.Records };
  if (p.StreamName !== undefined) out.StreamName = p.StreamName;
  if (p.StreamARN !== undefined) out.StreamARN = p.StreamARN;
  return out;
}

const asciiText = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
const base64 = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));
const entry = fc.record(
  { Data: base64, PartitionKey: asciiText(20), ExplicitHashKey: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String) },
  { requiredKeys: ['Data', 'PartitionKey'] },
);
const request = fc.record(
  { Records: fc.array(entry, { minLength: 1, maxLength: 30 }), StreamName: asciiText(30), StreamARN: asciiText(60) },
  { requiredKeys: ['Records'] },
);
/** JSON text of a value with random (valid) whitespace between tokens. */
const spaced = (v: unknown, spaces: string[]): string => {
  let k = 0;
  const sp = () => spaces[k++ % spaces.length]!;
  const walk = (x: unknown): string => {
    if (Array.isArray(x)) return `[${sp()}${x.map(walk).join(`${sp()},${sp()}`)}${sp()}]`;
    if (typeof x === 'object' && x !== null)
      return `{${sp()}${Object.entries(x).map(([key, val]) => `${JSON.stringify(key)}${sp()}:${sp()}${walk(val)}`).join(`${sp()},${sp()}`)}${sp()}}`;
    return JSON.stringify(x);
  };
  return walk(v);
};
const whitespace = fc.array(fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n  '), { minLength: 1, maxLength: 8 });

describe('scanPutRecords: PutRecords bodies read in place', () => {
  it('property: every well-formed PutRecords body, however spaced, is read exactly as JSON.parse reads it (declined only if it holds an escape)', () => {
    fc.assert(
      fc.property(request, whitespace, (req, spaces) => {
        const body = Buffer.from(spaced(req, spaces), 'latin1');
        const scan = scanPutRecords(body);
        if (body.includes('\\')) return void expect(scan).toBeUndefined();
        expect(scan).toBeDefined();
        expect(asParsed(body, scan!)).toEqual(parsedShape(body));
      }),
      { numRuns: 300 },
    );
  });

  it('property: a body with any byte changed, inserted or cut is either declined or read exactly as JSON.parse reads it', () => {
    const edit = fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'insert', 'cut'), byte: fc.constantFrom(0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x20, 0x0a, 0x00, 0x1f, 0x41, 0x6e) });
    fc.assert(
      fc.property(request, fc.array(edit, { minLength: 1, maxLength: 3 }), (req, edits) => {
        let body = Buffer.from(JSON.stringify(req), 'latin1');
        for (const e of edits) {
          const at = e.at % (body.length + 1);
          const b = Buffer.from([e.byte]);
          body =
            e.op === 'replace' ? Buffer.concat([body.subarray(0, at), b, body.subarray(at + 1)])
            : e.op === 'insert' ? Buffer.concat([body.subarray(0, at), b, body.subarray(at)])
            : Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
        }
        const scan = scanPutRecords(body);
        if (scan === undefined) return;
        // accepted: JSON.parse must agree (not throw, same records and names)
        expect(asParsed(body, scan)).toEqual(parsedShape(body));
      }),
      { numRuns: 2000 },
    );
  });

  it('declines what only the generic path may answer: escapes, nulls, unknown members, empty or over-long Records', () => {
    const ok = { StreamName: 's', Records: [{ Data: 'QQ==', PartitionKey: 'k' }] };
    expect(scanPutRecords(Buffer.from(JSON.stringify(ok)))).toBeDefined();
    const declined = [
      { ...ok, StreamName: 's\\u0041' },
      { ...ok, Records: [{ Data: null, PartitionKey: 'k' }] },
      { ...ok, Records: [{ Data: 'QQ==' }] },
      { ...ok, Records: [{ Data: 'QQ==', PartitionKey: 'k', Extra: 'x' }] },
      { ...ok, Extra: 1 },
      { ...ok, Records: [] },
      { ...ok, Records: Array.from({ length: 501 }, () => ok.Records[0]) },
      { ...ok, Records: 'nope' },
    ].map((v) => JSON.stringify(v).replace('\\\\u0041', '\\u0041'));
    for (const text of [...declined, '', '[]', '{}', '{"Records":[{"Data":"QQ==","PartitionKey":"k"}]} x', '{"Records":[{"Data":"QQ==","PartitionKey":"k"}]'])
      expect(scanPutRecords(Buffer.from(text)), text).toBeUndefined();
  });

  it('the AWS SDK\'s own PutRecords bodies take the in-place path (checked on the bytes the emulator received)', async () => {
    const emu = await startEmulator({ port: 0 });
    const client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    try {
      const bodies: Buffer[] = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          const body = (args.request as { body?: unknown }).body;
          if (typeof body === 'string' || body instanceof Uint8Array) bodies.push(Buffer.from(body));
          return next(args);
        },
        { step: 'finalizeRequest', name: 'captureBody' },
      );
      await client.send(new CreateStreamCommand({ StreamName: 'scan', ShardCount: 2 }));
      const out = await client.send(
        new PutRecordsCommand({ StreamName: 'scan', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`record ${i}`) })) }),
      );
      expect(out.FailedRecordCount).toBe(0);
      const put = bodies.find((b) => b.includes('"Records"'))!;
      expect(isAscii(put)).toBe(true);
      const scan = scanPutRecords(put)!;
      expect(scan.n).toBe(20);
      expect(scan.partitionKeys).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
      expect(Buffer.from(put.toString('latin1', scan.dataStart[3], scan.dataEnd[3]), 'base64').toString()).toBe('record 3');
    } finally {
      client.destroy();
      await emu.stop();
    }
  });
});
