// Optimizer kernels: AdamW (decoupled weight decay, as torch.optim.AdamW), global gradient norm, scaling.

import type { AdamWParams } from "../backend.ts";
import type { Arr } from "./types.ts";

// param, grad, m, v (n) -> updated in place
export function adamw(param: Arr, grad: Arr, m: Arr, v: Arr, n: number, p: AdamWParams): void {
  const bc1 = 1 - Math.pow(p.beta1, p.t);
  const bc2 = 1 - Math.pow(p.beta2, p.t);
  for (let i = 0; i < n; i++) {
    const g = grad[i]!;
    const mi = p.beta1 * m[i]! + (1 - p.beta1) * g;
    const vi = p.beta2 * v[i]! + (1 - p.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const update = mi / bc1 / (Math.sqrt(vi / bc2) + p.eps);
    param[i] = param[i]! - p.lr * (update + p.weightDecay * param[i]!);
  }
}

export function sumSquares(bufs: readonly (readonly [Arr, number])[]): number {
  let s = 0;
  for (const [b, n] of bufs) for (let i = 0; i < n; i++) s += b[i]! * b[i]!;
  return s;
}
