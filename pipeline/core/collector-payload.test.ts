import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import thrift from 'thrift';
import {
  COLLECTOR_PAYLOAD_SCHEMA,
  FIELD_IDS,
  ThriftDecodeError,
  collectorPayloadSize,
  collectorPayloadToString,
  decodeCollectorPayload,
  encodeCollectorPayload,
  type CollectorPayload,
} from './collector-payload';

const { TBinaryProtocol, TBufferedTransport, Thrift } = thrift;
const T = Thrift.Type;

// ---------------------------------------------------------------------------------------------------------
// The library side: the IDL struct written and read with the `thrift` package's own TBinaryProtocol, the
// way its code generator would (writer in ascending id order, like Java's get_sorted_members()).

const STRING_FIELDS = ['schema', 'ipAddress', 'encoding', 'collector', 'userAgent', 'refererUri', 'path', 'querystring', 'body', 'contentType', 'hostname', 'networkUserId'] as const;

function libraryWrite(p: CollectorPayload, order?: (keyof CollectorPayload)[], extra?: (proto: thrift.TBinaryProtocol) => void): Buffer {
  let out: Buffer = Buffer.alloc(0);
  const trans = new TBufferedTransport(undefined, (msg) => {
    out = msg!;
  });
  const proto = new TBinaryProtocol(trans);
  const fields = order ?? (Object.keys(FIELD_IDS) as (keyof CollectorPayload)[]).sort((a, b) => FIELD_IDS[a] - FIELD_IDS[b]);
  proto.writeStructBegin('CollectorPayload');
  extra?.(proto);
  for (const name of fields) {
    const v = p[name];
    if (v === undefined) continue;
    if (name === 'timestamp') {
      proto.writeFieldBegin(name, T.I64, FIELD_IDS[name]);
      proto.writeI64(v as number);
    } else if (name === 'headers') {
      proto.writeFieldBegin(name, T.LIST, FIELD_IDS[name]);
      proto.writeListBegin(T.STRING, (v as string[]).length);
      for (const h of v as string[]) proto.writeString(h);
      proto.writeListEnd();
    } else {
      proto.writeFieldBegin(name, T.STRING, FIELD_IDS[name]);
      proto.writeString(v as string);
    }
    proto.writeFieldEnd();
  }
  proto.writeFieldStop();
  proto.writeStructEnd();
  proto.flush();
  return out;
}

function libraryRead(bytes: Buffer): CollectorPayload {
  let result: CollectorPayload | undefined;
  const feed = TBufferedTransport.receiver((trans) => {
    const proto = new TBinaryProtocol(trans);
    const p: CollectorPayload = { timestamp: 0 };
    proto.readStructBegin();
    for (;;) {
      const { ftype, fid } = proto.readFieldBegin();
      if (ftype === T.STOP) break;
      const name = (Object.keys(FIELD_IDS) as (keyof CollectorPayload)[]).find((k) => FIELD_IDS[k] === fid);
      if (name === 'timestamp' && ftype === T.I64) p.timestamp = proto.readI64().toNumber();
      else if (name === 'headers' && ftype === T.LIST) {
        const { size } = proto.readListBegin();
        p.headers = [];
        for (let i = 0; i < size; i++) p.headers.push(proto.readString());
        proto.readListEnd();
      } else if (name && name !== 'timestamp' && name !== 'headers' && ftype === T.STRING) p[name] = proto.readString();
      else proto.skip(ftype);
      proto.readFieldEnd();
    }
    proto.readStructEnd();
    result = p;
  }, 0);
  feed(bytes);
  if (!result) throw new Error('library reader produced nothing');
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Generators. `anyString` includes lone surrogates (both sides write them as U+FFFD); `roundTripString`
// only well-formed text, since a lone surrogate cannot survive UTF-8.

const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyString = fc.oneof(fc.string({ unit: anyUnit, maxLength: 40 }), fc.string({ maxLength: 200 }), fc.string({ unit: anyUnit, minLength: 90, maxLength: 200 }));
const roundTripString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', minLength: 90, maxLength: 200 }));

function payloadArb(str: fc.Arbitrary<string>): fc.Arbitrary<CollectorPayload> {
  const opt = fc.option(str, { nil: undefined });
  return fc
    .record({
      schema: opt,
      ipAddress: opt,
      timestamp: fc.oneof(fc.maxSafeNat(), fc.maxSafeInteger()),
      encoding: opt,
      collector: opt,
      userAgent: opt,
      refererUri: opt,
      path: opt,
      querystring: opt,
      body: opt,
      headers: fc.option(fc.array(str, { maxLength: 6 }), { nil: undefined }),
      contentType: opt,
      hostname: opt,
      networkUserId: opt,
    })
    .map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as unknown as CollectorPayload);
}

