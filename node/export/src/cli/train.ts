// `fim train`: LoRA (or full) fine-tuning of a Hugging Face model folder on JSONL samples from `fim samples`.
// Writes a PEFT adapter folder (plus optimizer state, so --resume continues the very same run). Before any work:
// the output folder must be new, empty or this command's own earlier output, and no output may touch an input.

import { basename } from "node:path";
import { getFormat } from "../../../../src/lib/fim/index.ts";
import {
  ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadAdapter, loadTrainerState, loraShapes, OPTIMIZER_STATE, parseTrainerState, readAdapter,
  saveAdapter, saveTrainerState, TRAINER_STATE, type Files, type ReadAdapter, type TrainerState,
} from "../../../../src/lib/train/adapter.ts";
import { parseJsonl, tokenizeSample, type TokenizedSample } from "../../../../src/lib/train/data.ts";
import { attachLora, checkTargets, DEFAULT_LORA, type LoraConfig } from "../../../../src/lib/train/lora.ts";
import { enableModelFullTraining } from "../../../../src/lib/train/weights.ts";
import { DEFAULT_TRAIN, Trainer, trainingContext, TrainingDivergedError, type TrainConfig } from "../../../../src/lib/train/trainer.ts";
import { DEFAULT_PRESET, PRESETS, SEED_PRESET, type PresetName, type RunPreset } from "../../../../src/lib/train/presets.ts";
import { writeDirAtomic } from "../atomic-dir.ts";
import { checkOutputDir, checkOutputs } from "../output-paths.ts";
import { FULL_MODEL_FILES, saveFullModel } from "./save-model.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, requireFlags, type FlagSpec } from "./flags.ts";
import { progressReporter } from "./progress.ts";
import { loadModel, readFolder, readText } from "./load.ts";
import type { Io } from "./main.ts";
import { evalPathFor } from "./samples.ts";

/** Samples tokenized between two turns of the event loop (and progress reports): ~0.5 s of work at most. */
const TOKENIZE_CHUNK = 256;

const T = DEFAULT_TRAIN;
const L = DEFAULT_LORA;

/** Bounds that keep a typo from allocating the machine away; the model's own sizes are checked once it is loaded. */
export const TRAIN_FLAGS = [
  { name: "model", type: "string", arg: "DIR", help: "the Hugging Face model folder (config.json, safetensors, tokenizer.json)" },
  { name: "data", type: "string", arg: "FILE", help: "train samples (JSONL from `fim samples`)" },
  { name: "out", type: "string", arg: "DIR", help: "the adapter folder to write: new, empty, or this command's earlier output" },
  { name: "eval", type: "string", arg: "FILE", help: "eval samples (default: DATA with .eval.jsonl when it exists; an empty one is no eval set)" },
  { name: "preset", type: "string", choices: ["defaults", "seed"], default: "defaults", help: "the settings flags not given take: FIM Studio's defaults, or the pipeline seed's" },
  { name: "steps", type: "int", min: 1, max: 10_000_000, ...(DEFAULT_PRESET.steps > 0 && { default: DEFAULT_PRESET.steps }), help: "optimizer steps (instead of --epochs)" },
  { name: "epochs", type: "number", above: 0, max: 10_000, default: T.epochs, help: "passes over the data" },
  { name: "resume", type: "boolean", help: "continue the run saved in --out exactly where it stopped (only --steps, --lr and --warmup may change)" },
  { name: "lr", type: "number", above: 0, max: 10, default: T.lr, help: "peak learning rate (AdamW)" },
  { name: "warmup", type: "int", min: 0, max: 10_000_000, default: T.warmupSteps, help: "linear warmup steps, then linear decay (short runs want fewer)" },
  { name: "batch-size", type: "int", min: 1, max: 4096, default: T.batchSize, help: "sequences per micro-batch" },
  { name: "grad-accum", type: "int", min: 1, max: 4096, default: T.gradAccum, help: "micro-batches per optimizer step" },
  { name: "context", type: "int", min: 8, max: 1 << 20, default: T.contextLength, help: "tokens per sequence (longer samples are left out)" },
  { name: "clip", type: "number", above: 0, max: 1e6, default: T.clip, help: "global gradient-norm clip" },
  { name: "weight-decay", type: "number", min: 0, max: 10, default: T.weightDecay, help: "AdamW weight decay" },
  { name: "seed", type: "int", min: 0, max: 2 ** 32 - 1, default: T.seed, help: "data order and LoRA initialisation" },
  { name: "rank", type: "int", min: 1, max: 4096, default: L.r, help: "LoRA rank" },
  { name: "alpha", type: "number", above: 0, max: 1e6, default: L.alpha, help: "LoRA alpha" },
  { name: "rslora", type: "boolean", help: "scale by alpha/sqrt(rank) instead of alpha/rank" },
  { name: "targets", type: "string", arg: "q_proj,k_proj,...", help: "modules to adapt (default: every linear of a block; Mamba: in_proj,x_proj,dt_proj,out_proj)" },
  { name: "loss-on", type: "string", choices: ["middle", "all"], default: DEFAULT_PRESET.lossOn, help: "which tokens the loss is on" },
  { name: "full", type: "boolean", help: "train every weight instead of LoRA; --out becomes a full model folder (HF layout)" },
  { name: "recompute", type: "boolean", help: "recompute activations per block (less memory, ~1.3x time)" },
  { name: "save-every", type: "int", min: 1, max: 10_000_000, help: "save the adapter and optimizer state every N steps (default: at the end)" },
  { name: "quiet", type: "boolean", help: "no progress on stderr" },
] as const satisfies readonly FlagSpec[];

