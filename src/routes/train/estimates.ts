// estimates.ts — the Train page's "before you start" figures: steps from the sample count, memory and a rough time
// from the model's shape (lib/train/estimate.ts) at a throughput guessed per backend, or the ETA from the speed
// measured on the last run of the same model and backend (measuredSpeed.svelte.ts); and, in one sentence, what a run
// of that many passes over the samples can be expected to change. The guesses are stated on the page; the Benchmark
// page measures the real figure.

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

/** Optimizer steps × samples per step: the tokens one step runs at most (every sample padded to the context). */
export function tokensPerStep(s: Pick<TrainSettings, "batchSize" | "gradAccum" | "contextLength">): number {
  return s.batchSize * s.gradAccum * s.contextLength;
}

/** A run's speed as measured (measuredSpeed.svelte.ts): seconds per step at `tokensPerStep`, and the tokens/s shown. */
export interface MeasuredSpeed {
  secondsPerStep: number;
  tokensPerStep: number;
  tokensPerSecond: number;
}

export interface Eta {
  seconds: number;
  /** Tokens/s it assumes: measured (as the run panel shows them), or the guess's (tokens padded to the context). */
  tokensPerSecond: number;
  measured: boolean;
}

/**
 * The time `steps` steps of `s` take: from a measured speed (scaled by the tokens per step, which the time of a step
 * follows), else from the page's estimate at the guessed GFLOP/s; null with neither.
 */
export function etaOf(steps: number, s: TrainSettings, speed: MeasuredSpeed | null, estimate: PageEstimate | null): Eta | null {
  if (speed && speed.secondsPerStep > 0 && speed.tokensPerStep > 0) {
    return { seconds: steps * speed.secondsPerStep * (tokensPerStep(s) / speed.tokensPerStep), tokensPerSecond: speed.tokensPerSecond, measured: true };
  }
  if (!estimate || estimate.seconds <= 0) return null;
  return { seconds: estimate.seconds, tokensPerSecond: (estimate.tokensPerStep * estimate.steps) / estimate.seconds, measured: false };
}

/** Passes over the training samples that `steps` steps of `s` make. */
export function passesOf(steps: number, s: Pick<TrainSettings, "batchSize" | "gradAccum">, trainSamples: number): number {
  return trainSamples > 0 ? (steps * s.batchSize * s.gradAccum) / trainSamples : 0;
}

/**
 * What LoRA with the defaults measurably did to the embedded model (npm run eval:default; copied from its card, so
 * update it when the model changes): said on the Train page when that model is picked, so nobody expects more of it
 * than it gave.
 */
export const EMBEDDED_MEASURED =
  "Measured on this small embedded model: 7 minutes of the defaults on a Python library it never saw (1,628 samples, 2 passes) " +
  "moved exact match on its held-out files from 8.1% to 6.5% and edit similarity from 15.5 to 17.8, so expect its completions to take on your code's style a little, not to become more often exactly right.";

/**
 * What a run of `passes` over `trainSamples` samples can be expected to change, in a sentence or two; with `embedded`,
 * what such a run measurably did to the embedded default model.
 */
export function runEffect(passes: number, trainSamples: number, embedded = false): string {
  const n = trainSamples.toLocaleString("en-US");
  const p = passes < 10 ? passes.toFixed(1) : Math.round(passes).toString();
  let text: string;
  if (passes < 0.25) {
    text = `A quick try: ${Math.max(1, Math.round(passes * 100))}% of your ${n} samples, each seen once. Enough to see the loss move; completions will barely change.`;
  } else if (passes < 0.8) {
    text = `Part of one pass over your ${n} samples (${Math.round(passes * 100)}%): the loss should start to fall; completions change little yet.`;
  } else if (passes < 1.5) {
    text = `About one pass over your ${n} samples: completions start to follow your code's layout and names. The seed trains 3 passes.`;
  } else if (passes <= 5) {
    text = `${p} passes over your ${n} samples (the seed trains 3): completions should follow your code's style and names, not learn what the samples do not show.`;
  } else {
    text = `${p} passes over your ${n} samples: past about 5 the model starts to memorize them; watch the held-out loss and stop when it rises.`;
  }
  if (trainSamples < 100) text += ` With only ${n} samples, more code on the Data page helps more than more steps.`;
  if (embedded) text += ` ${EMBEDDED_MEASURED}`;
  return text;
}
