// `fim kit`: writes a training kit (src/lib/kit) — the samples, an Axolotl config, a PEFT + TRL script and their
// README — so a job too big for this machine runs on GPU machines with the same data and settings. The kit folder
// is written whole or not at all (a temporary folder swapped into place).

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { buildKit, KIT_MANIFEST, KIT_TOP_LEVEL } from "../../../../src/lib/kit/kit.ts";
import { CHARS_PER_TOKEN, type RowMeasure } from "../../../../src/lib/kit/rows.ts";
import { kitSettings, type MultiGpu } from "../../../../src/lib/kit/settings.ts";
import { DEFAULT_LORA } from "../../../../src/lib/train/lora.ts";
import { parseJsonl } from "../../../../src/lib/train/data.ts";
import { loadTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "../../../../src/lib/model/tokenizer.ts";
import { writeDirAtomic } from "../atomic-dir.ts";
import { checkOutputDir, checkOutputs } from "../output-paths.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, requireFlags, type FlagSpec } from "./flags.ts";
import { readText } from "./load.ts";
import type { Io } from "./main.ts";
import { presetOf, TRAIN_FLAGS } from "./train.ts";
import { evalPathFor } from "./samples.ts";

/** The run settings are `fim train`'s flags, with its defaults. */
const SHARED = ["preset", "eval", "steps", "epochs", "lr", "warmup", "batch-size", "grad-accum", "context", "clip", "weight-decay", "seed", "rank", "alpha", "rslora", "targets", "loss-on"];

export const KIT_FLAGS = [
  { name: "data", type: "string", arg: "FILE", help: "train samples (JSONL from `fim samples`)" },
  { name: "model", type: "string", arg: "HF_REPO_ID", help: "the base model the GPU machines train: a Hugging Face model id (or a path there)" },
  { name: "out", type: "string", arg: "DIR", help: "the kit folder to write: new, empty, or this command's earlier output" },
  { name: "tokenizer", type: "string", arg: "PATH", help: "the base model's tokenizer.json or its folder, to cut prompts to the context exactly (default: the Hugging Face cache's copy of --model if there is one, else an estimate)" },
  { name: "multi-gpu", type: "string", choices: ["deepspeed", "fsdp"], default: "deepspeed", help: "how the several-GPU configs spread the job: DeepSpeed ZeRO-2 or FSDP2" },
  ...TRAIN_FLAGS.filter((f) => SHARED.includes(f.name)),
  { name: "quiet", type: "boolean", help: "no report on stderr" },
] as const satisfies readonly FlagSpec[];

export const KIT_HELP = `Usage: fim kit --data samples.jsonl --model HF_REPO_ID --out DIR [options]

Writes a training kit for GPU machines: the samples as FIM Studio trains on them, prepare.py (tokenizes them with the
base model's tokenizer, as FIM Studio does), an Axolotl config (one GPU, and several with DeepSpeed or FSDP), a
PEFT + TRL + accelerate script, and a README with the commands. The run settings are fim train's flags and defaults.
The adapter those trainers write opens in FIM Studio and in \`fim export --adapter\`.

${flagHelp(KIT_FLAGS)}`;

/** tokenizer.json of `id` in the Hugging Face cache (~/.cache/huggingface/hub or $HF_HOME/hub), if it is there. */
function cachedTokenizer(id: string): string | undefined {
  const hub = process.env.HF_HUB_CACHE ?? join(process.env.HF_HOME ?? join(homedir(), ".cache", "huggingface"), "hub");
  const snapshots = join(hub, `models--${id.replace(/\//g, "--")}`, "snapshots");
  if (!existsSync(snapshots)) return undefined;
  for (const s of readdirSync(snapshots).sort().reverse()) if (existsSync(join(snapshots, s, TOKENIZER_FILE))) return join(snapshots, s, TOKENIZER_FILE);
  return undefined;
}

/** The measure prompts are cut with: the model's tokenizer when one is found, else the estimate. */
function measureOf(path: string | undefined): { measure: RowMeasure; said: string } {
  if (!path) return { measure: { charsPerToken: CHARS_PER_TOKEN }, said: `prompts cut by an estimate of ${CHARS_PER_TOKEN} characters a token (give --tokenizer to cut them exactly)` };
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, TOKENIZER_FILE) : path;
  const json = JSON.parse(readText(file, "--tokenizer")) as unknown;
  const configPath = join(file, "..", TOKENIZER_CONFIG_FILE);
  const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, "utf8")) as unknown) : {};
  const tk = loadTokenizer(json, config, file);
  const reserved = tk.encode("", { addSpecialTokens: true }).length;
  return { measure: { tokenizer: (s) => tk.encode(s, { addSpecialTokens: false }), reserved }, said: `prompts cut with ${file}` };
}

