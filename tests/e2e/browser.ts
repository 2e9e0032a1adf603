// browser.ts — helpers for the e2e tests: start the app with Vite's programmatic dev server (or a build +
// preview) on a free 127.0.0.1 port, launch headless Chromium with playwright-core, open pages that may only
// reach localhost, and stop everything again.
import { createReadStream, existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { build, createServer, preview, type InlineConfig, type Plugin } from "vite";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG_FILE = fileURLToPath(new URL("../../vite.config.ts", import.meta.url));

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-unsafe-webgpu",
];

/** The Chromium binary: $CHROMIUM_PATH, else Debian's /usr/bin/chromium (scripts/ensure-chromium.mjs installs it). */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: run \`node scripts/ensure-chromium.mjs\` or set CHROMIUM_PATH`);
  }
  return path;
}

/**
 * Headless Chromium. `webgpu: false` leaves out --enable-unsafe-webgpu: navigator.gpu is still there (page and
 * workers) but requestAdapter() gives null, as on a browser whose GPU is blocklisted — for the CPU fallback tests.
 */
export async function launchBrowser(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = opts.webgpu === false ? CHROMIUM_ARGS.filter((a) => a !== "--enable-unsafe-webgpu") : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args });
}

/** A free TCP port on 127.0.0.1 (asked from the OS, then released for the server to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningApp {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the app on 127.0.0.1. "dev" (default) uses Vite's dev server without HMR or file watching;
 * "preview" builds into a temporary folder first, serves that build, and deletes it on close.
 */
export async function startApp(mode: "dev" | "preview" = "dev", opts: { modelsDir?: string } = {}): Promise<RunningApp> {
  const port = await freePort();
  const base: InlineConfig = {
    root: ROOT, configFile: CONFIG_FILE, logLevel: "warn", clearScreen: false,
    plugins: opts.modelsDir ? [serveModels(opts.modelsDir)] : [],
  };
  if (mode === "preview") {
    const outDir = await mkdtemp(join(tmpdir(), "fim-studio-e2e-dist-"));
    await build({ ...base, build: { outDir, emptyOutDir: true } });
    const server = await preview({ ...base, build: { outDir }, preview: { host: "127.0.0.1", port, strictPort: true, open: false } });
    return {
      url: `http://127.0.0.1:${port}/`,
      close: async () => {
        await server.close();
        await rm(outDir, { recursive: true, force: true });
      },
    };
  }
  const server = await createServer({
    ...base,
    server: { host: "127.0.0.1", port, strictPort: true, open: false, hmr: false, watch: null },
  });
  await server.listen();
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/**
 * A dev-server plugin serving `/models/*` from `dir` instead of public/models/ (the embedded models the app lists),
 * with single byte ranges as a static server has: the tests put tiny checkpoints there.
 */
function serveModels(dir: string): Plugin {
  return {
    name: "e2e-models",
    configureServer(server) {
      server.middlewares.use("/models", (req, res, next) => {
        const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
        const path = join(dir, rel);
        if (rel.includes("..") || !existsSync(path) || !statSync(path).isFile()) return next();
        const size = statSync(path).size;
        const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
        res.setHeader("accept-ranges", "bytes");
        res.setHeader("content-type", rel.endsWith(".json") ? "application/json" : "application/octet-stream");
        // only the bytes asked for are read: a checkpoint is read a tensor at a time, by range
        if (m) {
          const start = Number(m[1]);
          const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
          res.statusCode = 206;
          res.setHeader("content-range", `bytes ${start}-${end}/${size}`);
          res.setHeader("content-length", end - start + 1);
          createReadStream(path, { start, end }).pipe(res);
        } else {
          res.setHeader("content-length", size);
          if (req.method === "HEAD") res.end();
          else createReadStream(path).pipe(res);
        }
      });
    },
  };
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors seen so far (for assertions and failure messages). */
  errors: string[];
}

/** A fresh context + page that can only reach the app's own origin; anything else is aborted. */
export async function openPage(
  browser: Browser,
  appUrl: string,
  viewport: { width: number; height: number } = { width: 1280, height: 720 },
): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const origin = new URL(appUrl).origin;
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("blob:") || url.startsWith("data:")) return route.continue();
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  return { context, page, errors };
}

/**
 * The dev server and Chromium for a test file: started before its tests, ended after (vitest hooks). Read `app` and
 * `browser` inside the tests.
 */
export function useApp(): { readonly app: RunningApp; readonly browser: Browser } {
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  const started = <X>(x: X | undefined): X => x ?? (() => { throw new Error("useApp: read inside a test, after beforeAll"); })();
  return {
    get app() { return started(app); },
    get browser() { return started(browser); },
  };
}
