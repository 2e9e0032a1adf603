// Completion quality on held-out FIM samples: each sample's cursor (prefix | suffix) is completed greedily and the
// completion scored against its middle (exact match, edit similarity; src/lib/fim/metrics.ts). Used by the Train page
// (before and after training) and the evaluation harness (`fim eval`), which also runs llama.cpp and two trivial
// baselines through the same loop (a Completer each). Isomorphic.

import { getFormat } from "../fim/formats.ts";
import { scoreAll, type MetricTotals } from "../fim/metrics.ts";
import type { SampleRecord } from "../fim/types.ts";
import { complete, type CompletionModel, type StopReason } from "./complete.ts";

export interface EvalOptions {
  /** At most this many samples (the first ones). */
  limit?: number;
  /** Tokens generated at most per sample; default: the middle's own token count + 16, at most 128. */
  maxTokens?: number;
  /** Heal each cursor (fim/heal.ts: the line completed from its start, the typed text spelled first); default true. */
  heal?: boolean;
  /** Drop a line at a line's start when an empty line is likelier (train/line-score.ts); default true. */
  preferEmpty?: boolean;
  /** Checked between samples: evaluation stops early (with what it has) once it returns true. */
  stop?: () => boolean;
  onSample?: (done: number, total: number) => void;
}

export interface EvalPrediction {
  path: string;
  language: string;
  reference: string;
  prediction: string;
  stoppedBy: StopReason;
  ms: number;
}

/** Scores of a set of predictions. */
export interface EvalScores extends MetricTotals {
  /** Share of completions that ended on an end token or stop string (not the token limit), 0..100. */
  stoppedProperly: number;
  msPerSample: number;
}

export interface EvalReport extends EvalScores {
  predictions: EvalPrediction[];
}

/** What completes one held-out sample: our engine, llama.cpp (node/export/src/eval), a baseline. */
export interface SampleCompleter {
  /** Tokens in `text` by the completer's own tokenizer (for the default token limit). */
  countTokens(text: string): number;
  complete(req: { prefix: string; suffix: string; format: string; mode: "line" | "multiline"; maxTokens: number; heal?: boolean; preferEmpty?: boolean }): Promise<{ text: string; stoppedBy: StopReason }>;
}

/** Single-line samples are completed in line mode, the others in multi-line mode (as the editor would). */
export function modeFor(middle: string): "line" | "multiline" {
  return middle.replace(/\n$/, "").includes("\n") ? "multiline" : "line";
}

/**
 * The cursor a record stands for, as the prompt builder takes it (document = prefix + suffix, cut at the cursor).
 * For ctx the record's suffix starts after the middle's line and the builder drops the rest of the cursor's line
 * itself, so it is given the middle too: the prompt is then the one the sample was trained with. Every other
 * format's suffix already starts at the cursor (ctx-seed's repeats the middle, as in its seed).
 */
export function cursorOf(r: SampleRecord): { prefix: string; suffix: string } {
  const f = getFormat(r.format);
  return { prefix: r.prefix, suffix: f.family === "cursor" && !f.suffixFromCursor ? r.middle + r.suffix : r.suffix };
}

/** The default token limit: the middle's own token count + 16, at most 128. */
export function defaultMaxTokens(middleTokens: number): number {
  return Math.min(128, middleTokens + 16);
}

/** Our engine (or any CompletionModel) as a SampleCompleter. */
export function engineCompleter<T, I>(m: CompletionModel<T, I>): SampleCompleter {
  return {
    countTokens: (s) => m.tokenizer.encode(s, { addSpecialTokens: false }).length,
    async complete(req) {
      const it = complete(m, req);
      let text = "";
      let step = await it.next();
      for (; !step.done; step = await it.next()) text += step.value;
      return { text, stoppedBy: step.value };
    },
  };
}

export async function evaluateWith(c: SampleCompleter, records: readonly SampleRecord[], o: EvalOptions = {}): Promise<EvalReport> {
  const todo = records.slice(0, o.limit ?? records.length);
  const predictions: EvalPrediction[] = [];
  for (const r of todo) {
    if (o.stop?.()) break;
    const t0 = performance.now();
    const maxTokens = o.maxTokens ?? defaultMaxTokens(c.countTokens(r.middle));
    const { text, stoppedBy } = await c.complete({ ...cursorOf(r), format: r.format, mode: modeFor(r.middle), maxTokens, heal: o.heal ?? true, preferEmpty: o.preferEmpty ?? true });
    predictions.push({ path: r.path, language: r.language, reference: r.middle, prediction: text, stoppedBy, ms: performance.now() - t0 });
    o.onSample?.(predictions.length, todo.length);
  }
  return { ...scorePredictions(predictions), predictions };
}

export async function evaluateCompletions<T, I>(
  m: CompletionModel<T, I>, records: readonly SampleRecord[], o: EvalOptions = {},
): Promise<EvalReport> {
  return evaluateWith(engineCompleter(m), records, o);
}

export function scorePredictions(predictions: readonly EvalPrediction[]): EvalScores {
  const totals = scoreAll(predictions);
  const proper = predictions.filter((p) => p.stoppedBy === "stop-token" || p.stoppedBy === "stop-string" || p.stoppedBy === "empty-line").length;
  const n = predictions.length;
  return {
    ...totals,
    stoppedProperly: n ? (100 * proper) / n : 0,
    msPerSample: n ? predictions.reduce((a, p) => a + p.ms, 0) / n : 0,
  };
}

/** Scores overall and per language (languages sorted by name). */
export function scoreByLanguage(predictions: readonly EvalPrediction[]): { overall: EvalScores; byLanguage: Record<string, EvalScores> } {
  const groups = new Map<string, EvalPrediction[]>();
  for (const p of predictions) (groups.get(p.language) ?? groups.set(p.language, []).get(p.language)!).push(p);
  const byLanguage: Record<string, EvalScores> = {};
  for (const lang of [...groups.keys()].sort()) byLanguage[lang] = scorePredictions(groups.get(lang)!);
  return { overall: scorePredictions(predictions), byLanguage };
}

/** The line before the cursor's line, without its line break ("" when the cursor is on the first line). */
export function previousLine(prefix: string): string {
  const lines = prefix.split("\n");
  return (lines.length >= 2 ? lines[lines.length - 2]! : "").replace(/\r$/, "");
}

/**
 * Trivial baselines a model must beat: predicting nothing, and repeating the line before the cursor's line. They
 * take no time and have no stop share (the harness reports none for them).
 */
export const BASELINES: Readonly<Record<string, (r: SampleRecord) => string>> = {
  empty: () => "",
  "previous-line": (r) => previousLine(r.prefix),
};

/** A baseline's predictions for the records (stoppedBy "stop-string", ms 0). */
export function baselinePredictions(predict: (r: SampleRecord) => string, records: readonly SampleRecord[]): EvalPrediction[] {
  return records.map((r) => ({
    path: r.path, language: r.language, reference: r.middle, prediction: predict(r), stoppedBy: "stop-string", ms: 0,
  }));
}
