// Elementwise kernels of a transformer block (src/lib/train/cpu/swiglu.ts, rmsnorm.ts, optim.ts are the references):
// ranges [i0, i1) of elements or [n0, n1) of rows, so the pool splits them; each element is computed the same way on
// any range. Arithmetic in float64 as the references do, in their order, so the results are their bits.


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

// RMSNorm in float64 arithmetic, in the reference's order (so the same bits): a float32 sum of squares would overflow
// to Inf for activations above ~1e19 and silently give rstd 0 (zero outputs, zero gradients) where the reference is exact.

// inp (N,C), weight (C) -> out (N,C), rstd (N); rows [n0, n1)
export function rmsnorm_forward(out: usize, rstd: usize, inp: usize, weight: usize, C: i32, eps: f64, n0: i32, n1: i32): void {
  const row = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    const x = inp + <usize>n * row, o = out + <usize>n * row;
    let ss: f64 = 0;
    for (let i: usize = 0; i < row; i += 4) {
      const v = <f64>load<f32>(x + i);
      ss += v * v;
    }
    const r = 1 / Math.sqrt(ss / <f64>C + eps);
    store<f32>(rstd + (<usize>n << 2), <f32>r);
    for (let i: usize = 0; i < row; i += 4) store<f32>(o + i, <f32>(<f64>load<f32>(x + i) * r * <f64>load<f32>(weight + i)));
  }
}

// dout (N,C), inp (N,C), weight (C), rstd (N) -> dinp (N,C) +=; rows [n0, n1) (dweight: the caller, in TypeScript)
//   dx_j = r * w_j * dout_j - (r^3 / C) * x_j * sum_i dout_i * w_i * x_i
export function rmsnorm_backward(dinp: usize, dout: usize, inp: usize, weight: usize, rstd: usize, C: i32, n0: i32, n1: i32): void {
  const row = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    const x = inp + <usize>n * row, g = dout + <usize>n * row, dx = dinp + <usize>n * row;
    const r = <f64>load<f32>(rstd + (<usize>n << 2));
    let dot: f64 = 0;
    for (let i: usize = 0; i < row; i += 4) dot += <f64>load<f32>(g + i) * <f64>load<f32>(weight + i) * <f64>load<f32>(x + i);
    const k = (r * r * r * dot) / <f64>C;
    for (let i: usize = 0; i < row; i += 4) {
      const v = <f64>load<f32>(dx + i) + r * <f64>load<f32>(weight + i) * <f64>load<f32>(g + i) - k * <f64>load<f32>(x + i);
      store<f32>(dx + i, <f32>v);
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
