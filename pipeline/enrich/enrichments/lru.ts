/** The cache the enrichments share (UA parser, IP lookups, IAB, API request, SQL query, currency conversion). */
/**
 * A bounded cache with LRU-like eviction in O(1): two generations of at most capacity/2 entries each; a hit
 * in the old generation moves to the current one, and when the current one is full it becomes the old one
 * (the previous old one is dropped whole). Evicting a Map's oldest key one at a time instead walks over
 * the deleted slots V8 keeps at its front, which made every miss of a full cache cost microseconds.
 */
export class Lru<V, K = string> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly half: number;
  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }
  get(k: K): V | undefined {
    const v = this.current.get(k);
    if (v !== undefined) return v;
    const old = this.previous.get(k);
    if (old !== undefined) {
      this.previous.delete(k);
      this.put(k, old);
    }
    return old;
  }
  set(k: K, v: V): void {
    if (this.current.has(k)) this.current.set(k, v);
    else {
      this.previous.delete(k);
      this.put(k, v);
    }
  }
  private put(k: K, v: V): void {
    if (this.current.size >= this.half) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(k, v);
  }
}
