import { compareScalars, scalarOf, type Item, type ScalarKeyType } from './attribute-values';

export interface KeyAttribute {
  name: string;
  type: ScalarKeyType;
}

export interface KeySchema {
  hash: KeyAttribute;
  range?: KeyAttribute;
}

/** One stored item, with its range key payload pulled out for ordering. */
export interface StoredItem {
  readonly range: string | undefined;
  readonly item: Item;
  readonly size: number;
}

/** All items sharing one hash key, sorted by range key (one item for hash-only tables). */
interface Partition {
  readonly hash: string;
  readonly items: StoredItem[];
}

/** Where a paginated read resumes: strictly after this key. */
export interface KeyPosition {
  hash: string;
  range: string | undefined;
}

/** Range key condition of a Query, on the range key's scalar payloads. */
export type RangeCondition =
  | { op: '=' | '<' | '<=' | '>' | '>='; value: string }
  | { op: 'between'; low: string; high: string }
  | { op: 'begins_with'; prefix: string };

/** First index whose key is >= value (strict: > value). */
function bound<T>(list: readonly T[], keyOf: (x: T) => string, compare: (a: string, b: string) => number, value: string, strict: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(keyOf(list[mid]!), value);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function startsWith(type: ScalarKeyType, value: string, prefix: string): boolean {
  if (type === 'B') {
    const v = Buffer.from(value, 'base64');
    const p = Buffer.from(prefix, 'base64');
    return v.length >= p.length && v.subarray(0, p.length).equals(p);
  }
  return value.startsWith(prefix);
}

/**
 * The items of one table, ordered by (hash key, range key): a map from hash key to a partition plus the
 * partitions in hash-key order. Query is a map lookup and two binary searches (O(log n + k)); Scan walks
 * partitions in key order, so an ExclusiveStartKey resumes exactly where the last page stopped even if that
 * item was deleted in between.
 */
export class ItemStore {
  private readonly partitions = new Map<string, Partition>();
  private readonly ordered: Partition[] = [];
  private items = 0;
  private bytes = 0;
  private readonly compareHash: (a: string, b: string) => number;
  private readonly compareRange: (a: string, b: string) => number;

  constructor(readonly schema: KeySchema) {
    const hashType = schema.hash.type;
    const rangeType = schema.range?.type ?? 'S';
    this.compareHash = (a, b) => compareScalars(hashType, a, b);
    this.compareRange = (a, b) => compareScalars(rangeType, a, b);
  }

  get itemCount(): number {
    return this.items;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The key payloads of an item or key map whose key attributes are already validated. */
  positionOf(keyOrItem: Item): KeyPosition {
    const hash = scalarOf(keyOrItem[this.schema.hash.name]!);
    const range = this.schema.range ? scalarOf(keyOrItem[this.schema.range.name]!) : undefined;
    return { hash, range };
  }

  /** The key attributes of a stored item (LastEvaluatedKey, journal deletes). */
  keyOf(item: Item): Item {
    const key: Item = { [this.schema.hash.name]: item[this.schema.hash.name]! };
    if (this.schema.range) key[this.schema.range.name] = item[this.schema.range.name]!;
    return key;
  }

  private indexIn(p: Partition, range: string | undefined): number {
    if (range === undefined) return p.items.length ? 0 : -1;
    const i = bound(p.items, (s) => s.range!, this.compareRange, range, false);
    return i < p.items.length && this.compareRange(p.items[i]!.range!, range) === 0 ? i : -1;
  }

  get(pos: KeyPosition): StoredItem | undefined {
    const p = this.partitions.get(pos.hash);
    if (!p) return undefined;
    const i = this.indexIn(p, pos.range);
    return i < 0 ? undefined : p.items[i];
  }

  /** Inserts or replaces; returns the previous item. */
  put(item: Item, size: number): StoredItem | undefined {
    const pos = this.positionOf(item);
    const stored: StoredItem = { range: pos.range, item, size };
    let p = this.partitions.get(pos.hash);
    if (!p) {
      p = { hash: pos.hash, items: [] };
      this.partitions.set(pos.hash, p);
      this.ordered.splice(bound(this.ordered, (x) => x.hash, this.compareHash, pos.hash, false), 0, p);
    }
    let previous: StoredItem | undefined;
    if (pos.range === undefined) {
      previous = p.items[0];
      p.items[0] = stored;
    } else {
      const i = bound(p.items, (s) => s.range!, this.compareRange, pos.range, false);
      if (i < p.items.length && this.compareRange(p.items[i]!.range!, pos.range) === 0) {
        previous = p.items[i];
        p.items[i] = stored;
      } else p.items.splice(i, 0, stored);
    }
    if (previous) this.bytes -= previous.size;
    else this.items++;
    this.bytes += size;
    return previous;
  }

  delete(pos: KeyPosition): StoredItem | undefined {
    const p = this.partitions.get(pos.hash);
    if (!p) return undefined;
    const i = this.indexIn(p, pos.range);
    if (i < 0) return undefined;
    const [removed] = p.items.splice(i, 1);
    this.items--;
    this.bytes -= removed!.size;
    if (p.items.length === 0) {
      this.partitions.delete(pos.hash);
      const at = bound(this.ordered, (x) => x.hash, this.compareHash, pos.hash, false);
      this.ordered.splice(at, 1);
    }
    return removed;
  }

  /** Items of one hash key matching the range condition, in range order (or reversed), after `start`. */
  *query(hash: string, condition: RangeCondition | undefined, forward: boolean, start?: KeyPosition): Generator<StoredItem> {
    const p = this.partitions.get(hash);
    if (!p) return;
    const list = p.items;
    const rangeType = this.schema.range?.type ?? 'S';
    const lower = (v: string) => bound(list, (s) => s.range!, this.compareRange, v, false);
    const upper = (v: string) => bound(list, (s) => s.range!, this.compareRange, v, true);
    let from = 0;
    let to = list.length;
    if (condition && this.schema.range) {
      switch (condition.op) {
        case '=':
          [from, to] = [lower(condition.value), upper(condition.value)];
          break;
        case '<':
          to = lower(condition.value);
          break;
        case '<=':
          to = upper(condition.value);
          break;
        case '>':
          from = upper(condition.value);
          break;
        case '>=':
          from = lower(condition.value);
          break;
        case 'between':
          [from, to] = [lower(condition.low), upper(condition.high)];
          break;
        case 'begins_with':
          // Keys sharing a prefix are contiguous in byte order.
          from = lower(condition.prefix);
          to = from;
          while (to < list.length && startsWith(rangeType, list[to]!.range!, condition.prefix)) to++;
          break;
      }
    }
    if (start && this.schema.range && start.range !== undefined) {
      if (forward) from = Math.max(from, upper(start.range));
      else to = Math.min(to, lower(start.range));
    } else if (start) return; // hash-only table: the one item was already returned
    if (forward) for (let i = from; i < to; i++) yield list[i]!;
    else for (let i = to - 1; i >= from; i--) yield list[i]!;
  }

  /** Every item in key order, strictly after `start` when given. */
  *scan(start?: KeyPosition): Generator<StoredItem> {
    let first = 0;
    let skipWithin: string | undefined;
    let resumeHash: string | undefined;
    if (start) {
      first = bound(this.ordered, (x) => x.hash, this.compareHash, start.hash, false);
      const p = this.ordered[first];
      if (p && p.hash === start.hash) {
        if (this.schema.range && start.range !== undefined) {
          resumeHash = p.hash;
          skipWithin = start.range;
        } else first++;
      }
    }
    for (let i = first; i < this.ordered.length; i++) {
      const p = this.ordered[i]!;
      let j = 0;
      if (p.hash === resumeHash && skipWithin !== undefined) j = bound(p.items, (s) => s.range!, this.compareRange, skipWithin, true);
      // Copy-free iteration: writes between pages are fine, writes during one request cannot happen.
      for (; j < p.items.length; j++) yield p.items[j]!;
    }
  }

  *all(): Generator<StoredItem> {
    yield* this.scan();
  }
}
