// chunk-cache.ts — a downloaded file kept as fixed-size chunks, each its own Cache API entry ("<url>?chunk=<i>"), so
// an interrupted download goes on from the first chunk not yet kept instead of from byte 0. Here: the range
// planning (pure), the store of chunks (the Cache API, or memory where there is none) and a splitter that cuts one
// response body into chunk-sized streams without copying. Not here: HTTP and its errors (hub-files.ts).

/** Bytes per chunk: at most this much is downloaded again after an interruption. */
export const DEFAULT_CHUNK_BYTES = 32 << 20;

/** Bytes [begin, end) of a file. */
export interface Chunk {
  index: number;
  begin: number;
  end: number;
}

/** The chunks of a file of `size` bytes (none when it is empty). */
export function planChunks(size: number, chunkBytes: number): Chunk[] {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) throw new RangeError(`chunkBytes must be a positive integer, not ${chunkBytes}`);
  const out: Chunk[] = [];
  for (let begin = 0; begin < size; begin += chunkBytes) out.push({ index: out.length, begin, end: Math.min(size, begin + chunkBytes) });
  return out;
}

/** Runs of consecutive chunks not kept, in order, as [first, last] indices: one Range request each. */
export function missingRuns(kept: readonly boolean[]): [number, number][] {
  const runs: [number, number][] = [];
  kept.forEach((k, i) => {
    if (k) return;
    const run = runs.at(-1);
    if (run && run[1] === i - 1) run[1] = i;
    else runs.push([i, i]);
  });
  return runs;
}

/** The Range header asking for chunks first..last: `bytes=a-b`, both ends included. */
export const rangeHeader = (first: Chunk, last: Chunk) => `bytes=${first.begin}-${last.end - 1}`;

/** A kept chunk's Content-Range: the chunk and the file size, so a chunk of another size or layout is not taken. */
const contentRange = (c: Chunk, size: number) => `bytes ${c.begin}-${c.end - 1}/${size}`;
const VERSION_HEADER = "x-fim-version";
export const chunkKey = (url: string, index: number) => `${url}?chunk=${index}`;

/** The chunks of one file version. */
export interface ChunkStore {
  /** The kept chunk, when it is whole and of this size and version. */
  get(c: Chunk): Promise<Blob | undefined>;
  /** Keeps the chunk's bytes (a stream that errors when cut short keeps nothing) and gives them back as a Blob. */
  put(c: Chunk, bytes: ReadableStream<Uint8Array> | Blob): Promise<Blob>;
}

/**
 * The chunks of `url` (`size` bytes, `version` a commit or undefined) in `cache`, each checked against its
 * Content-Range and version header when read; without a cache, in `memory` (kept for the page's life only).
 */
export function chunkStore(cache: Cache | undefined, url: string, size: number, version: string | undefined, memory: Map<string, Blob>): ChunkStore {
  if (!cache) {
    return {
      get: async (c) => memory.get(chunkKey(url, c.index)),
      put: async (c, bytes) => {
        const blob = bytes instanceof Blob ? bytes : await new Response(bytes).blob();
        memory.set(chunkKey(url, c.index), blob);
        return blob;
      },
    };
  }
  return {
    async get(c) {
      const r = await cache.match(chunkKey(url, c.index)).catch(() => undefined);
      if (!r || r.headers.get("content-range") !== contentRange(c, size)) return undefined;
      if (version !== undefined && r.headers.get(VERSION_HEADER) !== version) return undefined;
      const blob = await r.blob().catch(() => undefined);
      return blob?.size === c.end - c.begin ? blob : undefined;
    },
    async put(c, bytes) {
      const key = chunkKey(url, c.index);
      const headers: Record<string, string> = { "content-type": "application/octet-stream", "content-range": contentRange(c, size) };
      if (version !== undefined) headers[VERSION_HEADER] = version;
      try {
        await cache.put(key, new Response(bytes, { headers }));
      } catch (e) {
        await cache.delete(key).catch(() => false);
        throw e;
      }
      const kept = await cache.match(key);
      if (!kept) throw new Error("the browser's cache dropped a chunk right after keeping it (is storage full?)");
      return kept.blob();
    },
  };
}

/** The file size recorded with chunk 0 of `url` (of `version`), for a listing without sizes. */
export async function recordedSize(cache: Cache | undefined, url: string, version: string | undefined): Promise<number | undefined> {
  const r = await cache?.match(chunkKey(url, 0)).catch(() => undefined);
  if (!r || (version !== undefined && r.headers.get(VERSION_HEADER) !== version)) return undefined;
  const m = /\/(\d+)$/.exec(r.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : undefined;
}

/**
 * Cuts a byte stream into consecutive pieces of given lengths: take(n) is a stream of exactly the next n bytes (it
 * errors when the source ends first), skip(n) drops them. Pieces are views of the source's buffers, not copies.
 * `received` counts the bytes handed out by take(); `broken` is the source's own error, when it had one.
 */
export class ByteSplitter {
  received = 0;
  broken: unknown;
  short = false;
  private rest: Uint8Array | undefined;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly onBytes: (n: number) => void = () => {},
  ) {}

  private async next(): Promise<Uint8Array | undefined> {
    const rest = this.rest;
    this.rest = undefined;
    if (rest) return rest;
    try {
      const { done, value } = await this.reader.read();
      return done ? undefined : value;
    } catch (e) {
      this.broken = e;
      throw e;
    }
  }

  /** The next piece of at most `max` bytes; the remainder is kept for the next call. */
  private async piece(max: number): Promise<Uint8Array> {
    const p = await this.next();
    if (!p) {
      this.short = true;
      throw new Error("the body ended early");
    }
    if (p.byteLength > max) this.rest = p.subarray(max);
    return p.byteLength > max ? p.subarray(0, max) : p;
  }

  take(n: number): ReadableStream<Uint8Array> {
    let left = n;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (left > 0) {
          const p = await this.piece(left);
          left -= p.byteLength;
          this.received += p.byteLength;
          controller.enqueue(p);
          this.onBytes(p.byteLength);
        }
        if (left === 0) controller.close();
      },
    });
  }

  async skip(n: number): Promise<void> {
    for (let left = n; left > 0; ) left -= (await this.piece(left)).byteLength;
  }

  /** Whether the source has no bytes left (reads one piece ahead when it has). */
  async atEnd(): Promise<boolean> {
    for (;;) {
      const p = await this.next();
      if (!p) return true;
      if (p.byteLength > 0) return ((this.rest = p), false);
    }
  }

  cancel(): void {
    void this.reader.cancel().catch(() => {});
  }
}
