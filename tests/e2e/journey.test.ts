// journey.test.ts — the whole journey through the app in headless Chromium, as a user takes it: code pasted on the
// Data page → FIM samples → a LoRA run on the Train page (loss shown and falling) → ghost text from the trained
// adapter in the Playground, taken with Tab → "From this session" on the Export page → a Q4_0 GGUF download, which
// llama.cpp (node-llama-cpp) loads, finds the FIM tokens in and completes with.
// Once on the CPU: in a Chromium whose WebGPU offers no adapter, so the Playground's worker runs on the CPU as well;
// and once shortened through the WebGPU backend (SwiftShader), so the GPU path of the pages and workers runs too.
// Every request of the browser context, the workers' included, is recorded: none may leave localhost.
// Also: the CPU fallback and its notices when WebGPU is unavailable and the backend is "auto"; and every page
// (Data, Train, Playground, Export, Benchmark) screenshotted at 1280×720 and 390×844 (to $SHOTS_DIR, default
// /tmp/shots) with its key elements visible and no horizontal overflow.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { getLlama, LlamaCompletion, LlamaLogLevel } from "node-llama-cpp";
import { parseGguf } from "../../src/lib/gguf/reader.ts";
import { DEVICE_KEY } from "../../src/routes/playground/device.ts";
import { launchBrowser, openPage, ROOT, startApp, type RunningApp } from "./browser.ts";
import { PYTHON } from "./fixtures/python-sample.ts";

/**
 * The embedded default model the journey runs on: served as /models/ ({dir}/index.json lists {id} first): the real
 * one the app ships, public/models/fim-tiny-code (tools/default-model/).
 */
const embeddedDefault = (): EmbeddedModels => ({ dir: join(ROOT, "public/models"), id: "fim-tiny-code", remove() {} });

interface EmbeddedModels {
  dir: string;
  id: string;
  remove(): void;
}

const SHOTS_DIR = process.env.SHOTS_DIR || "/tmp/shots";
const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 390, height: 844 },
];


let app: RunningApp;
/** --enable-unsafe-webgpu: SwiftShader's adapter in pages and workers. */
let gpuBrowser: Browser;
/** Without it: navigator.gpu is there but requestAdapter() gives null (page and workers), as on a blocklisted GPU. */
let cpuBrowser: Browser;
let models: EmbeddedModels;
let tmp: string;

beforeAll(async () => {
  models = embeddedDefault();
  tmp = mkdtempSync(join(tmpdir(), "fim-journey-"));
  mkdirSync(SHOTS_DIR, { recursive: true });
  [app, gpuBrowser, cpuBrowser] = await Promise.all([
    startApp("dev", { modelsDir: models.dir }), launchBrowser(), launchBrowser({ webgpu: false }),
  ]);
}, 120_000);

