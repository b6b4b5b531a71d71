/**
 * One shard's records in two tiers. Sequence counters, arrival times and sizes of every record sit in typed
 * arrays (binary search, size limits). The newest records ("hot") are kept as the very objects GetRecords
 * returns, so a consumer near the tip gets a plain slice with no copying. Once the hot tier passes its byte
 * budget, its oldest records are demoted in bulk to the cold tier: data and partition key copied into
 * append-only Buffer chunks off the JS heap. A read of cold records builds their objects again. This keeps the
 * hot path as cheap as plain arrays while millions of records neither strain the garbage collector nor reach
 * V8's heap limit.
 */
const MIN_CHUNK = 64 * 1024;
/** Data that can go into a JSON answer without escaping. */
const BASE64_TEXT = /^[A-Za-z0-9+/=]*$/;
const MAX_CHUNK = 8 * 1024 * 1024;

/** One record in GetRecords' wire shape. `Data` is the base64 text the producer sent (GetRecords returns base64 anyway). */
export interface StoredRecord {
  SequenceNumber: string;
  /** Epoch seconds with millisecond fraction, as the JSON 1.1 protocol sends timestamps. */
  ApproximateArrivalTimestamp: number;
  Data: string;
  PartitionKey: string;
}

/** Hot bytes across every shard of the service, so many shards together stay under one bound. */
export interface HotBudget {
  /** Per-shard bound (bytes of base64 data + keys kept as objects). */
  perShard: number;
  /** Bound across all shards. */
  total: number;
  /** Bytes currently hot across all shards. */
  used: number;
}

export class RecordLog {
  /** Absolute index (since the shard was created) of the oldest kept record. */
  base = 0;
  /** Slot of the oldest kept record in the columns. */
  private head = 0;
  /** Slots [head, coldEnd) are cold (in chunks); [coldEnd, used) are hot (in `hot`). */
  private coldEnd = 0;
  private used = 0;
  private counters = new Float64Array(16);
  private arrivals = new Float64Array(16);
  private dataLens = new Uint32Array(16);
  private chunkOf = new Uint32Array(16);
  private offsets = new Uint32Array(16);
  private keyLens = new Uint32Array(16);
  /** 1 when a cold record's stored data needs no JSON escaping (base64 text), so it can be copied into answers as is. */
  private plain = new Uint8Array(16);
  private hot: StoredRecord[] = [];
  private hotBytes = 0;
  private chunks: Array<Buffer | undefined> = [];
  private current: Buffer | undefined;
  private currentOff = 0;
  private nextChunkSize = MIN_CHUNK;

  constructor(
    /** How many bytes of hot records (base64 text + keys) may be kept as objects before the oldest are demoted. */
    private readonly budget: HotBudget,
    /** Sequence number string for a counter (cold records are rebuilt with it). */
    private readonly seqOf: (counter: number) => string,
  ) {}

  get length(): number {
    return this.used - this.head;
  }

  /** Absolute index one past the newest record. */
  get end(): number {
    return this.base + this.used - this.head;
  }

  push(counter: number, rec: StoredRecord): void {
    this.slot(counter, rec.ApproximateArrivalTimestamp, rec.Data.length);
    this.hot.push(rec);
    const b = rec.Data.length + rec.PartitionKey.length;
    this.hotBytes += b;
    const budget = this.budget;
    budget.used += b;
    if (this.hotBytes > budget.perShard || budget.used > budget.total) this.demote(Math.min(budget.perShard, this.hotBytes) >>> 1);
  }

  /**
   * Store a record whose base64 data is `src[start, end)` (a PutRecords body read in place) straight into the
   * cold tier: the text never becomes a JS string. Older hot records are demoted first, to keep slot order.
   */
  pushBytes(counter: number, arrival: number, partitionKey: string, src: Buffer, start: number, end: number): void {
    if (this.hot.length > 0) this.demote(-1); // all of them, empty records included
    const i = this.slot(counter, arrival, end - start);
    // plain: the scanner took it from a JSON string with no escapes or control characters, in ASCII
    this.writeCold(i, (buf, off) => src.copy(buf, off, start, end), end - start, partitionKey, true);
    this.coldEnd = this.used;
  }

