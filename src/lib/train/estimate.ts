// Rough costs of a run before it starts: memory of the frozen weights, the LoRA state and the activations, and the
// floating-point work per step, from the model's shape and the training settings. Estimates, shown as such: the
// constants below are the engine's allocation pattern (model.ts Workspace), rounded; time needs a throughput guess.

/** The shape figures the estimates need (config.json: hidden_size, num_hidden_layers, intermediate_size, vocab). */
export interface ModelShape {
  params: number;
  C: number;
  L: number;
  H: number;
  V: number;
}

import { bytesPerBlock, WEIGHT_FORMATS, type WeightFormat } from "./quant.ts";

/** Bytes per frozen weight by storage format (quant.ts: int8 and int4 are 32-value blocks with an f16 scale). */
export const WEIGHT_BYTES = Object.fromEntries(
  Object.entries(WEIGHT_FORMATS).map(([f, row]) => [f, bytesPerBlock(f as WeightFormat) / row.block]),
) as Record<WeightFormat, number>;

/** Weights of the 7 block linears (the ones stored in `weights` format; the rest stays f32): ~4C² + 3CH per layer. */
export function linearParams(s: ModelShape): number {
  return Math.min(s.params, s.L * (4 * s.C * s.C + 3 * s.C * s.H));
}

export interface RunShape {
  batchSize: number;
  contextLength: number;
  gradAccum: number;
  steps: number;
  loraRank: number;
  weights: WeightFormat;
}

export interface RunEstimate {
  weightBytes: number;
  /** LoRA parameters with their gradients and AdamW moments (4 float32 each). */
  loraBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** Forward + backward floating-point operations per optimizer step. */
  flopsPerStep: number;
  tokensPerStep: number;
}

/** Activations kept per token per layer, in floats: norms, q/k/v/attention out, residuals (~10 C), MLP (~4 H). */
const ACT_PER_TOKEN_LAYER = (s: ModelShape) => 10 * s.C + 4 * s.H;

/** Memory of the model's weights with its block linears stored as `format`. */
export function weightBytes(s: ModelShape, format: WeightFormat): number {
  const lin = linearParams(s);
  return lin * WEIGHT_BYTES[format] + (s.params - lin) * 4;
}

export function estimateRun(s: ModelShape, r: RunShape): RunEstimate {
  const tokens = r.batchSize * r.contextLength;
  // LoRA on the 7 block linears: A (r, IC) and B (OC, r); their in+out sizes per layer are about 4C (attention) + 3(C+H)
  const loraParams = s.L * r.loraRank * (4 * 2 * s.C + 3 * (s.C + s.H));
  const frozen = weightBytes(s, r.weights);
  const loraBytes = loraParams * 4 * 4;
  // plus one vocabulary chunk of logits (the fused classifier walks V in chunks of at most 8192)
  const activationBytes = 4 * (tokens * s.L * ACT_PER_TOKEN_LAYER(s) + tokens * Math.min(s.V, 8192));
  // forward 2·params·token; backward through frozen weights ~2·params·token more (dinp only, no dW): 4·params per token
  const flopsPerStep = 4 * s.params * tokens * r.gradAccum;
  return { weightBytes: frozen, loraBytes, activationBytes, totalBytes: frozen + loraBytes + activationBytes, flopsPerStep, tokensPerStep: tokens * r.gradAccum };
}

/** Seconds for the run at `gflops` sustained (a guess per backend, or a measured figure). */
export function estimateSeconds(e: RunEstimate, steps: number, gflops: number): number {
  return (e.flopsPerStep * steps) / (gflops * 1e9);
}
