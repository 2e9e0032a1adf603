// settings.ts — the default model's recipe, shared by train-default.ts and eval-default.ts (and quoted in its card).

import type { LlamaDims } from "./init-model.ts";

export const NAME = "fim-tiny-code";
/** The default model's shape: ~2.4M parameters, ~10 MB as float32 (context: the initial config's; it ships with TRAIN.context). */
export const DIMS: Omit<LlamaDims, "vocab"> = { hidden: 192, layers: 4, heads: 4, kvHeads: 2, intermediate: 512, context: 1024 };
export const VOCAB = 4096;
/** Full training: batch × context tokens a step, AdamW with warmup then linear decay; FIM samples from line windows. */
/**
 * `steps`: the shipped model's. Samples average ~336 tokens cut to the context, so 18,500 steps of 4 are ~24.9M tokens:
 * 20x the 1.23M of the first default model (800 steps of 4 x 384).
 */
export const TRAIN = { batch: 4, context: 384, lr: 1.5e-3, warmup: 200, steps: 18500, windowLines: 40, samples: 72000, heldOutSamples: 600, heldOutFraction: 0.05 };

/**
 * The code base the headline run and the training-signal study fine-tune on: click (BSD-3-Clause), 16 Python files from
 * Debian's python3-click, never in the corpus. Its samples: `fim samples` in the app's format, 30% of files held out.
 */
export const CODE_BASE = { name: "click", dir: "/usr/lib/python3/dist-packages/click", apt: "python3-click", licence: "BSD-3-Clause", count: 2000, evalFraction: 0.3 };

/**
 * The figures expected before the 24.9M-token run was measured (written 2026-12-07, with the run at step 4000 of 18,500,
 * train loss ~3.1-3.5 against the shipped model's held-out 4.6). The card prints them beside the measured ones.
 */
export const EXPECTED = {
  heldOut: "exact match ~12% overall on the held-out ctx samples (the first default model: 2.3%), each of Python, JavaScript and TypeScript ≥ 5 points over the better baseline (baselines ~2-5%)",
  headline: `${CODE_BASE.name} before fine-tuning ~3-5% exact match; after a LoRA run of a few minutes with the measured defaults +5 to +8 points; the Q4_0 GGUF within 1 point of our engine`,
  decoding: "written 2026-12-07 before eval:default ran with healing and the empty-line rule, after trying them during development (held out: plain 5.5% overall, healed 11.3%, both 12.5%; click's first 150 samples before fine-tuning: 11.3%): click before fine-tuning ~8% on all 372 samples, after the LoRA run ~6-8% (the run is not expected to raise exact match: 6.5% with an adapter trained the same way), the Q4_0 GGUF within 1 point",
  study: "loss on every token beats loss on the middle for runs of a few minutes; lr 1e-3 beats 3e-4; rank 64 adds little over 16; the seed's settings (lr 2e-4, context 1024, 4 x 2) gain least in the same time",
};
