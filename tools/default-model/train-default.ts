// train-default.ts — `npm run train:default`: reproduces the embedded default model from nothing but this repository
// and its installed npm packages. Steps (each logged with its time; outputs kept under --work so a rerun resumes the
// training instead of starting over):
//   1. corpus: the sources of corpus.ts (permissive npm packages installed and fetched by `npm run corpus:fetch`,
//      Debian's Python and Go standard libraries) + the built-in corpus, capped per language; its summary by source
//      and language printed; 5% of files held out by path hash
//   2. tokenizer: byte-level BPE trained on the training files, FIM markers as special tokens
//   3. samples: the FIM mixture (samples.ts) from 40-line windows, for training and for the held-out files
//   4. model: a small Llama initialised at random (init-model.ts), then full training with `fim train --full` for
//      as many steps as fit --minutes (timed on a short probe run first)
//   5. the result into public/models/<name>/ with manifest.json, and an entry in public/models/index.json
// The evaluation and the model card (README.md next to the weights) are written by eval-default.ts.

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { collectCorpus, corpusSummary, LANGUAGE_CAPS, splitCorpus } from "./corpus.ts";
import { paramCount, writeInitialModel, type LlamaDims } from "./init-model.ts";
import { ctxSamples, mixedSamples } from "./samples.ts";
import { toWindows } from "./windows.ts";
import { DIMS, NAME, TRAIN, VOCAB } from "./settings.ts";
import { trainTokenizer } from "./tokenizer.ts";
import { meanSampleTokens } from "./sample-tokens.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const FIM = join(ROOT, "node/export/bin/fim.mjs");

const { values: args } = parseArgs({
  options: {
    // as many steps as fit this many minutes (timed on a short probe run) instead of the shipped recipe's
    minutes: { type: "string" },
    // a step count instead of the shipped recipe's (settings.ts TRAIN.steps)
    steps: { type: "string" },
    work: { type: "string", default: join(ROOT, ".cache/default-model") },
    out: { type: "string", default: join(ROOT, "public/models", NAME) },
    fresh: { type: "boolean", default: false },
    // stop after the corpus, tokenizer and samples (to size a run before starting it)
    prepare: { type: "boolean", default: false },
    // the per-language byte cap in MB instead of corpus.ts's LANGUAGE_CAPS (0: no cap)
    "cap-mb": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`Usage: npm run train:default -- [--steps N | --minutes M] [--work DIR] [--out DIR] [--fresh] [--prepare] [--cap-mb MB]
Trains the embedded default model: ${TRAIN.steps} steps by default, about 2 hours on 2 CPU cores (a run stopped with
Ctrl-C resumes from its last save, every 250 steps, when run again). --prepare stops after the corpus, tokenizer and samples. Fetch the TypeScript sources first with \`npm run corpus:fetch\`;
Debian's Python and Go standard libraries are read from /usr/lib/python3.X and /usr/share/go-1.X/src.
  --cap-mb MB   bytes per language at most, in MB, for ${Object.keys(LANGUAGE_CAPS).join(", ")} (default ${Object.values(LANGUAGE_CAPS)[0]! / 1e6}; 0: no cap)`);
  process.exit(0);
}
const work = args.work!;
const minutes = args.minutes === undefined ? undefined : Number(args.minutes);
const t0 = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${msg}`);
const fim = (argv: string[]) => {
  const r = spawnSync(process.execPath, [FIM, ...argv], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`fim ${argv[0]} failed (exit ${r.status})`);
};

/** The machine the run took its time on, for the model card. */
function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}, Node ${process.version}`;
}

if (args.fresh) rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. corpus
const capMb = args["cap-mb"] === undefined ? undefined : Number(args["cap-mb"]);
const corpus = collectCorpus(ROOT, capMb === undefined ? {} : { caps: capMb > 0 ? Object.fromEntries(Object.keys(LANGUAGE_CAPS).map((l) => [l, capMb * 1e6])) : {} });
console.log(corpusSummary(corpus));
const { train, heldOut, nearDuplicates } = splitCorpus(corpus.files, TRAIN.heldOutFraction);
writeFileSync(join(work, "corpus.json"), JSON.stringify({ packages: corpus.packages, builtinFiles: corpus.builtinFiles, skipped: corpus.skipped,
  languages: corpus.languages, sources: corpus.sources, caps: corpus.caps, warnings: corpus.warnings,
  trainFiles: train.length, heldOutFiles: heldOut.length, heldOutPaths: heldOut.map((f) => f.path),
  nearDuplicatesDropped: Object.fromEntries(nearDuplicates) }, null, 2));
