// Causal grouped-query attention (src/lib/train/cpu/attention.ts is the reference; the same walk and bookkeeping):
// forward keeps only the log-sum-exp of each score row (B,NH,Tq), backward recomputes the probabilities from it, so
// no (T,T) buffer is stored. Query head h reads key/value head h / (NH/NKV).
// Vectors run along the head dimension HS, which must be a multiple of 4 (the caller checks; else TypeScript runs).
// Both kernels walk (sequence b, key/value head kh) groups g = b * NKV + kh in [g0, g1); a group writes only its own
// rows of out/lse/dq and of dk/dv, so threads take disjoint group ranges and each element sums in the same order.

import { expv, exps, hsum, madd, ZERO } from "./simd";

// sum_i a[i] b[i] over HS floats (HS % 4 == 0), as 4-lane partial sums then hsum
@inline function dot(a: usize, b: usize, bytes: usize): f32 {
  let s = ZERO;
  for (let i: usize = 0; i < bytes; i += 16) s = madd(v128.load(a + i), v128.load(b + i), s);
  return hsum(s);
}

// y[0..HS) += s * x[0..HS)
@inline function axpy(y: usize, s: f32, x: usize, bytes: usize): void {
  const sv = f32x4.splat(s);
  for (let i: usize = 0; i < bytes; i += 16) v128.store(y + i, madd(sv, v128.load(x + i), v128.load(y + i)));
}

// q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS) -> out (B,Tq,NH,HS), lse (B,NH,Tq); scores: Tk floats of scratch.
// Groups [g0, g1) and query rows [t0, t1) of each: the forward writes only its rows, so it may split rows too.
export function attn_forward(
  out: usize, lse: usize, q: usize, k: usize, v: usize,
  B: i32, Tq: i32, Tk: i32, kvStride: i32, NH: i32, NKV: i32, HS: i32, scores: usize, g0: i32, g1: i32, t0: i32, t1: i32,
): void {
  const rep = NH / NKV;
  const sc = <f32>(1 / Math.sqrt(<f64>HS));
  const hb = <usize>HS << 2; // bytes of one head vector
  const kvRow = <usize>NKV * hb; // bytes between consecutive positions of k / v
  for (let g = g0; g < g1; g++) {
    const b = g / NKV, kh = g % NKV;
    const kb = k + <usize>b * <usize>kvStride * kvRow + <usize>kh * hb;
    const vb = v + <usize>b * <usize>kvStride * kvRow + <usize>kh * hb;
    for (let t = t0; t < t1; t++) {
      const last = Tk - Tq + t; // sees keys 0..last
      for (let h = kh * rep; h < (kh + 1) * rep; h++) {
        const qi = q + <usize>((b * Tq + t) * NH + h) * hb;
        let mx: f32 = -Infinity;
        for (let j = 0; j <= last; j++) {
          const s = dot(qi, kb + <usize>j * kvRow, hb) * sc;
          store<f32>(scores + (<usize>j << 2), s);
          mx = max(mx, s);
        }
        // p_j = e^(s_j - max), four at a time (simd.ts expv; the tail by the same operations)
        const mv = f32x4.splat(mx);
        let part = ZERO;
        let j = 0;
        for (; j + 4 <= last + 1; j += 4) {
          const at = scores + (<usize>j << 2);
          const p = expv(f32x4.sub(v128.load(at), mv));
          v128.store(at, p);
          part = f32x4.add(part, p);
        }
        let sum = <f64>hsum(part);
        for (; j <= last; j++) {
          const at = scores + (<usize>j << 2);
          const p = exps(load<f32>(at) - mx);
          store<f32>(at, p);
          sum += <f64>p;
        }
        store<f32>(lse + (<usize>((b * NH + h) * Tq + t) << 2), <f32>(<f64>mx + Math.log(sum)));
        // out = (sum_j p_j v_j) / sum, four vectors of the head at a time (held in registers across j)
        const o = out + <usize>((b * Tq + t) * NH + h) * hb;
        const inv = f32x4.splat(<f32>(1 / sum));
        let i: usize = 0;
        for (; i + 64 <= hb; i += 64) {
          let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO;
          for (let j = 0; j <= last; j++) {
            const p = v128.load32_splat(scores + (<usize>j << 2));
            const x = vb + <usize>j * kvRow + i;
            a0 = madd(p, v128.load(x), a0); a1 = madd(p, v128.load(x, 16), a1);
            a2 = madd(p, v128.load(x, 32), a2); a3 = madd(p, v128.load(x, 48), a3);
          }
          v128.store(o + i, f32x4.mul(a0, inv)); v128.store(o + i, f32x4.mul(a1, inv), 16);
          v128.store(o + i, f32x4.mul(a2, inv), 32); v128.store(o + i, f32x4.mul(a3, inv), 48);
        }
        for (; i < hb; i += 16) {
          let a0 = ZERO;
          for (let j = 0; j <= last; j++) a0 = madd(v128.load32_splat(scores + (<usize>j << 2)), v128.load(vb + <usize>j * kvRow + i), a0);
          v128.store(o + i, f32x4.mul(a0, inv));
        }
      }
    }
  }
}

