// The matmuls of the CPU backend, on float32 in linear memory (pointers are byte addresses). Two forms cover
// forward, dinp and dweight without copying a transpose:
//   gemm_nt  C (M,N) = scale * A (M,K) @ B (N,K)^T + bias   both operands contiguous in k: dot products
//   gemm_nn  C (M,N) = scale * A (M,K) @ B (K,N)            B rows contiguous in n, A read one float at a time
//                                                              at any strides: outer products (broadcast form)
// Both write rows [m0, m1) of C only (the thread pool's split) and either store or add into C.
// Determinism: every output is computed by the same operations in the same order whichever block or tail reaches it,
// so a split into row ranges at any boundary gives the bits of one call.

import { hsum, madd, madds, ZERO } from "./simd";

// Register blocks: gemm_nt 2 rows x 4 columns (8 accumulators + 2 + 1 loaded vectors fit x86's 16 xmm registers;
// 3 x 4 spilled and ran at 25 GFLOP/s against 42), gemm_nn 4 rows x 8 columns (8 accumulators).
const NT_COLS = 64; // columns of B (rows of the (N,K) array) kept hot in L2 while every row of A passes
const NN_COLS = 128; // columns of B (K,N) kept hot in L2 while every row of A passes

@inline function put(c: usize, s: f32, bias: usize, n: i32, scale: f32, accumulate: bool): void {
  let v = scale * s;
  if (bias) v += load<f32>(bias + (<usize>n << 2));
  store<f32>(c, accumulate ? load<f32>(c) + v : v);
}

// one output of gemm_nt: sum_k a[k] b[k] as a 4-lane partial sum, reduced, then the tail
@inline function dotTail(a: usize, b: usize, kv: usize, kb: usize, s: f32): f32 {
  for (let k = kv; k < kb; k += 4) s = madds(load<f32>(a + k), load<f32>(b + k), s);
  return s;
}

// C (M,N) = scale * A (M,K) @ B (N,K)^T + bias (N; 0 = none), rows [m0, m1); accumulate: C += instead of C =
export function gemm_nt(
  C: usize, A: usize, B: usize, bias: usize, M: i32, N: i32, K: i32, scale: f32, accumulate: bool, m0: i32, m1: i32,
): void {
  ntBlock(C, <usize>N << 2, A, B, bias, N, K, scale, accumulate, m0, m1);
}

// gemm_nt on columns [n0, n1) of C and every row: the split for few rows (a prefill chunk, decoding), where each
// thread then reads only its share of B instead of all of it
export function gemm_nt_cols(
  C: usize, A: usize, B: usize, bias: usize, M: i32, N: i32, K: i32, scale: f32, accumulate: bool, n0: i32, n1: i32,
): void {
  const c = <usize>n0 << 2;
  ntBlock(C + c, <usize>N << 2, A, B + <usize>n0 * (<usize>K << 2), bias ? bias + c : 0, n1 - n0, K, scale, accumulate, 0, M);
}