export async function kitCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseFlags(KIT_FLAGS, argv);
  if (v.help) {
    io.stdout.write(KIT_HELP);
    return 0;
  }
  requireFlags(v, ["data", "model", "out"], KIT_HELP);
  const out = v.out!;
  const dataPath = v.data!;
  const evalPath = v.eval ?? (dataPath.endsWith(".jsonl") ? evalPathFor(dataPath) : undefined);
  checkOutputs([{ flag: "--out", path: out, dir: true }], [{ flag: "--data", path: dataPath }, ...(evalPath && existsSync(evalPath) ? [{ flag: "--eval", path: evalPath }] : [])]);
  checkOutputDir("--out", out, (name) => KIT_TOP_LEVEL.includes(name), KIT_MANIFEST);
  if (!evalPath || !existsSync(evalPath)) {
    throw new UsageError(`no held-out samples: ${evalPath ?? "--eval"} does not exist; give --eval, or cut samples with \`fim samples --eval-fraction\``);
  }
  const log = (line: string) => void (!v.quiet && io.stderr.write(line + "\n"));
  const train = parseJsonl(readText(dataPath, "--data"), dataPath);
  const held = parseJsonl(readText(evalPath, "--eval"), evalPath);
  const format = train[0]!.format;
  const { measure, said } = measureOf(v.tokenizer ?? cachedTokenizer(v.model!));
  const P = presetOf(v);
  const settings = kitSettings({
    baseModel: v.model!, format, lossOn: (v["loss-on"] ?? P.lossOn) as "middle" | "all", r: v.rank ?? P.r, alpha: v.alpha ?? P.alpha,
    targets: v.targets?.split(",") ?? DEFAULT_LORA.targets, rslora: v.rslora === true, multiGpu: (v["multi-gpu"] ?? "deepspeed") as MultiGpu,
    lr: v.lr ?? P.lr, warmupSteps: v.warmup ?? P.warmupSteps, batchSize: v["batch-size"] ?? P.batchSize, gradAccum: v["grad-accum"] ?? P.gradAccum,
    epochs: v.epochs ?? P.epochs, steps: v.steps ?? (v.epochs === undefined && P.steps > 0 ? P.steps : undefined), contextLength: v.context ?? P.contextLength,
    ...(v.clip !== undefined && { clip: v.clip }), ...(v["weight-decay"] !== undefined && { weightDecay: v["weight-decay"] }), ...(v.seed !== undefined && { seed: v.seed }),
  });
  const files = buildKit({ settings, train, eval: held, measure });
  writeDirAtomic(out, files);
  const m = JSON.parse(new TextDecoder().decode(files.get(KIT_MANIFEST))) as { rows: { train: number; eval: number; dropped: number } };
  log(`kit for ${settings.baseModel} written to ${out}: ${m.rows.train} train and ${m.rows.eval} held-out rows (${format})${m.rows.dropped ? `, ${m.rows.dropped} too long for the context left out` : ""}; ${said}`);
  log(`next, on the GPU machine: cd ${out} && python prepare.py && axolotl train axolotl/config.yml (or: accelerate launch train_trl.py); see ${out}/README.md`);
  return 0;
}
