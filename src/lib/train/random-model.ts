// A model with random weights, built straight onto a backend from a config: for timing the engine without a
// checkpoint (the benchmark suite, tests/bench). Weights ~ uniform with the given std, norms 1; Mamba's A_log, D and
// dt_proj.bias get transformers' initial values (A = -(1..DS), D = 1, dt = softplus^-1 of a step in [0.001, 0.1]) so
// the recurrence is stable. One tensor is made at a time, so the host holds at most the largest tensor besides what
// the backend keeps. Not here: tests' tiny models with known weights (tests/unit/train/tiny-model.ts).

import { Rng } from "../fim/prng.ts";
import type { LlamaConfig, MambaConfig, ModelConfig } from "../model/config.ts";
import { expectedTensors } from "../model/tensors.ts";
import type { Backend } from "./backend.ts";
import type { CausalLM } from "./causal-lm.ts";
import type { Mamba } from "./mamba.ts";
import type { Transformer } from "./model.ts";
import { loadModel, type WeightOptions } from "./weights.ts";

/** Elements in the tensor `name` (a Hugging Face name that the loader asks for) of a model with config `c`. */
export function weightLength(c: ModelConfig, name: string): number {
  const t = expectedTensors(c).find((e) => e.name === name);
  if (!t) throw new Error(`weightLength: ${name} is not a tensor of this model`);
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Fills `a` uniformly in (-s, s) with s = std * sqrt(3), which has standard deviation `std`. */
export function fillUniform(a: Float32Array, rng: Rng, std: number): Float32Array {
  const s = std * Math.sqrt(3);
  for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * s;
  return a;
}

/** The value of a freshly initialised tensor `name` of `c`: norms 1, Mamba's SSM parameters as transformers sets them. */
export function initialTensor(c: ModelConfig, name: string, rng: Rng, std: number): Float32Array {
  const a = new Float32Array(weightLength(c, name));
  if (name.endsWith("norm.weight") || name.endsWith("norm_f.weight") || name.endsWith(".D")) return a.fill(1);
  if (c.family === "mamba" && name.endsWith(".A_log")) return a.map((_, i) => Math.log(1 + (i % c.state_size)));
  if (c.family === "mamba" && name.endsWith("dt_proj.bias")) {
    return a.map(() => {
      const dt = Math.exp(Math.log(0.001) + rng.next() * (Math.log(0.1) - Math.log(0.001)));
      return dt + Math.log(-Math.expm1(-dt)); // softplus^-1(dt)
    });
  }
  return fillUniform(a, rng, std);
}

/** A model of either family with random weights (std `std`, norms 1) on `be`, held as `opts` says. */
export async function randomModel<T, I>(be: Backend<T, I>, c: LlamaConfig, rng: Rng, std?: number, opts?: WeightOptions): Promise<Transformer<T, I>>;
export async function randomModel<T, I>(be: Backend<T, I>, c: MambaConfig, rng: Rng, std?: number, opts?: WeightOptions): Promise<Mamba<T, I>>;
export async function randomModel<T, I>(be: Backend<T, I>, c: ModelConfig, rng: Rng, std?: number, opts?: WeightOptions): Promise<CausalLM<T, I>>;
export async function randomModel<T, I>(be: Backend<T, I>, c: ModelConfig, rng: Rng, std = 0.02, opts: WeightOptions = {}): Promise<CausalLM<T, I>> {
  return loadModel(be, c, async (name) => initialTensor(c, name, rng, std), opts);
}
