// RMSNorm as Llama/Qwen2 compute it: out = x / sqrt(mean(x^2) + eps) * weight.

import type { Arr } from "./types.ts";

// inp (N,C), weight (C) -> out (N,C), rstd (N)
export function rmsnormForward(out: Arr, rstd: Arr, inp: Arr, weight: Arr, N: number, C: number, eps: number): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    let ss = 0;
    for (let i = 0; i < C; i++) ss += inp[x + i]! * inp[x + i]!;
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let i = 0; i < C; i++) out[x + i] = inp[x + i]! * r * weight[i]!;
  }
}

// dout (N,C), inp (N,C), weight (C), rstd (N) -> dinp (N,C) +=, dweight (C) +=
//   dx_j = r * w_j * dout_j - (r^3 / C) * x_j * sum_i dout_i * w_i * x_i
export function rmsnormBackward(
  dinp: Arr, dweight: Arr | null, dout: Arr, inp: Arr, weight: Arr, rstd: Arr, N: number, C: number,
): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    const r = rstd[n]!;
    let dot = 0;
    for (let i = 0; i < C; i++) dot += dout[x + i]! * weight[i]! * inp[x + i]!;
    const k = (r * r * r * dot) / C;
    for (let i = 0; i < C; i++) {
      dinp[x + i] = dinp[x + i]! + r * weight[i]! * dout[x + i]! - k * inp[x + i]!;
      if (dweight) dweight[i] = dweight[i]! + dout[x + i]! * inp[x + i]! * r;
    }
  }
}

// dout (N,C), inp (N,C), rstd (N) -> dweight (C) += sum_n dout * inp * r: the weight's gradient alone (the WebAssembly
// backward computes dinp by rows; this sum over rows runs here, in the reference's order)
export function rmsnormDweight(dweight: Arr, dout: Arr, inp: Arr, rstd: Arr, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    const r = rstd[n]!;
    for (let i = 0; i < C; i++) dweight[i] = dweight[i]! + dout[x + i]! * inp[x + i]! * r;
  }
}