// ---------------------------------------------------------------------------------------------------------

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const str = (s: string) => Buffer.from(s, 'utf8').toString('hex');

describe('CollectorPayload TBinaryProtocol encoding: golden bytes derived from the IDL', () => {
  it('writes a typical pixel payload field by field in ascending id order, schema last, STOP at the end', () => {
    const p: CollectorPayload = {
      schema: COLLECTOR_PAYLOAD_SCHEMA,
      ipAddress: '1.2.3.4',
      timestamp: 1_700_000_000_000,
      encoding: 'UTF-8',
      collector: 'c',
      path: '/i',
      querystring: '',
      headers: ['A: b', 'text/plain'],
      networkUserId: 'n',
    };
    // type:u8 id:i16 | string = len:i32 + bytes | i64 = 8 bytes BE | list = elemType:u8 size:i32 elems
    const expected = hex(`
      0b 0064 00000007 ${str('1.2.3.4')}
      0a 00c8 0000018bcfe56800
      0b 00d2 00000005 ${str('UTF-8')}
      0b 00dc 00000001 ${str('c')}
      0b 0140 00000002 ${str('/i')}
      0b 014a 00000000
      0f 015e 0b 00000002 00000004 ${str('A: b')} 0000000a ${str('text/plain')}
      0b 019a 00000001 ${str('n')}
      0b 7a69 00000041 ${str('iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0')}
      00`);
    const actual = encodeCollectorPayload(p);
    expect(actual.toString('hex')).toBe(expected.toString('hex'));
    expect(collectorPayloadSize(p)).toBe(expected.length);
    expect(decodeCollectorPayload(expected)).toEqual(p);
  });

  it('counts UTF-8 bytes (not UTF-16 units) in string lengths, keeps an empty body, and skips unset fields', () => {
    const p: CollectorPayload = { timestamp: 1, body: 'é€😀', userAgent: '', contentType: 'application/json' };
    const expected = hex(`
      0a 00c8 0000000000000001
      0b 012c 00000000
      0b 0154 00000009 c3a9 e282ac f09f9880
      0b 0168 00000010 ${str('application/json')}
      00`);
    expect(encodeCollectorPayload(p).toString('hex')).toBe(expected.toString('hex'));
    expect(decodeCollectorPayload(expected)).toEqual(p);
  });

  it('writes the timestamp even when it is 0 (Java primitives are always written) and an empty list', () => {
    expect(encodeCollectorPayload({ timestamp: 0, headers: [] }).toString('hex')).toBe('0a00c80000000000000000' + '0f015e0b00000000' + '00');
  });

  it('renders toString in declaration order like the Java class: default fields as null, optional only when set', () => {
    const p: CollectorPayload = { schema: 's', timestamp: 5, path: '/i', headers: ['A: b', 'c'], networkUserId: 'n' };
    expect(collectorPayloadToString(p)).toBe('CollectorPayload(schema:s, ipAddress:null, timestamp:5, encoding:null, collector:null, path:/i, headers:[A: b, c], networkUserId:n)');
  });
});

