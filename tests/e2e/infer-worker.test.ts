// Completion in a Web Worker (src/workers/infer.worker.ts) in headless Chromium: greedy completions on the CPU and
// WebGPU backends equal the Node CPU engine's on the same tiny checkpoint, a cancelled request stops promptly and the
// next one works, a PEFT adapter switches the output between base and fine-tuned without reloading, and a lost GPU
// device is reported so the page can load the model again.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { Rng } from "../../src/lib/fim/prng.ts";
import { memoryFiles } from "../../src/lib/model/files.ts";
import { loraShapes, saveAdapter } from "../../src/lib/train/adapter.ts";
import { CpuBackend } from "../../src/lib/train/cpu/index.ts";
import { loadEngine, type Engine } from "../../src/lib/train/engine.ts";
import { inferenceWeights } from "../../src/lib/train/tables.ts";
import { attachLora, setLoraEnabled, type LoraConfig } from "../../src/lib/train/lora.ts";
import { BLOCK_LINEARS } from "../../src/lib/train/model.ts";
import type { AdapterInfo, CompleteRequest, CompleteResult, LoadProgress, LoadRequest, ModelInfo } from "../../src/workers/infer.worker.ts";
import { tinyCheckpointFiles } from "../fixtures/tiny-checkpoint.ts";
import { launchBrowser, openPage, ROOT, startApp, type RunningApp } from "./browser.ts";

const MODEL_DIR = join(ROOT, "tests/e2e/.tmp-models/infer-worker");
const MODEL_URL = "/tests/e2e/.tmp-models/infer-worker/";
const ADAPTER_URL = `${MODEL_URL}adapter/`;
const LORA: LoraConfig = { r: 2, alpha: 4, rslora: false, targets: BLOCK_LINEARS };

type Outcome = { result?: CompleteResult; error?: string; afterCancelMs?: number; settledAt: number; pieces: string[] };
type Harness = {
  load(name: string, req: LoadRequest): Promise<ModelInfo>;
  progress(): LoadProgress[];
  start(name: string, req: CompleteRequest, cancelAfterPieces?: number): void;
  wait(id: number): Promise<Outcome>;
  complete(name: string, req: CompleteRequest): Promise<Outcome>;
  cancel(name: string, id: number): Promise<void>;
  setAdapter(name: string, url: string | null, files?: string[]): Promise<AdapterInfo | null>;
  useAdapter(name: string, on: boolean): Promise<void>;
  loseDevice(name: string): Promise<boolean>;
};

let app: RunningApp;
let browser: Browser;
let page: Page;
let engine: Engine<Float32Array, Int32Array>;
let adapterFiles: string[];

/** Calls the harness in the page: `call("load", "cpu", req)`. */
function call<K extends keyof Harness>(k: K, ...args: Parameters<Harness[K]>): Promise<Awaited<ReturnType<Harness[K]>>> {
  return page.evaluate(([k, args]) => {
    const h = (window as unknown as { inferHarness: Record<string, (...a: unknown[]) => unknown> }).inferHarness;
    return h[k]!(...args);
  }, [k, args] as const) as Promise<Awaited<ReturnType<Harness[K]>>>;
}

const SHORT = { prefix: "def add(a, b):\n    total = ", suffix: "\n    return total\n", mode: "multiline", maxTokens: 8 } as const;
/** Runs to its token limit on the tiny model (850 tokens, a few hundred ms); the test checks that it would. */
const LONG = { prefix: "x = [\n", suffix: "", mode: "multiline", maxTokens: 850 } as const;

/** The completion the Node CPU engine gives (format qwen, greedy), with the adapter on or off. */
async function nodeCompletion(req: Omit<CompleteRequest, "id">, adapter: boolean): Promise<{ text: string; reason: string }> {
  setLoraEnabled(engine.model.w, adapter);
  engine.generator().reset();
  const it = engine.complete({ format: "qwen", ...req });
  let text = "";
  for (;;) {
    const r = await it.next();
    if (r.done) return { text, reason: r.value };
    text += r.value;
  }
}

