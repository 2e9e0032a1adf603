// A Hugging Face Hub repo as CheckpointFiles (`hubFiles`): listed through the Hub API, each file downloaded once
// with progress and kept in the Cache API in chunks, so an interrupted download goes on where it stopped and later
// loads, offline ones included, need no network; reads are lazy and only the files a checkpoint needs are ever
// fetched. Not here: the chunk store and range planning (chunk-cache.ts), logins for private or gated repos.

import type { CheckpointFiles } from "./files.ts";
import { defaultFetch, FOREIGN_WEIGHTS, ModelSourceError, neededFiles, why } from "./browser-files.ts";
import {
  ByteSplitter, chunkStore, DEFAULT_CHUNK_BYTES, missingRuns, planChunks, rangeHeader, recordedSize, type ChunkStore,
} from "./chunk-cache.ts";
import { SHARD_INDEX_FILE } from "./shards.ts";

export const HUB_ENDPOINT = "https://huggingface.co";
export const HUB_CACHE = "fim-studio-hub";

export interface HubProgress {
  file: string;
  /** Bytes in hand so far, chunks kept by an earlier try included (all of them when fromCache). */
  loaded: number;
  total: number | undefined;
  fromCache: boolean;
}

export interface HubOptions {
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Default https://huggingface.co; a mirror serving the same API works too. */
  endpoint?: string;
  /** The Cache API cache holding downloads; default "fim-studio-hub". */
  cacheName?: string;
  /** Called as each file downloads (per piece of the body), or once when it comes whole from the cache. */
  onProgress?: (p: HubProgress) => void;
  /** Bytes per cached chunk, the most an interruption costs (default 32 MiB; small in tests). */
  chunkBytes?: number;
  /** For tests, or to add headers. */
  fetch?: typeof fetch;
  /** Default globalThis.caches; null (or none, as in Node) keeps downloads in memory only. */
  caches?: CacheStorage | null;
}

/** The repo's top-level files and their sizes (sizes come with `?blobs=true`). */
interface Listing {
  sha: string | undefined;
  sizes: Map<string, number | undefined>;
}

const REPO_PART = /^\w(?:[\w.-]{0,94}\w)?$/; // as the Hub names them: no leading/trailing "-" or ".", at most 96

/** Throws unless `repoId` is `owner/name`. */
export function checkRepoId(repoId: string): void {
  const parts = repoId.split("/");
  if (parts.length !== 2 || !parts.every((p) => REPO_PART.test(p)) || repoId.includes("--") || repoId.includes("..")) {
    throw new ModelSourceError(repoId, undefined, undefined, `"${repoId}" is not a Hugging Face repo id: write owner/name, e.g. Qwen/Qwen2.5-Coder-0.5B`);
  }
}

function parseListing(json: unknown, repo: string, endpoint: string): Listing {
  const { siblings, sha } = (json ?? {}) as { siblings?: unknown; sha?: unknown };
  if (!Array.isArray(siblings)) {
    throw new ModelSourceError(repo, undefined, undefined, `${endpoint} sent a file list of ${repo} without "siblings": is it a Hugging Face Hub?`);
  }
  const sizes = new Map<string, number | undefined>();
  for (const s of siblings as { rfilename?: unknown; size?: unknown; lfs?: { size?: unknown } }[]) {
    if (typeof s?.rfilename !== "string" || s.rfilename.includes("/")) continue; // only the top level: not onnx/, original/
    const size = s.lfs?.size ?? s.size;
    sizes.set(s.rfilename, typeof size === "number" ? size : undefined);
  }
  return { sha: typeof sha === "string" ? sha : undefined, sizes };
}

/**
 * A Hub repo at a revision. list() fetches `/api/models/<repo>/revision/<rev>?blobs=true` (falling back to its cached
 * copy when offline or when the endpoint fails); a file is downloaded from `/<repo>/resolve/<rev>/<file>` when first
 * read, streamed into the cache with progress in chunks of `chunkBytes`, each kept only when whole; a later load
 * asks for the missing chunks alone (HTTP Range). When the revision has moved to another commit, the cached files
 * of the old one are dropped.
 */