  /** A new slot's columns; returns its index. */
  private slot(counter: number, arrival: number, dataLen: number): number {
    if (this.used === this.counters.length) this.grow();
    const i = this.used++;
    this.counters[i] = counter;
    this.arrivals[i] = arrival;
    this.dataLens[i] = dataLen;
    return i;
  }

  /** Append slot `s`'s data (`dataLen` bytes, written by `writeData`) and key to the current chunk. */
  private writeCold(s: number, writeData: (buf: Buffer, off: number) => number, dataLen: number, key: string, plain: boolean): void {
    const need = dataLen + key.length * 3;
    let buf = this.current;
    if (buf === undefined || this.currentOff + need > buf.length) buf = this.newChunk(need);
    const off = this.currentOff;
    const dl = writeData(buf, off);
    const kl = key.length === 0 ? 0 : buf.write(key, off + dl, 'utf8');
    this.currentOff = off + dl + kl;
    this.chunkOf[s] = this.chunks.length - 1;
    this.offsets[s] = off;
    this.keyLens[s] = kl;
    this.plain[s] = plain ? 1 : 0;
  }

  counterAt(abs: number): number {
    return this.counters[this.head + abs - this.base]!;
  }

  arrivalAt(abs: number): number {
    return this.arrivals[this.head + abs - this.base]!;
  }

  /** Decoded size in bytes of the record's data (what AWS's GetRecords size limit counts). */
  dataBytesAt(abs: number): number {
    return (this.dataLens[this.head + abs - this.base]! * 3) >>> 2;
  }

  /** Records [from, to) (absolute indexes) in GetRecords' wire shape. */
  read(from: number, to: number): StoredRecord[] {
    const s0 = this.head + from - this.base;
    const s1 = this.head + to - this.base;
    const coldEnd = this.coldEnd;
    if (s0 >= coldEnd) return this.hot.slice(s0 - coldEnd, s1 - coldEnd);
    const out = new Array<StoredRecord>(s1 - s0);
    const coldStop = s1 < coldEnd ? s1 : coldEnd;
    for (let s = s0; s < coldStop; s++) {
      out[s - s0] = {
        SequenceNumber: this.seqOf(this.counters[s]!),
        ApproximateArrivalTimestamp: this.arrivals[s]!,
        Data: this.dataText(s),
        PartitionKey: this.keyText(s),
      };
    }
    for (let s = coldStop; s < s1; s++) out[s - s0] = this.hot[s - coldEnd]!;
    return out;
  }

  /**
   * `prefix` + the JSON text of records [from, to) in GetRecords' wire shape + `suffix`, as bytes. Cold records
   * are copied from their chunks without becoming strings: the same text `JSON.stringify(read(from, to))` gives,
   * for a fraction of the work.
   */
  recordsJson(from: number, to: number, prefix: string, suffix: string): Buffer {
    const s0 = this.head + from - this.base;
    const s1 = this.head + to - this.base;
    const n = s1 - s0;
    // Pass 1: the small parts around each record's data, and the total size.
    const heads = new Array<string>(n);
    const tails = new Array<string>(n);
    let size = Buffer.byteLength(prefix, 'utf8') + Buffer.byteLength(suffix, 'utf8') + 2 + Math.max(0, n - 1);
    for (let k = 0; k < n; k++) {
      const s = s0 + k;
      const hot = s >= this.coldEnd ? this.hot[s - this.coldEnd]! : undefined;
      const plain = hot === undefined && this.plain[s] === 1;
      heads[k] = `{"SequenceNumber":"${this.seqOf(this.counters[s]!)}","ApproximateArrivalTimestamp":${JSON.stringify(this.arrivals[s]!)},"Data":${plain ? '"' : ''}`;
      const key = hot !== undefined ? hot.PartitionKey : this.keyText(s);
      tails[k] = `${plain ? '"' : ''},"PartitionKey":${JSON.stringify(key)}}`;
      if (!plain) heads[k] += JSON.stringify(hot !== undefined ? hot.Data : this.dataText(s));
      size += Buffer.byteLength(heads[k]!, 'utf8') + (plain ? this.dataLens[s]! : 0) + Buffer.byteLength(tails[k]!, 'utf8');
    }
    // Pass 2: write.
    const out = Buffer.allocUnsafe(size);
    let o = out.write(prefix, 0, 'utf8');
    out[o++] = 0x5b; // [
    for (let k = 0; k < n; k++) {
      const s = s0 + k;
      if (k > 0) out[o++] = 0x2c; // ,
      o += out.write(heads[k]!, o, 'utf8');
      if (s < this.coldEnd && this.plain[s] === 1) {
        const off = this.offsets[s]!;
        o += this.chunks[this.chunkOf[s]!]!.copy(out, o, off, off + this.dataLens[s]!);
      }
      o += out.write(tails[k]!, o, 'utf8');
    }
    out[o++] = 0x5d; // ]
    out.write(suffix, o, 'utf8');
    return out;
  }

