// settings.ts — the default model's recipe, shared by train-default.ts and eval-default.ts (and quoted in its card).

import type { LlamaDims } from "./init-model.ts";

export const NAME = "fim-tiny-code";
/** The default model's shape: ~2.4M parameters, ~10 MB as float32. */
export const DIMS: Omit<LlamaDims, "vocab"> = { hidden: 192, layers: 4, heads: 4, kvHeads: 2, intermediate: 512, context: 1024 };
export const VOCAB = 4096;
/** Full training: batch × context tokens a step, AdamW with warmup then linear decay; FIM samples from line windows. */
/** `steps`: the shipped model's, ~24M tokens (20x the 1.23M of the first default model, 800 steps of 4 x 384). */
export const TRAIN = { batch: 4, context: 384, lr: 1.5e-3, warmup: 200, steps: 18000, windowLines: 40, samples: 72000, heldOutSamples: 600, heldOutFraction: 0.05 };