export function hubFiles(repoId: string, opts: HubOptions = {}): CheckpointFiles {
  checkRepoId(repoId);
  const repo = repoId;
  const rev = opts.revision ?? "main";
  const endpoint = (opts.endpoint ?? HUB_ENDPOINT).replace(/\/+$/, "");
  const fetchFn = opts.fetch ?? defaultFetch;
  const store = opts.caches === undefined ? (typeof caches === "undefined" ? undefined : caches) : (opts.caches ?? undefined);
  const listingUrl = `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(rev)}?blobs=true`;
  const fileUrl = (name: string) => `${endpoint}/${repo}/resolve/${encodeURIComponent(rev)}/${encodeURIComponent(name)}`;
  const fail = (file: string | undefined, status: number | undefined, message: string) => new ModelSourceError(repo, file, status, message);
  const progress = (file: string, loaded: number, total: number | undefined, fromCache: boolean) => opts.onProgress?.({ file, loaded, total, fromCache });
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  planChunks(0, chunkBytes); // a bad chunkBytes throws here, not at the first read
  const memory = new Map<string, Blob>(); // the chunks, where there is no cache

  let cacheP: Promise<Cache | undefined> | undefined;
  const cache = () => (cacheP ??= store ? store.open(opts.cacheName ?? HUB_CACHE).catch(() => undefined) : Promise.resolve(undefined));

  const cachedListing = async (c: Cache | undefined): Promise<Listing | undefined> => {
    try {
      const r = await c?.match(listingUrl);
      return r ? parseListing(await r.json(), repo, endpoint) : undefined;
    } catch {
      return undefined; // unreadable: as if absent
    }
  };
  const loadListing = async (): Promise<Listing> => {
    const c = await cache();
    let r: Response;
    try {
      r = await fetchFn(listingUrl);
    } catch (e) {
      const old = await cachedListing(c);
      if (old) return old;
      throw fail(undefined, undefined, `cannot reach ${endpoint} and ${repo} is not in the cache (${why(e)})`);
    }
    if (!r.ok) {
      const old = await cachedListing(c);
      if (old) return old;
      if ([401, 403, 404].includes(r.status)) {
        const hint = "check the repo id and the revision; private and gated repos need a login, which FIM Studio does not do";
        throw fail(undefined, r.status, `${repo} at ${rev} not found on ${endpoint} (HTTP ${r.status}): ${hint}`);
      }
      throw fail(undefined, r.status, `${endpoint} answered HTTP ${r.status} for the file list of ${repo} and ${repo} is not in the cache: try again later`);
    }
    const text = await r.text();
    let listing: Listing;
    try {
      listing = parseListing(JSON.parse(text), repo, endpoint);
    } catch (e) {
      throw e instanceof ModelSourceError ? e : fail(undefined, r.status, `${endpoint} sent a file list of ${repo} that is not JSON (${why(e)})`);
    }
    if (c) {
      const old = await cachedListing(c);
      if (old?.sha && listing.sha && old.sha !== listing.sha) {
        // the chunks of the commit the revision was at (and whole files, as kept before chunks)
        for (const name of old.sizes.keys()) await c.delete(fileUrl(name), { ignoreSearch: true });
      }
      await c.put(listingUrl, new Response(text, { headers: { "content-type": "application/json" } })).catch(() => {});
    }
    return listing;
  };
  let known: Listing | undefined;
  let listingP: Promise<Listing> | undefined;
  const listing = () =>
    (listingP ??= loadListing().then(
      (l) => (known = l),
      (e: unknown) => {
        listingP = undefined;
        throw e;
      },
    ));

  /** A GET of `url` (of bytes `range` when given); a network failure says how much of the file is `inCache`. */
  const get = async (name: string, url: string, range: string | undefined, inCache: string): Promise<Response> => {
    let r: Response;
    try {
      r = await fetchFn(url, range ? { headers: { range } } : undefined);
    } catch (e) {
      throw fail(name, undefined, `cannot reach ${endpoint} and ${name} of ${repo} ${inCache} (${why(e)})`);
    }
    if (r.status === 404) throw fail(name, 404, `${name} not found in ${repo} at ${rev} (HTTP 404)`);
    if (!r.ok) throw fail(name, r.status, `${name} of ${repo} at ${rev}: ${endpoint} answered HTTP ${r.status}: try again later`);
    return r;
  };
  const readerOf = (r: Response) => (r.body ?? new Response(new Uint8Array(0)).body!).getReader();

  /**
   * The file (`size` bytes) from its kept chunks, fetching the missing ones first: one Range request per run of
   * missing chunks, each body cut into chunks as it arrives and each chunk kept once whole. A server that ignores
   * Range sends the whole file (200): its kept chunks are skipped, the others kept. `whole` is such a response
   * already in hand (a listing without sizes).
   */
  const fetchChunks = async (name: string, url: string, size: number, store: ChunkStore, whole?: Response): Promise<Blob> => {
    const chunks = planChunks(size, chunkBytes);
    const blobs = await Promise.all(chunks.map((ch) => store.get(ch)));
    const keptBytes = () => blobs.reduce((sum, b) => sum + (b?.size ?? 0), 0);
    const runs = missingRuns(blobs.map(Boolean));
    let loaded = keptBytes();
    if (runs.length === 0) {
      void whole?.body?.cancel().catch(() => {});
      progress(name, size, size, true);
      return new Blob(blobs as Blob[]);
    }
    progress(name, loaded, size, false);
    for (const [first, last] of runs) {
      const range = rangeHeader(chunks[first]!, chunks[last]!);
      const inCache = loaded > 0 ? `is only partly in the cache (${loaded} of ${size} bytes)` : "is not in the cache";
      const r = whole ?? (await get(name, url, range, inCache));
      const partial = r.status === 206;
      const sent = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(r.headers.get("content-range") ?? ""); // unreadable unless exposed by CORS
      if (partial && sent && (Number(sent[1]) !== chunks[first]!.begin || (sent[2] !== "*" && Number(sent[2]) !== size))) {
        void r.body?.cancel().catch(() => {});
        throw fail(name, 206, `${name} of ${repo}: asked for ${range} of ${size} bytes, ${endpoint} sent ${sent[0]}: the file changed, try again`);
      }
      const body = new ByteSplitter(readerOf(r), (n) => progress(name, (loaded += n), size, false));
      try {
        for (const ch of partial ? chunks.slice(first, last + 1) : chunks) {
          if (blobs[ch.index]) await body.skip(ch.end - ch.begin);
          else blobs[ch.index] = await store.put(ch, body.take(ch.end - ch.begin));
        }
        if (!partial && !(await body.atEnd())) {
          throw fail(name, r.status, `${name} of ${repo}: ${endpoint} sent more than the ${size} bytes listed: the file changed, try again`);
        }
      } catch (e) {
        body.cancel();
        const kept = keptBytes();
        const tail = kept > 0 ? `; ${kept} of ${size} bytes are kept and the next try goes on from there` : " and was not kept: try again";
        if (body.short) throw fail(name, r.status, `${name} of ${repo}: the download stopped at ${loaded} of ${size} bytes${tail}`);
        if (body.broken !== undefined) {
          throw fail(name, r.status, `${name} of ${repo}: the download broke off after ${loaded} of ${size} bytes (${why(body.broken)})${tail}`);
        }
        throw e instanceof ModelSourceError ? e : fail(name, undefined, `${name} of ${repo}: could not keep it in the browser's cache (${why(e)})`);
      }
      body.cancel(); // a 206 body ends with its last chunk
      if (!partial) break; // the whole file came
    }
    return new Blob(blobs as Blob[]);
  };

  /** A file the listing has no size for: a plain GET, sized by its Content-Length, else read whole and then kept. */
  const fetchUnsized = async (name: string, url: string, c: Cache | undefined, version: string | undefined): Promise<Blob> => {
    const r = await get(name, url, undefined, "is not in the cache");
    const length = r.headers.get("content-length");
    if (length !== null && !r.headers.get("content-encoding")) {
      const size = Number(length);
      return fetchChunks(name, url, size, chunkStore(c, url, size, version, memory), r);
    }
    const reader = readerOf(r);
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let loaded = 0;
    try {
      for (let p = await reader.read(); !p.done; p = await reader.read()) {
        parts.push(p.value as Uint8Array<ArrayBuffer>);
        progress(name, (loaded += p.value.byteLength), undefined, false);
      }
    } catch (e) {
      throw fail(name, r.status, `${name} of ${repo}: the download broke off after ${loaded} bytes (${why(e)}) and was not kept: try again`);
    }
    const blob = new Blob(parts);
    const store = chunkStore(c, url, blob.size, version, memory);
    try {
      return new Blob(await Promise.all(planChunks(blob.size, chunkBytes).map((ch) => store.put(ch, blob.slice(ch.begin, ch.end)))));
    } catch (e) {
      throw fail(name, undefined, `${name} of ${repo}: could not keep it in the browser's cache (${why(e)})`);
    }
  };

  const download = async (name: string): Promise<Blob> => {
    const { sizes, sha } = await listing();
    if (!sizes.has(name)) throw fail(name, undefined, `${name} not found in ${repo} at ${rev}`);
    if (FOREIGN_WEIGHTS.test(name)) throw fail(name, undefined, `${name} of ${repo}: not downloaded, FIM Studio reads safetensors weights only`);
    const url = fileUrl(name);
    const c = await cache();
    const size = sizes.get(name) ?? (await recordedSize(c, url, sha));
    if (size === undefined) return fetchUnsized(name, url, c, sha);
    return fetchChunks(name, url, size, chunkStore(c, url, size, sha, memory));
  };
  const blobs = new Map<string, Promise<Blob>>();
  const blobOf = (name: string): Promise<Blob> => {
    let p = blobs.get(name);
    if (!p) {
      blobs.set(name, (p = download(name)));
      p.catch(() => blobs.delete(name));
    }
    return p;
  };

  return {
    label: `${repo} at ${rev}`,
    list: async () => [...(await listing()).sizes.keys()].sort(),
    read: async (name) => new Uint8Array(await (await blobOf(name)).arrayBuffer()),
    readRange: async (name, begin, end) => new Uint8Array(await (await blobOf(name)).slice(begin, Math.max(begin, end)).arrayBuffer()),
    size: (name) => known?.sizes.get(name),
  };
}

