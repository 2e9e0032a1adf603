// model-sources.test.ts — e2e tests of the browser checkpoint sources (src/lib/model/browser-files.ts) in headless
// Chromium, through the harness page tests/e2e/harness/model-sources.html. A local node:http server impersonates the
// Hugging Face Hub (file list, resolve URLs with Range, CORS) and serves plain checkpoint folders; the page loads tiny
// checkpoints from it, then from the Cache API once the server is gone, and each result (config, token ids, first
// weights) is compared with Node's loader and the fixture. A download whose connection drops goes on after a reload
// from the first chunk not kept, which the server's log of requested and sent bytes shows.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { loadCheckpoint, memoryFiles } from "../../src/lib/model/index.ts";
import { SHARD_FILES, tinyCheckpointFiles, tinyConfig, type TinyCheckpointOptions, tinyWeights } from "../fixtures/tiny-checkpoint.ts";
import { launchBrowser, startApp, type RunningApp } from "./browser.ts";
import type { LoadSummary, Probe } from "./harness/model-sources.ts";

const PROBE: Probe = {
  text: "def add(a, b):\n    return a + b  # <|fim_middle|> done\n",
  tensors: ["model.embed_tokens.weight", "model.layers.1.mlp.down_proj.weight", "model.norm.weight"],
};
const CACHE = "fim-studio-hub-e2e";
const HUB_OPTS: TinyCheckpointOptions = { architecture: "qwen2", tied: true, dtype: "BF16" };
/** The resumed download: the tiny F32 weights (about 1.4 MiB) in chunks of 64 KiB, the first try cut inside chunk 5. */
const RESUME_OPTS: TinyCheckpointOptions = { seed: 5 };
const RESUME_CHUNK = 64 << 10;
const RESUME_CUT = 5 * RESUME_CHUNK + (RESUME_CHUNK >> 1);
const HUB_NEEDED = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];

/** A file, or one whose connection drops at file offset `cutAt` (for its next `cuts` requests; default all of them). */
type Route = Uint8Array | { body: Uint8Array; cutAt: number; cuts?: number };
const bytesOf = (v: Uint8Array | string) => (typeof v === "string" ? new TextEncoder().encode(v) : v);

interface FakeServer {
  url: string;
  /** "GET /path" or "GET /path bytes=a-b", in order. */
  requests: string[];
  /** The body bytes written per GET, in order: [path, begin, end) of the file. */
  sent: [string, number, number][];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 serving `routes` with CORS, HEAD and single byte ranges; `cutAt` drops the connection mid-body. */
async function startFakeServer(routes: Map<string, Route>): Promise<FakeServer> {
  const requests: string[] = [];
  const sent: [string, number, number][] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const range = req.headers.range;
    requests.push(`${req.method} ${path}${range ? ` ${range}` : ""}`);
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Length, Accept-Ranges");
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Headers": "Range", "Access-Control-Allow-Methods": "GET, HEAD" });
      return res.end();
    }
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return res.end("Entry not found");
    }
    const type = path.endsWith(".json") || path.startsWith("/api/") ? "application/json" : "application/octet-stream";
    const body = route instanceof Uint8Array ? route : route.body;
    const m = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
    const begin = m ? Number(m[1]) : 0;
    const end = m ? Math.min(Number(m[2]) + 1, body.byteLength) : body.byteLength;
    if (m && begin >= body.byteLength) {
      res.writeHead(416, { "Content-Range": `bytes */${body.byteLength}` });
      return res.end();
    }
    res.writeHead(m ? 206 : 200, {
      "Content-Type": type,
      "Content-Length": end - begin,
      "Accept-Ranges": "bytes",
      ...(m ? { "Content-Range": `bytes ${begin}-${end - 1}/${body.byteLength}` } : {}),
    });
    if (req.method === "HEAD") return res.end();
    const cut = route instanceof Uint8Array || route.cuts === 0 || route.cutAt >= end ? undefined : Math.max(begin, route.cutAt);
    sent.push([path, begin, cut ?? end]);
    if (cut === undefined) return res.end(body.subarray(begin, end));
    if (!(route instanceof Uint8Array) && route.cuts !== undefined) route.cuts--;
    res.write(body.subarray(begin, cut));
    setTimeout(() => res.socket?.destroy(), 100); // the connection drops: Content-Length is never reached
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Hub repo's routes: `/api/models/<repo>/revision/main` (with sizes, as `?blobs=true` gives) and `/<repo>/resolve/main/<file>`. */
function hubRoutes(repo: string, files: Record<string, Uint8Array | string>, cut?: { file: string; at?: number; cuts?: number }): [string, Route][] {
  const siblings = [...Object.keys(files), "onnx/model.onnx", "original/consolidated.pth"].map((rfilename) => ({
    rfilename,
    size: bytesOf(files[rfilename] ?? "").byteLength,
  }));
  return [
    [`/api/models/${repo}/revision/main`, bytesOf(JSON.stringify({ id: repo, sha: "0123abcd", siblings }))],
    ...Object.entries(files).map(([name, v]): [string, Route] => {
      const body = bytesOf(v);
      const route = name === cut?.file ? { body, cutAt: cut.at ?? body.byteLength >> 1, cuts: cut.cuts } : body;
      return [`/${repo}/resolve/main/${name}`, route];
    }),
  ];
}