afterAll(async () => {
  await gpuBrowser?.close();
  await cpuBrowser?.close();
  await app?.close();
  models?.remove();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---- requests ----------------------------------------------------------------------------------------------------

type Stage = "data" | "train" | "playground" | "export" | "benchmark";

interface RequestLog {
  /** Every request of the context (pages and their workers), with the stage of the journey it was made in. */
  context: { url: string; stage: Stage }[];
  /** The page's own "request" events (Chromium reports its dedicated workers' requests there too). */
  page: string[];
  stage: Stage;
}

function recordRequests(context: BrowserContext, page: Page): RequestLog {
  const log: RequestLog = { context: [], page: [], stage: "data" };
  context.on("request", (r) => log.context.push({ url: r.url(), stage: log.stage }));
  page.on("request", (r) => log.page.push(r.url()));
  return log;
}

/** URLs that would leave the machine: anything but http(s)/ws(s) to localhost, blob: and data:. */
function offsite(urls: string[]): string[] {
  return urls.filter((u) => {
    if (u.startsWith("blob:") || u.startsWith("data:")) return false;
    const { protocol, hostname } = new URL(u);
    return !(/^(https?|wss?):$/.test(protocol) && ["127.0.0.1", "localhost", "[::1]"].includes(hostname));
  });
}

// ---- pages -------------------------------------------------------------------------------------------------------

const tid = (id: string) => `[data-testid="${id}"]`;

/**
 * Screenshots the page at each viewport (whole page) and checks that each key element is visible and lies within
 * the viewport's width, and that nothing makes the page scroll sideways.
 */
async function checkLayout(page: Page, name: string, keys: string[]): Promise<void> {
  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS_DIR, `journey-${name}-${vp.width}.png`), fullPage: true });
    const { scrollWidth, innerWidth, wide } = await page.evaluate(() => {
      // the elements reaching past the right edge, named for the failure message
      const wide = [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 8)
        .map((el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""} (right ${Math.round(el.getBoundingClientRect().right)})`);
      return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide };
    });
    expect(scrollWidth, `${name} at ${vp.width} px scrolls sideways: ${wide.join(", ")}`).toBeLessThanOrEqual(innerWidth);
    for (const key of ["h1", tid(`nav-${name}`), ...keys]) {
      const el = page.locator(key).first();
      expect(await el.isVisible(), `${name} at ${vp.width} px: ${key} is not visible`).toBe(true);
      const box = (await el.boundingBox())!;
      expect(box.x, `${name} at ${vp.width} px: ${key} starts left of the viewport`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${name} at ${vp.width} px: ${key} ends right of the viewport`).toBeLessThanOrEqual(innerWidth + 0.5);
    }
  }
  await page.setViewportSize(VIEWPORTS[0]!);
}

