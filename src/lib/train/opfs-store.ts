// A CheckpointStore in the browser's origin-private file system (OPFS), one folder per run key. A checkpoint is
// complete only once its manifest is written (last), naming every file and its size, so a tab closed mid-save
// leaves the previous checkpoint readable rather than a half-written one. A save that fails (browser storage full)
// removes what it wrote and throws a CheckpointWriteError saying how many bytes it needed and how many were free; the
// previous checkpoint stays as it was. Works in pages and workers.
//
// Each run is owned by one tab at a time through a Web Lock named after its key (runLockName): the training worker
// holds it while it trains, so a second tab neither writes into the run nor resumes it (RunLockedError).

import type { Files } from "./adapter.ts";
import type { CheckpointStore } from "./session.ts";

const MANIFEST = "checkpoint.json";
/** The folder (under the OPFS root) that holds one folder per run key. */
export const RUNS_DIR = "fim-studio-runs";

interface Manifest {
  generation: number;
  files: Record<string, number>;
  savedAt: number;
}

/** A checkpoint that could not be written; the previous one is intact. */
export class CheckpointWriteError extends Error {
  override name = "CheckpointWriteError";
  constructor(
    /** Bytes the checkpoint needed. */
    readonly bytes: number,
    /** Bytes the browser said were free for this site (quota - usage), when it said so and that was too few. */
    readonly free: number | undefined,
    /** The browser's storage for this site is full (or too full for this checkpoint). */
    readonly storageFull: boolean,
    readonly reason: string,
  ) {
    super(storageFull
      ? `browser storage is full: the checkpoint needs ${bytes} bytes${free === undefined ? "" : ` and ${Math.max(0, free)} are free`}`
      : `the checkpoint could not be written: ${reason}`);
  }
}

/** A run owned by another tab (its Web Lock is held elsewhere). */
export class RunLockedError extends Error {
  override name = "RunLockedError";
  constructor(readonly key: string) {
    super("This run is being trained in another tab of this browser: this tab will not write into it or resume it. Close that tab (or let its run finish) to resume it here.");
  }
}

/** The Web Lock that the tab owning run `key` holds. */
export const runLockName = (key: string): string => `fim-studio-run:${key}`;

const locks = (): LockManager | undefined => (typeof navigator !== "undefined" ? navigator.locks : undefined);

/**
 * Runs `fn` holding run `key`'s lock. Waits up to `waitMs` for it (a reloaded tab's old worker can take a moment to
 * let go), then throws RunLockedError; waitMs 0: only when free right now. Without Web Locks, `fn` runs unguarded.
 */
export async function withRunLock<R>(key: string, fn: () => Promise<R>, waitMs = 3000): Promise<R> {
  const lm = locks();
  if (!lm) return fn();
  if (waitMs <= 0) {
    return lm.request(runLockName(key), { ifAvailable: true }, (lock) => {
      if (!lock) throw new RunLockedError(key);
      return fn();
    }) as Promise<R>;
  }
  let granted = false;
  try {
    return (await lm.request(runLockName(key), { signal: AbortSignal.timeout(waitMs) }, () => {
      granted = true;
      return fn();
    })) as R;
  } catch (e) {
    if (!granted) throw new RunLockedError(key);
    throw e;
  }
}

/** The run keys whose lock some tab (this one included) holds now. */
export async function lockedRunKeys(): Promise<Set<string>> {
  const lm = locks();
  if (!lm) return new Set();
  const prefix = runLockName("");
  const { held = [] } = await lm.query();
  return new Set(held.map((l) => l.name ?? "").filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
}

type Dir = FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };

export class OpfsStore implements CheckpointStore {
  constructor(
    readonly key: string,
    private readonly root: () => Promise<FileSystemDirectoryHandle> = () => navigator.storage.getDirectory(),
  ) {}

  /** The run keys that have a folder. */
  static async keys(root: () => Promise<FileSystemDirectoryHandle> = () => navigator.storage.getDirectory()): Promise<string[]> {
    const runs = (await (await root()).getDirectoryHandle(RUNS_DIR, { create: true })) as Dir;
    const keys: string[] = [];
    for await (const k of runs.keys()) keys.push(k);
    return keys;
  }

