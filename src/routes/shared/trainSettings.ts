// trainSettings.ts — the Train page's settings as one table (runs.ts saves them with each run): each hyperparameter
// with its default (FIM Studio's, presets.ts; the seed's are one click away), its bounds and the explanation shown
// in its tooltip. Pure.

import { DEFAULT_PRESET, SEED_PRESET, type LossOn, type RunPreset } from "../../lib/train/presets.ts";

/** Which tokens the loss is taken on: the middle (and its end token) only, as the seed does, or every token. */
export type { LossOn };
export const LOSS_ON_CHOICES: readonly { value: LossOn; label: string }[] = [
  { value: "middle", label: "The middle only (seed)" },
  { value: "all", label: "Every token" },
];
export const LOSS_ON_HELP =
  "Which tokens training learns to predict. The middle only (the seed's choice) teaches exactly the completion; every token " +
  "also learns the prompt's code around it, more signal per sample from the same code base.";

/** A preset's settings (presets.ts RunPreset: loss on, lr, warm-up, batch, accumulation, epochs or steps, context, r,
 * alpha) and the page's held-out measures. */
export interface TrainSettings extends RunPreset {
  /** Held-out loss every this many steps (0: only before and after). */
  evalEvery: number;
  /** Held-out samples completed before and after training, for exact match and edit similarity. */
  evalSamples: number;
}

/** The numeric settings: each one a Field of FIELDS. */
export type NumericKey = Exclude<keyof TrainSettings, "lossOn">;

export interface Field {
  key: NumericKey;
  label: string;
  min: number;
  max: number;
  step: number | "any";
  help: string;
  integer: boolean;
}

/** The page's settings from a preset (the held-out measures are the page's own). */
export const settingsOf = (p: Readonly<RunPreset>): TrainSettings => ({ ...p, evalEvery: 25, evalSamples: 20 });

/** FIM Studio's defaults, and the seed's settings one click away (presets.ts). */
export const DEFAULT_SETTINGS: TrainSettings = settingsOf(DEFAULT_PRESET);
export const SEED_SETTINGS: TrainSettings = settingsOf(SEED_PRESET);

export const FIELDS: readonly Field[] = [
  { key: "lr", label: "Learning rate", min: 1e-6, max: 1e-1, step: "any", integer: false,
    help: "How big each update is. The seed uses 2e-4, usual for LoRA; lower it if the loss jumps around, raise it if it barely moves." },
  { key: "warmupSteps", label: "Warm-up steps", min: 0, max: 100000, step: 1, integer: true,
    help: "The learning rate rises from 0 over these steps, then falls linearly to 0 by the end (seed: 100). Keep it below a tenth of the run." },
  { key: "batchSize", label: "Batch size", min: 1, max: 64, step: 1, integer: true,
    help: "Samples processed together (seed: 4). Memory grows with it; so does throughput on a GPU." },
  { key: "gradAccum", label: "Gradient accumulation", min: 1, max: 64, step: 1, integer: true,
    help: "Batches whose gradients are summed before one update (seed: 2): an effective batch of batch size × this, without the memory." },
  { key: "epochs", label: "Epochs", min: 1, max: 100, step: 1, integer: true,
    help: "Passes over the training samples (seed: 3). Ignored when Steps is set." },
  { key: "steps", label: "Steps (0 = by epochs)", min: 0, max: 1000000, step: 1, integer: true,
    help: "Stop after this many updates instead of after the epochs. Handy for a quick try." },
  { key: "contextLength", label: "Context length", min: 32, max: 8192, step: 1, integer: true,
    help: "Longest sample in tokens (seed: 1024); longer ones are cut. Memory grows with it." },
  { key: "r", label: "LoRA rank r", min: 1, max: 256, step: 1, integer: true,
    help: "Size of the low-rank update added to each frozen weight (seed: 16). Higher learns more, costs more memory." },
  { key: "alpha", label: "LoRA alpha", min: 1, max: 1024, step: 1, integer: true,
    help: "The update is scaled by alpha / r (seed: 32, so 2×). Keep it about twice the rank." },
  { key: "evalEvery", label: "Held-out loss every (steps)", min: 0, max: 100000, step: 1, integer: true,
    help: "How often the loss on the held-out samples is measured and drawn (0: only before and after)." },
  { key: "evalSamples", label: "Held-out completions", min: 0, max: 500, step: 1, integer: true,
    help: "Held-out samples completed before and after training to report exact match and edit similarity (0: skip)." },
];

/** The problem with one value, or null. */
export function fieldError(f: Field, v: number): string | null {
  if (!Number.isFinite(v)) return `${f.label}: enter a number.`;
  if (f.integer && !Number.isInteger(v)) return `${f.label}: a whole number, please.`;
  if (v < f.min || v > f.max) return `${f.label}: between ${f.min} and ${f.max}.`;
  return null;
}

export function settingsErrors(s: TrainSettings): Partial<Record<NumericKey, string>> {
  const out: Partial<Record<NumericKey, string>> = {};
  for (const f of FIELDS) {
    const e = fieldError(f, s[f.key]);
    if (e) out[f.key] = e;
  }
  return out;
}
