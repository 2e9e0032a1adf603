// eval-default.ts — `npm run eval:default`: measures the embedded default model and writes its model card.
//   A. held-out: `fim eval` on samples in the app's ctx format cut from the corpus files train-default.ts held out
//      (split by file, near-duplicates of train files dropped), with the two trivial baselines, per language
//   B. the headline workflow on a code base the model never saw — FIM Studio's own app sources (src/, not in the
//      corpus, which is npm packages + the built-in corpus; src/lib/fim/builtin.ts, the built-in corpus itself, left
//      out): `fim samples` with the app's defaults (ctx format, 10% of files held out), exact match on the held-out
//      files before and after `fim train` with the app's defaults, and the exported Q4_0 GGUF of the fine-tuned
//      model through llama.cpp on the same samples
//   C. the numbers into <work>/eval.json and the model card public/models/<name>/README.md (model-card.ts)
// Each step's output is kept under <work>/eval, so a rerun only redoes what is missing (--fresh redoes all).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EvalCliReport } from "../../node/export/src/cli/eval.ts";
import { languageResults, modelCard, type CardInputs } from "./model-card.ts";
import { NAME } from "./settings.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const FIM = join(ROOT, "node/export/bin/fim.mjs");

/**
 * The headline run: how many samples `fim samples` cuts from the app's sources (10% of them, from the held-out files,
 * are the eval set), and the two defaults changed to fit this 2-core machine's time: steps (LoRA on the CPU runs
 * ~70 tokens/s here, so the default 3 epochs would take hours) and the warm-up (the seed's 100 steps would be longer
 * than the run).
 */
export const HEADLINE = { count: 1000, steps: 36, warmup: 6 };

const { values: args } = parseArgs({
  options: {
    work: { type: "string", default: join(ROOT, ".cache/default-model") },
    model: { type: "string", default: join(ROOT, "public/models", NAME) },
    fresh: { type: "boolean", default: false },
    // a quick run of every step (12 samples per eval, 3 training steps) to check the script, not the model
    smoke: { type: "boolean", default: false },
  },
});
const smoke = args.smoke ? ["--limit", "12"] : [];
const work = args.work!;
const model = args.model!;
const dir = join(work, "eval");
if (args.fresh) rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const t0 = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${msg}`);

/** Runs `fim ...` (stderr shown), returns stdout. */
function fim(argv: string[]): string {
  const r = spawnSync(process.execPath, [FIM, ...argv], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`fim ${argv.join(" ")} failed (exit ${r.status})`);
  return r.stdout;
}

/** `fim eval ... --json`, cached in <dir>/<name>.json. */
function evaluate(name: string, argv: string[]): EvalCliReport {
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    const s = Date.now();
    writeFileSync(file, fim(["eval", ...argv, ...smoke, "--json", "--quiet"]));
    log(`eval ${name}: ${((Date.now() - s) / 1000).toFixed(0)} s`);
  }
  return JSON.parse(readFileSync(file, "utf8")) as EvalCliReport;
}

// A. held-out corpus files
const heldOut = evaluate("heldout-ctx", ["--model", model, "--data", join(work, "heldout-ctx.jsonl"), "--baselines"]);
for (const r of languageResults(heldOut)) {
  log(`held out, ${r.language}: EM ${r.model.toFixed(1)}% vs baselines ${r.empty.toFixed(1)} / ${r.previousLine.toFixed(1)}${r.target === undefined ? "" : r.target ? " (target met)" : " (target not met)"}`);
}

// B. the headline workflow
const samples = join(dir, "app-src.jsonl");
const evalSamples = join(dir, "app-src.eval.jsonl");
if (!existsSync(samples)) {
  const files = spawnSync("git", ["ls-files", "src"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n")
    .filter((f) => /\.(ts|svelte|wgsl)$/.test(f) && f !== "src/lib/fim/builtin.ts").map((f) => join(ROOT, f));
  fim(["samples", ...files, "--count", String(HEADLINE.count), "--out", samples, "--quiet"]);
  log(`headline samples: ${files.length} files of src/`);
}
const before = evaluate("app-before", ["--model", model, "--data", evalSamples, "--baselines"]);
const adapter = join(dir, "app-adapter");
if (!existsSync(join(adapter, "adapter_model.safetensors"))) {
  const s = Date.now();
  // the held-out loss at the end on 16 samples (all of them would add minutes; exact match below is the measure)
  const monitor = join(dir, "app-src.monitor.jsonl");
  writeFileSync(monitor, readFileSync(evalSamples, "utf8").split("\n").slice(0, 16).join("\n") + "\n");
  fim(["train", "--model", model, "--data", samples, "--eval", monitor, "--out", adapter, "--quiet",
    ...(args.smoke ? ["--steps", "3", "--warmup", "1"] : ["--steps", String(HEADLINE.steps), "--warmup", String(HEADLINE.warmup)])]);
  writeFileSync(join(dir, "app-train.json"), JSON.stringify({ minutes: (Date.now() - s) / 60000 }));
  log(`headline LoRA: ${((Date.now() - s) / 60000).toFixed(1)} min`);
}
const after = evaluate("app-after", ["--model", model, "--adapter", adapter, "--data", evalSamples]);
const gguf = join(dir, "app-tuned-q4_0.gguf");
if (!existsSync(gguf)) fim(["export", "--model", model, "--adapter", adapter, "--quant", "q4_0", "--out", gguf, "--quiet"]);
const q4 = evaluate("app-after-q4_0", ["--gguf", gguf, "--data", evalSamples, "--threads", "2"]);

// C. the numbers and the card
const read = <T>(f: string): T => JSON.parse(readFileSync(join(work, f), "utf8")) as T;
const inputs: CardInputs = {
  heldOut, before, after, q4,
  corpus: read("corpus.json"),
  tokenizer: read("tokenizer/tokenizer_meta.json"),
  training: read("training.json"),
  headlineTraining: JSON.parse(readFileSync(join(dir, "app-train.json"), "utf8")) as { minutes: number },
  config: JSON.parse(readFileSync(join(model, "config.json"), "utf8")) as Record<string, unknown>,
  headline: HEADLINE,
};
writeFileSync(join(work, "eval.json"), JSON.stringify({
  heldOut: heldOut.systems.map((s) => ({ name: s.name, ...s.overall })),
  headline: [before, after, q4].flatMap((r) => r.systems.map((s) => ({ name: s.name, source: s.source, ...s.overall }))),
}, null, 2));
const card = modelCard(inputs);
writeFileSync(join(model, "README.md"), card.markdown);
log(`wrote ${join(model, "README.md")}`);
console.log(card.summary);
