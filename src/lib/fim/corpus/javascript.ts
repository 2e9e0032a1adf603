// Built-in synthetic corpus, JavaScript part: original code written for this project (MIT licence).
// Covers debounce/throttle, retry with backoff, an LRU cache, async/await patterns,
// fetch with retry, and design patterns (event emitter, observer/pub-sub, builder).

import type { CorpusFile } from "./index.ts";

export const JAVASCRIPT_FILES: readonly CorpusFile[] = [
  {
    path: "javascript/debounce_throttle.js",
    text: String.raw`/**
 * Rate-limiting helpers for event handlers.
 *
 * debounce: run once the calls have stopped for wait ms.
 * throttle: run at most once every wait ms.
 */

/**
 * @template {(...args: any[]) => void} F
 * @param {F} fn
 * @param {number} wait milliseconds of silence before fn runs
 * @param {{ leading?: boolean, trailing?: boolean }} [options]
 */
export function debounce(fn, wait, { leading = false, trailing = true } = {}) {
  let timer = null;
  let lastArgs = null;
  let lastThis = null;

  function debounced(...args) {
    lastArgs = args;
    lastThis = this;
    const callNow = leading && timer === null;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      // Skip the trailing call if the leading edge already consumed these args.
      if (trailing && lastArgs) fn.apply(lastThis, lastArgs);
      lastArgs = lastThis = null;
    }, wait);
    if (callNow) {
      fn.apply(lastThis, lastArgs);
      lastArgs = lastThis = null;
    }
  }

  debounced.cancel = () => {
    clearTimeout(timer);
    timer = lastArgs = lastThis = null;
  };

  debounced.flush = () => {
    if (timer !== null && lastArgs) {
      const args = lastArgs;
      const ctx = lastThis;
      debounced.cancel();
      fn.apply(ctx, args);
    }
  };

  return debounced;
}

/**
 * Invoke fn immediately, then at most once per wait ms; the last call
 * made during a quiet period is delivered when the period ends.
 * @param {(...args: any[]) => void} fn
 * @param {number} wait
 */
export function throttle(fn, wait) {
  let lastRun = 0;
  let timer = null;
  let pendingArgs = null;

  return function throttled(...args) {
    const now = Date.now();
    const remaining = wait - (now - lastRun);
    if (remaining <= 0) {
      clearTimeout(timer);
      timer = null;
      lastRun = now;
      fn.apply(this, args);
    } else {
      pendingArgs = args;
      if (timer === null) {
        timer = setTimeout(() => {
          lastRun = Date.now();
          timer = null;
          fn.apply(this, pendingArgs);
          pendingArgs = null;
        }, remaining);
      }
    }
  };
}

// Example: log at most every 100 ms while 'scroll' events keep firing.
const log = throttle((y) => console.log('scrolled to', y), 100);
const save = debounce((text) => console.log('saving', JSON.stringify(text)), 200);
for (let i = 0; i < 5; i += 1) {
  log(i * 10);
  save('draft ' + i);
}
`,
  },
  {
    path: "javascript/retry_backoff.js",
    text: String.raw`/**
 * Retry an async operation with exponential backoff and jitter.
 *
 * "Full jitter" picks a random delay in [0, base * 2^attempt], which spreads
 * out clients that failed at the same moment and avoids thundering herds.
 */

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const id = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(id);
      reject(signal.reason);
    }, { once: true });
  });

/**
 * @param {number} attempt zero-based attempt number that just failed
 * @param {{ baseMs?: number, maxMs?: number, jitter?: 'full' | 'equal' | 'none' }} opts
 * @returns {number} delay in milliseconds
 */
export function backoffDelay(attempt, { baseMs = 100, maxMs = 10_000, jitter = 'full' } = {}) {
  const exp = Math.min(maxMs, baseMs * 2 ** attempt);
  switch (jitter) {
    case 'none':
      return exp;
    case 'equal':
      // Half fixed, half random: never retries immediately.
      return exp / 2 + Math.random() * (exp / 2);
    default:
      return Math.random() * exp;
  }
}

/**
 * @template T
 * @param {(attempt: number) => Promise<T>} operation
 * @param {object} [options]
 * @param {number} [options.retries=5] extra attempts after the first one
 * @param {(error: unknown) => boolean} [options.shouldRetry]
 * @param {(error: unknown, attempt: number, delay: number) => void} [options.onRetry]
 * @param {AbortSignal} [options.signal]
 * @returns {Promise<T>}
 */
export async function retry(operation, options = {}) {
  const {
    retries = 5,
    shouldRetry = () => true,
    onRetry = () => {},
    signal,
    ...backoff
  } = options;

  for (let attempt = 0; ; attempt += 1) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= retries || !shouldRetry(error)) throw error;
      const delay = backoffDelay(attempt, backoff);
      onRetry(error, attempt, delay);
      await sleep(delay, signal);
    }
  }
}

export class RetryableError extends Error {
  constructor(message, { cause } = {}) {
    super(message, { cause });
    this.name = 'RetryableError';
  }
}

// Demo: an operation that fails twice before succeeding.
let calls = 0;
const flaky = async () => {
  calls += 1;
  if (calls < 3) throw new RetryableError('temporary failure #' + calls);
  return 'ok after ' + calls + ' calls';
};

const result = await retry(flaky, {
  retries: 4,
  baseMs: 20,
  shouldRetry: (err) => err instanceof RetryableError,
  onRetry: (err, attempt, delay) =>
    console.log('attempt', attempt, 'failed:', err.message, '- waiting', Math.round(delay), 'ms'),
});
console.log(result);
`,
  },
  {
    path: "javascript/lru_cache.js",
    text: String.raw`/**
 * LRU cache backed by a Map.
 *
 * A Map iterates in insertion order, so deleting and re-inserting a key moves
 * it to the "most recent" end and the first key is always the eviction victim.
 */
export class LRUCache {
  #map = new Map();
  #hits = 0;
  #misses = 0;

  /**
   * @param {number} capacity maximum number of entries (> 0)
   * @param {{ onEvict?: (key: unknown, value: unknown) => void }} [options]
   */
  constructor(capacity, { onEvict } = {}) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError('capacity must be a positive integer');
    }
    this.capacity = capacity;
    this.onEvict = onEvict;
  }

  get size() {
    return this.#map.size;
  }

  get stats() {
    return { hits: this.#hits, misses: this.#misses, size: this.size };
  }

  has(key) {
    return this.#map.has(key);
  }

  get(key) {
    if (!this.#map.has(key)) {
      this.#misses += 1;
      return undefined;
    }
    const value = this.#map.get(key);
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#hits += 1;
    return value;
  }

  /** Look at a value without changing its recency. */
  peek(key) {
    return this.#map.get(key);
  }

  set(key, value) {
    if (this.#map.has(key)) this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.capacity) {
      const [oldestKey, oldestValue] = this.#map.entries().next().value;
      this.#map.delete(oldestKey);
      this.onEvict?.(oldestKey, oldestValue);
    }
    return this;
  }

  delete(key) {
    return this.#map.delete(key);
  }

  clear() {
    this.#map.clear();
  }

  /** Entries from least to most recently used. */
  *[Symbol.iterator]() {
    yield* this.#map;
  }
}

// Test-like usage with plain assertions.
function assertEqual(actual, expected, label) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(label + ': expected ' + e + ' but got ' + a);
  console.log('ok -', label);
}

const evicted = [];
const cache = new LRUCache(3, { onEvict: (key) => evicted.push(key) });
cache.set('a', 1).set('b', 2).set('c', 3);
assertEqual(cache.get('a'), 1, 'get returns stored value');
cache.set('d', 4);
assertEqual(evicted, ['b'], 'least recently used key is evicted');
assertEqual([...cache].map(([k]) => k), ['c', 'a', 'd'], 'iteration order is LRU -> MRU');
assertEqual(cache.peek('c'), 3, 'peek reads without promoting');
cache.set('e', 5);
assertEqual(cache.has('c'), false, 'peeked key is still the oldest');
assertEqual(cache.get('zzz'), undefined, 'missing key returns undefined');
assertEqual(cache.stats, { hits: 1, misses: 1, size: 3 }, 'hit and miss counters');
`,
  },
  {
    path: "javascript/async_patterns.js",
    text: String.raw`/**
 * Everyday async/await patterns: parallel work with Promise.all and
 * Promise.allSettled, a worker pool with a concurrency limit, timeouts with
 * AbortController, and sequential processing with for await.
 */

const delay = (ms, value, signal) =>
  new Promise((resolve, reject) => {
    const id = setTimeout(() => resolve(value), ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(id);
      reject(signal.reason);
    }, { once: true });
  });

/**
 * Map over items with at most limit promises in flight; results keep the
 * input order. Rejects as soon as any task rejects.
 * @template T, R
 * @param {Iterable<T>} items
 * @param {number} limit
 * @param {(item: T, index: number) => Promise<R>} worker
 * @returns {Promise<R[]>}
 */
export async function mapWithConcurrency(items, limit, worker) {
  const list = Array.from(items);
  const results = new Array(list.length);
  let next = 0;

  async function runner() {
    // Each runner pulls the next index until the list is exhausted. JS is
    // single-threaded, so "next++" cannot be claimed twice.
    while (next < list.length) {
      const index = next++;
      results[index] = await worker(list[index], index);
    }
  }

  const runners = Array.from({ length: Math.min(limit, list.length) }, runner);
  await Promise.all(runners);
  return results;
}

/**
 * Run fn with an AbortSignal that fires after ms milliseconds.
 * @template T
 * @param {(signal: AbortSignal) => Promise<T>} fn
 * @param {number} ms
 */
export async function withTimeout(fn, ms) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error('timed out after ' + ms + ' ms')),
    ms,
  );
  try {
    return await fn(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Yield values from an async source one at a time. */
async function* countdown(from, stepMs) {
  for (let i = from; i > 0; i -= 1) {
    yield await delay(stepMs, i);
  }
}

async function main() {
  // 1. Independent requests in parallel: total time is the slowest one.
  const [user, orders] = await Promise.all([
    delay(30, { id: 1, name: 'Ada' }),
    delay(50, [{ id: 10, total: 42 }]),
  ]);
  console.log('parallel:', user.name, orders.length, 'order(s)');

  // 2. allSettled keeps going when some promises fail.
  const settled = await Promise.allSettled([
    delay(10, 'fine'),
    Promise.reject(new Error('broken')),
  ]);
  console.log('settled:', settled.map((s) => s.status).join(', '));

  // 3. A pool of 3 workers over 10 jobs.
  let active = 0;
  let peak = 0;
  const jobs = Array.from({ length: 10 }, (_, i) => i);
  const squares = await mapWithConcurrency(jobs, 3, async (n) => {
    active += 1;
    peak = Math.max(peak, active);
    await delay(5 + (n % 3) * 5);
    active -= 1;
    return n * n;
  });
  console.log('pool:', squares.join(' '), '(peak concurrency ' + peak + ')');

  // 4. Timeouts: the slow task is aborted, the fast one completes.
  console.log('fast:', await withTimeout((signal) => delay(10, 'done', signal), 100));
  try {
    await withTimeout((signal) => delay(500, 'never', signal), 20);
  } catch (error) {
    console.log('slow:', error.message);
  }

  // 5. Sequential consumption of an async generator.
  for await (const n of countdown(3, 5)) console.log('countdown', n);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`,
  },
  {
    path: "javascript/fetch_retry.js",
    text: String.raw`/**
 * fetch() wrapper that retries network errors and retryable HTTP statuses,
 * honours the Retry-After header and enforces a per-attempt timeout.
 */

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export class HttpError extends Error {
  constructor(response, body) {
    super('HTTP ' + response.status + ' ' + response.statusText + ' for ' + response.url);
    this.name = 'HttpError';
    this.status = response.status;
    this.body = body;
  }
}

/**
 * Parse Retry-After, which is either a number of seconds or an HTTP date.
 * @param {string | null} value
 * @returns {number | null} milliseconds to wait, or null when absent/invalid
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {string | URL} url
 * @param {RequestInit & { retries?: number, timeoutMs?: number, baseDelayMs?: number,
 *   maxDelayMs?: number }} [init]
 * @returns {Promise<Response>} a response with a 2xx status
 */
export async function fetchWithRetry(url, init = {}) {
  const {
    retries = 3,
    timeoutMs = 10_000,
    baseDelayMs = 250,
    maxDelayMs = 30_000,
    ...requestInit
  } = init;
  // Only idempotent methods are safe to repeat automatically.
  const method = (requestInit.method ?? 'GET').toUpperCase();
  const canRetry = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method);

  for (let attempt = 0; ; attempt += 1) {
    const lastAttempt = !canRetry || attempt >= retries;
    let waitMs = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    try {
      const response = await fetch(url, {
        ...requestInit,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.ok) return response;
      const body = await response.text().catch(() => '');
      if (lastAttempt || !RETRYABLE_STATUS.has(response.status)) {
        throw new HttpError(response, body);
      }
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      if (retryAfter !== null) waitMs = Math.min(maxDelayMs, retryAfter);
    } catch (error) {
      // HttpErrors that reach here are final; TypeError means a network
      // failure and TimeoutError means our own timeout fired.
      const transient = error.name === 'TypeError' || error.name === 'TimeoutError';
      if (error instanceof HttpError || lastAttempt || !transient) throw error;
    }
    await sleep(waitMs);
  }
}

/** Convenience helper: fetch JSON and fail loudly on bad content types. */
export async function getJson(url, init) {
  const response = await fetchWithRetry(url, {
    ...init,
    headers: { Accept: 'application/json', ...init?.headers },
  });
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) {
    throw new TypeError('expected JSON but got ' + (type || 'no content type'));
  }
  return response.json();
}

// Usage:
//   const repo = await getJson('https://api.example.com/repos/42', { retries: 5 });
console.log(parseRetryAfter('120'), parseRetryAfter('not a date'));
`,
  },
  {
    path: "javascript/event_emitter.js",
    text: String.raw`/**
 * A small typed-by-convention event emitter, similar in spirit to Node's
 * EventEmitter but usable in browsers. Listeners run synchronously in the
 * order they were added.
 */
export class EventEmitter {
  /** @type {Map<string, Set<Function>>} */
  #listeners = new Map();

  /**
   * Register a listener and return a function that removes it again.
   * @param {string} event
   * @param {(...args: any[]) => void} listener
   * @returns {() => void}
   */
  on(event, listener) {
    if (typeof listener !== 'function') {
      throw new TypeError('listener must be a function');
    }
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Listen for a single occurrence only. */
  once(event, listener) {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off(event, listener) {
    const set = this.#listeners.get(event);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.#listeners.delete(event);
  }

  /**
   * Call every listener for event. Errors in one listener are collected so
   * the others still run; they are rethrown together afterwards.
   * @returns {boolean} whether any listener was called
   */
  emit(event, ...args) {
    const set = this.#listeners.get(event);
    if (!set) return false;
    const errors = [];
    // Copy first: listeners may add or remove listeners while we iterate.
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, 'listeners for ' + event + ' failed');
    }
    return true;
  }

  /** Resolve with the arguments of the next emission of event. */
  waitFor(event, { signal } = {}) {
    return new Promise((resolve, reject) => {
      const off = this.once(event, (...args) => resolve(args));
      signal?.addEventListener('abort', () => {
        off();
        reject(signal.reason);
      }, { once: true });
    });
  }

  listenerCount(event) {
    return this.#listeners.get(event)?.size ?? 0;
  }
}

// Example: a download reporting progress.
class Download extends EventEmitter {
  constructor(size) {
    super();
    this.size = size;
  }

  start(chunk = 256) {
    for (let done = chunk; done < this.size; done += chunk) {
      this.emit('progress', done / this.size);
    }
    this.emit('done', this.size);
  }
}

const download = new Download(1024);
const stop = download.on('progress', (ratio) => {
  console.log('progress', Math.round(ratio * 100) + '%');
});
download.once('done', (bytes) => console.log('finished', bytes, 'bytes'));
download.waitFor('done').then(([bytes]) => console.log('waitFor resolved with', bytes));
download.start();
stop();
console.log('listeners left for progress:', download.listenerCount('progress'));
`,
  },
  {
    path: "javascript/observer_pubsub.js",
    text: String.raw`/**
 * Two closely related patterns:
 *
 * - Observer: a subject keeps a list of observers and notifies them directly
 *   whenever its own state changes (here, an observable store).
 * - Publish/subscribe: publishers and subscribers only share a broker and a
 *   topic name; wildcard topics like "orders.*" match "orders.created".
 */

export class Observable {
  #value;
  #observers = new Set();

  constructor(initialValue) {
    this.#value = initialValue;
  }

  get value() {
    return this.#value;
  }

  /** Subscribe and immediately receive the current value. */
  subscribe(observer) {
    this.#observers.add(observer);
    observer(this.#value, undefined);
    return () => this.#observers.delete(observer);
  }

  set(next) {
    const prev = this.#value;
    if (Object.is(prev, next)) return; // no change, no notification
    this.#value = next;
    for (const observer of [...this.#observers]) observer(next, prev);
  }

  update(fn) {
    this.set(fn(this.#value));
  }

  /** Derive a read-only observable that follows this one. */
  map(fn) {
    const derived = new Observable(fn(this.#value));
    this.subscribe((value) => derived.set(fn(value)));
    return derived;
  }
}

export class PubSub {
  #subscriptions = new Map(); // pattern -> Set of handlers

  static #matches(pattern, topic) {
    if (pattern === topic || pattern === '#') return true;
    const p = pattern.split('.');
    const t = topic.split('.');
    // "*" matches exactly one segment, a trailing "#" matches the rest.
    for (let i = 0; i < p.length; i += 1) {
      if (p[i] === '#') return i === p.length - 1;
      if (i >= t.length || (p[i] !== '*' && p[i] !== t[i])) return false;
    }
    return p.length === t.length;
  }

  subscribe(pattern, handler) {
    if (!this.#subscriptions.has(pattern)) this.#subscriptions.set(pattern, new Set());
    this.#subscriptions.get(pattern).add(handler);
    return () => this.#subscriptions.get(pattern)?.delete(handler);
  }

  /**
   * Deliver asynchronously (on a microtask) so publishers never wait on or
   * get broken by slow subscribers.
   * @returns {number} how many handlers will receive the message
   */
  publish(topic, payload) {
    let delivered = 0;
    for (const [pattern, handlers] of this.#subscriptions) {
      if (!PubSub.#matches(pattern, topic)) continue;
      for (const handler of handlers) {
        delivered += 1;
        queueMicrotask(() => {
          try {
            handler(payload, topic);
          } catch (error) {
            console.error('subscriber failed for', topic, error);
          }
        });
      }
    }
    return delivered;
  }
}

// Observer demo
const cart = new Observable([]);
const total = cart.map((items) => items.reduce((sum, item) => sum + item.price, 0));
total.subscribe((value) => console.log('cart total is now', value.toFixed(2)));
cart.update((items) => [...items, { name: 'tea', price: 3.2 }]);
cart.update((items) => [...items, { name: 'mug', price: 7.5 }]);

// Pub/sub demo
const bus = new PubSub();
bus.subscribe('orders.*', (order, topic) => console.log(topic, '->', order.id));
bus.subscribe('#', (_, topic) => console.log('audit log:', topic));
console.log('handlers:', bus.publish('orders.created', { id: 'A-17' }));
bus.publish('users.deleted', { id: 3 });
`,
  },
  {
    path: "javascript/query_builder.js",
    text: String.raw`/**
 * Builder pattern: assemble a parameterised SQL SELECT step by step.
 * Each method returns "this" so calls chain, and build() validates the
 * result and returns { text, values } ready for a driver such as pg.
 */
export class SelectBuilder {
  #table = null;
  #columns = ['*'];
  #joins = [];
  #where = [];
  #values = [];
  #orderBy = [];
  #limit = null;
  #offset = null;

  static #identifier(name) {
    // Allow "table.column" but nothing that could smuggle in SQL.
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name)) {
      throw new Error('invalid identifier: ' + name);
    }
    return name;
  }

  from(table) {
    this.#table = SelectBuilder.#identifier(table);
    return this;
  }

  select(...columns) {
    this.#columns = columns.map((c) => SelectBuilder.#identifier(c));
    return this;
  }

  join(table, leftColumn, rightColumn, kind = 'INNER') {
    if (!['INNER', 'LEFT', 'RIGHT', 'FULL'].includes(kind)) {
      throw new Error('unsupported join kind: ' + kind);
    }
    const id = SelectBuilder.#identifier;
    this.#joins.push(
      kind + ' JOIN ' + id(table) + ' ON ' + id(leftColumn) + ' = ' + id(rightColumn),
    );
    return this;
  }

  /** where('age', '>=', 18) adds "age >= $1" and stores 18 as a parameter. */
  where(column, op, value) {
    const allowed = ['=', '<>', '<', '<=', '>', '>=', 'LIKE', 'IN'];
    if (!allowed.includes(op)) throw new Error('unsupported operator: ' + op);
    if (op === 'IN') {
      const list = value.map((v) => this.#param(v)).join(', ');
      this.#where.push(SelectBuilder.#identifier(column) + ' IN (' + list + ')');
    } else {
      this.#where.push(SelectBuilder.#identifier(column) + ' ' + op + ' ' + this.#param(value));
    }
    return this;
  }

  orderBy(column, direction = 'ASC') {
    const dir = direction.toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
    this.#orderBy.push(SelectBuilder.#identifier(column) + ' ' + dir);
    return this;
  }

  paginate(page, pageSize) {
    this.#limit = pageSize;
    this.#offset = (page - 1) * pageSize;
    return this;
  }

  #param(value) {
    this.#values.push(value);
    return '$' + this.#values.length;
  }

  build() {
    if (!this.#table) throw new Error('from() is required');
    const parts = ['SELECT ' + this.#columns.join(', '), 'FROM ' + this.#table, ...this.#joins];
    if (this.#where.length) parts.push('WHERE ' + this.#where.join(' AND '));
    if (this.#orderBy.length) parts.push('ORDER BY ' + this.#orderBy.join(', '));
    if (this.#limit !== null) parts.push('LIMIT ' + Number(this.#limit));
    if (this.#offset) parts.push('OFFSET ' + Number(this.#offset));
    return { text: parts.join('\n'), values: [...this.#values] };
  }
}

const query = new SelectBuilder()
  .from('orders')
  .select('orders.id', 'customers.name', 'orders.total')
  .join('customers', 'orders.customer_id', 'customers.id')
  .where('orders.status', 'IN', ['paid', 'shipped'])
  .where('orders.total', '>=', 100)
  .orderBy('orders.total', 'desc')
  .paginate(2, 20)
  .build();

console.log(query.text);
console.log(query.values);
`,
  },
];