  private async dir(create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    const runs = await (await this.root()).getDirectoryHandle(RUNS_DIR, { create: true });
    try {
      return await runs.getDirectoryHandle(this.key, { create });
    } catch {
      return undefined;
    }
  }

  private async manifest(dir: FileSystemDirectoryHandle): Promise<Manifest | undefined> {
    try {
      return JSON.parse(await (await (await dir.getFileHandle(MANIFEST)).getFile()).text()) as Manifest;
    } catch {
      return undefined; // no complete checkpoint
    }
  }

  async load(): Promise<Files | undefined> {
    const dir = await this.dir(false);
    const m = dir && (await this.manifest(dir));
    if (!dir || !m) return undefined;
    const files: Files = new Map();
    try {
      for (const [name, size] of Object.entries(m.files)) {
        const f = await (await dir.getFileHandle(`${name}.g${m.generation}`)).getFile();
        if (f.size !== size) return undefined;
        files.set(name, new Uint8Array(await f.arrayBuffer()));
      }
    } catch {
      return undefined; // a file of the manifest is missing
    }
    return files;
  }

  async save(files: Files): Promise<void> {
    const manifestBytes = (generation: number, sizes: Record<string, number>) =>
      new TextEncoder().encode(JSON.stringify({ generation, files: sizes, savedAt: Date.now() } satisfies Manifest));
    let bytes = 0;
    for (const b of files.values()) bytes += b.byteLength;
    let dir: FileSystemDirectoryHandle;
    let generation = 1;
    try {
      dir = (await this.dir(true))!;
      generation = ((await this.manifest(dir))?.generation ?? 0) + 1;
    } catch (e) {
      throw await writeError(e, bytes);
    }
    // a new generation's files first (the current manifest's files stay untouched), then the manifest (written to a
    // swap file that replaces it whole on close), then the old generation goes; a failure removes the new files
    const sizes: Record<string, number> = {};
    const written: string[] = [];
    try {
      for (const [name, data] of files) {
        const file = `${name}.g${generation}`;
        written.push(file);
        await writeFile(dir, file, data);
        sizes[name] = data.byteLength;
      }
      await writeFile(dir, MANIFEST, manifestBytes(generation, sizes));
    } catch (e) {
      for (const file of written) await dir.removeEntry(file).catch(() => {});
      throw await writeError(e, bytes + manifestBytes(generation, sizes).byteLength);
    }
    const keep = new Set([MANIFEST, ...Object.keys(sizes).map((n) => `${n}.g${generation}`)]);
    for await (const name of (dir as Dir).keys()) {
      if (!keep.has(name)) await dir.removeEntry(name).catch(() => {});
    }
  }

  async clear(): Promise<void> {
    const runs = await (await this.root()).getDirectoryHandle(RUNS_DIR, { create: true });
    await runs.removeEntry(this.key, { recursive: true }).catch(() => {});
  }
}

/** Writes `data` as `name` in `dir`: whole, or (aborted) not at all. */
async function writeFile(dir: FileSystemDirectoryHandle, name: string, data: Uint8Array): Promise<void> {
  const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
  try {
    await w.write(data as unknown as ArrayBuffer);
    await w.close();
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
}

async function writeError(e: unknown, bytes: number): Promise<CheckpointWriteError> {
  let free: number | undefined;
  try {
    const { quota, usage } = await navigator.storage.estimate();
    if (quota !== undefined && usage !== undefined) free = Math.max(0, quota - usage);
  } catch {
    // no estimate
  }
  const short = free !== undefined && free < bytes;
  const full = (e as Error)?.name === "QuotaExceededError" || short;
  // the estimate can miss a lowered quota (it says there is room although the write was refused): then it is left out
  return new CheckpointWriteError(bytes, short ? free : undefined, full, (e as Error)?.message ?? String(e));
}