/** Each setting's tooltip, shown by focusing its "?" button, lies inside the viewport at each width. */
async function checkTooltips(page: Page): Promise<void> {
  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    const buttons = page.locator(".tip-button");
    expect(await buttons.count()).toBeGreaterThan(10);
    for (let i = 0; i < (await buttons.count()); i++) {
      const button = buttons.nth(i);
      await button.focus();
      const tip = page.locator(`[id="${await button.getAttribute("aria-describedby")}"]`);
      await expect.poll(() => tip.evaluate((el) => getComputedStyle(el).opacity)).toBe("1");
      const box = (await tip.boundingBox())!;
      const name = await button.getAttribute("aria-label");
      expect(box.x, `${name} at ${vp.width} px`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${name} at ${vp.width} px`).toBeLessThanOrEqual(vp.width);
      if (i === 1) await page.screenshot({ path: join(SHOTS_DIR, `journey-train-tooltip-${vp.width}.png`) });
    }
    await page.locator(".tip-button").last().blur();
  }
  await page.setViewportSize(VIEWPORTS[0]!);
}

async function setSettings(page: Page, values: Record<string, number | string>) {
  for (const [k, v] of Object.entries(values)) {
    if (k === "backend") await page.getByTestId("set-backend").selectOption(String(v));
    else await page.getByTestId(`set-${k}`).fill(String(v));
  }
}

/** Records each (step, loss) the run panel shows, as it shows them. */
async function watchLoss(page: Page): Promise<() => Promise<[number, number][]>> {
  await page.evaluate(() => {
    const seen: [number, number][] = [];
    (window as unknown as { __losses: typeof seen }).__losses = seen;
    const read = () => {
      const step = Number(document.querySelector('[data-testid="train-step"]')?.textContent?.split(" /")[0]);
      const loss = Number(document.querySelector('[data-testid="train-loss"]')?.textContent);
      if (Number.isFinite(step) && Number.isFinite(loss) && step > (seen.at(-1)?.[0] ?? 0)) seen.push([step, loss]);
    };
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { __losses: [number, number][] }).__losses);
}

const editorText = (page: Page) => page.evaluate(() => document.querySelector(".cm-content")!.textContent ?? "");

/**
 * Types code at the end of the editor until the model suggests something (a completion may be empty: the model's
 * next token ends the line); returns the ghost text shown.
 */
async function ghostText(page: Page): Promise<string> {
  const ghost = page.locator(".cm-ghost-text");
  const readout = page.getByTestId("ghost-latency");
  for (const typed of ["        a, b = b, a", "\n    return a", "\n\n\ndef add(a, b):\n    return "]) {
    const before = await readout.textContent();
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type(typed, { delay: 20 });
    // a suggestion, or a new "no suggestion N ms" readout
    await expect.poll(async () => (await ghost.count()) > 0 || ((await readout.textContent()) !== before && /^no suggestion/.test((await readout.textContent()) ?? "")), { timeout: 90_000 }).toBe(true);
    if (await ghost.count()) return (await ghost.textContent()) ?? "";
  }
  throw new Error("the model suggested nothing for any of the snippets");
}

interface Journey {
  browser: Browser;
  tag: string;
  backend: "cpu" | "webgpu";
  /** Train settings beyond the backend. */
  settings: Record<string, number>;
  samples: number;
  /** The page names the backend so (train-backend and the Playground's status). */
  trainBackend: RegExp;
  inferBackend: string;
  /** Screenshots and layout checks of every page. */
  layout: boolean;
}

interface JourneyResult {
  gguf: string;
  requests: RequestLog;
  losses: [number, number][];
  errors: string[];
}

async function takeJourney(j: Journey): Promise<JourneyResult> {
  const { page, context, errors } = await openPage(j.browser, app.url);
  // the Playground defaults to the CPU on SwiftShader (a software adapter): the WebGPU journey is a user who chose
  // the GPU there before (the choice is kept in localStorage), so the Playground loads the model once, on WebGPU
  if (j.backend === "webgpu") await context.addInitScript(({ key, value }) => localStorage.setItem(key, value), { key: DEVICE_KEY, value: JSON.stringify({ chosen: "gpu" }) });
  const requests = recordRequests(context, page);
  try {
    // Data: paste → samples
    await page.goto(`${app.url}#/data`);
    await page.getByTestId("paste-textarea").fill(PYTHON);
    await page.getByTestId("format-select").selectOption("qwen");
    await page.getByTestId("count-input").fill(String(j.samples));
    await page.getByTestId("seed-input").fill("3");
    await page.getByTestId("eval-input").fill("0");
    await page.getByTestId("generate-button").click();
    await page.getByTestId("stats").waitFor({ timeout: 60_000 });
    expect(Number(await page.getByTestId("stat-train-samples").getAttribute("data-value"))).toBe(j.samples);
    if (j.layout) await checkLayout(page, "data", [tid("paste-textarea"), tid("drop-zone"), tid("format-select"), tid("generate-button"), tid("stats"), tid("download-train")]);

    // Train: the embedded default, the samples from the Data page, a short run
    requests.stage = "train";
    await page.getByTestId("nav-train").click();
    await expect.poll(() => page.getByTestId("embedded-select").inputValue()).toBe(models.id);
    await expect(page.getByTestId("train-data").textContent()).resolves.toMatch(new RegExp(`^\\s*${j.samples} training .* format\\s+qwen`));
    await setSettings(page, { ...j.settings, backend: j.backend });
    const losses = await watchLoss(page);
    await page.getByTestId("train-start").click();
    await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 300_000, interval: 500 }).toMatch(/Done|Failed/);
    expect(await page.getByTestId("train-error").count(), await page.getByTestId("train-status").textContent() ?? "").toBe(0);
    expect(await page.getByTestId("train-step").textContent()).toBe(`${j.settings.steps} / ${j.settings.steps}`);
    expect(await page.getByTestId("train-backend").textContent()).toMatch(j.trainBackend);
    expect(await page.getByTestId("train-loss").textContent()).toMatch(/^\d+\.\d{4}$/);
    const shown = await losses();
    if (j.layout) {
      await checkLayout(page, "train", [tid("model-picker"), tid("gpu-status"), tid("train-data"), tid("set-lr"), tid("set-backend"), tid("estimate"), tid("train-start"), tid("train-progress"), tid("loss-chart"), tid("metrics")]);
      await checkTooltips(page);
    }

    // Playground: the trained adapter is loaded and on; ghost text, and Tab takes it
    requests.stage = "playground";
    await page.getByTestId("nav-playground").click();
    await expect.poll(() => page.getByTestId("inference-ready").textContent({ timeout: 120_000 }), { timeout: 120_000 }).toContain(`on ${j.inferBackend}`);
    await expect.poll(() => page.getByTestId("adapter-tuned").isChecked(), { timeout: 60_000 }).toBe(true);
    expect(await page.getByTestId("adapter-tuned").isEnabled()).toBe(true);
    expect(await page.getByTestId("no-adapter").count()).toBe(0);
    const ghost = await ghostText(page);
    expect(ghost.length).toBeGreaterThan(0);
    const before = await editorText(page);
    await page.keyboard.press("Tab");
    await expect.poll(() => editorText(page)).toBe(before.replace(ghost, "") + ghost);
    expect(await page.locator(".cm-ghost-text").count()).toBe(0);
    if (j.layout) await checkLayout(page, "playground", [tid("model-picker"), tid("inference-status"), tid("mode-line"), tid("adapter-tuned"), tid("compare"), ".cm-editor", tid("ghost-latency")]);

    // Export: the session's model and adapter, Q4_0, downloaded (the save dialog needs a person: the Blob fallback)
    requests.stage = "export";
    await page.getByTestId("nav-export").click();
    await expect(page.getByTestId("use-session").textContent()).resolves.toContain("Use this model and adapter");
    await page.getByTestId("use-session").click();
    await page.getByTestId("model-info").waitFor({ timeout: 60_000 });
    await page.getByTestId("adapter-info").waitFor({ timeout: 60_000 });
    await expect(page.getByTestId("format-select").inputValue()).resolves.toBe("qwen");
    await page.getByTestId("type-q4_0").check();
    const toDisk = page.getByTestId("save-to-disk");
    if (await toDisk.count()) await toDisk.uncheck();
    await page.getByTestId("export-button").click();
    await page.getByTestId("download-gguf").waitFor({ timeout: 120_000 });
    await expect(page.getByTestId("export-summary").textContent()).resolves.toContain("adapter merged");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-gguf").click()]);
    expect(download.suggestedFilename()).toMatch(/\.gguf$/);
    const gguf = join(tmp, `${j.tag}-${download.suggestedFilename()}`);
    await download.saveAs(gguf);
    if (j.layout) await checkLayout(page, "export", [tid("export-session"), tid("use-session"), tid("model-info"), tid("adapter-info"), tid("type-q4_0"), tid("format-select"), tid("name-input"), tid("export-button"), tid("export-results"), tid("download-gguf")]);

    if (j.layout) {
      requests.stage = "benchmark";
      await page.getByTestId("nav-benchmark").click();
      await expect.poll(() => page.getByTestId("env-cpu").textContent(), { timeout: 30_000 }).toMatch(/thread/);
      await checkLayout(page, "benchmark", [tid("preset-tiny"), tid("backend-webgpu"), tid("backend-cpu"), tid("run-button"), tid("env-webgpu"), tid("env-cpu")]);
    }
    return { gguf, requests, losses: shown, errors: [...errors] };
  } finally {
    await context.close();
  }
}

