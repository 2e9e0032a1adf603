// Matmuls on block-quantized frozen weights (the CPU backend's int8 / int4 formats: the values of GGUF Q8_0 / Q4_0),
// read without a float32 copy of the weight. Layout of one weight (N rows of K values, K a multiple of 32), row after
// row, each row:
//   [ K/32 float32 scales ][ quants: int8: K signed bytes | int4: K/2 bytes, per 32-value block 16 bytes whose low
//     nibbles are values 0..15 and high nibbles values 16..31, each standing for nibble - 8 (GGUF's Q4_0 order) ]
// A value is q * d, exactly the float32 that src/lib/train/quant.ts's frozenValues gives (q has at most 8 bits and d
// is an f16, so the product is exact): the quantized matmul computes what gemm_nt computes on the dequantized weight,
// bit for bit. Dequantization runs per panel of PANEL rows into the caller's scratch (PANEL x K floats, kept in cache)
// and the panel goes through gemm_nt's kernel for every row of A, so a weight byte is read once per call.

import { ntBlock } from "./gemm";
import { hsum, madd } from "./simd";

const PANEL = 64;

/** Bytes of one row of a quantized weight. */
@inline function rowBytes(K: i32, bits: i32): usize {
  return (<usize>K >> 5 << 2) + (<usize>(K * bits) >> 3);
}

// rows [r0, r1) of the quantized weight W (rows of K) -> out (r1 - r0, K) float32
export function dequant_rows(out: usize, W: usize, K: i32, bits: i32, r0: i32, r1: i32): void {
  const rb = rowBytes(K, bits);
  const nb = K >> 5;
  const bias8 = i8x16.splat(8), low = i8x16.splat(15);
  for (let r = r0; r < r1; r++) {
    const scales = W + <usize>r * rb;
    const quants = scales + (<usize>nb << 2);
    let o = out + <usize>(r - r0) * (<usize>K << 2);
    for (let b = 0; b < nb; b++, o += 128) {
      const d = f32x4.splat(load<f32>(scales + (<usize>b << 2)));
      let v0: v128, v1: v128;
      if (bits == 8) {
        v0 = v128.load(quants + (<usize>b << 5));
        v1 = v128.load(quants + (<usize>b << 5), 16);
      } else {
        const x = v128.load(quants + (<usize>b << 4));
        v0 = i8x16.sub(v128.and(x, low), bias8);
        v1 = i8x16.sub(i8x16.shr_u(x, 4), bias8);
      }
      store16(o, v0, d);
      store16(o + 64, v1, d);
    }
  }
}

// 16 signed bytes -> 16 floats q * d at o
@inline function store16(o: usize, q: v128, d: v128): void {
  const lo = i16x8.extend_low_i8x16_s(q), hi = i16x8.extend_high_i8x16_s(q);
  v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), d));
  v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), d), 16);
  v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), d), 32);
  v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), d), 48);
}

// C (M,N) = scale * A (M,K) @ W (N,K)^T + bias, W quantized (bits 8 or 4); columns [n0, n1) of C, every row of A.
// panel: PANEL * K floats of scratch. Each output equals gemm_nt's on the dequantized W (same kernel, same order).
export function qgemm_nt(
  C: usize, A: usize, W: usize, bias: usize, M: i32, N: i32, K: i32, bits: i32, scale: f32, accumulate: bool,
  n0: i32, n1: i32, panel: usize,
): void {
  const ldc = <usize>N << 2;
  for (let c = n0; c < n1; c += PANEL) {
    const w = min(PANEL, n1 - c);
    dequant_rows(panel, W, K, bits, c, c + w);
    ntBlock(C + (<usize>c << 2), ldc, A, panel, bias ? bias + (<usize>c << 2) : 0, w, K, scale, accumulate, 0, M);
  }
}

// 16 signed bytes q and a block scale d -> sum += x[0..16) * (q * d), four lanes at a time (the same lanes, order and
// products as gemm_nt's dot over the dequantized row: k advances 4 at a time into one 4-lane partial sum)
@inline function dot16(x: usize, q: v128, d: v128, s: v128): v128 {
  const lo = i16x8.extend_low_i8x16_s(q), hi = i16x8.extend_high_i8x16_s(q);
  s = madd(v128.load(x), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), d), s);
  s = madd(v128.load(x, 16), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), d), s);
  s = madd(v128.load(x, 32), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), d), s);
  return madd(v128.load(x, 48), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), d), s);
}

// One row of A (decoding): C[n] = scale * A . W[n] + bias for n in [n0, n1), the weight dequantized in registers as it
// is read (no panel): each output has the bits qgemm_nt / gemm_nt give it.
export function qgemv(C: usize, A: usize, W: usize, bias: usize, K: i32, bits: i32, scale: f32, accumulate: bool, n0: i32, n1: i32): void {
  const rb = rowBytes(K, bits);
  const nb = K >> 5;
  const bias8 = i8x16.splat(8), low = i8x16.splat(15);
  for (let n = n0; n < n1; n++) {
    const scales = W + <usize>n * rb;
    const quants = scales + (<usize>nb << 2);
    let s = f32x4.splat(0);
    for (let b = 0; b < nb; b++) {
      const d = f32x4.splat(load<f32>(scales + (<usize>b << 2)));
      const x = A + (<usize>b << 7);
      if (bits == 8) {
        s = dot16(x, v128.load(quants + (<usize>b << 5)), d, s);
        s = dot16(x + 64, v128.load(quants + (<usize>b << 5), 16), d, s);
      } else {
        const q = v128.load(quants + (<usize>b << 4));
        s = dot16(x, i8x16.sub(v128.and(q, low), bias8), d, s);
        s = dot16(x + 64, i8x16.sub(i8x16.shr_u(q, 4), bias8), d, s);
      }
    }
    let v = scale * hsum(s);
    if (bias) v += load<f32>(bias + (<usize>n << 2));
    const c = C + (<usize>n << 2);
    store<f32>(c, accumulate ? load<f32>(c) + v : v);
  }
}

/** Floats of panel scratch qgemm_nt needs for rows of K values. */
export function qgemm_panel_floats(K: i32): i32 {
  return PANEL * K;
}