const presetWords = (p: Readonly<RunPreset>) =>
  `rank ${p.r}, alpha ${p.alpha}, lr ${p.lr} with ${p.warmupSteps} warmup steps then linear decay, batch ${p.batchSize} x accumulation ${p.gradAccum}, ` +
  `${p.steps > 0 ? `${p.steps} steps` : `${p.epochs} epochs`}, context ${p.contextLength}, loss on ${p.lossOn === "middle" ? "the middle and end token" : "every token"}`;

export const TRAIN_HELP = `Usage: fim train --model DIR --data samples.jsonl --out ADAPTER_DIR [options]

LoRA fine-tuning on the CPU, on all attention and MLP projections, AdamW with clip ${T.clip}. The settings not given
come from a preset: FIM Studio's defaults (${presetWords(DEFAULT_PRESET)}),
or with --preset seed the pipeline seed's (${presetWords(SEED_PRESET)}).
The adapter is written in PEFT's format. A step whose loss or gradient is not finite stops the run (exit 1); the last
saved checkpoint is kept.

${flagHelp(TRAIN_FLAGS)}`;

type TrainValues = ReturnType<typeof parseFlags<typeof TRAIN_FLAGS>>["values"];

/** The preset the settings not given on the command line come from (--preset; `fim kit` shares it). */
export const presetOf = (v: { preset?: string }): Readonly<RunPreset> => PRESETS[(v.preset ?? "defaults") as PresetName].preset;

/** Files `fim train` writes into --out (an earlier output of it holds these and trainer_state.json). */
const OWN_FILES = new Set([ADAPTER_CONFIG, ADAPTER_WEIGHTS, OPTIMIZER_STATE, TRAINER_STATE, ...FULL_MODEL_FILES]);

/**
 * On --resume, the flags that must match the saved run: given ones that differ are refused (all named at once);
 * the ones not given take the saved values. Only --steps (not below the steps done), --lr and --warmup may change.
 */
export function resumeSettings(v: TrainValues, state: TrainerState, lora: LoraConfig | undefined): string[] {
  const clash: string[] = [];
  const same = (flag: keyof TrainValues, saved: unknown, given: unknown) => {
    if (given !== undefined && saved !== undefined && JSON.stringify(given) !== JSON.stringify(saved)) clash.push(`--${flag} ${given} (the run has ${saved})`);
  };
  if (lora) {
    same("rank", lora.r, v.rank);
    same("alpha", lora.alpha, v.alpha);
    same("targets", lora.targets.join(","), v.targets);
    if (v.rslora && !lora.rslora) clash.push("--rslora (the run has no rslora)");
  }
  same("seed", state.seed, v.seed);
  same("batch-size", state.run?.batchSize, v["batch-size"]);
  same("grad-accum", state.run?.gradAccum, v["grad-accum"]);
  same("context", state.run?.contextLength, v.context);
  same("loss-on", state.run?.lossOn, v["loss-on"]);
  if (state.run && state.run.full !== (v.full === true)) clash.push(v.full ? "--full (the run trained a LoRA adapter)" : "no --full (the run trained every weight)");
  if (v.steps !== undefined && v.steps < state.step) clash.push(`--steps ${v.steps} (the run has done ${state.step} steps already)`);
  if (v.epochs !== undefined) clash.push("--epochs (a resumed run counts in steps: give --steps)");
  return clash;
}