/** A served folder's routes, with or without manifest.json. */
function folderRoutes(folder: string, files: Record<string, Uint8Array | string>, manifest: boolean): [string, Route][] {
  const out = Object.entries(files).map(([name, v]): [string, Route] => [`/folders/${folder}/${name}`, bytesOf(v)]);
  if (manifest) out.push([`/folders/${folder}/manifest.json`, bytesOf(JSON.stringify({ files: Object.keys(files) }))]);
  return out;
}

/** The page's summary must match Node's loader over the same files and the fixture's weights. */
async function expectMatchesReference(s: LoadSummary, opts: TinyCheckpointOptions): Promise<void> {
  const ref = await loadCheckpoint(memoryFiles(tinyCheckpointFiles(opts)));
  expect(s.config).toEqual({
    architecture: opts.architecture === "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM",
    vocab_size: tinyConfig(opts).vocab_size,
    hidden_size: 64,
    num_hidden_layers: 2,
  });
  const ids = ref.tokenizer.encode(PROBE.text, { addSpecialTokens: false });
  expect(ids.length).toBeGreaterThan(5);
  expect(s.encoded).toEqual(ids);
  expect(s.decoded).toBe(ref.tokenizer.decode(ids));
  expect(s.stopIds).toEqual(ref.stopIds);
  for (const t of tinyWeights(opts).filter((t) => PROBE.tensors.includes(t.name))) {
    expect(s.first[t.name], t.name).toEqual(Array.from(t.data.subarray(0, 32)));
  }
}

let app: RunningApp;
let browser: Browser;
let server: FakeServer;
const hubFilesOf = { ...tinyCheckpointFiles(HUB_OPTS), "README.md": "# tiny", "pytorch_model.bin": "never downloaded" };

beforeAll(async () => {
  server = await startFakeServer(
    new Map([
      ...hubRoutes("test/tiny", hubFilesOf),
      ...hubRoutes("test/broken", tinyCheckpointFiles(), { file: "model.safetensors" }),
      ...hubRoutes("test/resume", tinyCheckpointFiles(RESUME_OPTS), { file: "model.safetensors", at: RESUME_CUT, cuts: 1 }),
      ...folderRoutes("manifest", tinyCheckpointFiles({ dtype: "F16" }), true),
      ...folderRoutes("sharded", tinyCheckpointFiles({ shards: 2, seed: 3 }), false),
    ]),
  );
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await server?.close();
});

/**
 * A context whose pages reach the app and the fake server only (openPage in browser.ts allows the app alone), and a
 * page of it on the harness. Pages of one context share the Cache API.
 */
async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  const allowed = [new URL(app.url).origin, server.url];
  await context.route("**/*", (route) =>
    allowed.some((o) => route.request().url().startsWith(o)) ? route.continue() : route.abort("blockedbyclient"),
  );
  return context;
}
async function openHarness(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(`${app.url}tests/e2e/harness/model-sources.html`);
  await page.waitForFunction(() => "modelSources" in window);
  return { page, errors };
}