/**
 * Bytes to download for a checkpoint (its JSON files and safetensors weights; files of unknown size count 0), to show
 * before loading. Fetches the file list and, for a sharded checkpoint, the shard index (both are cached).
 */
export async function hubDownloadSize(repoId: string, opts: HubOptions = {}): Promise<number> {
  const files = hubFiles(repoId, { ...opts, onProgress: undefined });
  const names = new Set(await files.list());
  const needed = await neededFiles((n) => names.has(n), () => files.read(SHARD_INDEX_FILE));
  return needed.reduce((sum, n) => sum + (files.size?.(n) ?? 0), 0);
}

/** Deletes the cached downloads of `repoId` (all revisions), or the whole cache. Returns how many entries (file lists, chunks) went. */
export async function clearHubCache(repoId?: string, opts: Pick<HubOptions, "cacheName" | "caches"> = {}): Promise<number> {
  const store = opts.caches === undefined ? (typeof caches === "undefined" ? undefined : caches) : (opts.caches ?? undefined);
  const name = opts.cacheName ?? HUB_CACHE;
  if (!store || !(await store.has(name))) return 0;
  const c = await store.open(name);
  const keys = await c.keys();
  if (repoId === undefined) {
    await store.delete(name);
    return keys.length;
  }
  checkRepoId(repoId);
  let n = 0;
  for (const k of keys) {
    const path = new URL(k.url).pathname;
    if (path.includes(`/api/models/${repoId}/revision/`) || path.includes(`/${repoId}/resolve/`)) n += Number(await c.delete(k));
  }
  return n;
}
