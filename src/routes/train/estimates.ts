// estimates.ts — the Train page's "before you start" figures: steps from the sample count, memory and a rough time
// from the model's shape (lib/train/estimate.ts) at a throughput guessed per backend. The guesses are stated on the
// page; the Benchmark page measures the real figure.

import { estimateRun, estimateSeconds, type ModelShape, type RunEstimate } from "../../lib/train/estimate.ts";
import type { WeightFormat } from "../../lib/train/quant.ts";
import type { TrainSettings } from "../shared/trainSettings.ts";

/** Sustained GFLOP/s assumed for the estimate: a mid-range GPU through our WGSL kernels; the 2-thread CPU backend. */
export const GFLOPS_GUESS = { webgpu: 200, cpu: 4 } as const;

export function stepsFor(s: TrainSettings, trainSamples: number): number {
  return s.steps > 0 ? s.steps : Math.ceil((s.epochs * trainSamples) / (s.batchSize * s.gradAccum));
}

export interface PageEstimate extends RunEstimate {
  steps: number;
  seconds: number;
  gflops: number;
}

export function pageEstimate(
  shape: ModelShape, s: TrainSettings, trainSamples: number, backend: "webgpu" | "cpu", weights: WeightFormat = "f32",
): PageEstimate {
  const steps = stepsFor(s, trainSamples);
  const e = estimateRun(shape, { batchSize: s.batchSize, contextLength: s.contextLength, gradAccum: s.gradAccum, steps, loraRank: s.r, weights });
  const gflops = GFLOPS_GUESS[backend];
  return { ...e, steps, seconds: estimateSeconds(e, steps, gflops), gflops };
}

/** 45 s, 12 min, 3.2 h. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
