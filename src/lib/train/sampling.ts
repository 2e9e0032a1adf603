// Choosing the next token from logits: greedy, temperature, nucleus (top-p). Pure functions; the randomness
// comes from a seeded Rng so a completion is reproducible.

import type { Rng } from "../fim/prng.ts";

export interface SamplingOptions {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Keep the smallest set of tokens whose probability sums to at least topP (1 = all). */
  topP: number;
}

export function argmax(logits: ArrayLike<number>, n = logits.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** The model computed NaN or Inf: its weights (or an adapter's) hold non-finite values. */
export class NonFiniteLogitsError extends Error {
  constructor(index: number, value: number) {
    super(`the model's output is not finite (logit ${index} is ${value}): the checkpoint or adapter holds NaN or Inf weights, so no completion can be made`);
    this.name = "NonFiniteLogitsError";
  }
}

/** A token id drawn from softmax(logits / temperature), restricted to the top-p nucleus. */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng, n = logits.length): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(logits[i]!)) throw new NonFiniteLogitsError(i, logits[i]!);
  if (o.temperature <= 0) return argmax(logits, n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += probs[i] = Math.exp((logits[i]! - max) / o.temperature);
  for (let i = 0; i < n; i++) probs[i]! /= sum;
  let ids = Array.from({ length: n }, (_, i) => i);
  if (o.topP < 1) {
    ids.sort((a, b) => probs[b]! - probs[a]! || a - b);
    let acc = 0;
    let keep = 0;
    while (keep < n && acc < o.topP) acc += probs[ids[keep++]!]!;
    ids = ids.slice(0, keep);
  }
  let total = 0;
  for (const i of ids) total += probs[i]!;
  let r = rng.next() * total;
  for (const i of ids) {
    r -= probs[i]!;
    if (r < 0) return i;
  }
  return ids[ids.length - 1]!;
}
