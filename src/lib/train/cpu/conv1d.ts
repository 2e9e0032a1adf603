// Mamba's causal depthwise conv1d with a fused SiLU. Channel c sees its own last K inputs:
//   pre[b,t,c] = bias[c] + sum_k weight[c,k] * x[b, t-K+1+k, c],   out = silu(pre)
// Inputs before t = 0 are 0 in training; in inference (B = 1) they come from `state` (K-1,DI), the previous K-1 inputs,
// oldest first, which the forward pass then overwrites with the last K-1 inputs it saw.

import type { Arr } from "./types.ts";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

// x (B,T,DI), weight (DI,K), bias (DI) -> out (B,T,DI); state (K-1,DI) read and updated when given (B = 1)
export function conv1dForward(
  out: Arr, x: Arr, weight: Arr, bias: Arr | null, B: number, T: number, DI: number, K: number, state: Arr | null,
): void {
  if (state && B !== 1) throw new Error(`conv1dForward: a state needs B = 1, got B = ${B}`);
  for (let b = 0; b < B; b++) {
    const xb = b * T * DI;
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < DI; c++) {
        let pre = bias ? bias[c]! : 0;
        for (let k = 0; k < K; k++) {
          const tau = t - K + 1 + k;
          const v = tau >= 0 ? x[xb + tau * DI + c]! : state ? state[(K - 1 + tau) * DI + c]! : 0;
          pre += weight[c * K + k]! * v;
        }
        out[xb + (t * DI) + c] = pre * sigmoid(pre);
      }
    }
  }
  if (state) {
    // the last K-1 inputs of (state ++ x), oldest first
    const keep = K - 1;
    const next = new Float64Array(keep * DI);
    for (let j = 0; j < keep; j++) {
      const tau = T - keep + j; // time of row j relative to this call's first input
      for (let c = 0; c < DI; c++) next[j * DI + c] = tau >= 0 ? x[tau * DI + c]! : state[(keep + tau) * DI + c]!;
    }
    state.set(next);
  }
}

// dout (B,T,DI) -> dx (B,T,DI) +=, dweight (DI,K) +=, dbias (DI) +=;  silu'(p) = s(p) * (1 + p * (1 - s(p)))
export function conv1dBackward(
  dx: Arr | null, dweight: Arr | null, dbias: Arr | null, dout: Arr, x: Arr, weight: Arr, bias: Arr | null,
  B: number, T: number, DI: number, K: number,
): void {
  for (let b = 0; b < B; b++) {
    const xb = b * T * DI;
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < DI; c++) {
        let pre = bias ? bias[c]! : 0;
        for (let k = 0; k < K; k++) {
          const tau = t - K + 1 + k;
          if (tau >= 0) pre += weight[c * K + k]! * x[xb + tau * DI + c]!;
        }
        const s = sigmoid(pre);
        const dpre = dout[xb + t * DI + c]! * s * (1 + pre * (1 - s));
        if (dbias) dbias[c] = dbias[c]! + dpre;
        for (let k = 0; k < K; k++) {
          const tau = t - K + 1 + k;
          if (tau < 0) continue;
          if (dweight) dweight[c * K + k] = dweight[c * K + k]! + dpre * x[xb + tau * DI + c]!;
          if (dx) dx[xb + tau * DI + c] = dx[xb + tau * DI + c]! + dpre * weight[c * K + k]!;
        }
      }
    }
  }
}
