// export-page.test.ts — e2e tests of the Export page in headless Chromium. A tiny Qwen2 checkpoint folder (and a
// random PEFT adapter) is written to a temp dir and picked through the page's folder input; the page exports it in
// its worker (the Blob fallback: the save dialog needs a real user) and every file it offers is compared byte for
// byte with what the `fim export` CLI writes for the same folders. Also: the Modelfile and commands, "Check in
// browser" (llama.cpp as WebAssembly loads the GGUF and completes), errors beside their control, Cancel, and
// screenshots at 1280×720 and 390×844 (to $SHOTS_DIR or /tmp/shots).
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { main } from "../../node/export/src/cli/main.ts";
import { parseGguf } from "../../src/lib/gguf/reader.ts";
import { Rng } from "../../src/lib/fim/prng.ts";
import { expectedTensors, loadCheckpoint, memoryFiles, parseModelConfig, writeSafetensors } from "../../src/lib/model/index.ts";
import { parseSafetensors, readTensor } from "../../src/lib/model/safetensors.ts";
import { adapterConfigJson } from "../../src/lib/train/adapter.ts";
import { peftName } from "../../src/lib/train/lora.ts";
import { tinyCheckpointFiles, tinyConfig, writeTinyCheckpoint } from "../fixtures/tiny-checkpoint.ts";
import { launchBrowser, openPage, startApp, type RunningApp } from "./browser.ts";

const SHOTS_DIR = process.env.SHOTS_DIR || "/tmp/shots";
const QWEN = { architecture: "qwen2" } as const;

let app: RunningApp;
let browser: Browser;
let tmp: string;
/** Folders as the user would pick them; their names become the model name, as the CLI's basename does. */
let modelDir: string;
let adapterDir: string;
let bigDir: string;

/** A PEFT adapter for the tiny checkpoint: rank 4 on every projection, random A and B, trained with format `psm`. */
async function writeAdapter(dir: string): Promise<void> {
  const cp = await loadCheckpoint(memoryFiles(tinyCheckpointFiles(QWEN)));
  const lora = { r: 4, alpha: 8, rslora: false, targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const };
  const rng = new Rng(5);
  const tensors = cp.tensors.flatMap((t) => {
    const m = /^(model\.layers\.\d+\.(?:self_attn|mlp)\.\w+_proj)\.weight$/.exec(t.name);
    if (!m) return [];
    const [OC, IC] = t.shape as [number, number];
    const random = (n: number) => Float32Array.from({ length: n }, () => Math.round((rng.next() - 0.5) * 64) / 256);
    return [
      { name: peftName(m[1]!, "A"), dtype: "F32" as const, shape: [lora.r, IC], data: random(lora.r * IC) },
      { name: peftName(m[1]!, "B"), dtype: "F32" as const, shape: [OC, lora.r], data: random(OC * lora.r) },
    ];
  });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "adapter_config.json"), JSON.stringify(adapterConfigJson({ ...lora, targets: [...lora.targets] }, "tiny-qwen"), null, 2));
  await writeFile(join(dir, "adapter_model.safetensors"), writeSafetensors(tensors, { format: "pt" }, "adapter_model.safetensors"));
  await writeFile(join(dir, "trainer_state.json"), JSON.stringify({ step: 10, format: "psm" }));
}

/**
 * The same adapter as Axolotl and TRL write it (PEFT's save_pretrained): BF16 tensors, adapter_config.json with every
 * field of PEFT 0.20 in its alphabetical order, the base named by its Hub id, target_modules as full module paths
 * (what PEFT saves for "all-linear" on a model of fewer than 20 linears), no trainer_state.json.
 */
