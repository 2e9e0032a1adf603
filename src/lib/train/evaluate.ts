// Completion quality on held-out FIM samples: each sample's cursor (prefix | suffix) is completed greedily and the
// completion scored against its middle (exact match, edit similarity; src/lib/fim/metrics.ts). Used by the Train page
// (before and after training) and the evaluation harness. Isomorphic.

import { scoreAll, type MetricTotals } from "../fim/metrics.ts";
import type { SampleRecord } from "../fim/types.ts";
import { complete, type CompletionModel, type StopReason } from "./complete.ts";

export interface EvalOptions {
  /** At most this many samples (the first ones). */
  limit?: number;
  /** Tokens generated at most per sample; default: the middle's own token count + 16, at most 128. */
  maxTokens?: number;
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

export interface EvalReport extends MetricTotals {
  /** Share of completions that ended on an end token or stop string (not the token limit), 0..100. */
  stoppedProperly: number;
  msPerSample: number;
  predictions: EvalPrediction[];
}

/** Single-line samples are completed in line mode, the others in multi-line mode (as the editor would). */
export function modeFor(middle: string): "line" | "multiline" {
  return middle.replace(/\n$/, "").includes("\n") ? "multiline" : "line";
}

export async function evaluateCompletions<T, I>(
  m: CompletionModel<T, I>, records: readonly SampleRecord[], o: EvalOptions = {},
): Promise<EvalReport> {
  const todo = records.slice(0, o.limit ?? records.length);
  const predictions: EvalPrediction[] = [];
  for (const r of todo) {
    if (o.stop?.()) break;
    const t0 = performance.now();
    const maxTokens = o.maxTokens ?? Math.min(128, m.tokenizer.encode(r.middle, { addSpecialTokens: false }).length + 16);
    const it = complete(m, { prefix: r.prefix, suffix: r.suffix, format: r.format, mode: modeFor(r.middle), maxTokens });
    let prediction = "";
    let step = await it.next();
    for (; !step.done; step = await it.next()) prediction += step.value;
    predictions.push({ path: r.path, language: r.language, reference: r.middle, prediction, stoppedBy: step.value, ms: performance.now() - t0 });
    o.onSample?.(predictions.length, todo.length);
  }
  const totals = scoreAll(predictions);
  const proper = predictions.filter((p) => p.stoppedBy === "stop-token" || p.stoppedBy === "stop-string").length;
  return {
    ...totals,
    stoppedProperly: predictions.length ? (100 * proper) / predictions.length : 0,
    msPerSample: predictions.length ? predictions.reduce((a, p) => a + p.ms, 0) / predictions.length : 0,
    predictions,
  };
}