  /** A cold record's data as the text it was stored from. */
  private dataText(s: number): string {
    const off = this.offsets[s]!;
    return this.chunks[this.chunkOf[s]!]!.toString('latin1', off, off + this.dataLens[s]!);
  }

  /** A cold record's partition key. */
  private keyText(s: number): string {
    const dEnd = this.offsets[s]! + this.dataLens[s]!;
    return this.chunks[this.chunkOf[s]!]!.toString('utf8', dEnd, dEnd + this.keyLens[s]!);
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
    if (cut > this.coldEnd) {
      const drop = cut - this.coldEnd;
      let freed = 0;
      for (let k = 0; k < drop; k++) freed += this.hot[k]!.Data.length + this.hot[k]!.PartitionKey.length;
      this.hotBytes -= freed;
      this.budget.used -= freed;
      this.hot = this.hot.slice(drop);
      this.coldEnd = cut;
    }
    this.base += cut - this.head;
    this.head = cut;
    const firstChunk = this.head < this.coldEnd ? this.chunkOf[this.head]! : this.chunks.length;
    for (let j = 0; j < firstChunk; j++) this.chunks[j] = undefined;
    if (this.head > this.counters.length >>> 1) this.compactColumns();
  }

  /** Forget this log's records (its stream was deleted): give its hot bytes back to the budget. */
  release(): void {
    this.budget.used -= this.hotBytes;
    this.hotBytes = 0;
    this.hot = [];
  }

  /** Move the oldest hot records to the cold tier until the hot tier holds at most `target` bytes (-1: every record). */
  private demote(target: number): void {
    const hot = this.hot;
    let k = 0;
    while (k < hot.length && this.hotBytes > target) {
      const r = hot[k]!;
      this.writeCold(this.coldEnd + k, (buf, off) => buf.write(r.Data, off, 'latin1'), r.Data.length, r.PartitionKey, BASE64_TEXT.test(r.Data));
      this.hotBytes -= r.Data.length + r.PartitionKey.length;
      this.budget.used -= r.Data.length + r.PartitionKey.length;
      k++;
    }
    this.hot = hot.slice(k);
    this.coldEnd += k;
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
    const g = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.counters = g(this.counters, (n) => new Float64Array(n));
    this.arrivals = g(this.arrivals, (n) => new Float64Array(n));
    this.dataLens = g(this.dataLens, (n) => new Uint32Array(n));
    this.chunkOf = g(this.chunkOf, (n) => new Uint32Array(n));
    this.offsets = g(this.offsets, (n) => new Uint32Array(n));
    this.keyLens = g(this.keyLens, (n) => new Uint32Array(n));
    this.plain = g(this.plain, (n) => new Uint8Array(n));
  }

  private compactColumns(): void {
    const h = this.head;
    for (const a of [this.counters, this.arrivals, this.dataLens, this.chunkOf, this.offsets, this.keyLens, this.plain]) a.copyWithin(0, h, this.used);
    this.used -= h;
    this.coldEnd -= h;
    this.head = 0;
  }
}