async function writeTrainerAdapter(from: string, dir: string): Promise<void> {
  const bytes = new Uint8Array(await readFile(join(from, "adapter_model.safetensors")));
  const index = parseSafetensors(bytes, "adapter_model.safetensors");
  const tensors = await Promise.all(index.tensors.map(async (e) => ({ name: e.name, dtype: "BF16" as const, shape: e.shape, data: (await readTensor(bytes, e)).data })));
  const paths = [...new Set(tensors.map((t) => t.name.replace(/^base_model\.model\./, "").replace(/\.lora_[AB]\.weight$/, "")))];
  const example = JSON.parse(await readFile(new URL("../fixtures/kit/peft-schema.json", import.meta.url), "utf8")).adapterConfigExample as Record<string, unknown>;
  const config = { ...example, base_model_name_or_path: "Qwen/Qwen2.5-Coder-0.5B", r: 4, lora_alpha: 8, lora_dropout: 0.05, target_modules: paths };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "adapter_config.json"), JSON.stringify(Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b))), null, 2));
  await writeFile(join(dir, "adapter_model.safetensors"), writeSafetensors(tensors, { format: "pt" }, "adapter_model.safetensors"));
}

/** A Qwen2 checkpoint of ~100 MB (zero F16 weights, the tiny tokenizer): big enough to cancel mid-export. */
async function writeBigCheckpoint(dir: string): Promise<void> {
  const files = tinyCheckpointFiles(QWEN);
  const config = {
    ...tinyConfig(QWEN),
    hidden_size: 1024, intermediate_size: 2816, num_hidden_layers: 6, num_attention_heads: 16, num_key_value_heads: 2, torch_dtype: "float16",
  };
  const tensors = expectedTensors(parseModelConfig(config)).map((t) => ({
    name: t.name, dtype: "F16" as const, shape: t.shape, data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)),
  }));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  for (const name of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) await writeFile(join(dir, name), files[name]!);
  await writeFile(join(dir, "model.safetensors"), writeSafetensors(tensors, { format: "pt" }));
}

/** Runs `fim export` in-process, quietly. */
async function cliExport(args: string[], outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const sink = { write: () => true };
  const code = await main(["export", ...args, "--quiet"], { stdout: sink, stderr: sink });
  if (code !== 0) throw new Error(`fim export ${args.join(" ")} exited with ${code}`);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "fim-export-page-"));
  modelDir = join(tmp, "tiny-qwen");
  adapterDir = join(tmp, "tiny-adapter");
  bigDir = join(tmp, "big-qwen");
  await writeTinyCheckpoint(modelDir, QWEN);
  await writeAdapter(adapterDir);
  await writeBigCheckpoint(bigDir);
  // What the CLI writes for the tiny folder as q8_0 (the adapter test runs its own).
  const cliDir = join(tmp, "cli-q8");
  await cliExport(["--model", modelDir, "--quant", "q8_0", "--out", join(cliDir, "tiny-qwen.gguf"), "--modelfile", join(cliDir, "Modelfile")], cliDir);
  await mkdir(SHOTS_DIR, { recursive: true });
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function gotoExport(page: Page): Promise<void> {
  await page.goto(`${app.url}#/export`);
  await page.getByTestId("export-button").waitFor();
  // Headless Chromium has showSaveFilePicker, but its dialog needs a person: use the download fallback.
  const toDisk = page.getByTestId("save-to-disk");
  if (await toDisk.count()) await toDisk.uncheck();
}

/** Clicks a download link and returns the file's bytes and suggested name. */
async function download(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).click()]);
  return { name: d.suggestedFilename(), bytes: await readFile(await d.path()) };
}

/** Clicks Cancel from inside the page the moment the first tensor is reported, so the export is surely mid-way. */
async function cancelAtFirstProgress(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const observer = new MutationObserver(() => {
          const cancel = document.querySelector<HTMLButtonElement>('[data-testid="cancel-button"]');
          if (!cancel || !document.querySelector('[data-testid="progress-tensors"]')) return;
          observer.disconnect();
          cancel.click();
          resolve();
        });
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
      }),
  );
}

