// prototype NT GEMM: C(M,N) = scale * A(M,K) . B(N,K)^T + bias
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}
const NB = 64;
export function gemm_nt(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, scale: f32): void {
  const K4 = K & ~3;
  const rowA = <usize>K << 2;
  for (let n0 = 0; n0 < N; n0 += NB) {
    const n1 = min(N, n0 + NB);
    let m = 0;
    for (; m + 2 <= M; m += 2) {
      const a0 = A + <usize>m * rowA, a1 = a0 + rowA;
      let n = n0;
      for (; n + 4 <= n1; n += 4) {
        const b0 = B + <usize>n * rowA, b1 = b0 + rowA, b2 = b1 + rowA, b3 = b2 + rowA;
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
        let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
        for (let k: usize = 0; k < <usize>K4 << 2; k += 16) {
          const x0 = v128.load(a0 + k), x1 = v128.load(a1 + k);
          let w = v128.load(b0 + k); c00 = madd(x0, w, c00); c10 = madd(x1, w, c10);
          w = v128.load(b1 + k); c01 = madd(x0, w, c01); c11 = madd(x1, w, c11);
          w = v128.load(b2 + k); c02 = madd(x0, w, c02); c12 = madd(x1, w, c12);
          w = v128.load(b3 + k); c03 = madd(x0, w, c03); c13 = madd(x1, w, c13);
        }
        const o = C + ((<usize>m * N + n) << 2), o1 = o + (<usize>N << 2);
        store<f32>(o, scale * hsum(c00)); store<f32>(o + 4, scale * hsum(c01)); store<f32>(o + 8, scale * hsum(c02)); store<f32>(o + 12, scale * hsum(c03));
        store<f32>(o1, scale * hsum(c10)); store<f32>(o1 + 4, scale * hsum(c11)); store<f32>(o1 + 8, scale * hsum(c12)); store<f32>(o1 + 12, scale * hsum(c13));
      }
    }
  }
}
export function gemm_nt34(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, scale: f32): void {
  const K4 = K & ~3;
  const rowA = <usize>K << 2;
  for (let n0 = 0; n0 < N; n0 += NB) {
    const n1 = min(N, n0 + NB);
    let m = 0;
    for (; m + 3 <= M; m += 3) {
      const a0 = A + <usize>m * rowA, a1 = a0 + rowA, a2 = a1 + rowA;
      let n = n0;
      for (; n + 4 <= n1; n += 4) {
        const b0 = B + <usize>n * rowA, b1 = b0 + rowA, b2 = b1 + rowA, b3 = b2 + rowA;
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
        let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
        let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c23 = f32x4.splat(0);
        for (let k: usize = 0; k < <usize>K4 << 2; k += 16) {
          const x0 = v128.load(a0 + k), x1 = v128.load(a1 + k), x2 = v128.load(a2 + k);
          let w = v128.load(b0 + k); c00 = madd(x0, w, c00); c10 = madd(x1, w, c10); c20 = madd(x2, w, c20);
          w = v128.load(b1 + k); c01 = madd(x0, w, c01); c11 = madd(x1, w, c11); c21 = madd(x2, w, c21);
          w = v128.load(b2 + k); c02 = madd(x0, w, c02); c12 = madd(x1, w, c12); c22 = madd(x2, w, c22);
          w = v128.load(b3 + k); c03 = madd(x0, w, c03); c13 = madd(x1, w, c13); c23 = madd(x2, w, c23);
        }
        const o = C + ((<usize>m * N + n) << 2), o1 = o + (<usize>N << 2), o2 = o1 + (<usize>N << 2);
        store<f32>(o, scale * hsum(c00)); store<f32>(o + 4, scale * hsum(c01)); store<f32>(o + 8, scale * hsum(c02)); store<f32>(o + 12, scale * hsum(c03));
        store<f32>(o1, scale * hsum(c10)); store<f32>(o1 + 4, scale * hsum(c11)); store<f32>(o1 + 8, scale * hsum(c12)); store<f32>(o1 + 12, scale * hsum(c13));
        store<f32>(o2, scale * hsum(c20)); store<f32>(o2 + 4, scale * hsum(c21)); store<f32>(o2 + 8, scale * hsum(c22)); store<f32>(o2 + 12, scale * hsum(c23));
      }
    }
  }
}
