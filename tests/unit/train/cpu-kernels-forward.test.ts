// Forward kernels against plain, independent formulations: the blocked matmul against the naive loops,
// attention against a materialised softmax, the chunked cross-entropy against an explicit log-softmax,
// AdamW against torch.optim.AdamW's update written out.

import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { attentionForward } from "../../../src/lib/train/cpu/attention.ts";
import { classifierForward } from "../../../src/lib/train/cpu/classifier.ts";
import { matmulForward, matmulForwardNaive } from "../../../src/lib/train/cpu/matmul.ts";
import { rand64 } from "./fd.ts";

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe("forward kernels against independent formulations", () => {
  it("blocked matmul = naive matmul (accumulate, scale, bias, odd N)", () => {
    const rng = new Rng(11);
    const [N, IC, OC] = [13, 9, 7];
    const inp = rand64(N * IC, rng), w = rand64(OC * IC, rng), b = rand64(OC, rng);
    const a = rand64(N * OC, rng), c = a.slice();
    matmulForward(a, inp, w, b, N, IC, OC, 0.5, true);
    matmulForwardNaive(c, inp, w, b, N, IC, OC, 0.5, true);
    expect(maxDiff(a, c)).toBeLessThan(1e-12);
  });

  it("a product's made input (MatmulInput): RMSNorm or SwiGLU of inp, then the product, in float64", () => {
    const rng = new Rng(14);
    const [N, IC, OC, eps] = [3, 11, 5, 1e-5];
    const be = new CpuBackend("f64");
    const inp = rand64(N * IC, rng), w = rand64(OC * IC, rng), b = rand64(OC, rng), g = rand64(IC, rng), up = rand64(N * IC, rng);
    const made = {
      rmsnorm: (n: number, k: number) => {
        const row = inp.subarray(n * IC, (n + 1) * IC);
        return (row[k]! / Math.sqrt(row.reduce((s, v) => s + v * v, 0) / IC + eps)) * g[k]!;
      },
      swiglu: (n: number, k: number) => (inp[n * IC + k]! / (1 + Math.exp(-inp[n * IC + k]!))) * up[n * IC + k]!,
    };
    for (const kind of ["rmsnorm", "swiglu"] as const) {
      const out = new Float64Array(N * OC);
      const input = kind === "rmsnorm" ? { kind, weight: g, eps } : { kind, up };
      be.matmulForward(out as unknown as Float32Array, inp as unknown as Float32Array, w as unknown as Float32Array, b as unknown as Float32Array, N, IC, OC,
        { scale: 0.5, input: input as never });
      const ref = Float64Array.from({ length: N * OC }, (_, i) => {
        const [n, o] = [Math.floor(i / OC), i % OC];
        let s = 0;
        for (let k = 0; k < IC; k++) s += made[kind](n, k) * w[o * IC + k]!;
        return 0.5 * s + b[o]!;
      });
      expect(maxDiff(out, ref), kind).toBeLessThan(1e-12);
    }
  });

  it("attention = softmax(q k^T / sqrt(HS) + causal mask) v, with GQA", () => {
    const rng = new Rng(12);
    const [B, T, NH, NKV, HS] = [2, 6, 4, 2, 5];
    const q = rand64(B * T * NH * HS, rng), k = rand64(B * T * NKV * HS, rng), v = rand64(B * T * NKV * HS, rng);
    const out = new Float64Array(q.length), lse = new Float64Array(B * NH * T);
    attentionForward(out, lse, q, k, v, { B, Tq: T, Tk: T, kvStride: T, NH, NKV, HS });
    const ref = new Float64Array(q.length);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < NH; h++) {
        const kh = Math.floor((h * NKV) / NH);
        for (let t = 0; t < T; t++) {
          const s = Array.from({ length: T }, (_, j) => {
            if (j > t) return -Infinity;
            let d = 0;
            for (let i = 0; i < HS; i++) d += q[((b * T + t) * NH + h) * HS + i]! * k[((b * T + j) * NKV + kh) * HS + i]!;
            return d / Math.sqrt(HS);
          });
          const m = Math.max(...s);
          const e = s.map((x) => Math.exp(x - m));
          const z = e.reduce((x, y) => x + y, 0);
          for (let i = 0; i < HS; i++)
            ref[((b * T + t) * NH + h) * HS + i] = e.reduce((acc, p, j) => acc + (p / z) * v[((b * T + j) * NKV + kh) * HS + i]!, 0);
          expect(lse[(b * NH + h) * T + t]).toBeCloseTo(m + Math.log(z), 12);
        }
      }
    expect(maxDiff(out, ref)).toBeLessThan(1e-12);
  });

  it("chunked cross-entropy = -log softmax(h W^T)[target]", () => {
    const rng = new Rng(13);
    const [N, C, V] = [3, 8, 1300];
    const h = rand64(N * C, rng, 2), w = rand64(V * C, rng, 2);
    const targets = Int32Array.from([0, 1299, 640]);
    const losses = new Float64Array(N), lse = new Float64Array(N);
    classifierForward(losses, lse, h, w, targets, N, C, V);
    for (let n = 0; n < N; n++) {
      const z = Array.from({ length: V }, (_, v) => {
        let d = 0;
        for (let i = 0; i < C; i++) d += h[n * C + i]! * w[v * C + i]!;
        return d;
      });
      const m = Math.max(...z);
      const logZ = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
      expect(losses[n]).toBeCloseTo(logZ - z[targets[n]!]!, 10);
    }
  });

  it("AdamW: two steps against the closed form", () => {
    const be = new CpuBackend();
    const p = Float32Array.from([1, -2]), g = Float32Array.from([0.5, -0.25]);
    const m = new Float32Array(2), v = new Float32Array(2);
    const hp = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    be.adamw(p, g, m, v, 2, { ...hp, t: 1 });
    be.adamw(p, g, m, v, 2, { ...hp, t: 2 });
    // constant gradient: m_hat = g, v_hat = g^2 each step, so each step moves lr * (sign(g) + wd * p)
    let ref = [1, -2];
    for (let t = 0; t < 2; t++) ref = ref.map((x, i) => x - 0.1 * (Math.sign(g[i]!) * (Math.abs(g[i]!) / (Math.abs(g[i]!) + 1e-8)) + 0.01 * x));
    expect(p[0]).toBeCloseTo(ref[0]!, 6);
    expect(p[1]).toBeCloseTo(ref[1]!, 6);
  });
});
