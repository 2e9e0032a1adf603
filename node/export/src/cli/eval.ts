// `fim eval`: completion quality on held-out samples (the .eval.jsonl of `fim samples`: whole files never trained
// on, near-duplicates of train files removed). Scores our engine (a model folder, optionally with a PEFT adapter)
// and/or a GGUF through llama.cpp on the same samples, and optionally two trivial baselines, per language and
// overall: exact match, edit similarity, the share that stopped properly, latency. A table, or JSON with --json.

import { existsSync } from "node:fs";
import type { SampleRecord } from "../../../../src/lib/fim/index.ts";
import { loadAdapter } from "../../../../src/lib/train/adapter.ts";
import { parseJsonl } from "../../../../src/lib/train/data.ts";
import {
  BASELINES, baselinePredictions, engineCompleter, evaluateWith, modeFor, scoreByLanguage,
  type EvalOptions, type EvalPrediction, type EvalScores, type SampleCompleter,
} from "../../../../src/lib/train/evaluate.ts";
import { openLlamaCompleter } from "../eval/llama-complete.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, type FlagSpec } from "./flags.ts";
import { loadModel, readText } from "./load.ts";
import { progressReporter } from "./progress.ts";
import type { WeightFormat } from "../../../../src/lib/train/quant.ts";
import { readAdapterFolder } from "./adapter-folder.ts";
import type { Io } from "./main.ts";

export const EVAL_MODES = ["span", "line", "multiline"] as const;
export type EvalMode = (typeof EVAL_MODES)[number];

export const EVAL_FLAGS = [
  { name: "model", type: "string", arg: "DIR", help: "score our engine on this model folder" },
  { name: "adapter", type: "string", arg: "DIR", help: "with a LoRA adapter (PEFT)" },
  { name: "gguf", type: "string", arg: "FILE", help: "score a GGUF through llama.cpp" },
  { name: "weights", type: "string", choices: ["f32", "int8", "int4"], default: "f32", help: "how our engine holds the model's block weights: f32 (exact), or int8 / int4 (the values of GGUF Q8_0 / Q4_0: 3.6x / 6.4x less memory for them, and faster decoding)" },
  { name: "data", type: "string", arg: "FILE", help: "the eval samples (the .eval.jsonl of `fim samples`)" },
  { name: "mode", type: "string", choices: EVAL_MODES, default: "span", help: "which samples: all, only those whose middle is one line (a trailing newline aside), or only the others. Each sample is completed in line mode when its middle is one line, else in multi-line mode; ctx formats always stop at the line's end; plain records are skipped" },
  { name: "limit", type: "int", min: 1, max: 10_000_000, help: "the first N samples (after --mode)" },
  { name: "max-tokens", type: "int", min: 1, max: 65_536, help: "token limit per sample (default: the middle's own token count + 16, at most 128)" },
  { name: "baselines", type: "boolean", help: "also score an empty prediction and repeating the line before the cursor's line" },
  { name: "no-heal", type: "boolean", help: "complete at the cursor as it stands (by default a cursor after typed text is healed: its line is written from the start, the typed text spelled first, as the app completes)" },
  { name: "no-empty-line", type: "boolean", help: "plain greedy lines (by default a line at a line's start is dropped when an empty line is likelier, as the app completes)" },
  { name: "f32-cache", type: "boolean", help: "llama.cpp keeps keys and values in F32 (its default is F16): for exact comparisons" },
  { name: "threads", type: "int", min: 1, max: 1024, help: "llama.cpp's CPU threads (default: every core; on a busy machine 1 can be much faster)" },
  { name: "json", type: "boolean", help: "the report as JSON on stdout (with every prediction)" },
  { name: "quiet", type: "boolean", help: "no progress on stderr" },
] as const satisfies readonly FlagSpec[];

