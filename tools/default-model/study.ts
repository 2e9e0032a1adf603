// study.ts — `npm run study:default`: what makes a short LoRA run on a code base learn it. Each setting of the
// table below is trained for the same wall-clock budget on one code base the default model never saw, then scored by
// exact match on that code base's held-out files (split by file). One axis changes at a time from the reference, so
// each row answers one question: loss on the middle or on every token, how many FIM holes are cut, learning rate,
// rank, and the seed's settings as they are. Context is the model's (384): fim train trains no further than a model's
// max_position_embeddings. Results: <work>/study/results.json and a markdown table on
// stdout (the README and the model card quote it). Each finished setting is kept, so a rerun only does what is missing;
// the rows run in the order of what decides the defaults most (loss, learning rate, the seed's), the rest after.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EvalCliReport } from "../../node/export/src/cli/eval.ts";
import { CODE_BASE, EXPECTED, NAME } from "./settings.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const FIM = join(ROOT, "node/export/bin/fim.mjs");


export interface StudySetting {
  name: string;
  /** What the row asks. */
  question: string;
  /** Samples cut from the code base (its held-out share is the eval set; always the reference's, see below). */
  samples: number;
  train: { lossOn: "middle" | "all"; lr: number; rank: number; alpha: number; context: number; batch: number; gradAccum: number; warmupShare: number };
}

const REF: StudySetting = {
  name: "reference", question: "the starting point: loss on every token, lr 1e-3, rank 16, context 384 (the model's), batch 4",
  samples: CODE_BASE.count, train: { lossOn: "all", lr: 1e-3, rank: 16, alpha: 32, context: 384, batch: 4, gradAccum: 1, warmupShare: 0.1 },
};
const vary = (name: string, question: string, d: Partial<StudySetting["train"]>, samples = REF.samples): StudySetting =>
  ({ name, question, samples, train: { ...REF.train, ...d } });

export const SETTINGS: readonly StudySetting[] = [
  REF,
  vary("loss on middle", "loss on the middle only (the seed's) instead of every token", { lossOn: "middle" }),
  vary("lr 3e-3", "a higher learning rate", { lr: 3e-3 }),
  vary("lr 3e-4", "a lower learning rate", { lr: 3e-4 }),
  { name: "seed", question: "the seed's settings: loss on the middle, lr 2e-4, rank 16, batch 4 x 2, context 1024 (trained at the model's 384)", samples: 2000,
    train: { lossOn: "middle", lr: 2e-4, rank: 16, alpha: 32, context: 1024, batch: 4, gradAccum: 2, warmupShare: 0.1 } },
  vary("rank 64", "rank 64, alpha 128", { rank: 64, alpha: 128 }),
  vary("fewer holes", "500 samples (fewer holes per file, repeated more) instead of 2000", {}, 500),
  vary("more holes", "6000 samples instead of 2000", {}, 6000),
];

