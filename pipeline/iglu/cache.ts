/**
 * A bounded LRU map with insertion timestamps. TTL decisions are the resolver's (a stale success is
 * still worth keeping through an outage), so entries are never dropped for age here, only for size.
 */
export interface Timestamped<V> {
  value: V;
  /** Epoch ms when the value was stored (or last confirmed). */
  storedAt: number;
}

export class LruCache<K, V> {
  private readonly map = new Map<K, Timestamped<V>>();

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): Timestamped<V> | undefined {
    const hit = this.map.get(key);
    if (hit === undefined) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order). Recency only matters once
    // eviction is near, so a roomy cache skips the reordering on its hot path.
    if (this.map.size >= this.capacity * 0.9) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: K, value: V, storedAt: number): void {
    const prev = this.map.get(key);
    if (prev !== undefined) this.map.delete(key);
    this.map.set(key, { value, storedAt });
    if (prev !== undefined && prev.value !== value) this.onEvict?.(key, prev.value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      const evicted = this.map.get(oldest.value)!;
      this.map.delete(oldest.value);
      this.onEvict?.(oldest.value, evicted.value);
    }
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
