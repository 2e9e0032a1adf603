// `fim train`: LoRA (or full) fine-tuning of a Hugging Face model folder on JSONL samples from `fim samples`.
// Writes a PEFT adapter folder (plus optimizer state, so --resume continues the very same run).

import { parseArgs } from "node:util";
import { getFormat } from "../../../../src/lib/fim/index.ts";
import {
  loadAdapter, loadTrainerState, loraShapes, saveAdapter, saveTrainerState, type Files,
} from "../../../../src/lib/train/adapter.ts";
import { parseJsonl, tokenizeSample, type TokenizedSample } from "../../../../src/lib/train/data.ts";
import { attachLora, checkTargets, DEFAULT_LORA, type LoraConfig } from "../../../../src/lib/train/lora.ts";
import { enableModelFullTraining } from "../../../../src/lib/train/weights.ts";
import { DEFAULT_TRAIN, Trainer, type TrainConfig } from "../../../../src/lib/train/trainer.ts";
import { writeDirAtomic } from "../atomic-dir.ts";
import { saveFullModel } from "./save-model.ts";
import { numberFlag, UsageError } from "./errors.ts";
import { loadModel, readFolder, readText } from "./load.ts";
import type { Io } from "./main.ts";

const T = DEFAULT_TRAIN;
export const TRAIN_HELP = `Usage: fim train --model DIR --data samples.jsonl --out ADAPTER_DIR [options]

LoRA fine-tuning on the CPU. Defaults follow the pipeline seed: rank ${DEFAULT_LORA.r}, alpha ${DEFAULT_LORA.alpha},
all attention and MLP projections, AdamW lr ${T.lr} with ${T.warmupSteps} warmup steps then linear decay,
batch ${T.batchSize} x accumulation ${T.gradAccum}, ${T.epochs} epochs, context ${T.contextLength}, clip ${T.clip}.
Loss is on the middle and end token. The adapter is written in PEFT's format.

Options:
  --eval FILE          eval samples (default: DATA with .eval.jsonl when it exists)
  --steps N | --epochs E
  --resume             continue the run saved in ADAPTER_DIR exactly where it stopped
  --lr X  --warmup N (short runs want fewer than the seed's 100)  --batch-size N  --grad-accum N  --context N  --clip X  --weight-decay X  --seed S
  --rank R  --alpha A  --rslora  --targets q_proj,k_proj,... (default: every linear of a block; Mamba: in_proj,x_proj,dt_proj,out_proj)
  --loss-on middle|all
  --full               train every weight instead of LoRA; ADAPTER_DIR becomes a full model folder (HF layout)
  --recompute          recompute activations per block (less memory, ~1.3x time)
  --save-every N       save the adapter and optimizer state every N steps (default: at the end)
  --quiet
`;

