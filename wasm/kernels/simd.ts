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

// e^x for four lanes, float32, for x <= 0 as softmax uses it (relative error ~2e-7; x < -87.3 gives ~1e-38, not 0):
// e^x = 2^n e^r with n = round(x log2 e), r = x - n ln 2 in two parts (Cody-Waite), e^r by its Taylor polynomial
// to r^6 (|r| <= ln 2 / 2), 2^n put in the exponent bits.
@inline export function expv(x: v128): v128 {
  x = f32x4.max(x, f32x4.splat(-87.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.0 / 720);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

// e^x of one float by the same operations as a lane of expv (tails of a vector loop)
@inline export function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}
