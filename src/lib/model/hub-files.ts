// A Hugging Face Hub repo as CheckpointFiles (`hubFiles`): listed through the Hub API, each file downloaded once
// with progress and kept in the Cache API, so later loads, offline ones included, need no network; reads are lazy
// and only the files a checkpoint needs are ever fetched. Not here: logins for private or gated repos.

import type { CheckpointFiles } from "./files.ts";
import { defaultFetch, FOREIGN_WEIGHTS, ModelSourceError, neededFiles, why } from "./browser-files.ts";
import { SHARD_INDEX_FILE } from "./shards.ts";

export const HUB_ENDPOINT = "https://huggingface.co";
export const HUB_CACHE = "fim-studio-hub";

export interface HubProgress {
  file: string;
  /** Bytes so far (all of them when fromCache). */
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
  /** Called as each file downloads (per chunk), or once when it comes from the cache. */
  onProgress?: (p: HubProgress) => void;
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
 * read, streamed into the cache with progress, and only kept when complete. When the revision has moved to another
 * commit, the cached files of the old one are dropped.
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
        for (const name of old.sizes.keys()) await c.delete(fileUrl(name)); // files of the commit the revision was at
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

  const download = async (name: string): Promise<Blob> => {
    const { sizes } = await listing();
    if (!sizes.has(name)) throw fail(name, undefined, `${name} not found in ${repo} at ${rev}`);
    if (FOREIGN_WEIGHTS.test(name)) throw fail(name, undefined, `${name} of ${repo}: not downloaded, FIM Studio reads safetensors weights only`);
    const expected = sizes.get(name);
    const url = fileUrl(name);
    const c = await cache();
    const hit = await c?.match(url);
    if (hit) {
      const blob = await hit.blob();
      if (expected === undefined || blob.size === expected) {
        progress(name, blob.size, blob.size, true);
        return blob;
      }
      await c!.delete(url); // from another commit: download again
    }
    let r: Response;
    try {
      r = await fetchFn(url);
    } catch (e) {
      throw fail(name, undefined, `cannot reach ${endpoint} and ${name} of ${repo} is not in the cache (${why(e)})`);
    }
    if (r.status === 404) throw fail(name, 404, `${name} not found in ${repo} at ${rev} (HTTP 404)`);
    if (!r.ok) throw fail(name, r.status, `${name} of ${repo} at ${rev}: ${endpoint} answered HTTP ${r.status}: try again later`);
    const length = r.headers.get("content-length");
    const total = expected ?? (length !== null && !r.headers.get("content-encoding") ? Number(length) : undefined);

    // The body is counted on its way into the cache; a short or long one errors the stream, so the put fails.
    const reader = (r.body ?? new Response(new Uint8Array(0)).body!).getReader();
    let loaded = 0;
    let short: Error | undefined;
    let broken: unknown;
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          broken = e;
          throw e;
        }
        if (!chunk.done) loaded += chunk.value.byteLength;
        if ((chunk.done && total !== undefined && loaded !== total) || (total !== undefined && loaded > total)) {
          short = fail(name, r.status, `${name} of ${repo}: the download stopped at ${loaded} of ${total} bytes and was not kept: try again`);
          controller.error(short);
          void reader.cancel().catch(() => {});
        } else if (chunk.done) {
          controller.close();
        } else {
          progress(name, loaded, total, false);
          controller.enqueue(chunk.value);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const failed = (e: unknown) =>
      short ??
      (broken !== undefined
        ? fail(name, r.status, `${name} of ${repo}: the download broke off after ${loaded} bytes (${why(broken)}) and was not kept: try again`)
        : fail(name, undefined, `${name} of ${repo}: could not keep it in the browser's cache (${why(e)})`));
    progress(name, 0, total, false);
    const body = new Response(counted, { headers: { "content-type": r.headers.get("content-type") ?? "application/octet-stream" } });
    if (!c) return body.blob().catch((e: unknown) => Promise.reject(failed(e)));
    try {
      await c.put(url, body);
    } catch (e) {
      await c.delete(url).catch(() => false);
      throw failed(e);
    }
    const stored = await c.match(url);
    if (!stored) throw fail(name, undefined, `${name} of ${repo}: the browser's cache dropped it right after the download (is storage full?)`);
    return stored.blob();
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

/** Deletes the cached downloads of `repoId` (all revisions), or the whole cache. Returns how many entries went. */
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
