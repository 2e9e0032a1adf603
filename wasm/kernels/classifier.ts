// The lm_head and cross-entropy fused (src/lib/train/cpu/classifier.ts is the reference): logits are made for a
// block of ROWS rows and a chunk of CHUNK vocabulary columns at a time into the caller's scratch, and folded into a
// running max / sum-exp per row (float64 running values; each chunk's exponentials in float32 SIMD, simd.ts expv), so the (N, V) logits never exist. Backward recomputes each chunk from
// the saved log-sum-exp and turns it into dlogits in place.
//
// Scratch (per call, one per thread): STATS_BYTES of float64 row statistics, then ROWS x CHUNK float32 logits.
// Determinism: a row's result depends only on that row (its logits come from gemm_nt, computed alike on any path, and
// its fold runs over the chunks in order), so any row split gives the bits of one call; dwte sums rows in blocks of
// ROWS from row 0 whatever chunk range a thread has.

import { gemm_nn, gemm_nt } from "./gemm";
import { expv, exps, hsum } from "./simd";

export const CHUNK = 512;
export const ROWS = 128; // 128 x 512 logits (256 KB) stay in L2; fewer row blocks mean fewer passes over dwte in ce_backward_dw
const STATS_BYTES: usize = ROWS * 3 * 8; // max, sum, target logit per row
export const SCRATCH_BYTES: usize = STATS_BYTES + ROWS * CHUNK * 4;

// h (N,C), wte (V,C), targets (N; -1 = no loss) -> losses (N), lse (N); rows [m0, m1)
export function ce_forward(
  losses: usize, lse: usize, h: usize, wte: usize, targets: usize, C: i32, V: i32, scratch: usize, m0: i32, m1: i32,
): void {
  const stats = scratch, logits = scratch + STATS_BYTES;
  const row = <usize>C << 2;
  for (let r0 = m0; r0 < m1; r0 += ROWS) {
    const rb = min(ROWS, m1 - r0);
    for (let r = 0; r < rb; r++) {
      store<f64>(stats + (<usize>r * 24), -Infinity);
      store<f64>(stats + (<usize>r * 24), 0, 8);
      store<f64>(stats + (<usize>r * 24), 0, 16);
    }
    for (let v0 = 0; v0 < V; v0 += CHUNK) {
      const w = min(CHUNK, V - v0);
      gemm_nt(logits, h + <usize>r0 * row, wte + <usize>v0 * row, 0, rb, w, C, 1, false, 0, rb);
      for (let r = 0; r < rb; r++) {
        const l = logits + (<usize>(r * w) << 2);
        const s = stats + <usize>r * 24;
        let m = load<f64>(s);
        for (let j = 0; j < w; j++) m = max(m, <f64>load<f32>(l + (<usize>j << 2)));
        // the chunk's sum of e^(logit - max) in float32 lanes (SIMD exp), added to the row's float64 running sum
        const mv = f32x4.splat(<f32>m);
        let part = f32x4.splat(0);
        let j = 0;
        for (; j + 4 <= w; j += 4) part = f32x4.add(part, expv(f32x4.sub(v128.load(l + (<usize>j << 2)), mv)));
        let tail: f32 = 0;
        for (; j < w; j++) tail += exps(load<f32>(l + (<usize>j << 2)) - <f32>m);
        const chunkSum = <f64>hsum(part) + <f64>tail;
        const sum = load<f64>(s, 8) * Math.exp(load<f64>(s) - m) + chunkSum;
        store<f64>(s, m);
        store<f64>(s, sum, 8);
        const y = load<i32>(targets + (<usize>(r0 + r) << 2));
        if (y >= v0 && y < v0 + w) store<f64>(s, <f64>load<f32>(l + (<usize>(y - v0) << 2)), 16);
      }
    }
    for (let r = 0; r < rb; r++) {
      const s = stats + <usize>r * 24;
      const o = <usize>(r0 + r) << 2;
      const l = load<f64>(s) + Math.log(load<f64>(s, 8));
      store<f32>(lse + o, <f32>l);
      store<f32>(losses + o, load<i32>(targets + o) >= 0 ? <f32>(l - load<f64>(s, 16)) : 0);
    }
  }
}

