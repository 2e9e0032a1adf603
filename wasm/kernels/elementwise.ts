// Elementwise kernels of a transformer block (src/lib/train/cpu/swiglu.ts, rmsnorm.ts, optim.ts are the references):
// ranges [i0, i1) of elements or [n0, n1) of rows, so the pool splits them; each element is computed the same way on
// any range. Transcendentals in float64 as the references do; sums over a row in 4-lane partials.

import { hsum, madd, ZERO } from "./simd";

// gate (n), up (n) -> out (n) = silu(gate) * up, elements [i0, i1)
export function swiglu_forward(out: usize, gate: usize, up: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    const o = <usize>i << 2;
    const g = <f64>load<f32>(gate + o);
    store<f32>(out + o, <f32>((g / (1 + Math.exp(-g))) * <f64>load<f32>(up + o)));
  }
}

// dout (n) -> dgate (n) +=, dup (n) +=;  silu'(g) = sigmoid(g) * (1 + g * (1 - sigmoid(g)))
export function swiglu_backward(dgate: usize, dup: usize, dout: usize, gate: usize, up: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    const o = <usize>i << 2;
    const g = <f64>load<f32>(gate + o);
    const sig = 1 / (1 + Math.exp(-g));
    const d = <f64>load<f32>(dout + o);
    store<f32>(dgate + o, <f32>(<f64>load<f32>(dgate + o) + d * <f64>load<f32>(up + o) * sig * (1 + g * (1 - sig))));
    store<f32>(dup + o, <f32>(<f64>load<f32>(dup + o) + d * g * sig));
  }
}

// sum of x[i]^2 over a row of C floats (C % 4 == 0)
@inline function sumsq(x: usize, bytes: usize): f32 {
  let s = ZERO;
  for (let i: usize = 0; i < bytes; i += 16) {
    const v = v128.load(x + i);
    s = madd(v, v, s);
  }
  return hsum(s);
}

// inp (N,C), weight (C) -> out (N,C), rstd (N); rows [n0, n1); C % 4 == 0
export function rmsnorm_forward(out: usize, rstd: usize, inp: usize, weight: usize, C: i32, eps: f32, n0: i32, n1: i32): void {
  const row = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    const x = inp + <usize>n * row, o = out + <usize>n * row;
    const r = <f32>(1 / Math.sqrt(<f64>(sumsq(x, row) / <f32>C + eps)));
    store<f32>(rstd + (<usize>n << 2), r);
    const rv = f32x4.splat(r);
    for (let i: usize = 0; i < row; i += 16) v128.store(o + i, f32x4.mul(f32x4.mul(v128.load(x + i), rv), v128.load(weight + i)));
  }
}

// dout (N,C), inp (N,C), weight (C), rstd (N) -> dinp (N,C) +=; rows [n0, n1) (dweight: the caller, in TypeScript)
//   dx_j = r * w_j * dout_j - (r^3 / C) * x_j * sum_i dout_i * w_i * x_i
export function rmsnorm_backward(dinp: usize, dout: usize, inp: usize, weight: usize, rstd: usize, C: i32, n0: i32, n1: i32): void {
  const row = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    const x = inp + <usize>n * row, g = dout + <usize>n * row, dx = dinp + <usize>n * row;
    const r = load<f32>(rstd + (<usize>n << 2));
    let s = ZERO;
    for (let i: usize = 0; i < row; i += 16) s = madd(f32x4.mul(v128.load(g + i), v128.load(weight + i)), v128.load(x + i), s);
    const k = f32x4.splat((r * r * r * hsum(s)) / <f32>C);
    const rv = f32x4.splat(r);
    for (let i: usize = 0; i < row; i += 16) {
      const a = f32x4.mul(f32x4.mul(rv, v128.load(weight + i)), v128.load(g + i));
      v128.store(dx + i, f32x4.add(v128.load(dx + i), f32x4.sub(a, f32x4.mul(k, v128.load(x + i)))));
    }
  }
}

// AdamW (decoupled weight decay, as torch.optim.AdamW) on elements [i0, i1), in float64 as the reference
export function adamw_update(
  param: usize, grad: usize, m: usize, v: usize, lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, bc1: f64, bc2: f64,
  i0: i32, i1: i32,
): void {
  for (let i = i0; i < i1; i++) {
    const o = <usize>i << 2;
    const g = <f64>load<f32>(grad + o);
    const mi = beta1 * <f64>load<f32>(m + o) + (1 - beta1) * g;
    const vi = beta2 * <f64>load<f32>(v + o) + (1 - beta2) * g * g;
    store<f32>(m + o, <f32>mi);
    store<f32>(v + o, <f32>vi);
    const update = mi / bc1 / (Math.sqrt(vi / bc2) + eps);
    const p = <f64>load<f32>(param + o);
    store<f32>(param + o, <f32>(p - lr * (update + weightDecay * p)));
  }
}
