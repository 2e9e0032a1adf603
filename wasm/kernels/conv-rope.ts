// Two small per-channel kernels in float64 arithmetic as their TypeScript references (cpu/conv1d.ts, cpu/rope.ts),
// on ranges the pool splits: Mamba's causal depthwise conv1d with the fused SiLU (channels [c0, c1)), and rotary
// position embedding (rows [n0, n1)). The references' transcendentals are V8's; these are the standard library's, so
// results agree to a float32 rounding, not always bit for bit.

@inline function sigmoid(v: f64): f64 {
  return 1 / (1 + Math.exp(-v));
}

// x (B,T,DI), weight (DI,K), bias (DI; 0 = none) -> out (B,T,DI) = silu(bias + sum_k weight[c,k] x[t-K+1+k, c]);
// state (K-1,DI; 0 = none, else B = 1): the inputs before t = 0, oldest first, then overwritten with the last K-1
export function conv1d_forward(out: usize, x: usize, weight: usize, bias: usize, B: i32, T: i32, DI: i32, K: i32, state: usize, c0: i32, c1: i32): void {
  const row = <usize>DI << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>(b * T) * row, ob = out + <usize>(b * T) * row;
    for (let c = c0; c < c1; c++) {
      const cc = <usize>c << 2;
      const w = weight + (<usize>(c * K) << 2);
      const b0: f64 = bias ? <f64>load<f32>(bias + cc) : 0;
      for (let t = 0; t < T; t++) {
        let pre = b0;
        for (let k = 0; k < K; k++) {
          const tau = t - K + 1 + k;
          const v: f64 = tau >= 0 ? <f64>load<f32>(xb + <usize>tau * row + cc) : state ? <f64>load<f32>(state + <usize>(K - 1 + tau) * row + cc) : 0;
          pre += <f64>load<f32>(w + (<usize>k << 2)) * v;
        }
        store<f32>(ob + <usize>t * row + cc, <f32>(pre * sigmoid(pre)));
      }
      if (state) {
        // the last K-1 inputs of (state ++ x), oldest first; read from the end so the state is overwritten after use
        const keep = K - 1;
        for (let j = 0; j < keep; j++) {
          const tau = T - keep + j;
          const v = tau >= 0 ? load<f32>(xb + <usize>tau * row + cc) : load<f32>(state + <usize>(keep + tau) * row + cc);
          store<f32>(state + <usize>j * row + cc, v);
        }
      }
    }
  }
}

// dout (B,T,DI) -> dx (B,T,DI) += (0: none), dweight (DI,K) += (0: none), dbias (DI) += (0: none); channels [c0, c1)
export function conv1d_backward(
  dx: usize, dweight: usize, dbias: usize, dout: usize, x: usize, weight: usize, bias: usize, B: i32, T: i32, DI: i32, K: i32, c0: i32, c1: i32,
): void {
  const row = <usize>DI << 2;
  for (let b = 0; b < B; b++) {
    const off = <usize>(b * T) * row;
    for (let c = c0; c < c1; c++) {
      const cc = <usize>c << 2;
      const w = weight + (<usize>(c * K) << 2);
      for (let t = 0; t < T; t++) {
        let pre: f64 = bias ? <f64>load<f32>(bias + cc) : 0;
        for (let k = 0; k < K; k++) {
          const tau = t - K + 1 + k;
          if (tau >= 0) pre += <f64>load<f32>(w + (<usize>k << 2)) * <f64>load<f32>(x + off + <usize>tau * row + cc);
        }
        const s = sigmoid(pre);
        const dpre = <f64>load<f32>(dout + off + <usize>t * row + cc) * s * (1 + pre * (1 - s));
        if (dbias) store<f32>(dbias + cc, <f32>(<f64>load<f32>(dbias + cc) + dpre));
        for (let k = 0; k < K; k++) {
          const tau = t - K + 1 + k;
          if (tau < 0) continue;
          const xi = off + <usize>tau * row + cc;
          if (dweight) {
            const dw = dweight + (<usize>(c * K + k) << 2);
            store<f32>(dw, <f32>(<f64>load<f32>(dw) + dpre * <f64>load<f32>(x + xi)));
          }
          if (dx) store<f32>(dx + xi, <f32>(<f64>load<f32>(dx + xi) + dpre * <f64>load<f32>(w + (<usize>k << 2))));
        }
      }
    }
  }
}

// inp (N,NH,HS), invFreq (HS/2), pos (N) -> out (N,NH,HS) (may alias inp), rotate_half layout; sign -1: the backward
export function rope(out: usize, inp: usize, invFreq: usize, pos: usize, NH: i32, HS: i32, sign: f64, n0: i32, n1: i32): void {
  const half = HS >> 1;
  for (let n = n0; n < n1; n++) {
    const p = <f32>load<i32>(pos + (<usize>n << 2));
    for (let i = 0; i < half; i++) {
      const ang = <f64>(p * load<f32>(invFreq + (<usize>i << 2))); // float32, as transformers computes it
      const c = Math.cos(ang), s = sign * Math.sin(ang);
      for (let h = 0; h < NH; h++) {
        const o = <usize>((n * NH + h) * HS + i) << 2, o2 = o + (<usize>half << 2);
        const x1 = <f64>load<f32>(inp + o), x2 = <f64>load<f32>(inp + o2);
        store<f32>(out + o, <f32>(x1 * c - x2 * s));
        store<f32>(out + o2, <f32>(x2 * c + x1 * s));
      }
    }
  }
}