// gemm_nt with C's row stride `ldc` in bytes (quant.ts runs it on column panels of a wider C)
export function ntBlock(
  C: usize, ldc: usize, A: usize, B: usize, bias: usize, N: i32, K: i32, scale: f32, accumulate: bool, m0: i32, m1: i32,
): void {
  const row = <usize>K << 2; // bytes per row of A and of B
  const kv = <usize>(K & ~3) << 2; // bytes covered by whole vectors
  const kb = row;
  for (let n0 = 0; n0 < N; n0 += NT_COLS) {
    const n1 = min(N, n0 + NT_COLS);
    let m = m0;
    for (; m + 2 <= m1; m += 2) {
      const a0 = A + <usize>m * row, a1 = a0 + row;
      const c0 = C + <usize>m * ldc, c1 = c0 + ldc;
      let n = n0;
      for (; n + 4 <= n1; n += 4) {
        const b0 = B + <usize>n * row, b1 = b0 + row, b2 = b1 + row, b3 = b2 + row;
        let s00 = ZERO, s01 = ZERO, s02 = ZERO, s03 = ZERO, s10 = ZERO, s11 = ZERO, s12 = ZERO, s13 = ZERO;
        for (let k: usize = 0; k < kv; k += 16) {
          const x0 = v128.load(a0 + k), x1 = v128.load(a1 + k);
          let w = v128.load(b0 + k);
          s00 = madd(x0, w, s00); s10 = madd(x1, w, s10);
          w = v128.load(b1 + k);
          s01 = madd(x0, w, s01); s11 = madd(x1, w, s11);
          w = v128.load(b2 + k);
          s02 = madd(x0, w, s02); s12 = madd(x1, w, s12);
          w = v128.load(b3 + k);
          s03 = madd(x0, w, s03); s13 = madd(x1, w, s13);
        }
        const o = <usize>n << 2;
        put(c0 + o, dotTail(a0, b0, kv, kb, hsum(s00)), bias, n, scale, accumulate);
        put(c0 + o + 4, dotTail(a0, b1, kv, kb, hsum(s01)), bias, n + 1, scale, accumulate);
        put(c0 + o + 8, dotTail(a0, b2, kv, kb, hsum(s02)), bias, n + 2, scale, accumulate);
        put(c0 + o + 12, dotTail(a0, b3, kv, kb, hsum(s03)), bias, n + 3, scale, accumulate);
        put(c1 + o, dotTail(a1, b0, kv, kb, hsum(s10)), bias, n, scale, accumulate);
        put(c1 + o + 4, dotTail(a1, b1, kv, kb, hsum(s11)), bias, n + 1, scale, accumulate);
        put(c1 + o + 8, dotTail(a1, b2, kv, kb, hsum(s12)), bias, n + 2, scale, accumulate);
        put(c1 + o + 12, dotTail(a1, b3, kv, kb, hsum(s13)), bias, n + 3, scale, accumulate);
      }
      for (; n < n1; n++) {
        ntRow1(c0, a0, B, n, row, kv, bias, scale, accumulate);
        ntRow1(c1, a1, B, n, row, kv, bias, scale, accumulate);
      }
    }
    for (; m < m1; m++) { // one row: 1 x 4 blocks (also decoding's whole matmul, M = 1)
      const a0 = A + <usize>m * row;
      const c0 = C + <usize>m * ldc;
      let n = n0;
      for (; n + 4 <= n1; n += 4) {
        const b0 = B + <usize>n * row, b1 = b0 + row, b2 = b1 + row, b3 = b2 + row;
        let s0 = ZERO, s1 = ZERO, s2 = ZERO, s3 = ZERO;
        for (let k: usize = 0; k < kv; k += 16) {
          const x0 = v128.load(a0 + k);
          s0 = madd(x0, v128.load(b0 + k), s0);
          s1 = madd(x0, v128.load(b1 + k), s1);
          s2 = madd(x0, v128.load(b2 + k), s2);
          s3 = madd(x0, v128.load(b3 + k), s3);
        }
        const o = <usize>n << 2;
        put(c0 + o, dotTail(a0, b0, kv, kb, hsum(s0)), bias, n, scale, accumulate);
        put(c0 + o + 4, dotTail(a0, b1, kv, kb, hsum(s1)), bias, n + 1, scale, accumulate);
        put(c0 + o + 8, dotTail(a0, b2, kv, kb, hsum(s2)), bias, n + 2, scale, accumulate);
        put(c0 + o + 12, dotTail(a0, b3, kv, kb, hsum(s3)), bias, n + 3, scale, accumulate);
      }
      for (; n < n1; n++) ntRow1(c0, a0, B, n, row, kv, bias, scale, accumulate);
    }
  }
}

// C[m, n] of gemm_nt for a single column n (the column tail)
@inline function ntRow1(c0: usize, a0: usize, B: usize, n: i32, row: usize, kv: usize, bias: usize, scale: f32, accumulate: bool): void {
  const b0 = B + <usize>n * row;
  let s0 = ZERO;
  for (let k: usize = 0; k < kv; k += 16) s0 = madd(v128.load(a0 + k), v128.load(b0 + k), s0);
  put(c0 + (<usize>n << 2), dotTail(a0, b0, kv, row, hsum(s0)), bias, n, scale, accumulate);
}

