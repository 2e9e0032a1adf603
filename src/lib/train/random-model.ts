// A model with random weights, built straight onto a backend from a config: for timing the engine without a
// checkpoint (the benchmark suite, tests/bench). Weights ~ uniform with the given std, norms 1. One tensor is
// made at a time, so the host holds at most the largest tensor besides what the backend keeps.
// Not here: tests' tiny models with known weights (tests/unit/train/tiny-model.ts), loading checkpoints (weights.ts).

import { Rng } from "../fim/prng.ts";
import type { ModelConfig } from "../model/config.ts";
import type { Backend } from "./backend.ts";
import { BLOCK_LINEARS, Transformer } from "./model.ts";
import { dimsOf, LINEAR_MODULE, linearShape, loadWeights } from "./weights.ts";

/** Elements in the tensor `name` (a Hugging Face name that loadWeights asks for) of a model with config `c`. */
export function weightLength(c: ModelConfig, name: string): number {
  const d = dimsOf(c);
  if (name === "model.embed_tokens.weight" || name === "lm_head.weight") return d.V * d.C;
  if (name.endsWith("norm.weight")) return d.C; // input_layernorm, post_attention_layernorm, model.norm
  const which = BLOCK_LINEARS.find((k) => name.endsWith(`.${LINEAR_MODULE[k]}.weight`) || name.endsWith(`.${LINEAR_MODULE[k]}.bias`));
  if (!which) throw new Error(`weightLength: ${name} is not a tensor of this model`);
  const [IC, OC] = linearShape(d, which);
  return name.endsWith(".bias") ? OC : IC * OC;
}

/** Fills `a` uniformly in (-s, s) with s = std * sqrt(3), which has standard deviation `std`. */
export function fillUniform(a: Float32Array, rng: Rng, std: number): Float32Array {
  const s = std * Math.sqrt(3);
  for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * s;
  return a;
}

/** A Transformer with random weights (std `std`, norms 1) on `be`. */
export async function randomModel<T, I>(be: Backend<T, I>, c: ModelConfig, rng: Rng, std = 0.02): Promise<Transformer<T, I>> {
  const w = await loadWeights(be, c, async (name) => {
    const a = new Float32Array(weightLength(c, name));
    return name.endsWith("norm.weight") ? a.fill(1) : fillUniform(a, rng, std);
  });
  return new Transformer(be, dimsOf(c), w);
}
