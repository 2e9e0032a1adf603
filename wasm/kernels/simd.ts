// Shared SIMD helpers. `madd` is relaxed-SIMD's fused multiply-add in the relaxed build and a multiply then an add
// in the plain SIMD build (the fallback); every kernel uses it for every product it sums, so one output is computed
// by the same operations on whichever path (block or tail) reaches it.

// a * b + c, lane-wise
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// a * b + c for one float, the same rounding as one lane of `madd`
@inline export function madds(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return a * b + c;
}

// (l0 + l1) + (l2 + l3)
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

export const ZERO = f32x4.splat(0);
