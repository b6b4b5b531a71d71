/**
 * One shard's records, stored column-wise off the JS heap: sequence counters and arrival times in typed arrays,
 * data (the base64 text the producer sent) and partition keys in append-only Buffer chunks. Nothing per record
 * lives on the V8 heap, so keeping millions of records costs the garbage collector nothing; a read turns a range
 * back into GetRecords' wire objects.
 */
const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 8 * 1024 * 1024;

export class RecordLog {
  /** Absolute index (since the shard was created) of the oldest kept record. */
  base = 0;
  /** Slot of the oldest kept record in the columns. */
  private head = 0;
  /** Slots used. */
  private used = 0;
  private counters = new Float64Array(16);
  private arrivals = new Float64Array(16);
  private chunkOf = new Uint32Array(16);
  private offsets = new Uint32Array(16);
  private dataLens = new Uint32Array(16);
  private keyLens = new Uint32Array(16);
  private chunks: Array<Buffer | undefined> = [];
  private current: Buffer | undefined;
  private currentOff = 0;
  private nextChunkSize = MIN_CHUNK;
  /** Bytes of data + keys held (for stats and tests). */
  bytes = 0;

  get length(): number {
    return this.used - this.head;
  }

  /** Absolute index one past the newest record. */
  get end(): number {
    return this.base + this.used - this.head;
  }

  /**
   * Append one record. `data` is base64 text (one byte per character); characters above U+00FF, which base64
   * never contains, would not survive the round trip.
   */
  push(counter: number, arrival: number, data: string, key: string): void {
    if (this.used === this.counters.length) this.grow();
    const need = data.length + key.length * 3;
    let buf = this.current;
    if (buf === undefined || this.currentOff + need > buf.length) buf = this.newChunk(need);
    const off = this.currentOff;
    const dl = buf.write(data, off, 'latin1');
    const kl = key.length === 0 ? 0 : buf.write(key, off + dl, 'utf8');
    this.currentOff = off + dl + kl;
    const i = this.used++;
    this.counters[i] = counter;
    this.arrivals[i] = arrival;
    this.chunkOf[i] = this.chunks.length - 1;
    this.offsets[i] = off;
    this.dataLens[i] = dl;
    this.keyLens[i] = kl;
    this.bytes += dl + kl;
  }

  counterAt(abs: number): number {
    return this.counters[this.head + abs - this.base]!;
  }

  arrivalAt(abs: number): number {
    return this.arrivals[this.head + abs - this.base]!;
  }

  /** Decoded size in bytes of the record's data (what AWS's GetRecords size limits count). */
  dataBytesAt(abs: number): number {
    return (this.dataLens[this.head + abs - this.base]! * 3) >>> 2;
  }

  dataAt(abs: number): string {
    const i = this.head + abs - this.base;
    const off = this.offsets[i]!;
    return this.chunks[this.chunkOf[i]!]!.toString('latin1', off, off + this.dataLens[i]!);
  }

  keyAt(abs: number): string {
    const i = this.head + abs - this.base;
    const off = this.offsets[i]! + this.dataLens[i]!;
    return this.chunks[this.chunkOf[i]!]!.toString('utf8', off, off + this.keyLens[i]!);
  }

  /** First absolute index whose counter is >= `counter` (or > when not inclusive). */
  lowerBoundCounter(counter: number, inclusive: boolean): number {
    const c = this.counters;
    let lo = this.head;
    let hi = this.used;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (inclusive ? c[mid]! < counter : c[mid]! <= counter) lo = mid + 1;
      else hi = mid;
    }
    return this.base + lo - this.head;
  }

  /** First absolute index whose arrival time (epoch seconds) is >= ts. */
  lowerBoundTime(ts: number): number {
    const a = this.arrivals;
    let lo = this.head;
    let hi = this.used;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < ts) lo = mid + 1;
      else hi = mid;
    }
    return this.base + lo - this.head;
  }

  /** Drop every record that arrived before `ts` (retention), freeing chunks nothing points into any more. */
  trimBefore(ts: number): void {
    if (this.length === 0 || this.arrivals[this.head]! >= ts) return;
    const cut = this.lowerBoundTime(ts) - this.base + this.head;
    for (let i = this.head; i < cut; i++) this.bytes -= this.dataLens[i]! + this.keyLens[i]!;
    this.base += cut - this.head;
    this.head = cut;
    const firstChunk = this.head < this.used ? this.chunkOf[this.head]! : this.chunks.length - 1;
    for (let j = 0; j < firstChunk; j++) this.chunks[j] = undefined;
    if (this.head > this.counters.length >>> 1) this.compactColumns();
  }

  private newChunk(need: number): Buffer {
    const size = Math.max(need, this.nextChunkSize);
    this.nextChunkSize = Math.min(MAX_CHUNK, this.nextChunkSize * 2);
    const buf = Buffer.allocUnsafeSlow(size);
    this.chunks.push(buf);
    this.current = buf;
    this.currentOff = 0;
    return buf;
  }

  private grow(): void {
    const cap = this.counters.length * 2;
    const g = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.counters = g(this.counters, (n) => new Float64Array(n));
    this.arrivals = g(this.arrivals, (n) => new Float64Array(n));
    this.chunkOf = g(this.chunkOf, (n) => new Uint32Array(n));
    this.offsets = g(this.offsets, (n) => new Uint32Array(n));
    this.dataLens = g(this.dataLens, (n) => new Uint32Array(n));
    this.keyLens = g(this.keyLens, (n) => new Uint32Array(n));
  }

  private compactColumns(): void {
    const h = this.head;
    for (const a of [this.counters, this.arrivals, this.chunkOf, this.offsets, this.dataLens, this.keyLens]) a.copyWithin(0, h, this.used);
    this.used -= h;
    this.head = 0;
  }
}