/** Each worker loads the model once, in the first test that needs it (tests can then run alone, with -t). */
const loads = new Map<string, Promise<ModelInfo>>();
function loaded(name: "cpu" | "gpu" | "cpu-int4"): Promise<ModelInfo> {
  const req: LoadRequest = { model: { kind: "url", url: MODEL_URL }, backend: name === "gpu" ? "webgpu" : "cpu", ...(name === "cpu-int4" && { weights: "int4" }) };
  if (!loads.has(name)) loads.set(name, call("load", name, req));
  return loads.get(name)!;
}

let base: { text: string; reason: string };
let tuned: { text: string; reason: string };

beforeAll(async () => {
  rmSync(MODEL_DIR, { recursive: true, force: true });
  mkdirSync(join(MODEL_DIR, "adapter"), { recursive: true });
  const files = tinyCheckpointFiles({ architecture: "qwen2" });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(MODEL_DIR, name), data);
  writeFileSync(join(MODEL_DIR, "manifest.json"), JSON.stringify({ files: Object.keys(files) }));

  // the reference: the CPU engine in this process, and a random adapter made on it (B nonzero, so it changes things)
  const be = new CpuBackend();
  engine = await loadEngine(be, memoryFiles(files));
  base = await nodeCompletion(SHORT, false);
  const params = attachLora(be, engine.model.w, LORA, 3);
  const rng = new Rng(7);
  for (const p of params) if (p.name.includes("lora_B")) be.write(p.buf, Float32Array.from({ length: p.n }, () => (rng.next() - 0.5) * 0.5));
  const adapter = await saveAdapter(be, params, LORA, "tiny", loraShapes(engine.model.w));
  for (const [name, data] of adapter) writeFileSync(join(MODEL_DIR, "adapter", name), data);
  adapterFiles = [...adapter.keys()];
  tuned = await nodeCompletion(SHORT, true);

  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  page = (await openPage(browser, app.url)).page;
  await page.goto(`${app.url}tests/e2e/harness/infer-worker.html`);
  await page.waitForFunction(() => "inferHarness" in window);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(MODEL_DIR, { recursive: true, force: true });
});