describe("browser checkpoint sources", () => {
  test("urlFiles loads served folders, with manifest.json and by probing (shards)", async () => {
    const context = await newContext();
    try {
      const { page, errors } = await openHarness(context);
      const manifest = await page.evaluate(([base, probe]) => window.modelSources.url(base, probe), [`${server.url}/folders/manifest/`, PROBE] as const);
      await expectMatchesReference(manifest, { dtype: "F16" });
      // Tensors come by Range request, never the whole weights file.
      const weightReads = server.requests.filter((r) => r.includes("/folders/manifest/model.safetensors"));
      expect(weightReads.length).toBeGreaterThan(3);
      expect(weightReads.every((r) => / bytes=\d+-\d+$/.test(r))).toBe(true);

      const sharded = await page.evaluate(([base, probe]) => window.modelSources.url(base, probe), [`${server.url}/folders/sharded`, PROBE] as const);
      await expectMatchesReference(sharded, { shards: 2, seed: 3 });
      expect(sharded.names).toEqual(["config.json", "generation_config.json", ...SHARD_FILES, "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"]);
      expect(server.requests).toContain(`HEAD /folders/sharded/${SHARD_FILES[1]}`);

      // The Vite dev server answers a missing public/models file with its index.html: that counts as missing.
      const missing = `${app.url}models/not-there/`;
      await expect(page.evaluate(([base, probe]) => window.modelSources.url(base, probe), [missing, PROBE] as const)).rejects.toThrow(
        `config.json: not found in ${missing}`,
      );
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("a download cut short is not cached and says so", async () => {
    const context = await newContext();
    try {
      const { page } = await openHarness(context);
      const load = page.evaluate(([hub, cache, probe]) => window.modelSources.hub("test/broken", hub, cache, probe), [server.url, CACHE, PROBE] as const);
      await expect(load).rejects.toThrow(/model\.safetensors of test\/broken: the download broke off after \d+ of \d+ bytes .* and was not kept: try again/);
      const keys = await page.evaluate((cache) => window.modelSources.cacheKeys(cache), CACHE);
      expect(keys).toContain(`${server.url}/test/broken/resolve/main/config.json?chunk=0`);
      expect(keys.filter((k) => k.includes("/test/broken/resolve/main/model.safetensors"))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("an interrupted Hub download goes on after a reload from the first chunk not kept", async () => {
    const context = await newContext();
    try {
      const { page, errors } = await openHarness(context);
      const path = "/test/resume/resolve/main/model.safetensors";
      const weights = tinyCheckpointFiles(RESUME_OPTS)["model.safetensors"] as Uint8Array;
      const size = weights.byteLength;
      expect(size).toBeGreaterThan(8 * RESUME_CHUNK);
      const load = (p: Page) =>
        p.evaluate(
          ([hub, cache, probe, chunkBytes]) => window.modelSources.hub("test/resume", hub, cache, probe, { chunkBytes, digestOf: "model.safetensors" }),
          [server.url, CACHE, PROBE, RESUME_CHUNK] as const,
        );
      // The first try: the connection drops inside chunk 5; chunks 0-4 are kept, the broken one is not.
      const firstTry = server.sent.length;
      await expect(load(page)).rejects.toThrow(
        new RegExp(`model\\.safetensors of test/resume: the download broke off after \\d+ of ${size} bytes .*; \\d+ of ${size} bytes are kept and the next try goes on from there`),
      );
      const chunkKeys = (await page.evaluate((cache) => window.modelSources.cacheKeys(cache), CACHE)).filter((k) => k.includes(path));
      const kept = chunkKeys.map((k) => Number(/\?chunk=(\d+)$/.exec(k)![1])).sort((a, b) => a - b);
      expect(kept).toEqual([0, 1, 2, 3, 4]);

      // After a reload, only the missing chunks are asked for: from chunk 5 on, and no byte twice but the broken chunk's.
      await page.reload();
      await page.waitForFunction(() => "modelSources" in window);
      const secondTry = server.sent.length;
      const asked = server.requests.length;
      const resumed = await load(page);
      await expectMatchesReference(resumed, RESUME_OPTS);
      expect(server.requests.slice(asked).filter((r) => r.includes(path))).toEqual([`GET ${path} bytes=${5 * RESUME_CHUNK}-${size - 1}`]);
      const before = server.sent.slice(firstTry, secondTry).filter(([p]) => p === path);
      const after = server.sent.slice(secondTry).filter(([p]) => p === path);
      expect(before).toEqual([[path, 0, RESUME_CUT]]);
      expect(after).toEqual([[path, 5 * RESUME_CHUNK, size]]);
      expect(RESUME_CUT - 5 * RESUME_CHUNK).toBeLessThan(RESUME_CHUNK); // the bytes sent twice are within the broken chunk

      // Progress starts at the kept bytes; the file is the fixture's, byte for byte.
      const mine = resumed.events.filter((e) => e.file === "model.safetensors");
      expect(mine[0]).toEqual({ file: "model.safetensors", loaded: 5 * RESUME_CHUNK, total: size, fromCache: false });
      expect(mine.at(-1)).toEqual({ file: "model.safetensors", loaded: size, total: size, fromCache: false });
      const want = Buffer.from(await crypto.subtle.digest("SHA-256", weights.slice())).toString("hex");
      expect(resumed.digest).toBe(want);

      // clearHubCache takes the chunks with it.
      const entries = (await page.evaluate((cache) => window.modelSources.cacheKeys(cache), CACHE)).filter((k) => k.includes("/test/resume/"));
      expect(entries.filter((k) => k.includes(path)).length).toBe(Math.ceil(size / RESUME_CHUNK));
      await expect(page.evaluate((cache) => window.modelSources.clear("test/resume", cache), CACHE)).resolves.toBe(entries.length);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("hubFiles downloads from a fake hub with progress, then loads from the Cache API with the hub gone", async () => {
    const context = await newContext();
    try {
      const { page, errors } = await openHarness(context);
      const sizes = Object.fromEntries(Object.entries(hubFilesOf).map(([n, v]) => [n, bytesOf(v).byteLength]));
      const size = await page.evaluate(([hub, cache]) => window.modelSources.hubSize("test/tiny", hub, cache), [server.url, CACHE] as const);
      expect(size).toBe(HUB_NEEDED.reduce((s, n) => s + sizes[n]!, 0));

      const online = await page.evaluate(([hub, cache, probe]) => window.modelSources.hub("test/tiny", hub, cache, probe), [server.url, CACHE, PROBE] as const);
      await expectMatchesReference(online, HUB_OPTS);
      expect(online.label).toBe("test/tiny at main");
      expect(online.names).toContain("pytorch_model.bin"); // listed, for the loader's messages, but never fetched
      expect(online.names).not.toContain("onnx/model.onnx");
      const fetched = server.requests.filter((r) => r.startsWith("GET /test/tiny/resolve/main/"));
      expect(fetched.map((r) => r.split(" ")[1]!.split("/").pop()).sort()).toEqual(HUB_NEEDED);
      expect(fetched.every((r) => / bytes=0-\d+$/.test(r))).toBe(true); // each file whole, in one request
      for (const name of HUB_NEEDED) {
        const last = online.events.filter((e) => e.file === name).at(-1);
        expect(last, name).toEqual({ file: name, loaded: sizes[name], total: sizes[name], fromCache: false });
      }
      const keys = await page.evaluate((cache) => window.modelSources.cacheKeys(cache), CACHE);
      for (const name of HUB_NEEDED) expect(keys).toContain(`${server.url}/test/tiny/resolve/main/${name}?chunk=0`); // one chunk each
      expect(keys).toContain(`${server.url}/api/models/test/tiny/revision/main?blobs=true`);

      // The hub goes away: a fresh page loads the same checkpoint from the Cache API alone.
      await server.close();
      const offlinePage = await openHarness(context);
      const offline = await offlinePage.page.evaluate(
        ([hub, cache, probe]) => window.modelSources.hub("test/tiny", hub, cache, probe),
        [server.url, CACHE, PROBE] as const,
      );
      await expectMatchesReference(offline, HUB_OPTS);
      expect(offline.events.map((e) => [e.file, e.fromCache, e.loaded]).sort()).toEqual(HUB_NEEDED.map((n) => [n, true, sizes[n]]));

      // Once the cache is cleared there is nothing to load from.
      await expect(offlinePage.page.evaluate((cache) => window.modelSources.clear("test/tiny", cache), CACHE)).resolves.toBe(HUB_NEEDED.length + 1);
      await expect(
        offlinePage.page.evaluate(([hub, cache, probe]) => window.modelSources.hub("test/tiny", hub, cache, probe), [server.url, CACHE, PROBE] as const),
      ).rejects.toThrow(`cannot reach ${server.url} and test/tiny is not in the cache`);
      expect([...errors, ...offlinePage.errors]).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
