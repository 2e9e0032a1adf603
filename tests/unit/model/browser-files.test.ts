// The browser's checkpoint sources, in Node (fetch, Response, Blob and File are globals there): dropped File objects,
// a folder served over HTTP (a fake fetch, with and without Range support) and a Hub repo (a fake fetch + an
// in-memory CacheStorage): each loads the tiny checkpoint with the fixture's exact weights; downloads report
// progress, are cached in whole chunks, go on from the first missing chunk after an interruption, and serve later
// and offline loads; each refusal has its message.

import { describe, expect, it } from "vitest";
import { droppedFiles, ModelSourceError, urlFiles } from "../../../src/lib/model/browser-files.ts";
import { clearHubCache, hubDownloadSize, hubFiles, type HubOptions, type HubProgress } from "../../../src/lib/model/hub-files.ts";
import { type CheckpointFiles, loadCheckpoint } from "../../../src/lib/model/index.ts";
import { SHARD_FILES, tinyCheckpointFiles, type TinyCheckpointOptions, tinyWeights } from "../../fixtures/tiny-checkpoint.ts";

const bytesOf = (v: Uint8Array | string) => (typeof v === "string" ? new TextEncoder().encode(v) : v);
const keyOf = (req: RequestInfo | URL) => (req instanceof Request ? req.url : String(req));

/** The CacheStorage of a page, in memory. Like the real one, put() reads the whole body first and stores nothing if that fails. */
class MemoryCache {
  readonly entries = new Map<string, { body: Uint8Array; headers: Headers }>();
  async match(req: RequestInfo | URL) {
    const e = this.entries.get(keyOf(req));
    return e && new Response(e.body.slice(), { headers: e.headers });
  }
  async put(req: RequestInfo | URL, res: Response) {
    const body = new Uint8Array(await res.arrayBuffer());
    this.entries.set(keyOf(req), { body, headers: res.headers });
  }
  async delete(req: RequestInfo | URL, opts?: CacheQueryOptions) {
    if (!opts?.ignoreSearch) return this.entries.delete(keyOf(req));
    const bare = (url: string) => url.replace(/\?.*$/, "");
    const gone = [...this.entries.keys()].filter((k) => bare(k) === bare(keyOf(req)));
    for (const k of gone) this.entries.delete(k);
    return gone.length > 0;
  }
  async keys() {
    return [...this.entries.keys()].map((url) => new Request(url));
  }
}
class MemoryCacheStorage {
  readonly caches = new Map<string, MemoryCache>();
  async open(name: string) {
    if (!this.caches.has(name)) this.caches.set(name, new MemoryCache());
    return this.caches.get(name)!;
  }
  async has(name: string) {
    return this.caches.has(name);
  }
  async delete(name: string) {
    return this.caches.delete(name);
  }
  async keys() {
    return [...this.caches.keys()];
  }
}
const memoryCaches = () => new MemoryCacheStorage() as unknown as CacheStorage & MemoryCacheStorage;

interface FakeServer {
  fetch: typeof fetch;
  routes: Map<string, Uint8Array>;
  requests: { method: string; path: string; range: string | null }[];
  /** Every request throws, as fetch does when the network is down. */
  offline: boolean;
  /** Paths whose body stops halfway although Content-Length gives the whole size. */
  truncate: Set<string>;
  /** Path -> file offset where the connection drops mid-body (the bytes before it arrive, then the body errors). */
  cut: Map<string, number>;
}

/** A body of `bytes` that errors, as a dropped connection does, after its first `n` bytes were read. */
function brokenBody(bytes: Uint8Array, n: number): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (sent) return controller.error(new TypeError("connection reset"));
      controller.enqueue(bytes.slice(0, n));
      sent = true;
    },
  });
}