describe('CollectorPayload decoder robustness', () => {
  it('skips unknown fields of every type, including nested structs, maps and sets', () => {
    const p: CollectorPayload = { timestamp: 42, path: '/x', headers: ['h'] };
    const bytes = libraryWrite(p, undefined, (proto) => {
      proto.writeFieldBegin('u1', T.STRUCT, 7);
      proto.writeFieldBegin('inner', T.MAP, 1);
      proto.writeMapBegin(T.STRING, T.I32, 1);
      proto.writeString('k');
      proto.writeI32(3);
      proto.writeMapEnd();
      proto.writeFieldEnd();
      proto.writeFieldStop();
      proto.writeFieldEnd();
      proto.writeFieldBegin('u2', T.SET, 8);
      proto.writeSetBegin(T.DOUBLE, 2);
      proto.writeDouble(1.5);
      proto.writeDouble(2.5);
      proto.writeSetEnd();
      proto.writeFieldEnd();
      proto.writeFieldBegin('u3', T.BOOL, 9);
      proto.writeBool(true);
      proto.writeFieldEnd();
    });
    expect(decodeCollectorPayload(bytes)).toEqual(p);
  });

  it('skips a known id carrying an unexpected type, as generated readers do', () => {
    const bytes = hex('08 0140 0000002a 0b 014a 00000001 61 00'); // path as i32, then querystring "a"
    expect(decodeCollectorPayload(bytes)).toEqual({ timestamp: 0, querystring: 'a' });
  });

  it('rejects truncated input, negative lengths, impossible list sizes and trailing bytes with a ThriftDecodeError', () => {
    const good = encodeCollectorPayload({ timestamp: 1, path: '/i', headers: ['a'] });
    for (let cut = 0; cut < good.length; cut++) expect(() => decodeCollectorPayload(good.subarray(0, cut))).toThrow(ThriftDecodeError);
    expect(() => decodeCollectorPayload(hex('0b 0140 ffffffff 00'))).toThrow(/negative string length/);
    expect(() => decodeCollectorPayload(hex('0f 015e 0b 7fffffff 00'))).toThrow(ThriftDecodeError);
    expect(() => decodeCollectorPayload(Buffer.concat([good, hex('00')]))).toThrow(/trailing/);
    expect(() => decodeCollectorPayload(hex('11 0001 00'))).toThrow(/unknown field type/);
  });

  it('property: any byte string either decodes or fails with ThriftDecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeCollectorPayload(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ThriftDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('CollectorPayload codec against the thrift package (properties)', () => {
  it('property: the hand-written encoder is byte-identical to the library TBinaryProtocol writer, and the size function is exact', () => {
    fc.assert(
      fc.property(payloadArb(anyString), (p) => {
        const ours = encodeCollectorPayload(p);
        expect(ours.equals(libraryWrite(p))).toBe(true);
        expect(collectorPayloadSize(p)).toBe(ours.length);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a body given as its UTF-8 bytes (rawBody) encodes byte-identical to the library writing its string, and the size function is exact', () => {
    fc.assert(
      fc.property(payloadArb(anyString), roundTripString, (p, body) => {
        const bytes = Buffer.from(body, 'utf8');
        // as the collector hands it over: a view into a larger buffer
        const whole = Buffer.concat([Buffer.from('xx'), bytes, Buffer.from('y')]);
        const view = new Uint8Array(whole.buffer, whole.byteOffset + 2, bytes.length);
        const withoutBody = { ...p };
        delete withoutBody.body;
        const ours = encodeCollectorPayload(withoutBody, view);
        expect(ours.equals(libraryWrite({ ...p, body }))).toBe(true);
        expect(collectorPayloadSize(withoutBody, view)).toBe(ours.length);
      }),
      { numRuns: 500 },
    );
  });

  it("property: the library's TBinaryProtocol reader reads back exactly what we encoded (round trip)", () => {
    fc.assert(
      fc.property(payloadArb(roundTripString), (p) => {
        expect(libraryRead(encodeCollectorPayload(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it('property: our decoder reads library output written in any field order', () => {
    const ids = Object.keys(FIELD_IDS) as (keyof CollectorPayload)[];
    fc.assert(
      fc.property(payloadArb(roundTripString), fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }), (p, order) => {
        expect(decodeCollectorPayload(libraryWrite(p, order))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it('covers every string field of the IDL', () => {
    expect([...STRING_FIELDS, 'timestamp', 'headers'].sort()).toEqual(Object.keys(FIELD_IDS).sort());
  });
});