/** The checks every journey ends with: its requests stayed local, the loss was shown and fell, and the GGUF runs. */
async function checkJourney(r: JourneyResult, steps: number, lossFalls: boolean): Promise<void> {
  expect(r.errors).toEqual([]);

  // no request left localhost; the workers' requests are among those recorded: on the Train page and the Playground
  // only the training and inference workers fetch the weights
  expect(offsite(r.requests.context.map((q) => q.url))).toEqual([]);
  expect(offsite(r.requests.page)).toEqual([]);
  const weightsIn = (stage: Stage) => r.requests.context.filter((q) => q.stage === stage && /\/models\/.+\.safetensors$/.test(q.url)).length;
  expect(weightsIn("train"), "the training worker's requests were recorded").toBeGreaterThan(0);
  expect(weightsIn("playground"), "the inference worker's requests were recorded").toBeGreaterThan(0);
  // ... and each loaded the model once (the Playground once started a second load while the first was under way)
  const configsIn = (stage: Stage) => r.requests.context.filter((q) => q.stage === stage && q.url.endsWith(`/models/${models.id}/config.json`)).length;
  expect([configsIn("train"), configsIn("playground")]).toEqual([1, 1]);

  // the loss was shown at (nearly) every step; over a run long enough to tell, it fell: the last quarter's mean is
  // below the first quarter's
  expect(r.losses.at(-1)![0]).toBe(steps);
  expect(r.losses.length).toBeGreaterThanOrEqual(steps - 1);
  expect(r.losses.every(([, l]) => l > 0 && l < 20)).toBe(true);
  if (lossFalls) {
    const k = Math.max(1, Math.floor(r.losses.length / 4));
    const mean = (xs: [number, number][]) => xs.reduce((a, [, l]) => a + l, 0) / xs.length;
    expect(mean(r.losses.slice(-k))).toBeLessThan(mean(r.losses.slice(0, k)));
  }
  await checkGguf(r.gguf);
}