// logits (rb, w) of rows r0.. and chunk v0.. -> dlogits in place: dloss * (softmax - onehot(target)), 0 without a target
@inline function dlogitsChunk(logits: usize, targets: usize, lse: usize, dloss: f64, r0: i32, rb: i32, v0: i32, w: i32): void {
  for (let r = 0; r < rb; r++) {
    const l = logits + (<usize>(r * w) << 2);
    const y = load<i32>(targets + (<usize>(r0 + r) << 2));
    if (y < 0) {
      memory.fill(l, 0, <usize>w << 2);
      continue;
    }
    const z = load<f32>(lse + (<usize>(r0 + r) << 2));
    const zv = f32x4.splat(z), dv = f32x4.splat(<f32>dloss);
    let j = 0;
    for (; j + 4 <= w; j += 4) {
      const p = l + (<usize>j << 2);
      v128.store(p, f32x4.mul(dv, expv(f32x4.sub(v128.load(p), zv))));
    }
    for (; j < w; j++) {
      const p = l + (<usize>j << 2);
      store<f32>(p, <f32>dloss * exps(load<f32>(p) - z));
    }
    if (y >= v0 && y < v0 + w) {
      const p = l + (<usize>(y - v0) << 2);
      store<f32>(p, load<f32>(p) - <f32>dloss); // - onehot(target)
    }
  }
}

// d(sum_n dloss * losses_n) -> dh (N,C) += dlogits @ wte, rows [m0, m1)
export function ce_backward_dh(
  dh: usize, h: usize, wte: usize, targets: usize, lse: usize, dloss: f64, C: i32, V: i32, scratch: usize, m0: i32, m1: i32,
): void {
  const logits = scratch + STATS_BYTES;
  const row = <usize>C << 2;
  for (let r0 = m0; r0 < m1; r0 += ROWS) {
    const rb = min(ROWS, m1 - r0);
    for (let v0 = 0; v0 < V; v0 += CHUNK) {
      const w = min(CHUNK, V - v0);
      gemm_nt(logits, h + <usize>r0 * row, wte + <usize>v0 * row, 0, rb, w, C, 1, false, 0, rb);
      dlogitsChunk(logits, targets, lse, dloss, r0, rb, v0, w);
      gemm_nn(dh + <usize>r0 * row, logits, wte + <usize>v0 * row, rb, C, w, w, 1, 1, true, 0, rb);
    }
  }
}

// -> dwte (V,C) += dlogits^T @ h for the vocabulary chunks [c0, c1), every row N
export function ce_backward_dw(
  dwte: usize, h: usize, wte: usize, targets: usize, lse: usize, dloss: f64, N: i32, C: i32, V: i32, scratch: usize, c0: i32, c1: i32,
): void {
  const logits = scratch + STATS_BYTES;
  const row = <usize>C << 2;
  for (let c = c0; c < c1; c++) {
    const v0 = c * CHUNK;
    const w = min(CHUNK, V - v0);
    for (let r0 = 0; r0 < N; r0 += ROWS) {
      const rb = min(ROWS, N - r0);
      gemm_nt(logits, h + <usize>r0 * row, wte + <usize>v0 * row, 0, rb, w, C, 1, false, 0, rb);
      dlogitsChunk(logits, targets, lse, dloss, r0, rb, v0, w);
      // dwte_chunk (w, C) += dlogits^T (w, rb) @ h_rows (rb, C): A[v, n] at logits + 4 (n w + v)
      gemm_nn(dwte + <usize>v0 * row, logits, h + <usize>r0 * row, w, C, rb, 1, w, 1, true, 0, w);
    }
  }
}

/** Bytes of scratch each ce_* call needs (the caller allocates one block per thread). */
export function ce_scratch_bytes(): i32 {
  return <i32>SCRATCH_BYTES;
}

/** Vocabulary columns per chunk (ce_backward_dw's c0, c1 count chunks). */
export function ce_chunk(): i32 {
  return CHUNK;
}