export const EVAL_HELP = `Usage: fim eval [--model DIR [--adapter DIR]] [--gguf FILE] [--baselines] --data eval.jsonl [options]

Completes each held-out sample greedily and scores the completion against its middle, per language and overall:
  EM %       exact match: the prediction and the middle split on whitespace are the same tokens
  ES         edit similarity, 0-100: 100 * (1 - Levenshtein distance / the longer length)
  stopped %  completions that ended on an end token or stop string, not the token limit
  ms/sample  wall time per sample (prompt, tokenization and generation), one at a time on the CPU
With --model and --gguf together both run on the same samples (a model against its export), and the report says on
how many their predictions are identical. --baselines alone scores only the baselines.

${flagHelp(EVAL_FLAGS)}`;

export class EvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvalError";
  }
}

/** One scored system in the report; baselines have no stop share (null). */
export interface SystemReport {
  name: string;
  source: string;
  overall: EvalScores | (Omit<EvalScores, "stoppedProperly"> & { stoppedProperly: null });
  byLanguage: Record<string, SystemReport["overall"]>;
  predictions: EvalPrediction[];
}

export interface EvalCliReport {
  data: string;
  mode: EvalMode;
  samples: number;
  /** Records left out: plain (not FIM) and the other mode's. */
  left: { plain: number; mode: number; limit: number };
  systems: SystemReport[];
  /** model vs gguf, when both ran: predictions that are the same string. */
  agreement?: { identical: number; n: number };
}

/** The records `fim eval` scores: FIM records of the chosen mode, at most `limit`. */
export function selectSamples(records: readonly SampleRecord[], mode: EvalMode, limit?: number): { samples: SampleRecord[]; left: EvalCliReport["left"] } {
  const fim = records.filter((r) => r.mode !== "plain");
  const chosen = mode === "span" ? fim : fim.filter((r) => modeFor(r.middle) === mode);
  const samples = chosen.slice(0, limit ?? chosen.length);
  return { samples, left: { plain: records.length - fim.length, mode: fim.length - chosen.length, limit: chosen.length - samples.length } };
}

const num = (x: number | null, digits: number, width: number) => (x === null ? "-" : x.toFixed(digits)).padStart(width);

/** The table of one system: a row per language, then overall. */
export function formatSystem(s: SystemReport): string {
  const rows = [...Object.entries(s.byLanguage), ["overall", s.overall] as const];
  const w = Math.max(8, ...rows.map(([l]) => l.length));
  const line = (l: string, r: SystemReport["overall"]) =>
    `  ${l.padEnd(w)} ${String(r.n).padStart(5)} ${num(r.exactMatch, 1, 6)} ${num(r.editSimilarity, 1, 6)} ${num(r.stoppedProperly, 1, 10)} ${num(r.msPerSample, 1, 10)}\n`;
  return `${s.name}: ${s.source}\n  ${"language".padEnd(w)} ${"n".padStart(5)} ${"EM %".padStart(6)} ${"ES".padStart(6)} ${"stopped %".padStart(10)} ${"ms/sample".padStart(10)}\n` +
    rows.map(([l, r]) => line(l, r)).join("");
}

export function formatReport(r: EvalCliReport): string {
  const left = [r.left.plain && `${r.left.plain} plain`, r.left.mode && `${r.left.mode} not ${r.mode}`, r.left.limit && `${r.left.limit} past --limit`].filter(Boolean);
  let out = `${r.samples} samples from ${r.data} (mode ${r.mode}${left.length ? `; left out: ${left.join(", ")}` : ""})\n\n`;
  out += r.systems.map(formatSystem).join("\n");
  if (r.agreement) out += `\nmodel and gguf: ${r.agreement.identical} of ${r.agreement.n} predictions identical\n`;
  return out;
}

function systemReport(name: string, source: string, predictions: EvalPrediction[], baseline = false): SystemReport {
  const { overall, byLanguage } = scoreByLanguage(predictions);
  const strip = (s: EvalScores): SystemReport["overall"] => (baseline ? { ...s, stoppedProperly: null } : s);
  return { name, source, overall: strip(overall), byLanguage: Object.fromEntries(Object.entries(byLanguage).map(([l, s]) => [l, strip(s)])), predictions };
}

