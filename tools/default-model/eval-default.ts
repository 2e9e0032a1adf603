// eval-default.ts — `npm run eval:default`: measures the embedded default model and writes its model card.
//   A. held-out: `fim eval` on samples in the app's ctx format cut from the corpus files train-default.ts held out
//      (split by file, near-duplicates of train files dropped), with the two trivial baselines, per language; and
//      twice more, plain greedy and healed without the empty-line rule, to show what each adds
//   B. the headline workflow on a code base the model never saw (settings.ts CODE_BASE: click, Python): `fim samples`
//      in the app's format, exact match on the held-out files before and after `fim train` with the app's defaults
//      (the CLI's are the same, no flag changed), and the exported Q4_0 GGUF of the fine-tuned model through llama.cpp
//   C. the numbers into <work>/eval.json and the model card public/models/<name>/README.md (model-card.ts)
// Each step's output is kept under <work>/eval, so a rerun only redoes what is missing (--fresh redoes all).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EvalCliReport } from "../../node/export/src/cli/eval.ts";
import { languageResults, modelCard, type CardInputs } from "./model-card.ts";
import { CODE_BASE, NAME } from "./settings.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const FIM = join(ROOT, "node/export/bin/fim.mjs");

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
// the same samples decoded plainly (greedy at the cursor as it stands), and healed without the empty-line rule: what
// each of the two adds (fim/heal.ts, train/line-score.ts)
const heldOutPlain = evaluate("heldout-ctx-plain", ["--model", model, "--data", join(work, "heldout-ctx.jsonl"), "--no-heal", "--no-empty-line"]);
const heldOutHealed = evaluate("heldout-ctx-healed", ["--model", model, "--data", join(work, "heldout-ctx.jsonl"), "--no-empty-line"]);
for (const r of languageResults(heldOut)) {
  log(`held out, ${r.language}: EM ${r.model.toFixed(1)}% vs baselines ${r.empty.toFixed(1)} / ${r.previousLine.toFixed(1)}${r.target === undefined ? "" : r.target ? " (target met)" : " (target not met)"}`);
}

// B. the headline workflow
if (!existsSync(CODE_BASE.dir)) throw new Error(`${CODE_BASE.dir} is missing: run \`sudo apt-get install -y ${CODE_BASE.apt}\``);
const samples = join(dir, `${CODE_BASE.name}.jsonl`);
const evalSamples = join(dir, `${CODE_BASE.name}.eval.jsonl`);
if (!existsSync(samples)) {
  const files = readdirSync(CODE_BASE.dir).filter((f) => f.endsWith(".py")).map((f) => join(CODE_BASE.dir, f));
  fim(["samples", ...files, "--count", String(CODE_BASE.count), "--eval-fraction", String(CODE_BASE.evalFraction), "--out", samples, "--quiet"]);
  log(`headline samples: ${files.length} files of ${CODE_BASE.name}`);
}
const before = evaluate("app-before", ["--model", model, "--data", evalSamples, "--baselines"]);
const adapter = join(dir, "app-adapter");
if (!existsSync(join(adapter, "adapter_model.safetensors"))) {
  const s = Date.now();
  // no held-out loss during training (an empty --eval): exact match below is the measure
  const noEval = join(dir, "no-eval.jsonl");
  writeFileSync(noEval, "");
  fim(["train", "--model", model, "--data", samples, "--eval", noEval, "--out", adapter, "--quiet", ...(args.smoke ? ["--steps", "3", "--warmup", "1"] : [])]);
  writeFileSync(join(dir, "app-train.json"), JSON.stringify({ minutes: (Date.now() - s) / 60000 }));
  log(`headline LoRA: ${((Date.now() - s) / 60000).toFixed(1)} min`);
}
const after = evaluate("app-after", ["--model", model, "--adapter", adapter, "--data", evalSamples]);
const gguf = join(dir, "app-tuned-q4_0.gguf");
if (!existsSync(gguf)) fim(["export", "--model", model, "--adapter", adapter, "--quant", "q4_0", "--out", gguf, "--quiet"]);
const q4 = evaluate("app-after-q4_0", ["--gguf", gguf, "--data", evalSamples, "--threads", "1"]); // 1 thread: on 2 busy cores llama.cpp's threads wait on each other

// C. the numbers and the card
const read = <T>(f: string): T => JSON.parse(readFileSync(join(work, f), "utf8")) as T;
const inputs: CardInputs = {
  heldOut, heldOutPlain, heldOutHealed, before, after, q4,
  corpus: read("corpus.json"),
  tokenizer: read("tokenizer/tokenizer_meta.json"),
  training: read("training.json"),
  headlineTraining: JSON.parse(readFileSync(join(dir, "app-train.json"), "utf8")) as { minutes: number },
  config: JSON.parse(readFileSync(join(model, "config.json"), "utf8")) as Record<string, unknown>,
  headline: { codeBase: CODE_BASE.name, count: CODE_BASE.count, evalFraction: CODE_BASE.evalFraction },
};
writeFileSync(join(work, "eval.json"), JSON.stringify({
  heldOut: heldOut.systems.map((s) => ({ name: s.name, ...s.overall })),
  headline: [before, after, q4].flatMap((r) => r.systems.map((s) => ({ name: s.name, source: s.source, ...s.overall }))),
}, null, 2));
const card = modelCard(inputs);
writeFileSync(join(model, "README.md"), card.markdown);
log(`wrote ${join(model, "README.md")}`);
console.log(card.summary);
