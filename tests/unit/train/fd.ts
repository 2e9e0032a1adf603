// Central finite differences in float64 for checking backward kernels. A kernel's output is reduced to a
// scalar loss L = sum(out * R) with a fixed random R; its backward, given dout = R, must match dL/dx.

import { Rng } from "../../../src/lib/fim/prng.ts";

export function rand64(n: number, rng: Rng, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale;
  return a;
}

/** Largest |analytic - numeric| / max(1, |numeric|) over the checked elements of x. */
export function fdError(x: Float64Array, analytic: Float64Array, loss: () => number, h = 1e-5, maxChecks = 64): number {
  let worst = 0;
  const step = Math.max(1, Math.floor(x.length / maxChecks));
  for (let i = 0; i < x.length; i += step) {
    const orig = x[i]!;
    x[i] = orig + h;
    const up = loss();
    x[i] = orig - h;
    const down = loss();
    x[i] = orig;
    const numeric = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(analytic[i]! - numeric) / Math.max(1, Math.abs(numeric)));
  }
  return worst;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