// dout, q, k, v, out, lse -> dk +=, dv += for keys [j0, j1) of every group, and dqp = those keys' share of dq (set,
// not added: the caller sums the key blocks' shares into dq in block order, sum_into)
//   P_j = exp(s_j - lse), dP_j = dout . v_j, D = dout . out, dS_j = P_j (dP_j - D)
//   dq += sc * sum_j dS_j k_j,  dk_j += sc * dS_j q,  dv_j += P_j dout
// Keys, not groups, split the work between threads: a key's dk / dv rows are written by its block alone, and each is
// summed over query rows in the same order whatever the split. scratch: 2 (j1 - j0) floats (a row's P and dS).
export function attn_backward(
  dqp: usize, dk: usize, dv: usize, dout: usize, q: usize, k: usize, v: usize, out: usize, lse: usize,
  B: i32, Tq: i32, Tk: i32, kvStride: i32, NH: i32, NKV: i32, HS: i32, scratch: usize, j0: i32, j1: i32,
): void {
  const P = scratch, dS = scratch + (<usize>(j1 - j0) << 2);
  const rep = NH / NKV;
  const sc = <f32>(1 / Math.sqrt(<f64>HS));
  const hb = <usize>HS << 2;
  const kvRow = <usize>NKV * hb;
  memory.fill(dqp, 0, <usize>(B * Tq * NH) * hb);
  for (let g = 0; g < B * NKV; g++) {
    const b = g / NKV, kh = g % NKV;
    const base = <usize>b * <usize>kvStride * kvRow + <usize>kh * hb;
    for (let t = 0; t < Tq; t++) {
      const je = min(Tk - Tq + t + 1, j1); // keys j0..je-1 of this row
      if (je <= j0) continue;
      const n = je - j0;
      for (let h = kh * rep; h < (kh + 1) * rep; h++) {
        const qo = <usize>((b * Tq + t) * NH + h) * hb;
        const qi = q + qo, doi = dout + qo, dqi = dqp + qo;
        const l = load<f32>(lse + (<usize>((b * NH + h) * Tq + t) << 2));
        const D = dot(doi, out + qo, hb);
        // the row's scores s_j - lse into P and dP_j = dout . v_j into dS; then P = e^(...), dS = P (dP - D) sc
        for (let j = 0; j < n; j++) {
          const o = base + <usize>(j0 + j) * kvRow;
          store<f32>(P + (<usize>j << 2), dot(qi, k + o, hb) * sc - l);
          store<f32>(dS + (<usize>j << 2), dot(doi, v + o, hb));
        }
        const Dv = f32x4.splat(D), scv = f32x4.splat(sc);
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          const at = <usize>j << 2;
          const p = expv(v128.load(P + at));
          v128.store(P + at, p);
          v128.store(dS + at, f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(dS + at), Dv)), scv));
        }
        for (; j < n; j++) {
          const at = <usize>j << 2;
          const p = exps(load<f32>(P + at));
          store<f32>(P + at, p);
          store<f32>(dS + at, p * (load<f32>(dS + at) - D) * sc);
        }
        for (let j = 0; j < n; j++) {
          const o = base + <usize>(j0 + j) * kvRow;
          const ds = load<f32>(dS + (<usize>j << 2));
          axpy(dqi, ds, k + o, hb);
          axpy(dk + o, ds, qi, hb);
          axpy(dv + o, load<f32>(P + (<usize>j << 2)), doi, hb);
        }
      }
    }
  }
}

// dst[i] += parts[0][i] + parts[1][i] + ... (nParts arrays `stride` floats apart), for i in [i0, i1) (multiples of 4
// but for the end); the parts are added one after another, so any split of i gives the same bits
export function sum_into(dst: usize, parts: usize, nParts: i32, stride: i32, i0: i32, i1: i32): void {
  const sb = <usize>stride << 2;
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    let acc = v128.load(dst + o);
    for (let p = 0; p < nParts; p++) acc = f32x4.add(acc, v128.load(parts + <usize>p * sb + o));
    v128.store(dst + o, acc);
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    let acc = load<f32>(dst + o);
    for (let p = 0; p < nParts; p++) acc += load<f32>(parts + <usize>p * sb + o);
    store<f32>(dst + o, acc);
  }
}
