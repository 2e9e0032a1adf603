// settings.ts — the default model's recipe, shared by train-default.ts and eval-default.ts (and quoted in its card).

import type { LlamaDims } from "./init-model.ts";

export const NAME = "fim-tiny-code";
/** The default model's shape: ~2.4M parameters, ~10 MB as float32. */
export const DIMS: Omit<LlamaDims, "vocab"> = { hidden: 192, layers: 4, heads: 4, kvHeads: 2, intermediate: 512, context: 1024 };
export const VOCAB = 4096;
/** Full training: batch × context tokens a step, AdamW with warmup then linear decay; FIM samples from line windows. */
/** `steps`: the shipped model's, ~24M tokens (20x the 1.23M of the first default model, 800 steps of 4 x 384). */
export const TRAIN = { batch: 4, context: 384, lr: 1.5e-3, warmup: 200, steps: 18000, windowLines: 40, samples: 72000, heldOutSamples: 600, heldOutFraction: 0.05 };

/**
 * The code base the headline run and the training-signal study fine-tune on: click (BSD-3-Clause), 16 Python files from
 * Debian's python3-click, never in the corpus. Its samples: `fim samples` in the app's format, 30% of files held out.
 */
export const CODE_BASE = { name: "click", dir: "/usr/lib/python3/dist-packages/click", apt: "python3-click", licence: "BSD-3-Clause", count: 2000, evalFraction: 0.3 };
