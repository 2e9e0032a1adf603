// mamba-pages.test.ts — the Playground and Train pages in headless Chromium on a tiny Mamba-1 checkpoint (transformers'
// MambaForCausalLM layout, tests/fixtures/tiny-mamba.ts) served as the embedded model, exactly as the transformer is in
// playground-page.test.ts and train-page.test.ts: ghost text equal to the Node engine's greedy completion (format ctx:
// the tokenizer has no FIM tokens), Tab inserts it; the page names the architecture and, per keystroke, how many of the
// prompt's tokens ran and how many came from the recurrent state (a keystroke at the end of the «CTX» block runs fewer
// than the whole prompt, the same number as the engine in Node); a short LoRA run whose loss is shown, and whose adapter
// (read back from its OPFS checkpoint) the Playground then uses. Screenshots go to $SHOTS_DIR/mamba-*.png.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { memoryFiles } from "../../src/lib/model/files.ts";
import { loadAdapter } from "../../src/lib/train/adapter.ts";
import { complete } from "../../src/lib/train/complete.ts";
import { CpuBackend } from "../../src/lib/train/cpu/index.ts";
import { loadEngine, type Engine } from "../../src/lib/train/engine.ts";
import { setLoraEnabled } from "../../src/lib/train/lora.ts";
import { MeasuredDecoder, type PromptCost } from "../../src/workers/measured-decoder.ts";
import { TINY_MAMBA_DIMS, tinyMambaConfig, tinyMambaFiles } from "../fixtures/tiny-mamba.ts";
import { launchBrowser, openPage, startApp, type RunningApp } from "./browser.ts";

const SHOTS_DIR = process.env.SHOTS_DIR || "/tmp/shots";
const ID = "tiny-mamba";
/** Sharper logits than the default (plain-ASCII greedy text, no near ties between the GPU and the CPU). */
const FILES = tinyMambaFiles({ weightScale: 8 });
const TYPED = "        a, b = b, a";

let app: RunningApp;
/** With SwiftShader's WebGPU adapter, as the other page tests; and one without an adapter, so the worker runs on the CPU. */
let browser: Browser;
let cpuBrowser: Browser;
let modelsDir: string;

/** A folder laid out like public/models/ (index.json + the checkpoint with its manifest.json). */
function writeModelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fim-mamba-models-"));
  mkdirSync(join(dir, ID));
  let bytes = 0;
  for (const [name, data] of Object.entries(FILES)) {
    writeFileSync(join(dir, ID, name), data);
    bytes += typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
  }
  writeFileSync(join(dir, ID, "manifest.json"), JSON.stringify({ files: Object.keys(FILES) }));
  const { hidden_size: C, num_hidden_layers: L, intermediate_size: DI, state_size: DS, conv_kernel: K, time_step_rank: R } = TINY_MAMBA_DIMS;
  const V = tinyMambaConfig().vocab_size as number;
  const params = V * C + L * (C + 2 * DI * C + DI * K + DI + (R + 2 * DS) * DI + DI * R + DI + DI * DS + DI + C * DI) + C;
  const shape = { params, C, L, H: DI, V };
  writeFileSync(join(dir, "index.json"), JSON.stringify({ models: [{ id: ID, label: "Tiny Mamba (test)", path: ID, shape, bytes }] }));
  return dir;
}

