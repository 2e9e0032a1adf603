// The Playground's suggestion latency in headless Chromium, for scripts/bench.mjs (`npm run bench -- playground`).
// Usage: node --import tsx tests/bench/latency-run.ts [KEYSTROKES] [MAX_TYPING_SECONDS] [smollm CAP]   (defaults: 50, no limit)
// With "smollm": a random checkpoint of SmolLM2-135M's shape (30 layers, hidden 576, vocab 49152) on the CPU only, in
// three phases of KEYSTROKES each, set through the page's own controls: f32 weights with the default length limit (48
// tokens), f32 with Max tokens = CAP, int8 weights with Max tokens = CAP (the bench passes the default model's median
// answer length, so the random model's answers are as long as a trained model's rather than running to the limit; the
// page's smallest offered limit at least CAP is chosen).
// Starts the app's Vite dev server as the e2e tests do (tests/e2e/browser.ts) with the default model: the first one
// public/models/index.json lists, or — until the embedded model exists — a random Qwen2-layout checkpoint (BENCH_DIMS,
// the small real tokenizer of tests/fixtures) served as the only embedded model. Then, once with WebGPU switched off
// (the CPU backend) and once with it on (SwiftShader here): opens the Playground, waits for the model, and types
// KEYSTROKES characters at the end of the sample code, one at a time, each after the previous suggestion arrived (so
// every pause is longer than the debounce) and was dismissed with Esc (so no keystroke types through a suggestion).
// Every new character makes a new prefix, so no suggestion comes from the cache (cached ones would be dropped).
// A backend that is still typing after MAX_TYPING_SECONDS stops there (SwiftShader can take seconds a suggestion).
// Each suggestion's latency is the page's own User Timing measure "fim:suggestion" (Playground.svelte): t0 = end of
// the debounce, t1 = ghost text in the DOM. Prints one JSON line per backend; progress goes to stderr.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SuggestionLatency } from "../../src/lib/editor/suggestion.ts";
import { DEVICE_KEY } from "../../src/routes/playground/device.ts";
import { launchBrowser, openPage, ROOT, startApp } from "../e2e/browser.ts";
import { makeModelsDir, type ModelsDir } from "../e2e/fixtures/models-dir.ts";
import { smallTokenizer } from "../fixtures/small-tokenizer.ts";

/** The stand-in default model: the Benchmark suite's "small" geometry (src/lib/bench/presets.ts) in Qwen2's layout. */
const BENCH_DIMS = { hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 32, intermediate_size: 384 };
/** What is typed: a line of Python at the end of the sample code (which ends inside `for _ in range(n):`). */
const TEXT = "        a, b = b, a + b  # the next Fibonacci pair; then the loop ends and fibonacci returns a";

const keystrokes = Number(process.argv[2] ?? 50);
const maxTypingSeconds = Number(process.argv[3] ?? Infinity);
/** "smollm": instead of the default model, a random checkpoint of SmolLM2-135M's shape, on the CPU backend only. */
const big = process.argv[4] === "smollm";
const cap = Number(process.argv[5] ?? 16);
/** What each phase sets on the page before typing: the Weights and Max tokens selects. */
interface Phase {
  weights: "auto" | "int8";
  maxTokens: "auto" | number;
}
const phases: Phase[] = big
  ? [{ weights: "auto", maxTokens: "auto" }, { weights: "auto", maxTokens: cap }, { weights: "int8", maxTokens: cap }]
  : [{ weights: "auto", maxTokens: "auto" }];
if (!(keystrokes > 0 && keystrokes * phases.length <= TEXT.length)) throw new Error(`KEYSTROKES must be 1..${Math.floor(TEXT.length / phases.length)}`);

interface ModelDescription {
  id: string;
  label: string;
  embedded: boolean;
  shape?: Record<string, number>;
  bytes?: number;
}

const publicIndex = join(ROOT, "public/models/index.json");
const listed = existsSync(publicIndex) ? ((JSON.parse(readFileSync(publicIndex, "utf8")) as { models?: ModelDescription[] }).models ?? []) : [];
let models: ModelsDir | undefined;
let model: ModelDescription;
if (big) {
  // SmolLM2-135M's shape with Qwen's FIM markers (a real Qwen3 tokenizer cut to SmolLM2's 49152 ids), tied embeddings
  const probe = smallTokenizer("qwen3", 2000);
  const tokenizer = smallTokenizer("qwen3", 49152 - (probe.vocabSize - probe.baseSize));
  const dims = { hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64, intermediate_size: 1536 };
  models = makeModelsDir({ architecture: "llama", dims, tied: true, tokenizer }, "bench-smollm2-shape", "Random SmolLM2-135M shape (bench)");
  const index = JSON.parse(readFileSync(join(models.dir, "index.json"), "utf8")) as { models: ModelDescription[] };
  model = { ...index.models[0]!, embedded: false };
} else if (listed.length > 0) {
  model = { ...listed[0]!, embedded: true };
} else {
  models = makeModelsDir({ architecture: "qwen2", dims: BENCH_DIMS }, "bench-random-qwen2", "Random Qwen2 C128 L2 (bench)");
  const index = JSON.parse(readFileSync(join(models.dir, "index.json"), "utf8")) as { models: ModelDescription[] };
  model = { ...index.models[0]!, embedded: false };
}