/** A fetch serving `routes` (path -> bytes), with HEAD and single byte ranges unless `range` is false. */
function fakeServer(routes: Map<string, Uint8Array>, opts: { range?: boolean; htmlFallback?: boolean } = {}): FakeServer {
  const server: FakeServer = {
    routes,
    requests: [],
    offline: false,
    truncate: new Set(),
    cut: new Map(),
    fetch: async (input, init) => {
      const url = new URL(keyOf(input as RequestInfo));
      const method = init?.method ?? "GET";
      const range = new Headers(init?.headers).get("range");
      server.requests.push({ method, path: url.pathname + url.search, range });
      if (server.offline) throw new TypeError("fetch failed");
      const body = routes.get(url.pathname);
      if (!body) {
        if (opts.htmlFallback) return new Response("<!doctype html><title>app</title>", { headers: { "content-type": "text/html" } });
        return new Response("Not Found", { status: 404, statusText: "Not Found" });
      }
      const headers = { "content-type": "application/octet-stream", "content-length": String(body.byteLength) };
      if (method === "HEAD") return new Response(null, { headers });
      if (server.truncate.has(url.pathname)) return new Response(body.slice(0, body.byteLength >> 1), { headers });
      const m = range && opts.range !== false ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
      const cut = server.cut.get(url.pathname);
      if (!m) return new Response(cut === undefined ? body.slice() : brokenBody(body, cut), { headers });
      const begin = Number(m[1]);
      const end = Math.min(Number(m[2]) + 1, body.byteLength);
      if (begin >= body.byteLength) return new Response(null, { status: 416 });
      const part = body.slice(begin, end);
      return new Response(cut === undefined ? part : brokenBody(part, Math.max(0, cut - begin)), {
        status: 206,
        headers: { "content-length": String(part.byteLength), "content-range": `bytes ${begin}-${end - 1}/${body.byteLength}` },
      });
    },
  };
  return server;
}

/** Loads `files` and checks every tensor against the fixture's, exactly. */
async function expectTiny(files: CheckpointFiles, opts: TinyCheckpointOptions = {}) {
  const ck = await loadCheckpoint(files);
  expect(ck.config.hidden_size).toBe(64);
  for (const t of tinyWeights(opts)) {
    const got = await ck.weights.get(t.name);
    expect(got.shape, t.name).toEqual(t.shape);
    if (!got.data.every((x, i) => x === t.data[i])) expect.fail(`${t.name} differs from the fixture`);
  }
  return ck;
}

describe("droppedFiles", () => {
  const asFiles = (files: Record<string, Uint8Array | string>, folder?: string) =>
    Object.entries(files).map(([name, v]) => {
      const f = new File([bytesOf(v).slice()], name);
      if (folder) Object.defineProperty(f, "webkitRelativePath", { value: `${folder}/${name}` });
      return f;
    });

  it("loads dropped files with the fixture's exact weights", async () => {
    const files = droppedFiles(asFiles(tinyCheckpointFiles({ dtype: "BF16" })));
    expect(files.label).toBe("dropped files");
    expect(files.size?.("config.json")).toBeGreaterThan(0);
    await expectTiny(files, { dtype: "BF16" });
  });

  it("takes a picked folder's top level only, named after the folder", async () => {
    const picked = [
      ...asFiles(tinyCheckpointFiles({ shards: 2 }), "tiny"),
      ...asFiles({ "model.onnx": "onnx", "config.json": "{}" }, "tiny/onnx"),
    ];
    const files = droppedFiles(picked);
    expect(files.label).toBe("tiny");
    expect(await files.list()).toEqual(["config.json", "generation_config.json", ...SHARD_FILES, "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"]);
    await expectTiny(files, { shards: 2 });
    await expect(files.read("model.onnx")).rejects.toThrow("model.onnx: not found in tiny");
  });

  it("refuses two top-level files of one name", () => {
    expect(() => droppedFiles([new File(["{}"], "config.json"), new File(["{}"], "config.json")])).toThrow(
      "config.json: was given twice: drop or pick one checkpoint folder at a time",
    );
  });
});

