// lru.ts — a small least-recently-used cache on a Map (whose iteration order is insertion order: a read
// re-inserts the entry, so the first key is always the least recently used). Pure; no timers, no DOM.

export class LruCache<K, V> {
  readonly #map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`LruCache: capacity must be a positive integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value for `key`, marked as most recently used; undefined when absent. */
  get(key: K): V | undefined {
    if (!this.#map.has(key)) return undefined;
    const value = this.#map.get(key) as V;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** Whether `key` is cached; does not change the order. */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Stores `value` as most recently used, evicting the least recently used entries past the capacity. */
  set(key: K, value: V): this {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
    return this;
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  /** Keys from least to most recently used. */
  keys(): K[] {
    return [...this.#map.keys()];
  }
}
