// stored.ts — the app's small preferences in localStorage (the Playground's device, the Train page's choices and
// measured speeds, the model picked): one JSON value under a key, read through a parser that keeps only what is valid.
// Storage may be missing (Node, tests), blocked or full, and a value may be garbled: reading then gives the parser's
// answer for null, and writing does nothing (the value lasts for this page only).

/** What is needed of a Storage (tests pass a Map-backed one). */
export type Store = Pick<Storage, "getItem" | "setItem">;

const local = (): Store | undefined => (typeof localStorage === "undefined" ? undefined : localStorage);

/** The value under `key` as `parse` makes it from the stored JSON (from null when nothing usable is stored). */
export function readStored<T>(key: string, parse: (raw: unknown) => T, store: Store | undefined = local()): T {
  let raw: unknown = null;
  try {
    raw = JSON.parse(store?.getItem(key) ?? "null");
  } catch {
    // storage blocked or garbled: as if nothing were stored
  }
  return parse(raw);
}

export function writeStored(key: string, value: unknown, store: Store | undefined = local()): void {
  try {
    store?.setItem(key, JSON.stringify(value));
  } catch {
    // storage blocked or full: the value lasts for this page only
  }
}