describe("urlFiles", () => {
  const folder = (opts: TinyCheckpointOptions, manifest: boolean) => {
    const files = tinyCheckpointFiles(opts);
    const routes = new Map(Object.entries(files).map(([n, v]) => [`/models/tiny/${n}`, bytesOf(v)]));
    if (manifest) routes.set("/models/tiny/manifest.json", bytesOf(JSON.stringify({ files: Object.keys(files) })));
    return routes;
  };

  it("lists from manifest.json and reads tensors with Range requests", async () => {
    const server = fakeServer(folder({}, true));
    const files = urlFiles("http://app.test/models/tiny", { fetch: server.fetch });
    expect(files.label).toBe("http://app.test/models/tiny/");
    await expectTiny(files);
    const weights = server.requests.filter((r) => r.path === "/models/tiny/model.safetensors");
    expect(weights.length).toBeGreaterThan(3);
    expect(weights.every((r) => r.method === "GET" && r.range?.startsWith("bytes="))).toBe(true);
  });

  it("without a manifest, finds the files with HEAD, shards included", async () => {
    const server = fakeServer(folder({ shards: 2, dtype: "F16" }, false), { htmlFallback: true });
    const files = urlFiles("http://app.test/models/tiny/", { fetch: server.fetch });
    expect(await files.list()).toEqual(["config.json", "generation_config.json", ...SHARD_FILES, "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"]);
    expect(files.size?.(SHARD_FILES[0])).toBe(server.routes.get(`/models/tiny/${SHARD_FILES[0]}`)!.byteLength);
    expect(server.requests.some((r) => r.method === "HEAD" && r.path === "/models/tiny/model.safetensors")).toBe(true);
    await expectTiny(files, { shards: 2, dtype: "F16" });
  });

  it("a dev server's HTML page for a missing file counts as missing", async () => {
    const server = fakeServer(new Map(), { htmlFallback: true });
    const files = urlFiles("http://app.test/models/none/", { fetch: server.fetch });
    expect(await files.list()).toEqual([]);
    await expect(files.read("config.json")).rejects.toThrow(
      "config.json not found at http://app.test/models/none/config.json (the server sent an HTML page instead, HTTP 200)",
    );
    await expect(loadCheckpoint(files)).rejects.toThrow("config.json: not found in http://app.test/models/none/");
  });

  it("reads the whole file once from a server that ignores Range", async () => {
    const server = fakeServer(folder({}, true), { range: false });
    await expectTiny(urlFiles("http://app.test/models/tiny/", { fetch: server.fetch }));
    expect(server.requests.filter((r) => r.path === "/models/tiny/model.safetensors").length).toBe(1);
  });

  it("errors name the URL and the HTTP status", async () => {
    const server = fakeServer(folder({}, true));
    const files = urlFiles("http://app.test/models/tiny/", { fetch: server.fetch });
    await expect(files.read("missing.json")).rejects.toThrow("missing.json not found at http://app.test/models/tiny/missing.json (HTTP 404)");
    const broken = urlFiles("http://app.test/models/tiny/", { fetch: async () => new Response("oops", { status: 500, statusText: "Internal Server Error" }) });
    await expect(broken.readRange!("model.safetensors", 0, 8)).rejects.toThrow("http://app.test/models/tiny/model.safetensors: HTTP 500 Internal Server Error");
    const down = urlFiles("http://app.test/models/tiny/", { fetch: async () => Promise.reject(new TypeError("fetch failed")) });
    await expect(down.list()).rejects.toThrow("cannot reach http://app.test/models/tiny/manifest.json (fetch failed)");
  });
});