// C (M,N) = scale * A (M,K) @ B (K,N), rows [m0, m1); A[m,k] is read at A + 4 * (m * sam + k * sak), so A may be a
// transposed view (dweight: A = dout^T with sam = 1, sak = OC); accumulate: C += instead of C =.
// Each output sums k = 0, 1, ... in order, one madd at a time.
export function gemm_nn(
  C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, sam: i32, sak: i32, scale: f32, accumulate: bool, m0: i32, m1: i32,
): void {
  const ldb = <usize>N << 2;
  const am = <usize>sam << 2, ak = <usize>sak << 2;
  for (let n0 = 0; n0 < N; n0 += NN_COLS) {
    const n1 = min(N, n0 + NN_COLS);
    let m = m0;
    for (; m + 4 <= m1; m += 4) {
      const a0 = A + <usize>m * am, a1 = a0 + am, a2 = a1 + am, a3 = a2 + am;
      const c0 = C + <usize>m * ldb, c1 = c0 + ldb, c2 = c1 + ldb, c3 = c2 + ldb;
      let n = n0;
      for (; n + 8 <= n1; n += 8) {
        let s00 = ZERO, s01 = ZERO, s10 = ZERO, s11 = ZERO, s20 = ZERO, s21 = ZERO, s30 = ZERO, s31 = ZERO;
        let b = B + (<usize>n << 2), ka: usize = 0;
        for (let k = 0; k < K; k++, b += ldb, ka += ak) {
          const w0 = v128.load(b), w1 = v128.load(b, 16);
          let x = v128.load32_splat(a0 + ka);
          s00 = madd(x, w0, s00); s01 = madd(x, w1, s01);
          x = v128.load32_splat(a1 + ka);
          s10 = madd(x, w0, s10); s11 = madd(x, w1, s11);
          x = v128.load32_splat(a2 + ka);
          s20 = madd(x, w0, s20); s21 = madd(x, w1, s21);
          x = v128.load32_splat(a3 + ka);
          s30 = madd(x, w0, s30); s31 = madd(x, w1, s31);
        }
        const o = <usize>n << 2;
        putv(c0 + o, s00, scale, accumulate); putv(c0 + o + 16, s01, scale, accumulate);
        putv(c1 + o, s10, scale, accumulate); putv(c1 + o + 16, s11, scale, accumulate);
        putv(c2 + o, s20, scale, accumulate); putv(c2 + o + 16, s21, scale, accumulate);
        putv(c3 + o, s30, scale, accumulate); putv(c3 + o + 16, s31, scale, accumulate);
      }
      for (; n < n1; n++) {
        nnCol1(c0, a0, B, n, K, ldb, ak, scale, accumulate);
        nnCol1(c1, a1, B, n, K, ldb, ak, scale, accumulate);
        nnCol1(c2, a2, B, n, K, ldb, ak, scale, accumulate);
        nnCol1(c3, a3, B, n, K, ldb, ak, scale, accumulate);
      }
    }
    for (; m < m1; m++) { // one row at a time: 1 x 8 blocks
      const a0 = A + <usize>m * am;
      const c0 = C + <usize>m * ldb;
      let n = n0;
      for (; n + 8 <= n1; n += 8) {
        let s0 = ZERO, s1 = ZERO;
        let b = B + (<usize>n << 2), ka: usize = 0;
        for (let k = 0; k < K; k++, b += ldb, ka += ak) {
          const x = v128.load32_splat(a0 + ka);
          s0 = madd(x, v128.load(b), s0); s1 = madd(x, v128.load(b, 16), s1);
        }
        const o = <usize>n << 2;
        putv(c0 + o, s0, scale, accumulate); putv(c0 + o + 16, s1, scale, accumulate);
      }
      for (; n < n1; n++) nnCol1(c0, a0, B, n, K, ldb, ak, scale, accumulate);
    }
  }
}

// four outputs of gemm_nn: C[0..4) = scale * s (+ C)
@inline function putv(c: usize, s: v128, scale: f32, accumulate: bool): void {
  const v = f32x4.mul(s, f32x4.splat(scale));
  v128.store(c, accumulate ? f32x4.add(v128.load(c), v) : v);
}

// C[m, n] of gemm_nn for a single column n (the column tail)
@inline function nnCol1(c0: usize, a0: usize, B: usize, n: i32, K: i32, ldb: usize, ak: usize, scale: f32, accumulate: bool): void {
  let s: f32 = 0;
  let b = B + (<usize>n << 2), ka: usize = 0;
  for (let k = 0; k < K; k++, b += ldb, ka += ak) s = madds(load<f32>(a0 + ka), load<f32>(b), s);
  const c = c0 + (<usize>n << 2);
  const v = scale * s;
  store<f32>(c, accumulate ? load<f32>(c) + v : v);
}