describe("completion in a Web Worker", () => {
  test("CPU backend: load reports the backend, the model and progress; greedy completion equals the Node engine's", async () => {
    const info = await loaded("cpu");
    expect(info).toMatchObject({ backend: "cpu", architecture: "Qwen2ForCausalLM", modelType: "qwen2", layers: 2, hidden: 64, contextLength: 2048, defaultFormat: "qwen", warnings: [] });
    expect(info.note).toMatch(/WebAssembly SIMD, \d+ threads?\)$/); // the worker runs the WebAssembly kernels
    expect(info.fimFormats.map((f) => f.format)).toEqual(["qwen", "psm"]);
    expect(info.fimFormats[0]!.tokens["<|fim_middle|>"]).toBe(engine.checkpoint.tokenizer.singleTokenId("<|fim_middle|>"));
    const progress = await call("progress");
    expect(progress.some((p) => p.phase === "bytes" && p.file === "model.safetensors")).toBe(true);
    expect(progress.filter((p) => p.phase === "tensors").at(-1)).toEqual({ phase: "tensors", done: engine.checkpoint.tensors.length, total: engine.checkpoint.tensors.length });

    const r = await call("complete", "cpu", { id: 1, ...SHORT });
    expect(r.error).toBeUndefined();
    expect(r.result).toMatchObject({ id: 1, text: base.text, stoppedBy: base.reason });
    expect(r.result!.tokens).toBeGreaterThan(0);
    expect(r.pieces.join("")).toBe(base.text);
  });

  test("CPU backend with int4 weights (kept quantized): the Node engine's int4 completion", async () => {
    const int4 = await loadEngine(new CpuBackend(), memoryFiles(tinyCheckpointFiles({ architecture: "qwen2" })), inferenceWeights("int4"));
    const it = int4.complete({ format: "qwen", ...SHORT });
    let text = "";
    let r = await it.next();
    for (; !r.done; r = await it.next()) text += r.value;
    await loaded("cpu-int4");
    const got = await call("complete", "cpu-int4", { id: 1, ...SHORT });
    expect(got.error).toBeUndefined();
    expect(got.result).toMatchObject({ text, stoppedBy: r.value });
  });

  test("WebGPU backend: the same greedy completion", async () => {
    const info = await loaded("gpu");
    expect(info.backend).toBe("webgpu");
    const r = await call("complete", "gpu", { id: 1, ...SHORT });
    expect(r.result).toMatchObject({ text: base.text, stoppedBy: base.reason });
  }, 300_000);

  test("a cancelled request, running or waiting, ends promptly as cancelled; the next request works", async () => {
    expect((await nodeCompletion(LONG, false)).reason).toBe("max-tokens"); // uncancelled, it would run to the limit
    await loaded("cpu");
    await page.evaluate(([long, short]) => {
      const h = (window as unknown as { inferHarness: Harness }).inferHarness;
      h.start("cpu", { id: 10, ...long }, 3); // cancelled by the page once 3 pieces have streamed in
      h.start("cpu", { id: 11, ...short }); // waits behind 10 ...
      void h.cancel("cpu", 11); // ... and is cancelled while waiting
    }, [LONG, SHORT] as const);
    const waiting = await call("wait", 11);
    const running = await call("wait", 10);
    expect(waiting.result).toMatchObject({ id: 11, stoppedBy: "cancelled", tokens: 0, text: "" });
    expect(waiting.afterCancelMs).toBeLessThan(500);
    expect(waiting.settledAt).toBeLessThan(running.settledAt); // it did not wait for 10 to finish
    expect(running.result?.stoppedBy).toBe("cancelled");
    expect(running.result!.tokens).toBeLessThan(LONG.maxTokens);
    expect(running.afterCancelMs).toBeLessThan(500);
    expect(running.result!.text).toBe(running.pieces.join(""));
    const next = await call("complete", "cpu", { id: 12, ...SHORT });
    expect(next.result).toMatchObject({ text: base.text, stoppedBy: base.reason });
  });

  test("an adapter changes the output; switching it off and on needs no reload; a wrong one is refused", async () => {
    expect(tuned.text).not.toBe(base.text);
    await loaded("cpu");
    expect(await call("setAdapter", "cpu", ADAPTER_URL, adapterFiles)).toMatchObject({ lora: { r: 2, alpha: 4 } });
    expect((await call("complete", "cpu", { id: 20, ...SHORT })).result).toMatchObject({ text: tuned.text, stoppedBy: tuned.reason });
    await call("useAdapter", "cpu", false);
    expect((await call("complete", "cpu", { id: 21, ...SHORT })).result?.text).toBe(base.text);
    await call("useAdapter", "cpu", true);
    expect((await call("complete", "cpu", { id: 22, ...SHORT })).result?.text).toBe(tuned.text);
    await call("setAdapter", "cpu", null);
    expect((await call("complete", "cpu", { id: 23, ...SHORT })).result?.text).toBe(base.text);
    await expect(call("setAdapter", "cpu", ADAPTER_URL, ["adapter_config.json"])).rejects.toThrow(/adapter_model\.safetensors: not found/);
    expect((await call("complete", "cpu", { id: 24, ...SHORT })).result?.text).toBe(base.text);
  });

  test("WebGPU backend: the adapter gives the Node engine's fine-tuned completion", async () => {
    await loaded("gpu");
    await call("setAdapter", "gpu", ADAPTER_URL, adapterFiles);
    expect((await call("complete", "gpu", { id: 2, ...SHORT })).result).toMatchObject({ text: tuned.text, stoppedBy: tuned.reason });
  }, 300_000);

  test("a lost GPU device fails the request with GpuUnavailableError; loading again works", async () => {
    await loaded("gpu");
    expect(await call("loseDevice", "gpu")).toBe(true);
    const lost = await call("complete", "gpu", { id: 3, ...SHORT });
    expect(lost.error).toMatch(/^GpuUnavailableError: WebGPU is not available: the device was lost .*Load the model again/);
    expect((await call("complete", "gpu", { id: 4, ...SHORT })).error).toMatch(/no model loaded: call load\(\) first/);
    expect((await call("load", "gpu", { model: { kind: "url", url: MODEL_URL }, backend: "auto" })).backend).toBe("webgpu");
    expect((await call("complete", "gpu", { id: 5, ...SHORT })).result).toMatchObject({ text: base.text, stoppedBy: base.reason });
  }, 300_000);
});