describe("hubFiles", () => {
  const ENDPOINT = "http://hub.test";
  const hub = (opts: TinyCheckpointOptions = {}, listing: { sha?: string; sizes?: boolean } = {}, serve: { range?: boolean } = {}) => {
    const files = { ...tinyCheckpointFiles(opts), "README.md": "# tiny", "pytorch_model.bin": "not read" };
    const routes = new Map(Object.entries(files).map(([n, v]) => [`/test/tiny/resolve/main/${n}`, bytesOf(v)]));
    const siblings = [...Object.keys(files), "onnx/model.onnx", "original/consolidated.pth"].map((rfilename) => ({
      rfilename,
      ...(listing.sizes === false ? {} : { size: bytesOf((files as Record<string, string | Uint8Array>)[rfilename] ?? "").byteLength }),
    }));
    routes.set("/api/models/test/tiny/revision/main", bytesOf(JSON.stringify({ id: "test/tiny", sha: listing.sha ?? "c0ffee", siblings })));
    return { server: fakeServer(routes, serve), sizes: Object.fromEntries(Object.entries(files).map(([n, v]) => [n, bytesOf(v).byteLength])) };
  };
  const resolves = (s: FakeServer) => s.requests.filter((r) => r.path.includes("/resolve/"));
  const options = (server: FakeServer, caches: CacheStorage, events: HubProgress[] = []): HubOptions => ({
    endpoint: ENDPOINT, fetch: server.fetch, caches, onProgress: (p) => events.push(p),
  });
  const NEEDED = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];

  it("downloads what the loader reads with progress, then loads from the cache, offline too", async () => {
    const { server, sizes } = hub();
    const caches = memoryCaches();
    const events: HubProgress[] = [];
    const files = hubFiles("test/tiny", options(server, caches, events));
    expect(files.label).toBe("test/tiny at main");
    expect(await files.list()).toEqual([...NEEDED.slice(0, 3), "pytorch_model.bin", "README.md", ...NEEDED.slice(3)].sort());
    await expectTiny(files);
    expect(server.requests[0]!.path).toBe("/api/models/test/tiny/revision/main?blobs=true");
    expect(resolves(server).map((r) => r.path.split("/").pop()).sort()).toEqual(NEEDED);
    // Per file: counts rise from 0 to the size, with the total known all along.
    for (const name of NEEDED) {
      const mine = events.filter((e) => e.file === name);
      expect(mine.every((e) => e.total === sizes[name] && !e.fromCache)).toBe(true);
      expect(mine.map((e) => e.loaded)).toEqual([...mine.map((e) => e.loaded)].sort((a, b) => a - b));
      expect(mine.at(-1)!.loaded).toBe(sizes[name]);
    }
    expect(new Set(events.map((e) => e.file))).toEqual(new Set(NEEDED));
    expect(await hubDownloadSize("test/tiny", options(server, caches))).toBe(NEEDED.reduce((s, n) => s + sizes[n]!, 0));

    const again: HubProgress[] = [];
    server.requests.length = 0;
    await expectTiny(hubFiles("test/tiny", options(server, caches, again)));
    expect(resolves(server)).toEqual([]);
    expect(again.map((e) => [e.file, e.loaded, e.fromCache]).sort()).toEqual(NEEDED.map((n) => [n, sizes[n], true]));

    server.offline = true;
    await expectTiny(hubFiles("test/tiny", options(server, caches)));
    server.offline = false;
    server.routes.delete("/api/models/test/tiny/revision/main"); // the endpoint fails: the cached list is used
    await expectTiny(hubFiles("test/tiny", options(server, caches)));
  });

  it("sums a sharded checkpoint's index and shards", async () => {
    const { server, sizes } = hub({ shards: 2 });
    const want = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors.index.json", ...SHARD_FILES];
    expect(await hubDownloadSize("test/tiny", options(server, memoryCaches()))).toBe(want.reduce((s, n) => s + sizes[n]!, 0));
    await expectTiny(hubFiles("test/tiny", options(server, memoryCaches())), { shards: 2 });
  });

  it("offline with nothing cached, a missing file and a bad repo id give clear errors", async () => {
    const { server } = hub();
    server.offline = true;
    await expect(hubFiles("test/tiny", options(server, memoryCaches())).list()).rejects.toThrow(
      "cannot reach http://hub.test and test/tiny is not in the cache (fetch failed)",
    );
    server.offline = false;
    server.routes.delete("/test/tiny/resolve/main/tokenizer.json");
    const err = await loadCheckpoint(hubFiles("test/tiny", options(server, memoryCaches()))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelSourceError);
    expect((err as ModelSourceError).message).toBe("tokenizer.json not found in test/tiny at main (HTTP 404)");
    expect((err as ModelSourceError).status).toBe(404);
    await expect(hubFiles("test/other", options(server, memoryCaches())).list()).rejects.toThrow("test/other at main not found on http://hub.test (HTTP 404)");
    for (const bad of ["tiny", "a/b/c", "-a/b", "a/b.", "a/b--c", "", "a/ b"]) {
      expect(() => hubFiles(bad), bad).toThrow(`"${bad}" is not a Hugging Face repo id: write owner/name`);
    }
    await expect(hubFiles("test/tiny", options(server, memoryCaches())).read("pytorch_model.bin")).rejects.toThrow("not downloaded");
  });

  it.each([
    ["the listing's size", true],
    ["Content-Length", false],
  ])("a body shorter than %s is not cached and errors", async (_, withSizes) => {
    const { server } = hub({}, { sizes: withSizes });
    const caches = memoryCaches();
    server.truncate.add("/test/tiny/resolve/main/model.safetensors");
    await expect(loadCheckpoint(hubFiles("test/tiny", options(server, caches)))).rejects.toThrow(
      /^model\.safetensors of test\/tiny: the download stopped at \d+ of \d+ bytes and was not kept: try again$/,
    );
    const keys = (await (await caches.open("fim-studio-hub")).keys()).map((k) => k.url);
    expect(keys).toContain("http://hub.test/test/tiny/resolve/main/config.json?chunk=0");
    expect(keys.filter((k) => k.includes("/model.safetensors"))).toEqual([]);
    server.truncate.clear();
    await expectTiny(hubFiles("test/tiny", options(server, caches)));
  });

  it("downloads again when the revision moved to another commit", async () => {
    const first = hub({ seed: 1 }, { sha: "aaaa" });
    const caches = memoryCaches();
    await expectTiny(hubFiles("test/tiny", options(first.server, caches)), { seed: 1 });
    const cache = await caches.open("fim-studio-hub");
    const weights = "http://hub.test/test/tiny/resolve/main/model.safetensors?chunk=0";
    const stale = await cache.match(weights);
    const second = hub({ seed: 2 }, { sha: "bbbb" });
    await expect(hubFiles("test/tiny", options(second.server, caches)).list()).resolves.toContain("model.safetensors");
    expect(await cache.match(weights)).toBeUndefined(); // dropped with the old listing, before any read
    await expectTiny(hubFiles("test/tiny", options(second.server, caches)), { seed: 2 });
    expect(resolves(second.server).length).toBe(NEEDED.length);
    // a chunk of the old commit put back (another tab still downloading it) is not taken for the new one
    await cache.put(weights, stale!);
    second.server.requests.length = 0;
    await expectTiny(hubFiles("test/tiny", options(second.server, caches)), { seed: 2 });
    expect(resolves(second.server).map((r) => r.path)).toEqual(["/test/tiny/resolve/main/model.safetensors"]);
  });

  it("an interrupted download goes on from the first chunk not kept", async () => {
    const CHUNK = 8192;
    const { server, sizes } = hub();
    const caches = memoryCaches();
    const path = "/test/tiny/resolve/main/model.safetensors";
    const size = sizes["model.safetensors"]!;
    expect(size).toBeGreaterThan(4 * CHUNK);
    server.cut.set(path, 2 * CHUNK + 1000); // the connection drops inside chunk 2
    const first: HubProgress[] = [];
    await expect(loadCheckpoint(hubFiles("test/tiny", { ...options(server, caches, first), chunkBytes: CHUNK }))).rejects.toThrow(
      `model.safetensors of test/tiny: the download broke off after ${2 * CHUNK + 1000} of ${size} bytes (connection reset); ` +
        `${2 * CHUNK} of ${size} bytes are kept and the next try goes on from there`,
    );
    const keys = (await (await caches.open("fim-studio-hub")).keys()).map((k) => k.url).filter((k) => k.startsWith(`${ENDPOINT}${path}`));
    expect(keys.sort()).toEqual([0, 1].map((i) => `${ENDPOINT}${path}?chunk=${i}`)); // the broken chunk is not kept

    server.cut.clear();
    server.requests.length = 0;
    const again: HubProgress[] = [];
    await expectTiny(hubFiles("test/tiny", { ...options(server, caches, again), chunkBytes: CHUNK }));
    expect(resolves(server).map((r) => [r.path, r.range])).toEqual([[path, `bytes=${2 * CHUNK}-${size - 1}`]]);
    const mine = again.filter((e) => e.file === "model.safetensors");
    expect(mine[0]).toEqual({ file: "model.safetensors", loaded: 2 * CHUNK, total: size, fromCache: false });
    expect(mine.at(-1)).toEqual({ file: "model.safetensors", loaded: size, total: size, fromCache: false });

    // all kept now: from the cache, in chunks, offline
    server.offline = true;
    const cached: HubProgress[] = [];
    await expectTiny(hubFiles("test/tiny", { ...options(server, caches, cached), chunkBytes: CHUNK }));
    expect(cached.filter((e) => e.file === "model.safetensors")).toEqual([{ file: "model.safetensors", loaded: size, total: size, fromCache: true }]);
  });

  it("a server that ignores Range sends the whole file: kept chunks are skipped, the rest kept", async () => {
    const CHUNK = 8192;
    const { server, sizes } = hub({}, {}, { range: false });
    const caches = memoryCaches();
    const path = "/test/tiny/resolve/main/model.safetensors";
    const size = sizes["model.safetensors"]!;
    server.cut.set(path, 3 * CHUNK - 1);
    await expect(loadCheckpoint(hubFiles("test/tiny", { ...options(server, caches), chunkBytes: CHUNK }))).rejects.toThrow(
      `${2 * CHUNK} of ${size} bytes are kept`,
    );
    server.cut.clear();
    server.requests.length = 0;
    const again: HubProgress[] = [];
    await expectTiny(hubFiles("test/tiny", { ...options(server, caches, again), chunkBytes: CHUNK }));
    expect(resolves(server).filter((r) => r.path === path).length).toBe(1);
    const mine = again.filter((e) => e.file === "model.safetensors");
    expect(mine[0]!.loaded).toBe(2 * CHUNK);
    expect(mine.at(-1)!.loaded).toBe(size);
    server.offline = true;
    await expectTiny(hubFiles("test/tiny", { ...options(server, caches), chunkBytes: CHUNK }));
  });

  it("clearHubCache forgets a repo; without a cache, downloads stay in memory", async () => {
    const { server } = hub();
    const caches = memoryCaches();
    await loadCheckpoint(hubFiles("test/tiny", options(server, caches)));
    expect(await clearHubCache("test/other", { caches })).toBe(0);
    expect(await clearHubCache("test/tiny", { caches })).toBe(NEEDED.length + 1);
    server.offline = true;
    await expect(hubFiles("test/tiny", options(server, caches)).list()).rejects.toThrow("is not in the cache");
    expect(await clearHubCache(undefined, { caches })).toBe(0);
    expect(await caches.keys()).toEqual([]);

    server.offline = false;
    server.requests.length = 0;
    await expectTiny(hubFiles("test/tiny", options(server, null as unknown as CacheStorage)));
    expect(resolves(server).length).toBe(NEEDED.length);
  });
});
