// A linear layer against a frozen (or, in full training, trainable) weight, with an optional LoRA branch:
//   out = inp @ W^T + b + scale * (inp @ A^T) @ B^T
// The LoRA branch is two matmuls; its hidden (N,R) is saved for the backward pass. Names follow the
// checkpoints (q_proj, lora_A, lora_B) so loading and PEFT export need no renaming tables.

import type { Backend } from "./backend.ts";
import type { WeightFormat } from "./quant.ts";

export interface LoraBranch<T> {
  A: T; // (R, IC)
  B: T; // (OC, R)
  dA: T;
  dB: T;
  R: number;
  scale: number; // alpha / R, or alpha / sqrt(R) with rsLoRA
}

export interface Linear<T> {
  /** Module path in the checkpoint, e.g. "model.layers.0.self_attn.q_proj". */
  name: string;
  IC: number;
  OC: number;
  weight: T; // (OC, IC)
  /** How `weight` is stored (quant.ts); anything but "f32" is frozen: no dweight. Default "f32". */
  format?: WeightFormat;
  bias: T | null; // (OC)
  /** Full training only. */
  dweight?: T;
  dbias?: T;
  lora?: LoraBranch<T>;
  /** Set to false to run the base weight alone (compare base and fine-tuned without reloading). */
  loraEnabled?: boolean;
}

// inp (N,IC) -> out (N,OC) [= or +=], loraH (N,R) saved
export function linearForward<T, I>(
  be: Backend<T, I>, lin: Linear<T>, out: T, inp: T, N: number, loraH: T | null, accumulate = false,
): void {
  be.matmulForward(out, inp, lin.weight, lin.bias, N, lin.IC, lin.OC, { accumulate });
  const l = lin.lora;
  if (l && lin.loraEnabled !== false) {
    if (!loraH) throw new Error(`${lin.name}: LoRA forward needs a hidden buffer`);
    be.matmulForward(loraH, inp, l.A, null, N, lin.IC, l.R); // (N,R)
    be.matmulForward(out, loraH, l.B, null, N, l.R, lin.OC, { scale: l.scale, accumulate: true });
  }
}

// dout (N,OC), inp (N,IC), loraH (N,R) -> dinp (N,IC) +=, dA +=, dB +=, dweight/dbias += (full training)
// scratch (N,R) holds d(loraH).
export function linearBackward<T, I>(
  be: Backend<T, I>, lin: Linear<T>, dinp: T | null, dout: T, inp: T, N: number, loraH: T | null, scratch: T | null,
): void {
  be.matmulBackward(dinp, lin.dweight ?? null, lin.bias ? (lin.dbias ?? null) : null, dout, inp, lin.weight, N, lin.IC, lin.OC);
  const l = lin.lora;
  if (l && lin.loraEnabled !== false) {
    if (!loraH || !scratch) throw new Error(`${lin.name}: LoRA backward needs its hidden and a scratch buffer`);
    be.zero(scratch, N * l.R);
    be.matmulBackward(scratch, l.dB, null, dout, loraH, l.B, N, l.R, lin.OC, l.scale);
    be.matmulBackward(dinp, l.dA, null, scratch, inp, l.A, N, lin.IC, l.R);
  }
}