export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseFlags(TRAIN_FLAGS, argv);
  if (v.help) {
    io.stdout.write(TRAIN_HELP);
    return 0;
  }
  requireFlags(v, ["model", "data", "out"], TRAIN_HELP);
  const out = v.out!;
  const dataPath = v.data!;
  const evalPath = v.eval ?? (dataPath.endsWith(".jsonl") ? evalPathFor(dataPath) : undefined);
  checkOutputs([{ flag: "--out", path: out, dir: true }], [
    { flag: "--model", path: v.model! }, { flag: "--data", path: dataPath }, ...(v.eval ? [{ flag: "--eval", path: v.eval }] : []),
  ]);
  checkOutputDir("--out", out, (name) => OWN_FILES.has(name), TRAINER_STATE);
  const log = (line: string) => void (!v.quiet && io.stderr.write(line + "\n"));

  // --resume: the saved run's settings, checked against the flags before the model is loaded
  let resumeFiles: Files | undefined;
  let saved: TrainerState | undefined;
  let savedAdapter: ReadAdapter | undefined;
  if (v.resume) {
    resumeFiles = readFolder(out, "--resume");
    const st = resumeFiles.get(TRAINER_STATE);
    if (!st) throw new UsageError(`--resume: ${out} holds no ${TRAINER_STATE}: there is no run to resume`);
    saved = parseTrainerState(st, `${out}/${TRAINER_STATE}`);
    if (!v.full && !saved.run?.full) savedAdapter = await readAdapter(resumeFiles, out);
    const clash = resumeSettings(v, saved, savedAdapter?.lora);
    if (clash.length) throw new UsageError(`--resume: these flags contradict the run saved in ${out}: ${clash.join("; ")}. Leave them out, or train into a new --out`);
  }
  const P = presetOf(v);
  const lossOn = (v["loss-on"] ?? saved?.run?.lossOn ?? P.lossOn) as "middle" | "all";
  const cfg: TrainConfig = {
    ...T,
    lr: v.lr ?? P.lr,
    warmupSteps: v.warmup ?? P.warmupSteps,
    batchSize: v["batch-size"] ?? saved?.run?.batchSize ?? P.batchSize,
    gradAccum: v["grad-accum"] ?? saved?.run?.gradAccum ?? P.gradAccum,
    epochs: v.epochs ?? P.epochs,
    steps: v.steps ?? saved?.totalSteps ?? (v.epochs === undefined && P.steps > 0 ? P.steps : undefined),
    contextLength: v.context ?? saved?.run?.contextLength ?? P.contextLength,
    clip: v.clip ?? T.clip,
    weightDecay: v["weight-decay"] ?? T.weightDecay,
    seed: v.seed ?? saved?.seed ?? T.seed,
    recompute: v.recompute === true,
  };
  const lora: LoraConfig = savedAdapter?.lora ?? {
    r: v.rank ?? P.r,
    alpha: v.alpha ?? P.alpha,
    rslora: v.rslora === true,
    targets: v.targets?.split(",") ?? [],
  };

  // a resumed full run continues from its own saved weights
  const { be, engine } = await loadModel(v.full && v.resume ? out : v.model, (line) => io.stderr.write(line + "\n"));
  const tk = engine.checkpoint.tokenizer;
  const maxPositions = engine.checkpoint.config.max_position_embeddings;
  if (trainingContext(cfg.contextLength, maxPositions) < cfg.contextLength) {
    log(`--context ${cfg.contextLength} is past the model's max_position_embeddings (${maxPositions}): training at ${maxPositions}`);
    cfg.contextLength = maxPositions;
  }
  let dataFormat: string | undefined;
  // Tokenizing tens of thousands of samples takes minutes: it reports progress, and it gives the event loop a turn
  // every chunk so Ctrl-C (whose handler removes the partial output) is heard at once, not after the last sample.
  const tokenize = async (file: string, required: boolean): Promise<TokenizedSample[]> => {
    let text: string;
    try {
      text = readText(file, required ? "--data" : "--eval");
    } catch (e) {
      if (!required && v.eval === undefined) return [];
      throw e;
    }
    if (!required && text.trim() === "") return []; // an empty eval set is no eval set
    const recs = parseJsonl(text, file);
    for (const r of recs) getFormat(r.format);
    if (required) dataFormat = recs[0]!.format;
    const progress = progressReporter({ label: `tokenizing ${basename(file)}:`, total: recs.length, unit: "samples", everyMs: 5000, write: (line) => log(line.trimEnd()) });
    const kept: TokenizedSample[] = [];
    for (let i = 0; i < recs.length; i++) {
      const t = tokenizeSample(recs[i]!, tk, { contextLength: cfg.contextLength, lossOn });
      if (t) kept.push(t);
      if ((i + 1) % TOKENIZE_CHUNK === 0 || i + 1 === recs.length) {
        if (recs.length > TOKENIZE_CHUNK) progress(i + 1);
        await new Promise((r) => setImmediate(r));
      }
    }
    if (kept.length < recs.length) log(`${file}: ${recs.length - kept.length} of ${recs.length} samples do not fit --context ${cfg.contextLength} and are left out`);
    return kept;
  };
  const train = await tokenize(dataPath, true);
  if (train.length === 0) throw new UsageError(`${dataPath}: no sample fits --context ${cfg.contextLength}`);
  const evalSet = evalPath ? await tokenize(evalPath, false) : [];

  if (lora.targets.length === 0) lora.targets = [...engine.model.linearNames];
  try {
    checkTargets(engine.model.w, lora.targets, "--targets");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let params;
  if (v.full) params = enableModelFullTraining(be, engine.model);
  else if (savedAdapter) params = (await loadAdapter(be, engine.model.w, savedAdapter)).params;
  else params = attachLora(be, engine.model.w, lora, cfg.seed);
  const trainer = new Trainer(be, engine.model, params, train, cfg);
  const losses: number[] = [];
  if (resumeFiles) {
    const st = await loadTrainerState(be, params, trainer.moments, resumeFiles, saved);
    trainer.step = st.step;
    losses.push(...st.losses);
    log(`resuming at step ${st.step} of ${trainer.totalSteps}`);
  }
  const run = { batchSize: cfg.batchSize, gradAccum: cfg.gradAccum, contextLength: cfg.contextLength, lossOn, full: v.full === true };
  const save = async () => {
    const files = new Map([
      ...(v.full ? await saveFullModel(be, engine, v.model!) : await saveAdapter(be, params, lora, v.model!, loraShapes(engine.model.w))),
      ...(await saveTrainerState(be, params, trainer.moments, { step: trainer.step, totalSteps: trainer.totalSteps, seed: cfg.seed, losses, format: dataFormat, run })),
    ]);
    writeDirAtomic(out, files);
  };
  if (cfg.warmupSteps >= trainer.totalSteps) {
    log(`warning: --warmup ${cfg.warmupSteps} >= ${trainer.totalSteps} steps, so the learning rate never reaches --lr ${cfg.lr}: lower --warmup`);
  }
  if (v.full) log(`training all ${params.reduce((n, p) => n + p.n, 0)} weights (full mode)`);
  else log(`training ${params.length / 2} LoRA adapters (rank ${lora.r}) on ${train.length} samples, ${trainer.totalSteps} steps`);
  const started = Date.now();
  let tokens = 0;
  let lastSaved = trainer.step;
  const progress = progressReporter({ label: "step", total: trainer.totalSteps, first: trainer.step, write: (line) => log(line.trimEnd()) });
  try {
    while (trainer.step < trainer.totalSteps) {
      // a turn of the event loop each step: a step's awaits may all resolve as microtasks, and a signal handler (Ctrl-C
      // removes the partial output and exits) only runs between macrotasks, so without it Ctrl-C went unheard
      await new Promise((r) => setImmediate(r));
      const r = await trainer.trainStep();
      losses.push(r.loss);
      tokens += r.tokens;
      const secs = (Date.now() - started) / 1000;
      progress(r.step, `loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}  ${(tokens / secs).toFixed(0)} tok/s`);
      if (v["save-every"] && trainer.step % v["save-every"] === 0) {
        await save();
        lastSaved = trainer.step;
      }
    }
  } catch (e) {
    if (e instanceof TrainingDivergedError) {
      const kept = lastSaved > 0 ? `${out} still holds the checkpoint of step ${lastSaved}` : `nothing was written to ${out}`;
      throw new TrainingDivergedError(0, e.step, NaN, NaN, cfg.lr, `${e.message}. ${kept}`);
    }
    throw e;
  }
  await save();
  const tail = losses.slice(-10);
  const summary = [`train loss ${(tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(4)} (mean of the last ${tail.length} steps)`];
  if (evalSet.length) summary.push(`eval loss ${(await trainer.evaluate(evalSet)).toFixed(4)} on ${evalSet.length} samples`);
  log(`${summary.join(", ")}; wrote ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