/** The downloaded GGUF: Q4_0, the FIM format and its tokens named; llama.cpp loads it, finds them and completes. */
async function checkGguf(path: string): Promise<void> {
  const parsed = parseGguf(new Uint8Array(readFileSync(path)));
  const kv = (key: string) => parsed.kvs.get(key)?.value;
  expect(kv("general.file_type")).toBe(2); // MOSTLY_Q4_0
  expect(kv("fim_studio.fim_format")).toBe("qwen");
  const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
  try {
    const model = await llama.loadModel({ modelPath: path });
    const fim = { prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>" } as const;
    const keys = { prefix: "tokenizer.ggml.fim_pre_token_id", suffix: "tokenizer.ggml.fim_suf_token_id", middle: "tokenizer.ggml.fim_mid_token_id" } as const;
    for (const part of ["prefix", "suffix", "middle"] as const) {
      const id = model.tokens.infill[part];
      expect(id).toBe(kv(keys[part]));
      expect(model.detokenize([id!], true).trim()).toBe(fim[part]);
    }
    const ctx = await model.createContext({ contextSize: 256 });
    const prompt = model.tokenize(`${fim.prefix}def add(a, b):\n    return ${fim.suffix}\n${fim.middle}`, true);
    const tokens: number[] = [];
    for await (const t of ctx.getSequence().evaluate(prompt, { temperature: 0 })) {
      tokens.push(t);
      if (tokens.length >= 8) break;
    }
    expect(tokens.length).toBe(8);
    const vocab = (kv("tokenizer.ggml.tokens") as unknown[]).length;
    expect(tokens.every((t) => Number.isInteger(t) && t >= 0 && t < vocab)).toBe(true);
    await ctx.dispose();
    const ctx2 = await model.createContext({ contextSize: 256 });
    const completion = new LlamaCompletion({ contextSequence: ctx2.getSequence() });
    expect(completion.infillSupported).toBe(true);
    expect(typeof (await completion.generateInfillCompletion("def add(a, b):\n    return ", "\n", { maxTokens: 8, temperature: 0 }))).toBe("string");
    await ctx2.dispose();
    await model.dispose();
  } finally {
    await llama.dispose();
  }
}

describe("the whole journey", () => {
  test("on the CPU: paste → samples → 20 steps (loss falling) → ghost text, Tab → Q4_0 → llama.cpp completes; every page at 1280 and 390 px", async () => {
    const steps = 20;
    const r = await takeJourney({
      browser: cpuBrowser, tag: "cpu", backend: "cpu", samples: 60, layout: true,
      settings: { steps, lr: 0.01, warmupSteps: 1, batchSize: 2, gradAccum: 1, contextLength: 256, r: 4, alpha: 8, evalEvery: 0, evalSamples: 0 },
      trainBackend: /CPU/, inferBackend: "the CPU",
    });
    await checkJourney(r, steps, true);
  }, 600_000);

  test("on WebGPU, shortened: 4 steps, batch 1, context 128; ghost text from the GPU; Q4_0 → llama.cpp completes", async () => {
    const steps = 4;
    const r = await takeJourney({
      browser: gpuBrowser, tag: "webgpu", backend: "webgpu", samples: 20, layout: false,
      settings: { steps, lr: 0.01, warmupSteps: 1, batchSize: 1, gradAccum: 1, contextLength: 128, r: 4, alpha: 8, evalEvery: 0, evalSamples: 0 },
      trainBackend: /^Backend: WebGPU \(/, inferBackend: "the GPU",
    });
    await checkJourney(r, steps, false); // 4 steps of batch 1: too few to tell a falling loss from noise
  }, 600_000);
});

describe("the request log", () => {
  test("sees a worker's request to another host (aborted, as every context of these tests aborts them)", async () => {
    const { page, context } = await openPage(gpuBrowser, app.url);
    const requests = recordRequests(context, page);
    try {
      await page.goto(`${app.url}#/data`);
      const failed = await page.evaluate(async () => {
        const src = "onmessage = async (e) => postMessage(await fetch(e.data).then(() => 'ok', () => 'failed'))";
        const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
        return new Promise((res) => ((w.onmessage = (e) => res(e.data)), w.postMessage("https://huggingface.co/api/models/probe")));
      });
      expect(failed).toBe("failed");
      expect(offsite(requests.context.map((q) => q.url))).toEqual(["https://huggingface.co/api/models/probe"]);
    } finally {
      await context.close();
    }
  });
});

describe("without WebGPU", () => {
  test("'auto' trains on the CPU; the model picker and the run panel say why", async () => {
    const { page, context, errors } = await openPage(cpuBrowser, app.url);
    const requests = recordRequests(context, page);
    try {
      await page.goto(`${app.url}#/train`);
      // the setup: WebGPU is there but gives no adapter, in the page and in a worker
      const probe = await page.evaluate(async () => {
        const src = "onmessage = async () => postMessage(!!(await self.navigator.gpu?.requestAdapter()))";
        const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
        const worker = await new Promise((res) => ((w.onmessage = (e) => res(e.data)), w.postMessage(0)));
        return { page: !!(await navigator.gpu?.requestAdapter()), worker };
      });
      expect(probe).toEqual({ page: false, worker: false });

      await expect.poll(() => page.getByTestId("gpu-status").textContent()).toMatch(/No WebGPU: .*Training and completions run on the CPU instead/);
      await expect.poll(() => page.getByTestId("embedded-select").inputValue()).toBe(models.id);
      await page.getByTestId("use-builtin").click();
      await page.getByTestId("train-data").waitFor({ timeout: 60_000 });
      expect(await page.getByTestId("set-backend").inputValue()).toBe("auto");
      await expect(page.getByTestId("estimate").textContent()).resolves.toContain("on the CPU");
      await setSettings(page, { steps: 3, lr: 0.01, warmupSteps: 1, batchSize: 1, gradAccum: 1, contextLength: 128, r: 4, alpha: 8, evalEvery: 0, evalSamples: 0 });
      await page.getByTestId("train-start").click();
      await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 180_000 }).toMatch(/Done|Failed/);
      expect(await page.getByTestId("train-error").count()).toBe(0);
      expect(await page.getByTestId("train-step").textContent()).toBe("3 / 3");
      await expect(page.getByTestId("train-backend").textContent()).resolves.toMatch(/^Backend: WebGPU is not available here \(.+\); running on the CPU instead \(WebAssembly SIMD, \d+ threads?\)$/);
      await page.screenshot({ path: join(SHOTS_DIR, "journey-train-no-webgpu-1280.png"), fullPage: true });
      expect(offsite(requests.context.map((q) => q.url))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);
});