describe("Export page", () => {
  test("exports q8_0 byte for byte as the CLI does, with the Modelfile, commands and a check in the browser", async () => {
    const { page, context, errors } = await openPage(browser, app.url);
    try {
      await gotoExport(page);
      await expect(page.getByTestId("type-q4_0").isChecked()).resolves.toBe(true);
      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await expect(page.getByTestId("model-info").textContent()).resolves.toContain("Qwen2ForCausalLM");
      await expect(page.getByTestId("name-input").inputValue()).resolves.toBe("tiny-qwen");
      await expect(page.getByTestId("format-select").inputValue()).resolves.toBe("qwen");
      await page.getByTestId("type-q8_0").check();
      const estimate = Number(await page.getByTestId("size-q8_0").getAttribute("data-value"));
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS_DIR, "export-1280x720-chosen.png") });

      await page.getByTestId("export-button").click();
      await page.getByTestId("download-gguf").waitFor({ timeout: 60_000 });
      const gguf = await download(page, "download-gguf");
      expect(gguf.name).toBe("tiny-qwen.gguf");

      const cliDir = join(tmp, "cli-q8");
      const cliGguf = await readFile(join(cliDir, "tiny-qwen.gguf"));
      expect(gguf.bytes.length).toBe(cliGguf.length);
      expect(gguf.bytes.equals(cliGguf)).toBe(true);
      expect(estimate).toBe(gguf.bytes.length); // the estimate counts the header as written, for the default name and format

      const parsed = parseGguf(new Uint8Array(gguf.bytes));
      const kv = (key: string) => parsed.kvs.get(key)?.value;
      expect(kv("general.architecture")).toBe("qwen2");
      expect(kv("general.file_type")).toBe(7); // MOSTLY_Q8_0
      const added = (JSON.parse(tinyCheckpointFiles(QWEN)["tokenizer.json"] as string).added_tokens as { id: number; content: string }[]);
      const idOf = (content: string) => added.find((t) => t.content === content)?.id;
      expect(kv("tokenizer.ggml.fim_pre_token_id")).toBe(idOf("<|fim_prefix|>"));
      expect(kv("tokenizer.ggml.fim_suf_token_id")).toBe(idOf("<|fim_suffix|>"));
      expect(kv("tokenizer.ggml.fim_mid_token_id")).toBe(idOf("<|fim_middle|>"));
      const cp = await loadCheckpoint(memoryFiles(tinyCheckpointFiles(QWEN)));
      expect(parsed.tensors.length).toBe(cp.tensors.length);
      expect(parsed.tensors.filter((t) => t.type === "Q8_0").length).toBeGreaterThan(0);

      const mf = await download(page, "download-modelfile");
      expect(mf.name).toBe("Modelfile");
      expect(mf.bytes.toString("utf8")).toBe(await readFile(join(cliDir, "Modelfile"), "utf8"));
      expect(mf.bytes.toString("utf8")).toContain("FROM ./tiny-qwen.gguf");
      const ollama = (await page.getByTestId("commands-ollama").textContent()) ?? "";
      expect(ollama).toContain("ollama create tiny-qwen -f Modelfile");
      expect(ollama).toContain("ollama run tiny-qwen");
      expect(ollama).toContain('"suffix"');
      await expect(page.getByTestId("commands-llama-cli").textContent()).resolves.toContain("llama-cli -m tiny-qwen.gguf");
      await expect(page.getByTestId("commands-llama-server").textContent()).resolves.toMatch(/llama-server -m tiny-qwen\.gguf[\s\S]*\/infill/);
      await expect(page.getByTestId("download-lora").count()).resolves.toBe(0);

      // Check in browser: llama.cpp (wllama) loads the very Blob and completes the snippet.
      await page.getByTestId("check-button").click();
      await page.getByTestId("check-timing").waitFor({ timeout: 90_000 });
      const completion = await page.getByTestId("check-completion").textContent();
      expect(typeof completion).toBe("string");
      await expect(page.getByTestId("check-timing").textContent()).resolves.toMatch(/loaded in .* completed in/);
      await expect(page.getByTestId("check-error").count()).resolves.toBe(0);
      await expect(page.getByTestId("check-prompt").textContent()).resolves.toContain("<|fim_prefix|>def fibonacci(n):");

      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS_DIR, "export-1280x720.png") });
      await page.getByTestId("export-results").evaluate((el) => el.scrollIntoView());
      await page.screenshot({ path: join(SHOTS_DIR, "export-1280x720-results.png") });
      await page.screenshot({ path: join(SHOTS_DIR, "export-1280-full.png"), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS_DIR, "export-390x844.png") });
      await page.getByTestId("browser-check").evaluate((el) => el.scrollIntoView());
      await page.screenshot({ path: join(SHOTS_DIR, "export-390x844-check.png") });
      await page.screenshot({ path: join(SHOTS_DIR, "export-390-full.png"), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.emulateMedia({ colorScheme: "dark" });
      await page.screenshot({ path: join(SHOTS_DIR, "export-390x844-dark.png") });
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.getByTestId("export-results").evaluate((el) => el.scrollIntoView());
      await page.screenshot({ path: join(SHOTS_DIR, "export-1280x720-dark.png") });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("merges an adapter (format from its trainer_state.json): GGUF, LoRA GGUF and PEFT files as the CLI gives them", async () => {
    const { page, context, errors } = await openPage(browser, app.url);
    try {
      await gotoExport(page);
      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("adapter-input").setInputFiles(adapterDir);
      await page.getByTestId("adapter-info").waitFor({ timeout: 30_000 });
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await expect(page.getByTestId("adapter-info").textContent()).resolves.toContain("rank 4");
      expect(await page.getByTestId("adapter-base-note").count()).toBe(0); // trained on "tiny-qwen", the folder's name
      await expect(page.getByTestId("format-select").inputValue()).resolves.toBe("psm");
      await page.getByTestId("type-f16").check();
      await page.getByTestId("export-button").click();
      await page.getByTestId("download-gguf").waitFor({ timeout: 60_000 });

      const cliDir = join(tmp, "cli-adapter");
      await cliExport([
        "--model", modelDir, "--adapter", adapterDir, "--quant", "f16", "--out", join(cliDir, "tiny-qwen.gguf"),
        "--modelfile", join(cliDir, "Modelfile"), "--lora-gguf", join(cliDir, "tiny-qwen-lora.gguf"),
      ], cliDir);
      const gguf = await download(page, "download-gguf");
      expect(gguf.bytes.equals(await readFile(join(cliDir, "tiny-qwen.gguf")))).toBe(true);
      expect(parseGguf(new Uint8Array(gguf.bytes)).kvs.get("fim_studio.fim_format")?.value).toBe("psm");
      const lora = await download(page, "download-lora");
      expect(lora.name).toBe("tiny-qwen-lora.gguf");
      expect(lora.bytes.equals(await readFile(join(cliDir, "tiny-qwen-lora.gguf")))).toBe(true);
      const mf = await download(page, "download-modelfile");
      expect(mf.bytes.toString("utf8")).toBe(await readFile(join(cliDir, "Modelfile"), "utf8"));
      for (const name of ["adapter_config.json", "adapter_model.safetensors"]) {
        const file = await download(page, `download-adapter-${name}`);
        expect(file.name).toBe(name);
        expect(file.bytes.equals(await readFile(join(adapterDir, name)))).toBe(true);
      }
      await expect(page.getByTestId("export-summary").textContent()).resolves.toContain("adapter merged");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("an adapter as Axolotl and TRL write it (BF16, PEFT 0.20 config, full-path targets) merges as the CLI merges it", async () => {
    const trainerDir = join(tmp, "trainer-adapter");
    await writeTrainerAdapter(adapterDir, trainerDir);
    const { page, context, errors } = await openPage(browser, app.url);
    try {
      await gotoExport(page);
      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("adapter-input").setInputFiles(trainerDir);
      await page.getByTestId("adapter-info").waitFor({ timeout: 30_000 });
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await expect(page.getByTestId("adapter-info").textContent()).resolves.toContain("rank 4");
      // trained on another name than this folder's: said, and used since its shapes fit
      await expect(page.getByTestId("adapter-base-note").textContent()).resolves.toContain("Qwen/Qwen2.5-Coder-0.5B");
      await page.getByTestId("format-select").selectOption("psm");
      await page.getByTestId("type-f16").check();
      await page.getByTestId("export-button").click();
      await page.getByTestId("download-gguf").waitFor({ timeout: 60_000 });
      const cliDir = join(tmp, "cli-trainer-adapter");
      await cliExport(["--model", modelDir, "--adapter", trainerDir, "--quant", "f16", "--format", "psm", "--out", join(cliDir, "tiny-qwen.gguf")], cliDir);
      const gguf = await download(page, "download-gguf");
      expect(gguf.bytes.equals(await readFile(join(cliDir, "tiny-qwen.gguf")))).toBe(true);
      await expect(page.getByTestId("export-summary").textContent()).resolves.toContain("adapter merged");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("shows problems beside the control that caused them", async () => {
    const { page, context, errors } = await openPage(browser, app.url);
    try {
      await gotoExport(page);
      await page.getByTestId("export-button").click();
      await expect(page.getByTestId("blocked").textContent()).resolves.toMatch(/choose the model folder/i);

      // A folder without config.json: the model field says what is missing.
      const broken = join(tmp, "not-a-model");
      await mkdir(broken, { recursive: true });
      await writeFile(join(broken, "notes.txt"), "not a checkpoint\n");
      await page.getByTestId("model-input").setInputFiles(broken);
      const modelError = page.getByTestId("model-field").getByTestId("model-error");
      await modelError.waitFor({ timeout: 30_000 });
      await expect(modelError.textContent()).resolves.toContain("config.json");

      // The adapter folder picked as the model's adapter, but it is a checkpoint: the adapter field says so.
      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await page.getByTestId("adapter-input").setInputFiles(modelDir);
      const adapterError = page.getByTestId("adapter-field").getByTestId("adapter-error");
      await adapterError.waitFor({ timeout: 30_000 });
      await expect(adapterError.textContent()).resolves.toContain("adapter_config.json");
      await page.getByTestId("adapter-remove").click();

      await page.getByTestId("name-input").fill("My Model!");
      await expect(page.getByTestId("name-error").textContent()).resolves.toMatch(/lowercase/);
      await expect(page.getByTestId("name-input").getAttribute("aria-invalid")).resolves.toBe("true");
      await page.getByTestId("export-button").click();
      await expect(page.getByTestId("blocked").textContent()).resolves.toMatch(/name/i);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS_DIR, "export-1280x720-errors.png") });
      await page.getByTestId("name-input").fill("my-model");
      await expect(page.getByTestId("name-error").count()).resolves.toBe(0);
      await expect(page.getByTestId("blocked").count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("is usable with the keyboard: folder chooser, type, format, name, Export", async () => {
    const { page, context, errors } = await openPage(browser, app.url);
    try {
      await gotoExport(page);
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
      const tabTo = async (testId: string) => {
        for (let i = 0; i < 40 && (await focused()) !== testId; i++) await page.keyboard.press("Tab");
        expect(await focused()).toBe(testId);
      };
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      // Enter on the focused button must open the folder input's dialog; the click is recorded and the dialog kept
      // shut (Playwright's file chooser interception races with a keypress), then the folder is set on the input.
      await page.getByTestId("model-input").evaluate((el) =>
        el.addEventListener("click", (e) => {
          e.preventDefault();
          el.setAttribute("data-opened", "yes");
        }),
      );
      await tabTo("model-choose");
      await page.keyboard.press("Enter");
      await expect(page.getByTestId("model-input").getAttribute("data-opened")).resolves.toBe("yes");
      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await tabTo("type-q4_0");
      await page.keyboard.press("ArrowUp");
      await expect(page.getByTestId("type-q8_0").isChecked()).resolves.toBe(true);
      await tabTo("format-select");
      await tabTo("name-input");
      await page.keyboard.press("End");
      await page.keyboard.type("-kb");
      await tabTo("export-button");
      await page.keyboard.press("Enter");
      await page.getByTestId("download-gguf").waitFor({ timeout: 60_000 });
      await expect(page.getByTestId("download-gguf").textContent()).resolves.toContain("tiny-qwen-kb.gguf");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("cancels a running export, keeps nothing, and exports again", async () => {
    const { page, context, errors } = await openPage(browser, app.url);
    try {
      await gotoExport(page);
      await page.getByTestId("model-input").setInputFiles(bigDir);
      await page.getByTestId("model-info").waitFor({ timeout: 60_000 });
      await page.getByTestId("type-f32").check();
      const cancelled = cancelAtFirstProgress(page);
      await page.getByTestId("export-button").click();
      await cancelled;
      await page.getByTestId("cancelled").waitFor({ timeout: 10_000 });
      await expect(page.getByTestId("export-progress").count()).resolves.toBe(0);
      await expect(page.getByTestId("download-gguf").count()).resolves.toBe(0);

      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await page.getByTestId("type-q4_0").check();
      await page.getByTestId("export-button").click();
      await page.getByTestId("download-gguf").waitFor({ timeout: 60_000 });
      const gguf = await download(page, "download-gguf");
      expect(parseGguf(new Uint8Array(gguf.bytes)).kvs.get("general.file_type")?.value).toBe(2); // MOSTLY_Q4_0
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
  test("streams to the file the save dialog gives (an OPFS file here), and a cancel leaves it empty", async () => {
    const { page, context, errors } = await openPage(browser, app.url);
    try {
      // The real dialog needs a person: answer it with a file in the origin-private file system, which has the same
      // FileSystemFileHandle API (createWritable, write, close, abort, getFile).
      await page.addInitScript(() => {
        (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (o: { suggestedName: string }) =>
          (await navigator.storage.getDirectory()).getFileHandle(o.suggestedName, { create: true });
      });
      await page.goto(`${app.url}#/export`);
      await page.getByTestId("export-button").waitFor();
      await expect(page.getByTestId("save-to-disk").isChecked()).resolves.toBe(true);
      const opfsFile = (name: string) =>
        page.evaluate(async (n) => {
          const file = await (await (await navigator.storage.getDirectory()).getFileHandle(n)).getFile();
          const bytes = new Uint8Array(await file.arrayBuffer());
          let s = "";
          for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return btoa(s);
        }, name).then((b64) => Buffer.from(b64, "base64"));

      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await page.getByTestId("type-q8_0").check();
      await page.getByTestId("export-button").click();
      await page.getByTestId("saved-gguf").waitFor({ timeout: 60_000 });
      await expect(page.getByTestId("saved-gguf").textContent()).resolves.toContain("tiny-qwen.gguf");
      await expect(page.getByTestId("download-gguf").count()).resolves.toBe(0);
      const cliGguf = await readFile(join(tmp, "cli-q8", "tiny-qwen.gguf"));
      expect((await opfsFile("tiny-qwen.gguf")).equals(cliGguf)).toBe(true);
      // The check reads the written file back.
      await page.getByTestId("check-button").click();
      await page.getByTestId("check-timing").waitFor({ timeout: 90_000 });

      await page.getByTestId("model-input").setInputFiles(bigDir);
      await page.getByTestId("model-info").waitFor({ timeout: 60_000 });
      await page.getByTestId("type-f32").check();
      const cancelled = cancelAtFirstProgress(page);
      await page.getByTestId("export-button").click();
      await cancelled;
      await page.getByTestId("cancelled").waitFor({ timeout: 10_000 });
      await expect.poll(async () => (await opfsFile("big-qwen.gguf")).length, { timeout: 10_000 }).toBe(0);
      await expect(page.getByTestId("saved-gguf").count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("Export page, production build", () => {
  let built: RunningApp;
  beforeAll(async () => {
    built = await startApp("preview");
  }, 180_000);
  afterAll(async () => {
    await built?.close();
  });

  test("serves wllama's wasm itself: the check runs in the built app", async () => {
    const { page, context, errors } = await openPage(browser, built.url);
    try {
      await page.goto(`${built.url}#/export`);
      await page.getByTestId("export-button").waitFor();
      const toDisk = page.getByTestId("save-to-disk");
      if (await toDisk.count()) await toDisk.uncheck();
      await page.getByTestId("model-input").setInputFiles(modelDir);
      await page.getByTestId("model-info").waitFor({ timeout: 30_000 });
      await page.getByTestId("export-button").click();
      await page.getByTestId("download-gguf").waitFor({ timeout: 60_000 });
      await page.getByTestId("check-button").click();
      await page.getByTestId("check-timing").waitFor({ timeout: 90_000 });
      await expect(page.getByTestId("check-error").count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