beforeAll(async () => {
  modelsDir = writeModelsDir();
  mkdirSync(SHOTS_DIR, { recursive: true });
  [app, browser, cpuBrowser] = await Promise.all([startApp("dev", { modelsDir }), launchBrowser(), launchBrowser({ webgpu: false })]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cpuBrowser?.close();
  await app?.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

type Cpu = Engine<Float32Array, Int32Array>;
const nodeEngine = (): Promise<Cpu> => loadEngine(new CpuBackend(), memoryFiles(FILES));

/** The Playground's request (cursor at the end, format ctx, line mode, 48 tokens) through the engine in Node. */
async function nodeComplete(engine: Cpu, decoder: MeasuredDecoder<Float32Array, Int32Array>, prefix: string): Promise<{ text: string; cost: PromptCost }> {
  let text = "";
  const m = { tokenizer: engine.checkpoint.tokenizer, generator: decoder, eosIds: engine.checkpoint.stopIds };
  for await (const piece of complete(m, { prefix, suffix: "", format: "ctx", mode: "line", maxTokens: 48 })) text += piece;
  // line mode shows the first line (CodeMirror also breaks lines at "\r", which the engine's "\n" stop does not)
  return { text: text.split(/\r\n?|\n/)[0]!, cost: decoder.last! };
}

/** The document without the ghost text (which CodeMirror draws inside the line). */
const docText = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll(".cm-line")].map((l) => {
      const c = l.cloneNode(true) as HTMLElement;
      c.querySelectorAll(".cm-ghost-text").forEach((g) => g.remove());
      return c.textContent;
    }).join("\n"));
const editorText = (page: Page) => page.evaluate(() => document.querySelector(".cm-content")!.textContent ?? "");
/** Suggestions answered so far (the page's User Timing measures, one per suggestion). */
const answered = (page: Page) => page.evaluate(() => performance.getEntriesByName("fim:suggestion").length);

const COST = /^prompt (\d+) tokens: (\d+) run, (\d+) from the recurrent state, (\d+) ms$/;
async function shownCost(page: Page): Promise<PromptCost> {
  const text = (await page.getByTestId("ghost-detail").textContent()) ?? "";
  const m = COST.exec(text);
  expect(m, `the per-keystroke prompt cost under the editor: ${JSON.stringify(text)}, readout ${JSON.stringify(await page.getByTestId("ghost-latency").textContent())}`).not.toBeNull();
  const [tokens, ran, reused, ms] = m!.slice(1).map(Number) as [number, number, number, number];
  expect(tokens - ran).toBe(reused);
  return { tokens, ran, ms };
}

/**
 * Types `text` at the cursor (first at the end of the document, when `toEnd`) and waits for the model's answer (a
 * suggestion or none). Moving the cursor asks too (a context asked before is answered at once, from the cache), so
 * the count is taken once it is in place.
 */
async function typeAndWait(page: Page, text: string, toEnd = false): Promise<void> {
  if (toEnd) {
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+End");
    await page.waitForTimeout(50);
  }
  const before = await answered(page);
  await page.keyboard.type(text, { delay: 20 });
  await expect.poll(() => answered(page), { timeout: 60_000 }).toBeGreaterThan(before);
}

type Figure = PromptCost & { key: string };
const figureList = (fs: Figure[]) => fs.map((f) => `${JSON.stringify(f.key)} ${f.tokens}/${f.ran}/${Math.round(f.ms)}`).join(", ");

/**
 * Checks the prompt cost the page shows for its last answer against the same request on `decoder` in Node, which has
 * seen the same requests before (so it holds the same saved states): the same tokens, the same number run, fewer than
 * the whole prompt.
 */
async function checkCost(page: Page, engine: Cpu, decoder: MeasuredDecoder<Float32Array, Int32Array>, key: string): Promise<Figure> {
  const cost = await shownCost(page);
  const node = await nodeComplete(engine, decoder, await docText(page));
  expect(cost.ran, `after ${JSON.stringify(key)}`).toBeLessThan(cost.tokens);
  expect({ tokens: cost.tokens, ran: cost.ran }, `after ${JSON.stringify(key)}`).toEqual({ tokens: node.cost.tokens, ran: node.cost.ran });
  return { key, ...cost };
}

/**
 * Keystrokes at the end of the document, which is the end of the «CTX» block's text before the cursor: each runs the
 * prompt again from the last state saved (every 32 tokens) inside its unchanged start.
 */
async function keystrokes(page: Page, engine: Cpu, decoder: MeasuredDecoder<Float32Array, Int32Array>, keys: string[]): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const key of keys) {
    if (await page.locator(".cm-ghost-text").count()) await page.keyboard.press("Escape");
    await typeAndWait(page, key);
    out.push(await checkCost(page, engine, decoder, key));
  }
  return out;
}