log(`corpus: ${corpus.files.length} files from ${corpus.packages.length} packages + ${corpus.builtinFiles} built-in; ` +
  `${heldOut.length} held out (${nearDuplicates.size} more dropped as near-duplicates of train files)`);

// 2. tokenizer
const tokDir = join(work, "tokenizer");
if (!existsSync(join(tokDir, "tokenizer.json"))) {
  const s = Date.now();
  trainTokenizer(train.map((f) => f.text), VOCAB, tokDir);
  log(`tokenizer: ${VOCAB} tokens trained in ${((Date.now() - s) / 1000).toFixed(0)} s`);
}
const tok = JSON.parse(readFileSync(join(tokDir, "tokenizer_meta.json"), "utf8")) as { vocabSize: number; bos: number; eos: number };

// 3. samples
const trainJsonl = join(work, "train.jsonl");
const heldJsonl = join(work, "heldout.jsonl");
const heldCtxJsonl = join(work, "heldout-ctx.jsonl");
if (!existsSync(trainJsonl)) {
  writeFileSync(trainJsonl, await mixedSamples(toWindows(train, TRAIN.windowLines), TRAIN.samples, 1));
  writeFileSync(heldJsonl, await mixedSamples(toWindows(heldOut, TRAIN.windowLines), TRAIN.heldOutSamples, 2));
  log(`samples: ${TRAIN.samples} for training, ${TRAIN.heldOutSamples} held out`);
}
if (!existsSync(heldCtxJsonl)) {
  // the app's own format (cursor context, rest of the line), from whole held-out files: what eval-default.ts scores
  writeFileSync(heldCtxJsonl, await ctxSamples(heldOut, TRAIN.heldOutSamples, 3));
  log(`samples: ${TRAIN.heldOutSamples} held out in the app's ctx format`);
}
if (args.prepare) process.exit(0);

// 4. model
const dims: LlamaDims = { ...DIMS, vocab: Math.ceil(tok.vocabSize / 64) * 64 };
const init = join(work, "init");
const trained = join(work, "trained");
if (!existsSync(join(init, "model.safetensors"))) {
  writeInitialModel(init, dims, {
    "tokenizer.json": readFileSync(join(tokDir, "tokenizer.json"), "utf8"),
    "tokenizer_config.json": readFileSync(join(tokDir, "tokenizer_config.json"), "utf8"),
    bos: tok.bos, eos: tok.eos,
  });
  log(`model: ${paramCount(dims).toLocaleString()} parameters initialised`);
}
const common = ["--full", "--model", init, "--data", trainJsonl, "--batch-size", String(TRAIN.batch), "--grad-accum", "1",
  "--context", String(TRAIN.context), "--lr", String(TRAIN.lr), "--loss-on", "all"];
