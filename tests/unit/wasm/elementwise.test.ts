// The WebAssembly elementwise kernels (wasm/kernels/elementwise.ts through the CPU backend): SwiGLU, RMSNorm and AdamW
// against their TypeScript references, bit for bit (the same float64 arithmetic in the same order), on sizes that split
// over the pool and odd ones that do not, gradients added into non-zero buffers; 1 and 2 threads give the same bits;
// RMSNorm of activations whose squares overflow float32 stays exact (no silent zero).

import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { adamw } from "../../../src/lib/train/cpu/optim.ts";
import { rmsnormBackward, rmsnormForward } from "../../../src/lib/train/cpu/rmsnorm.ts";
import { swigluBackward, swigluForward } from "../../../src/lib/train/cpu/swiglu.ts";
import { bits, rand, useBackends } from "./helpers.ts";


const backends = useBackends();
let one: CpuBackend, two: CpuBackend;
beforeAll(() => ({ one, two } = backends));

describe("WebAssembly elementwise kernels", () => {
  for (const n of [7, 40_003]) {
    it(`SwiGLU forward and backward, n=${n}: the reference's bits`, () => {
      const rng = new Rng(n);
      const gate = rand(n, rng, 4), up = rand(n, rng), dout = rand(n, rng), dg0 = rand(n, rng), du0 = rand(n, rng);
      const ref = { out: new Float32Array(n), dg: dg0.slice(), du: du0.slice() };
      swigluForward(ref.out, gate, up, n);
      swigluBackward(ref.dg, ref.du, dout, gate, up, n);
      const [a, b] = [one, two].map((be) => {
        const out = be.alloc(n), dg = be.upload(dg0), du = be.upload(du0), [g, u] = [be.upload(gate), be.upload(up)];
        const before = be.pool?.dispatched ?? 0;
        be.swigluForward(out, g, u, n);
        be.swigluBackward(dg, du, be.upload(dout), g, u, n);
        if (be === two && n > 10_000) expect(two.pool!.dispatched).toBeGreaterThan(before);
        return { out, dg, du };
      }) as [typeof ref, typeof ref];
      for (const k of ["out", "dg", "du"] as const) {
        expect(bits(a[k]), k).toEqual(bits(ref[k]));
        expect(bits(b[k]), k).toEqual(bits(a[k]));
      }
    });
  }

  for (const [N, C, scale] of [[3, 8, 2], [300, 96, 2], [37, 18, 2], [4, 64, 1e30]] as [number, number, number][]) {
    it(`RMSNorm forward and backward (with the weight's gradient), N=${N} C=${C}, inputs up to ${scale}`, () => {
      const rng = new Rng(N * C);
      const inp = rand(N * C, rng, scale), w = rand(C, rng), dout = rand(N * C, rng), dx0 = rand(N * C, rng), dw0 = rand(C, rng);
      const ref = { out: new Float32Array(N * C), rstd: new Float32Array(N), dx: dx0.slice(), dw: dw0.slice() };
      rmsnormForward(ref.out, ref.rstd, inp, w, N, C, 1e-5);
      rmsnormBackward(ref.dx, ref.dw, dout, inp, w, ref.rstd, N, C);
      const [a, b] = [one, two].map((be) => {
        const out = be.alloc(N * C), rstd = be.alloc(N), dx = be.upload(dx0), dw = be.upload(dw0), [x, wb] = [be.upload(inp), be.upload(w)];
        be.rmsnormForward(out, rstd, x, wb, N, C, 1e-5);
        be.rmsnormBackward(dx, dw, be.upload(dout), x, wb, rstd, N, C);
        return { out, rstd, dx, dw };
      }) as [typeof ref, typeof ref];
      for (const k of ["out", "rstd", "dx", "dw"] as const) {
        expect(bits(a[k]), k).toEqual(bits(ref[k]));
        expect(bits(b[k]), k).toEqual(bits(a[k]));
      }
      if (scale > 1e19) expect(Math.max(...a.out.map(Math.abs))).toBeGreaterThan(0.1); // not the float32 overflow's zeros
    });
  }

  for (const n of [5, 60_001]) {
    it(`AdamW, n=${n}: the reference's bits (float64 arithmetic, as the reference)`, () => {
      const rng = new Rng(n + 1);
      const p0 = rand(n, rng), g = rand(n, rng, 0.1), m0 = rand(n, rng, 0.01), v0 = Float32Array.from(rand(n, rng, 0.01), Math.abs);
      const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, t: 7 };
      const ref = { p: p0.slice(), m: m0.slice(), v: v0.slice() };
      adamw(ref.p, g, ref.m, ref.v, n, hp);
      for (const be of [one, two]) {
        const [p, m, v] = [be.upload(p0), be.upload(m0), be.upload(v0)];
        be.adamw(p, be.upload(g), m, v, n, hp);
        expect(bits(p)).toEqual(bits(ref.p));
        expect(bits(m)).toEqual(bits(ref.m));
        expect(bits(v)).toEqual(bits(ref.v));
      }
    });
  }
});
