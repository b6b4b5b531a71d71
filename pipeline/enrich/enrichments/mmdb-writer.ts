/**
 * A tiny MaxMind DB (MMDB 2.0) writer for tests and benchmarks: an IPv4 binary search tree with 32-bit
 * records, a data section and the metadata map, as the MaxMind DB format spec describes. Enough for
 * `maxmind`/mmdb-lib to read City/ISP/ASN-shaped records; not a general-purpose writer (no pointers,
 * no IPv6, no deduplication of records).
 */

type Value = string | number | boolean | Value[] | { [k: string]: Value } | { double: number } | { uint64: bigint };

function uintBytes(n: number | bigint): Buffer {
  let v = BigInt(n);
  const bytes: number[] = [];
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Buffer.from(bytes);
}

/** Control byte(s): type (1–15) and payload size. */
function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 29 + 256) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    const s = size - 285;
    extra.push(s >> 8, s & 0xff);
  } else {
    sizeBits = 31;
    const s = size - 65821;
    extra.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...extra]);
}

export function encodeValue(v: Value): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(2, b.length), b]);
  }
  if (typeof v === 'boolean') return control(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return encodeValue({ double: v });
    if (v < 0) throw new Error('negative integers are not supported');
    const b = uintBytes(v);
    return v <= 0xffff ? Buffer.concat([control(5, b.length), b]) : Buffer.concat([control(6, b.length), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encodeValue)]);
  if ('double' in v && typeof v.double === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v.double);
    return Buffer.concat([control(3, 8), b]);
  }
  if ('uint64' in v && typeof v.uint64 === 'bigint') {
    const b = uintBytes(v.uint64);
    return Buffer.concat([control(9, b.length), b]);
  }
  const entries = Object.entries(v as Record<string, Value>);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encodeValue(k), encodeValue(x)])]);
}

function ipv4Bits(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

interface Node {
  children: [Node | number | null, Node | number | null];
}

/** Build an IPv4 MMDB: `networks` maps CIDRs (`1.2.3.0/24`) to records. Later, more specific CIDRs must not be shadowed by earlier broader ones: insert broad first. */
export function writeMmdb(networks: Array<[string, Record<string, Value>]>, databaseType = 'GeoLite2-City'): Buffer {
  const root: Node = { children: [null, null] };
  const records: Buffer[] = [];
  for (const [cidr, record] of networks) {
    const [ip, lenText] = cidr.split('/');
    const len = Number(lenText ?? 32);
    const bits = ipv4Bits(ip!);
    const dataIndex = records.length;
    records.push(encodeValue(record));
    let node = root;
    for (let i = 0; i < len; i++) {
      const bit = (bits >>> (31 - i)) & 1;
      if (i === len - 1) {
        node.children[bit] = -(dataIndex + 1); // data marker, resolved below
        break;
      }
      let next = node.children[bit];
      if (next === null || typeof next === 'number') {
        const inherited = next;
        next = { children: [inherited, inherited] };
        node.children[bit] = next;
      }
      node = next;
    }
  }
  // Number the nodes breadth-first.
  const nodes: Node[] = [];
  const ids = new Map<Node, number>();
  const queue: Node[] = [root];
  while (queue.length) {
    const n = queue.shift()!;
    ids.set(n, nodes.length);
    nodes.push(n);
    for (const c of n.children) if (c !== null && typeof c === 'object') queue.push(c);
  }
  const nodeCount = nodes.length;
  const offsets: number[] = [];
  let off = 0;
  for (const r of records) {
    offsets.push(off);
    off += r.length;
  }
  const tree = Buffer.alloc(nodeCount * 8);
  nodes.forEach((n, i) => {
    n.children.forEach((c, side) => {
      let value: number;
      if (c === null) value = nodeCount; // empty
      else if (typeof c === 'number') value = nodeCount + 16 + offsets[-c - 1]!;
      else value = ids.get(c)!;
      tree.writeUInt32BE(value, i * 8 + side * 4);
    });
  });
  const metadata = encodeValue({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: { uint64: 1_700_000_000n },
    database_type: databaseType,
    description: { en: 'Furrow test database' },
    ip_version: 4,
    languages: ['en'],
    node_count: nodeCount,
    record_size: 32,
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...records, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), metadata]);
}
