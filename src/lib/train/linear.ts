// A linear layer against a frozen (or, in full training, trainable) weight, with an optional LoRA branch:
//   out = inp @ W^T + b + scale * (inp @ A^T) @ B^T
// The LoRA branch is two matmuls, the second done in the base product's pass (MatmulOptions.lora); its hidden (N,R)
// is saved for the backward pass, whose input gradient rides on the base dinp the same way. Names follow the
// checkpoints (q_proj, lora_A, lora_B) so loading and PEFT export need no renaming tables.

import type { Backend, MatmulInput } from "./backend.ts";
import type { ParamArena } from "./lora.ts";
import type { WeightFormat } from "./quant.ts";

export interface LoraBranch<T> {
  A: T; // (R, IC)
  B: T; // (OC, R)
  dA: T;
  dB: T;
  R: number;
  scale: number; // alpha / R, or alpha / sqrt(R) with rsLoRA
  /** The buffers A, B, dA and dB are views of (lora.ts attachLora), freed with the adapter. */
  arena: ParamArena<T>;
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

// inp (N,IC) -> out (N,OC) [= or +=], loraH (N,R) saved. With `input` (inference), inp is made into the layer's input
// by the kernel it names (a norm, SwiGLU) as the products load it: backend.ts MatmulInput.
export function linearForward<T, I>(
  be: Backend<T, I>, lin: Linear<T>, out: T, inp: T, N: number, loraH: T | null, accumulate = false, input?: MatmulInput<T>,
): void {
  const l = lin.loraEnabled !== false ? lin.lora : undefined;
  if (l) {
    if (!loraH) throw new Error(`${lin.name}: LoRA forward needs a hidden buffer`);
    be.matmulForward(loraH, inp, l.A, null, N, lin.IC, l.R, { input }); // (N,R)
  }
  // out (+)= inp @ W^T + b [+ scale * loraH @ B^T]
  const lora = l && { h: loraH!, B: l.B, R: l.R, scale: l.scale };
  be.matmulForward(out, inp, lin.weight, lin.bias, N, lin.IC, lin.OC, { accumulate, lora, input });
}

/** A linear's input: a buffer, or the buffer a kernel makes it from as the products load it (MatmulInput). */
export interface LinearInput<T> {
  inp: T;
  input?: MatmulInput<T>;
}

/**
 * Whether the kernels that only feed a block's linears (its norms, SwiGLU) go into the linears' loads: when decoding
 * (no activations are kept for a backward) rows the backend fuses (Backend.fusedInputRows).
 */
export function fusesInputs<T, I>(be: Backend<T, I>, N: number, decoding: boolean): boolean {
  return decoding && N <= be.fusedInputRows;
}

// inp (N,C), weight (C) -> the input RMSNorm makes for the linears after it: with `fuse`, made in their loads; else the
// norm runs into out (N,C), rstd (N) (kept for the backward) and out is the input
export function normedInput<T, I>(
  be: Backend<T, I>, fuse: boolean, out: T, rstd: T, inp: T, weight: T, N: number, C: number, eps: number,
): LinearInput<T> {
  if (fuse) return { inp, input: { kind: "rmsnorm", weight, eps } };
  be.rmsnormForward(out, rstd, inp, weight, N, C, eps);
  return { inp: out };
}

// gate (n), up (n) -> the input silu(gate) * up for the linear after it: with `fuse`, made in its loads; else SwiGLU
// runs into out (n) and out is the input
export function gatedInput<T, I>(be: Backend<T, I>, fuse: boolean, out: T, gate: T, up: T, n: number): LinearInput<T> {
  if (fuse) return { inp: gate, input: { kind: "swiglu", up } };
  be.swigluForward(out, gate, up, n);
  return { inp: out };
}

// dout (N,OC), inp (N,IC), loraH (N,R) -> dinp (N,IC) +=, dA +=, dB +=, dweight/dbias += (full training)
// scratch (N,R) holds d(loraH).
export function linearBackward<T, I>(
  be: Backend<T, I>, lin: Linear<T>, dinp: T | null, dout: T, inp: T, N: number, loraH: T | null, scratch: T | null,
): void {
  const l = lin.loraEnabled !== false ? lin.lora : undefined;
  if (l) {
    if (!loraH || !scratch) throw new Error(`${lin.name}: LoRA backward needs its hidden and a scratch buffer`);
    be.zero(scratch, N * l.R);
    be.matmulBackward(scratch, l.dB, null, dout, loraH, l.B, N, l.R, lin.OC, l.scale); // d(loraH) = scale dout @ B, dB
    be.matmulBackward(null, l.dA, null, scratch, inp, l.A, N, lin.IC, l.R); // dA += d(loraH)^T @ inp
  }
  // dinp += dout @ W [+ d(loraH) @ A], dweight, dbias
  const lora = l && { dh: scratch!, A: l.A, R: l.R };
  be.matmulBackward(dinp, lin.dweight ?? null, lin.bias ? (lin.dbias ?? null) : null, dout, inp, lin.weight, N, lin.IC, lin.OC, 1, lora);
}