export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseFlags(EVAL_FLAGS, argv);
  if (v.help) {
    io.stdout.write(EVAL_HELP);
    return 0;
  }
  if (!v.data) throw new UsageError(`--data is required\n\n${EVAL_HELP}`);
  if (v.adapter && !v.model) throw new UsageError("--adapter needs --model (for --gguf, export the model with the adapter merged)");
  if (!v.model && !v.gguf && !v.baselines) throw new UsageError(`give --model DIR, --gguf FILE, --baselines, or several\n\n${EVAL_HELP}`);
  const mode: EvalMode = v.mode ?? "span";
  const { limit, threads } = v;
  const maxTokens = v["max-tokens"];
  if (v.gguf && !existsSync(v.gguf)) throw new UsageError(`--gguf: no such file: ${v.gguf}`);
  const { samples, left } = selectSamples(parseJsonl(readText(v.data, "--data"), v.data, { text: false }), mode, limit);
  if (samples.length === 0) throw new EvalError(`${v.data}: no samples to evaluate (${left.plain} plain, ${left.mode} not ${mode})`);

  // the same progress lines as `fim train`: a first line at once, then about one a second, each with the ETA
  const progress = (name: string): EvalOptions["onSample"] => {
    if (v.quiet) return undefined;
    const report = progressReporter({ label: `${name}:`, unit: "samples", total: samples.length, everyMs: 1000, write: (line) => io.stderr.write(line) });
    report(0);
    return (done) => report(done);
  };
  const run = (c: SampleCompleter, name: string) => evaluateWith(c, samples, { maxTokens, heal: v["no-heal"] !== true, preferEmpty: v["no-empty-line"] !== true, onSample: progress(name) });
  // the GGUF is opened and checked first, so a GGUF for another format fails before the model's long run
  const llama = v.gguf ? await openLlamaCompleter(v.gguf, { f32Cache: v["f32-cache"] === true, threads }) : undefined;
  const systems: SystemReport[] = [];
  try {
    for (const format of llama ? new Set(samples.map((s) => s.format)) : []) {
      const missing = llama!.missingMarkers(format);
      if (missing.length) throw new EvalError(`${v.gguf}: ${missing.join(", ")} of format ${format} ${missing.length > 1 ? "are not single tokens" : "is not a single token"} of its vocabulary (exported for another format?)`);
      if (llama!.format && llama!.format !== format && !v.quiet) io.stderr.write(`warning: ${v.gguf} was exported for format ${llama!.format}; the samples are ${format}\n`);
    }
    if (v.model) {
      const { be, engine } = await loadModel(v.model, (line) => io.stderr.write(line + "\n"), v.weights as WeightFormat);
      if (v.adapter) await loadAdapter(be, engine.model.w, await readAdapterFolder(v.adapter, v.model!, (line) => io.stderr.write(line + "\n")));
      const c = engineCompleter({ tokenizer: engine.checkpoint.tokenizer, generator: engine.generator(), eosIds: engine.checkpoint.stopIds });
      const r = await run(c, "model");
      systems.push(systemReport("model", v.adapter ? `${v.model} + adapter ${v.adapter}` : v.model, r.predictions));
    }
    if (llama) {
      const r = await run(llama, "gguf");
      systems.push(systemReport("gguf", `${v.gguf} (llama.cpp, CPU)`, r.predictions));
    }
  } finally {
    await llama?.dispose();
  }
  if (v.baselines) {
    for (const [name, predict] of Object.entries(BASELINES)) {
      systems.push(systemReport(`baseline ${name}`, name === "empty" ? "predicts nothing" : "repeats the line before the cursor's line", baselinePredictions(predict, samples), true));
    }
  }
  const report: EvalCliReport = { data: v.data, mode, samples: samples.length, left, systems };
  const model = systems.find((s) => s.name === "model");
  const gguf = systems.find((s) => s.name === "gguf");
  if (model && gguf) report.agreement = { identical: model.predictions.filter((p, i) => p.prediction === gguf.predictions[i]!.prediction).length, n: samples.length };
  io.stdout.write(v.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
  return 0;
}