describe("Mamba in the Playground and on the Train page", () => {
  test("Playground (CPU): ghost text is the engine's greedy ctx completion, Tab inserts it; a keystroke runs only what follows the last saved state", async () => {
    const { page, errors } = await openPage(cpuBrowser, app.url);
    await page.goto(`${app.url}#/playground`);
    await page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("inference-ready").textContent()).toMatch(/on the CPU\s+\(FIM format ctx\)/);
    const arch = (await page.getByTestId("model-arch").textContent())!.replace(/\s+/g, " ");
    expect(arch).toContain(`MambaForCausalLM, ${TINY_MAMBA_DIMS.num_hidden_layers} layers, hidden ${TINY_MAMBA_DIMS.hidden_size}`);
    expect(arch).toContain("recurrent state");
    expect(await page.getByTestId("no-adapter").isVisible()).toBe(true);

    await typeAndWait(page, TYPED, true);
    const ghost = page.locator(".cm-ghost-text");
    await ghost.waitFor({ timeout: 10_000 });
    const shown = (await ghost.textContent()) ?? "";
    // the same requests through the engine in Node, on one decoder as in the worker (its saved states included)
    const engine = await nodeEngine();
    const decoder = new MeasuredDecoder(engine.generator());
    const first = await nodeComplete(engine, decoder, await docText(page));
    expect(shown).toBe(first.text);
    const cost0 = await shownCost(page);
    expect(cost0).toMatchObject({ tokens: first.cost.tokens, ran: first.cost.tokens }); // nothing to reuse yet
    await page.screenshot({ path: join(SHOTS_DIR, "mamba-playground.png"), fullPage: true });

    // Tab inserts the suggestion, and asks for the next one (at the new end of the line)
    const before = await editorText(page);
    const asked = await answered(page);
    await page.keyboard.press("Tab");
    await expect.poll(() => editorText(page)).toBe(before.replace(shown, "") + shown);
    await expect.poll(() => answered(page), { timeout: 60_000 }).toBeGreaterThan(asked);
    const figures = [await checkCost(page, engine, decoder, "Tab")];
    figures.push(...(await keystrokes(page, engine, decoder, [" #", "1", "2", "3", "4", "5"])));
    console.log(`Mamba Playground on the CPU, prompt cost (tokens/run/ms): first request ${cost0.tokens}/${cost0.ran}/${cost0.ms}; ${figureList(figures)}`);
    await page.screenshot({ path: join(SHOTS_DIR, "mamba-playground-keystrokes.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);

  test("Train: a short LoRA run on the CPU shows its loss; the Playground (WebGPU) then uses the adapter, as saved in the run's checkpoint", async () => {
    const { page, errors } = await openPage(browser, app.url);
    await page.goto(`${app.url}#/train`);
    await expect.poll(() => page.getByTestId("embedded-select").inputValue()).toBe(ID);
    await page.getByTestId("use-builtin").click();
    await page.getByTestId("train-data").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId("estimate").textContent()).toMatch(/steps of .* tokens/);
    const settings = { lr: 0.01, warmupSteps: 1, batchSize: 2, gradAccum: 1, contextLength: 256, r: 4, alpha: 8, steps: 8, evalEvery: 4, evalSamples: 2 };
    for (const [k, v] of Object.entries(settings)) await page.getByTestId(`set-${k}`).fill(String(v));
    await page.getByTestId("set-backend").selectOption("cpu");
    await page.getByTestId("train-start").click();
    await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 180_000 }).toContain("Done");
    expect(await page.getByTestId("train-step").textContent()).toBe("8 / 8");
    expect(await page.getByTestId("train-loss").textContent()).toMatch(/^\d+\.\d{4}$/);
    expect(await page.getByTestId("train-backend").textContent()).toContain("CPU");
    const model = (await page.getByTestId("train-model").textContent())!.replace(/\s+/g, " ");
    expect(model).toContain("MambaForCausalLM, 2 layers (recurrent state-space); LoRA on in_proj, x_proj, dt_proj, out_proj");
    const line = (await page.getByTestId("train-line").getAttribute("d"))!;
    expect(line.split(/[ML]/).filter((s) => s.trim()).length).toBe(8);
    expect(await page.locator("circle.eval-dot").count()).toBe(3); // held-out loss at steps 0, 4 and 8
    for (const id of ["em-before", "em-after", "es-before", "es-after"]) expect(await page.getByTestId(id).textContent()).toMatch(/^\d+\.\d$/);
    await page.screenshot({ path: join(SHOTS_DIR, "mamba-train.png"), fullPage: true });

    // the adapter as the run saved it: its last checkpoint in OPFS (opfs-store.ts: a folder per run, the manifest names
    // the generation); this page trained one run
    const saved = await page.evaluate(async () => {
      const runs = await (await navigator.storage.getDirectory()).getDirectoryHandle("fim-studio-runs");
      const ids: string[] = [];
      for await (const [name, handle] of (runs as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) if (handle.kind === "directory") ids.push(name);
      if (ids.length !== 1) throw new Error(`expected one run folder, found ${ids.join(", ") || "none"}`);
      const dir = await runs.getDirectoryHandle(ids[0]!);
      const read = async (name: string) => new Uint8Array(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer());
      const { generation } = JSON.parse(new TextDecoder().decode(await read("checkpoint.json"))) as { generation: number };
      const out: Record<string, number[]> = {};
      for (const name of ["adapter_config.json", "adapter_model.safetensors"]) out[name] = [...(await read(`${name}.g${generation}`))];
      return out;
    });
    const config = JSON.parse(new TextDecoder().decode(Uint8Array.from(saved["adapter_config.json"]!))) as { r: number; target_modules: string[] };
    expect(config.r).toBe(4);
    expect([...config.target_modules].sort()).toEqual(["dt_proj", "in_proj", "out_proj", "x_proj"]);

    // the Playground picks the trained adapter up, switched on; its ghost text is the engine's with the saved adapter
    // (on WebGPU: the Playground defaults to the CPU on SwiftShader, a software adapter, so the GPU is picked)
    await page.getByTestId("nav-playground").click();
    await page.getByTestId("pg-device").selectOption("gpu");
    await expect.poll(() => page.getByTestId("inference-ready").textContent({ timeout: 60_000 }), { timeout: 60_000 }).toContain("on the GPU");
    await expect.poll(() => page.getByTestId("adapter-tuned").isChecked(), { timeout: 60_000 }).toBe(true);
    expect(await page.getByTestId("no-adapter").count()).toBe(0);
    await typeAndWait(page, TYPED, true);
    const engine = await nodeEngine();
    const files = new Map(Object.entries(saved).map(([n, v]) => [n, Uint8Array.from(v)]));
    await loadAdapter(engine.model.be, engine.model.w, files);
    setLoraEnabled(engine.model.w, true);
    const decoder = new MeasuredDecoder(engine.generator());
    const tuned = await nodeComplete(engine, decoder, await docText(page));
    const ghost = page.locator(".cm-ghost-text");
    expect((await ghost.count()) ? await ghost.textContent() : "").toBe(tuned.text);
    expect((await shownCost(page)).tokens).toBe(tuned.cost.tokens);
    await page.screenshot({ path: join(SHOTS_DIR, "mamba-playground-tuned.png"), fullPage: true });
    const figures = await keystrokes(page, engine, decoder, ["1", "2"]);
    console.log(`Mamba Playground on WebGPU (SwiftShader) with the adapter, prompt cost (tokens/run/ms): ${figureList(figures)}`);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);
});