const stepsFile = join(work, "steps.json");
if (args.steps || (minutes === undefined && !existsSync(stepsFile))) writeFileSync(stepsFile, JSON.stringify({ steps: Number(args.steps ?? TRAIN.steps) }));
if (!existsSync(stepsFile) && minutes !== undefined) {
  // time a short run to see how many steps fit the budget: at step 3 of 4 the trainer's ETA is one step's time
  // (loading and tokenizing the samples, a minute or more, is not counted)
  const probe = join(work, "probe");
  const r = spawnSync(process.execPath, [FIM, "train", ...common, "--out", probe, "--steps", "4", "--warmup", "1"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`fim train (probe) failed (exit ${r.status}):\n${r.stderr}`);
  const eta = /step 3\/4 .*ETA (\d+) s/.exec(r.stderr);
  if (!eta) throw new Error(`fim train (probe): no step 3/4 line in its output:\n${r.stderr}`);
  const perStep = Number(eta[1]);
  const steps = Math.max(50, Math.floor((minutes * 60) / perStep));
  writeFileSync(stepsFile, JSON.stringify({ steps, secondsPerStep: perStep, minutes }));
  rmSync(probe, { recursive: true, force: true });
  log(`probe: ${perStep} s a step, so ${steps} steps in ${minutes} min`);
}
const { steps } = JSON.parse(readFileSync(stepsFile, "utf8")) as { steps: number };
const savedState = join(trained, "trainer_state.json");
const resume = existsSync(savedState) ? ["--resume"] : [];
// a run resumed with the same --steps follows the very schedule of one run; one extended (a larger --steps) does not
const stretched = resume.length > 0 && (JSON.parse(readFileSync(savedState, "utf8")) as { totalSteps?: number }).totalSteps !== steps;
// Each sitting's time is logged as it starts; one cut short (Ctrl-C, the machine gone) ended at its last save, the
// steps after that being redone (and timed) by the next sitting.
type Sitting = { start: number; end?: number };
const sittingsFile = join(work, "sittings.json");
const sittings: Sitting[] = resume.length && existsSync(sittingsFile) ? (JSON.parse(readFileSync(sittingsFile, "utf8")) as Sitting[]) : [];
for (const st of sittings) st.end ??= existsSync(savedState) ? Math.max(st.start, statSync(savedState).mtimeMs) : st.start;
sittings.push({ start: Date.now() });
writeFileSync(sittingsFile, JSON.stringify(sittings));
// the held-out loss at the end on 48 samples only (all 600 would take minutes; eval-default.ts measures them all)
const monitor = join(work, "heldout-monitor.jsonl");
writeFileSync(monitor, readFileSync(heldJsonl, "utf8").split("\n").slice(0, 48).join("\n") + "\n");
fim(["train", ...common, "--eval", monitor, "--out", trained, "--steps", String(steps), "--warmup", String(TRAIN.warmup), "--save-every", "250", ...resume]);
sittings.at(-1)!.end = Date.now();
writeFileSync(sittingsFile, JSON.stringify(sittings));
const trainMinutes = (sittings.at(-1)!.end! - sittings.at(-1)!.start) / 60000;
const trainingFile = join(work, "training.json");
type Training = { steps: number; minutes: number; sittings: number; stretched: boolean; tokens: number; machine: string };
const training: Training = {
  steps, minutes: sittings.reduce((a, st) => a + (st.end! - st.start), 0) / 60000, sittings: sittings.length,
  stretched: stretched || (existsSync(trainingFile) && resume.length > 0 && (JSON.parse(readFileSync(trainingFile, "utf8")) as Partial<Training>).stretched === true),
  tokens: steps * TRAIN.batch * (await meanSampleTokens(trainJsonl, trained, TRAIN.context)),
  machine: machine(),
};
writeFileSync(trainingFile, JSON.stringify(training, null, 2));
log(`trained ${steps} steps (${(training.tokens / 1e6).toFixed(1)}M tokens) in ${trainMinutes.toFixed(1)} min${resume.length ? " (resumed)" : ""}`);

// 5. into public/models/
const out = args.out!;
mkdirSync(out, { recursive: true });
const shipped = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"];
for (const f of shipped) cpSync(join(trained, f), join(out, f));
// The shipped context is the trained one: positions past it were never trained, and prompts filled to 1024 tokens
// scored 3.0% exact match on 200 held-out samples where the same weights capped at 384 scored 9.5% (step 6600 of
// this run). max_position_embeddings is what the app, the CLI and llama.cpp cut prompts to.
const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as Record<string, unknown>;
writeFileSync(join(out, "config.json"), JSON.stringify({ ...config, max_position_embeddings: TRAIN.context }, null, 2) + "\n");
writeFileSync(join(out, "manifest.json"), JSON.stringify({ files: shipped }, null, 2) + "\n");
const bytes = shipped.reduce((a, f) => a + statSync(join(out, f)).size, 0);
const indexFile = join(ROOT, "public/models/index.json");
const index = existsSync(indexFile) ? (JSON.parse(readFileSync(indexFile, "utf8")) as { models: { id: string }[] }) : { models: [] };
const entry = {
  id: NAME, label: "FIM tiny code (embedded)", path: NAME, bytes,
  shape: { params: paramCount(dims), C: dims.hidden, L: dims.layers, H: dims.intermediate, V: dims.vocab },
  description: `A ${(paramCount(dims) / 1e6).toFixed(1)}M-parameter Llama trained by FIM Studio on ${(training.tokens / 1e6).toFixed(0)}M tokens of permissively licensed Python, JavaScript, TypeScript and Go: small and fast (its card has the numbers), a starting point to fine-tune on your own code.`,
};
index.models = [entry, ...index.models.filter((m) => m.id !== NAME)];
writeFileSync(indexFile, JSON.stringify(index, null, 2) + "\n");
log(`wrote ${out} (${(bytes / 1e6).toFixed(1)} MB) and public/models/index.json`);