export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const strings = ["model", "data", "out", "eval", "steps", "epochs", "lr", "warmup", "batch-size", "grad-accum", "context",
    "clip", "weight-decay", "seed", "rank", "alpha", "targets", "loss-on", "save-every"];
  const flags = ["resume", "rslora", "recompute", "quiet", "help", "full"];
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const k of strings) options[k] = { type: "string" };
  for (const k of flags) options[k] = { type: "boolean" };
  const v = parseArgs({ args: argv, options }).values as Record<string, string | boolean | undefined>;
  const s = (k: string) => v[k] as string | undefined;
  if (v.help) {
    io.stdout.write(TRAIN_HELP);
    return 0;
  }
  for (const k of ["model", "data", "out"]) if (!s(k)) throw new UsageError(`--${k} is required\n\n${TRAIN_HELP}`);
  const lossOn = s("loss-on") ?? "middle";
  if (lossOn !== "middle" && lossOn !== "all") throw new UsageError(`--loss-on must be "middle" or "all", got "${lossOn}"`);
  const targets = s("targets")?.split(","); // checked against the model's modules once it is loaded
  const pos = (flag: string, x: number | undefined, int = true) => {
    if (x !== undefined && (!(x > 0) || (int && !Number.isInteger(x)))) throw new UsageError(`--${flag} must be a positive ${int ? "integer" : "number"}, got ${x}`);
    return x;
  };
  const cfg: TrainConfig = {
    ...T,
    lr: pos("lr", numberFlag("lr", s("lr")), false) ?? T.lr,
    warmupSteps: numberFlag("warmup", s("warmup")) ?? T.warmupSteps,
    batchSize: pos("batch-size", numberFlag("batch-size", s("batch-size"))) ?? T.batchSize,
    gradAccum: pos("grad-accum", numberFlag("grad-accum", s("grad-accum"))) ?? T.gradAccum,
    epochs: pos("epochs", numberFlag("epochs", s("epochs")), false) ?? T.epochs,
    steps: pos("steps", numberFlag("steps", s("steps"))),
    contextLength: pos("context", numberFlag("context", s("context"))) ?? T.contextLength,
    clip: pos("clip", numberFlag("clip", s("clip")), false) ?? T.clip,
    weightDecay: numberFlag("weight-decay", s("weight-decay")) ?? T.weightDecay,
    seed: numberFlag("seed", s("seed")) ?? T.seed,
    recompute: v.recompute === true,
  };
  const lora: LoraConfig = {
    r: pos("rank", numberFlag("rank", s("rank"))) ?? DEFAULT_LORA.r,
    alpha: pos("alpha", numberFlag("alpha", s("alpha")), false) ?? DEFAULT_LORA.alpha,
    rslora: v.rslora === true,
    targets: targets ?? [],
  };
  const saveEvery = pos("save-every", numberFlag("save-every", s("save-every")));
  const out = s("out")!;
  const dataPath = s("data")!;
  const evalPath = s("eval") ?? (dataPath.endsWith(".jsonl") ? dataPath.replace(/\.jsonl$/, ".eval.jsonl") : undefined);
  const log = (line: string) => void (!v.quiet && io.stderr.write(line + "\n"));

  // a resumed full run continues from its own saved weights
  const { be, engine } = await loadModel(v.full && v.resume ? out : s("model"));
  const tk = engine.checkpoint.tokenizer;
  let dataFormat: string | undefined;
  const tokenize = (file: string, required: boolean): TokenizedSample[] => {
    let text: string;
    try {
      text = readText(file, required ? "--data" : "--eval");
    } catch (e) {
      if (!required) return [];
      throw e;
    }
    const recs = parseJsonl(text, file);
    for (const r of recs) getFormat(r.format);
    if (required) dataFormat = recs[0]!.format;
    const toks = recs.map((r) => tokenizeSample(r, tk, { contextLength: cfg.contextLength, lossOn }));
    const kept = toks.filter((x): x is TokenizedSample => x !== undefined);
    if (kept.length < toks.length) log(`${file}: ${toks.length - kept.length} of ${toks.length} samples do not fit --context ${cfg.contextLength} and are left out`);
    return kept;
  };
  const train = tokenize(dataPath, true);
  if (train.length === 0) throw new UsageError(`${dataPath}: no sample fits --context ${cfg.contextLength}`);
  const evalSet = evalPath ? tokenize(evalPath, s("eval") !== undefined) : [];

  let params;
  let resumeFiles: Files | undefined;
  if (v.resume) resumeFiles = readFolder(out, "--resume");
  if (!targets) lora.targets = [...engine.model.linearNames];
  try {
    checkTargets(engine.model.w, lora.targets, "--targets");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (v.full) params = enableModelFullTraining(be, engine.model);
  else if (resumeFiles) params = (await loadAdapter(be, engine.model.w, resumeFiles)).params;
  else params = attachLora(be, engine.model.w, lora, cfg.seed);
  const trainer = new Trainer(be, engine.model, params, train, cfg);
  const losses: number[] = [];
  if (resumeFiles) {
    const st = await loadTrainerState(be, params, trainer.moments, resumeFiles);
    trainer.step = st.step;
    losses.push(...st.losses);
    log(`resuming at step ${st.step} of ${trainer.totalSteps}`);
  }
  const save = async () => {
    const files = new Map([
      ...(v.full ? await saveFullModel(be, engine, s("model")!) : await saveAdapter(be, params, lora, s("model")!, loraShapes(engine.model.w))),
      ...(await saveTrainerState(be, params, trainer.moments, { step: trainer.step, totalSteps: trainer.totalSteps, seed: cfg.seed, losses, format: dataFormat })),
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
  let skipped = 0;
  const firstStep = trainer.step;
  while (trainer.step < trainer.totalSteps) {
    const r = await trainer.trainStep();
    losses.push(r.loss);
    tokens += r.tokens;
    if (r.skipped) skipped++;
    const secs = (Date.now() - started) / 1000;
    const eta = (secs / (trainer.step - firstStep)) * (trainer.totalSteps - trainer.step);
    log(`step ${r.step}/${trainer.totalSteps}  loss ${r.loss.toFixed(4)}${r.skipped ? " (skipped: not finite)" : ""}  ` +
      `lr ${r.lr.toExponential(2)}  ${(tokens / secs).toFixed(0)} tok/s  ETA ${eta.toFixed(0)} s`);
    if (saveEvery && trainer.step % saveEvery === 0) await save();
  }
  await save();
  const tail = losses.slice(-10);
  const summary = [`train loss ${(tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(4)} (mean of the last ${tail.length} steps)`];
  if (evalSet.length) summary.push(`eval loss ${(await trainer.evaluate(evalSet)).toFixed(4)} on ${evalSet.length} samples`);
  if (skipped) summary.push(`${skipped} steps skipped (non-finite)`);
  log(`${summary.join(", ")}; wrote ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