const { values: args } = parseArgs({
  options: {
    work: { type: "string", default: join(ROOT, ".cache/default-model") },
    model: { type: "string", default: join(ROOT, "public/models", NAME) },
    minutes: { type: "string", default: "4" },
    "eval-limit": { type: "string", default: "150" },
    only: { type: "string" },
    fresh: { type: "boolean", default: false },
  },
});
const dir = join(args.work!, "study");
if (args.fresh) rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const minutes = Number(args.minutes);
const t0 = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${msg}`);

function fim(argv: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [FIM, ...argv], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`fim ${argv.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

if (!existsSync(CODE_BASE.dir)) {
  console.error(`study: ${CODE_BASE.dir} is missing; run \`sudo apt-get install -y ${CODE_BASE.apt}\``);
  process.exit(1);
}
const files = readdirSync(CODE_BASE.dir).filter((f) => f.endsWith(".py")).map((f) => join(CODE_BASE.dir, f));

/** Samples of the code base, `count` in all, split by file (30% of files held out), one seed for every count. */
function samplesOf(count: number): { train: string; evalFile: string } {
  const train = join(dir, `samples-${count}.jsonl`);
  const evalFile = join(dir, `samples-${count}.eval.jsonl`);
  if (!existsSync(train)) fim(["samples", ...files, "--format", "ctx", "--count", String(count), "--eval-fraction", String(CODE_BASE.evalFraction), "--out", train, "--quiet"]);
  return { train, evalFile };
}
// one eval set for every row: the reference's held-out samples (the split is by file and the same for any count)
const evalSet = samplesOf(REF.samples).evalFile;

function evaluate(name: string, extra: string[]): EvalCliReport {
  const file = join(dir, `eval-${name.replace(/\W+/g, "-")}.json`);
  if (!existsSync(file)) writeFileSync(file, fim(["eval", "--model", args.model!, "--data", evalSet, "--limit", args["eval-limit"]!, "--json", "--quiet", ...extra]).stdout);
  return JSON.parse(readFileSync(file, "utf8")) as EvalCliReport;
}

// no held-out loss during training (an empty --eval; without one fim train would read samples-N.eval.jsonl): the score
// below is exact match, and a loss pass over hundreds of samples would eat the budget
const noEval = join(dir, "no-eval.jsonl");
writeFileSync(noEval, "");
const trainArgs = (s: StudySetting, data: string) => [
  "--model", args.model!, "--data", data, "--eval", noEval, "--loss-on", s.train.lossOn, "--lr", String(s.train.lr), "--rank", String(s.train.rank),
  "--alpha", String(s.train.alpha), "--context", String(s.train.context), "--batch-size", String(s.train.batch), "--grad-accum", String(s.train.gradAccum),
];

export interface StudyRow { name: string; question: string; steps: number; minutes: number; exactMatch: number; editSimilarity: number; n: number }

const before = evaluate("before", ["--baselines"]);
const model = (r: EvalCliReport, name = "model") => r.systems.find((x) => x.name === name)!.overall;
const rows: StudyRow[] = [];
for (const s of SETTINGS) {
  if (args.only && !args.only.split(",").includes(s.name)) continue;
  const slug = s.name.replace(/\W+/g, "-");
  const adapter = join(dir, `adapter-${slug}`);
  const meta = join(dir, `train-${slug}.json`);
  const data = samplesOf(s.samples).train;
  if (!existsSync(meta)) {
    // steps that fit the budget: an 8-step probe's ETA at step 4 is four steps' time (in whole seconds)
    const probe = fim(["train", ...trainArgs(s, data), "--out", join(dir, "probe"), "--steps", "8", "--warmup", "1"]);
    rmSync(join(dir, "probe"), { recursive: true, force: true });
    const perStep = Number(/step 4\/8 .*ETA (\d+) s/.exec(probe.stderr)?.[1] ?? NaN) / 4;
    if (!(perStep > 0)) throw new Error(`probe for ${s.name}: no step time in\n${probe.stderr}`);
    const steps = Math.max(8, Math.floor((minutes * 60) / perStep));
    const started = Date.now();
    fim(["train", ...trainArgs(s, data), "--out", adapter, "--steps", String(steps), "--warmup", String(Math.round(steps * s.train.warmupShare)), "--quiet"]);
    writeFileSync(meta, JSON.stringify({ steps, minutes: (Date.now() - started) / 60000 }));
  }
  const { steps, minutes: m } = JSON.parse(readFileSync(meta, "utf8")) as { steps: number; minutes: number };
  const o = model(evaluate(s.name, ["--adapter", adapter]));
  rows.push({ name: s.name, question: s.question, steps, minutes: m, exactMatch: o.exactMatch, editSimilarity: o.editSimilarity, n: o.n });
  log(`${s.name}: ${steps} steps in ${m.toFixed(1)} min, EM ${o.exactMatch.toFixed(1)}%, ES ${o.editSimilarity.toFixed(1)}`);
}

const b = model(before);
const empty = model(before, "baseline empty");
const prev = model(before, "baseline previous-line");
writeFileSync(join(dir, "results.json"), JSON.stringify({ codeBase: CODE_BASE, minutes, before: b, baselines: { empty, previousLine: prev }, rows }, null, 2));
console.log(`\nLoRA on ${CODE_BASE.name} (${files.length} files, ${CODE_BASE.licence}), ~${minutes} min of training each, exact match on ${b.n} held-out samples (expected before the study: ${EXPECTED.study}):\n`);
console.log("| setting | what it asks | steps | minutes | exact match % | edit similarity |\n|---|---|---:|---:|---:|---:|");
console.log(`| before fine-tuning | | | | ${b.exactMatch.toFixed(1)} | ${b.editSimilarity.toFixed(1)} |`);
console.log(`| baselines: empty / previous line | | | | ${empty.exactMatch.toFixed(1)} / ${prev.exactMatch.toFixed(1)} | ${empty.editSimilarity.toFixed(1)} / ${prev.editSimilarity.toFixed(1)} |`);
for (const r of rows) console.log(`| ${r.name} | ${r.question} | ${r.steps} | ${r.minutes.toFixed(1)} | ${r.exactMatch.toFixed(1)} | ${r.editSimilarity.toFixed(1)} |`);
