// persist.ts — a small key-value store in the browser's IndexedDB, for what the user typed or made that must outlive
// a reload (the Data page's inputs and its last samples) until they clear it. A value is anything the structured
// clone takes: strings, numbers, plain objects and arrays, Blobs and Files (stored with their bytes). Checkpoints
// live elsewhere (OPFS, src/lib/train/opfs-store.ts).
// Where there is no IndexedDB (Node, a browser that refuses it) nothing is kept: loads give undefined.

const DB_NAME = "fim-studio";
const STORE = "kv";
const VERSION = 1;

let opened: Promise<IDBDatabase | null> | undefined;

/** The database, opened once; null where IndexedDB is missing or refuses to open. */
function database(): Promise<IDBDatabase | null> {
  opened ??= new Promise((resolve) => {
    if (typeof indexedDB === "undefined") return resolve(null);
    let req: IDBOpenDBRequest;
    try {
      req = indexedDB.open(DB_NAME, VERSION);
    } catch {
      return resolve(null);
    }
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null);
    req.onblocked = () => resolve(null);
  });
  return opened;
}

/** Runs one request in a transaction and resolves when the transaction has completed (so a write is on disk). */
async function run<T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await database();
  if (!db) return undefined;
  return new Promise<T | undefined>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = make(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error ?? new Error("browser storage failed"));
    tx.onabort = () => reject(tx.error ?? new Error("browser storage refused the write"));
  });
}

/** The value kept under `key`, or undefined. Never throws: a storage failure reads as nothing kept. */
export async function loadValue<T>(key: string): Promise<T | undefined> {
  try {
    return (await run("readonly", (s) => s.get(key))) as T | undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `value` under `key`. Throws when the browser refuses (storage full, a file gone from disk). */
export async function saveValue(key: string, value: unknown): Promise<void> {
  await run("readwrite", (s) => s.put(value, key));
}

/** Forgets the values under these keys. */
export async function deleteValues(...keys: string[]): Promise<void> {
  await run("readwrite", (s) => {
    for (const k of keys) s.delete(k);
  });
}