const app = await startApp("dev", models ? { modelsDir: models.dir } : {});
try {
  for (const backend of big ? (["cpu"] as const) : (["cpu", "webgpu"] as const)) {
    const started = performance.now();
    const browser = await launchBrowser({ webgpu: backend === "webgpu" });
    try {
      const { page, context, errors } = await openPage(browser, app.url);
      // the Playground defaults to the CPU on a software adapter (SwiftShader here): the WebGPU run is a user who chose
      // the GPU there (the choice is kept in localStorage)
      if (backend === "webgpu") await context.addInitScript(({ key, value }) => localStorage.setItem(key, value), { key: DEVICE_KEY, value: JSON.stringify({ chosen: "gpu" }) });
      await page.goto(`${app.url}#/playground`);
      process.stderr.write(`playground (${backend}): loading ${model.label} ...\n`);
      try {
        await page.getByTestId("inference-ready").waitFor({ timeout: big ? 300_000 : 90_000 });
      } catch (e) {
        // Vite re-optimized its dependencies (another dev server sharing node_modules/.vite, or a newly found one):
        // without HMR the page keeps its stale imports, so load it again, once.
        if (!errors.some((x) => x.includes("Outdated Optimize Dep"))) throw e;
        errors.length = 0;
        await page.reload();
        await page.getByTestId("inference-ready").waitFor({ timeout: 180_000 });
      }
      const loadSeconds = (performance.now() - started) / 1000;
      const ready = ((await page.getByTestId("inference-ready").textContent()) ?? "").replace(/\s+/g, " ").trim();
      const note = ((await page.getByTestId("inference-status").locator("p.muted").first().textContent()) ?? "").trim();
      const ran = ready.includes("on the GPU") ? "webgpu" : ready.includes("on the CPU") ? "cpu" : "?";
      if (ran !== backend) throw new Error(`asked for ${backend}, but the page says: ${ready} ${note}`);
      const adapter = await page.evaluate(async () => {
        const info = (await navigator.gpu?.requestAdapter())?.info;
        return info ? { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } : null;
      });

      const count = () => page.evaluate(() => performance.getEntriesByName("fim:suggestion").length);
      let typed = 0;
      for (const phase of phases) {
        let phaseLoadSeconds = loadSeconds;
        if (phase.weights !== "auto") {
          const t = performance.now();
          await page.getByTestId("pg-weights").selectOption(phase.weights);
          await page.getByTestId("inference-ready").waitFor({ state: "detached", timeout: 30_000 }).catch(() => {});
          await page.getByTestId("inference-ready").waitFor({ timeout: 300_000 });
          phaseLoadSeconds = (performance.now() - t) / 1000;
        }
        // the page offers a few limits: the smallest one at least the cap asked for
        const offered = await page.getByTestId("pg-max-tokens").locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
        const limit = phase.maxTokens === "auto" ? "auto" : offered.filter((v) => Number(v) >= (phase.maxTokens as number)).sort((a, b) => Number(a) - Number(b))[0] ?? "auto";
        phase.maxTokens = limit === "auto" ? "auto" : Number(limit);
        await page.getByTestId("pg-max-tokens").selectOption(limit);
        await page.locator(".cm-content").click();
        await page.keyboard.press("Control+End");
        const samples: SuggestionLatency[] = [];
        const typing = performance.now();
        for (let i = 0; i < keystrokes && (performance.now() - typing) / 1000 < maxTypingSeconds; i++) {
          const before = await count();
          await page.keyboard.type(TEXT[typed++]!);
          await page.waitForFunction((n) => performance.getEntriesByName("fim:suggestion").length > n, before, { timeout: 60_000, polling: 10 });
          const latency = await page.evaluate(() => (performance.getEntriesByName("fim:suggestion").at(-1) as PerformanceMeasure).detail as SuggestionLatency);
          samples.push(latency);
          await page.keyboard.press("Escape");
          if ((i + 1) % 10 === 0) process.stderr.write(`  ${i + 1} keystrokes, last ${Math.round(latency.ms)} ms\n`);
        }
        const typingSeconds = (performance.now() - typing) / 1000;
        if (errors.length > 0) throw new Error(`the page reported errors:\n${errors.join("\n")}`);
        console.log(JSON.stringify({ backend, model, ready, note, adapter, ...phase, loadSeconds: phaseLoadSeconds, typingSeconds, samples }));
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await app.close();
  models?.remove();
}
