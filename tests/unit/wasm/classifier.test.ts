// The WebAssembly fused lm_head + cross-entropy (wasm/kernels/classifier.ts through the CPU backend) against the
// TypeScript reference (src/lib/train/cpu/classifier.ts, float64 logits) and a float64 loop, on odd sizes: rows not a
// multiple of the kernel's 32-row block, a vocabulary that ends in a partial chunk, rows without a target; and the
// same bits on 1 and 2 threads (rows split for dh, vocabulary chunks split for dwte).

import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { classifierBackward, classifierForward } from "../../../src/lib/train/cpu/classifier.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { bits, rand, relErr, useBackends } from "./helpers.ts";


/** float64 loss of each row: logsumexp(h_n . wte) - h_n . wte_y */
function losses64(h: Float32Array, wte: Float32Array, y: Int32Array, N: number, C: number, V: number): number[] {
  return Array.from({ length: N }, (_, n) => {
    const z = Array.from({ length: V }, (_, v) => {
      let s = 0;
      for (let c = 0; c < C; c++) s += h[n * C + c]! * wte[v * C + c]!;
      return s;
    });
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
    return y[n]! >= 0 ? lse - z[y[n]!]! : 0;
  });
}

const backends = useBackends();
let one: CpuBackend, two: CpuBackend;
beforeAll(() => ({ one, two } = backends));

describe("WebAssembly classifier (lm_head + cross-entropy)", () => {
  for (const [N, C, V] of [[1, 7, 13], [37, 83, 1100], [70, 64, 1536], [3, 130, 513], [32, 192, 4096]] as [number, number, number][]) {
    it(`N=${N} C=${C} V=${V}: losses, lse, dh and dwte match the reference; 1 and 2 threads give the same bits`, () => {
      const rng = new Rng(N * 31 + C * 7 + V);
      const h = rand(N * C, rng), wte = rand(V * C, rng, 0.5);
      const y = Int32Array.from({ length: N }, (_, n) => (n % 4 === 3 ? -1 : Math.floor(rng.next() * V)));
      const dh0 = rand(N * C, rng), dw0 = rand(V * C, rng);
      const dloss = 1 / 29;

      const ref = { losses: new Float32Array(N), lse: new Float32Array(N), dh: dh0.slice(), dw: dw0.slice() };
      classifierForward(ref.losses, ref.lse, h, wte, y, N, C, V);
      classifierBackward(ref.dh, ref.dw, h, wte, y, ref.lse, dloss, N, C, V);
      expect(relErr(ref.losses, losses64(h, wte, y, N, C, V))).toBeLessThan(1e-5);

      const [a, b] = [one, two].map((be) => {
        const losses = be.alloc(N), lse = be.alloc(N), dh = be.upload(dh0), dw = be.upload(dw0);
        const [hb, wb, yb] = [be.upload(h), be.upload(wte), be.uploadIds(y)];
        be.classifierForward(losses, lse, hb, wb, yb, N, C, V);
        be.classifierBackward(dh, dw, hb, wb, yb, lse, dloss, N, C, V);
        return { losses, lse, dh, dw };
      }) as [typeof ref, typeof ref];
      expect(relErr(a.losses, ref.losses)).toBeLessThan(1e-5);
      expect(relErr(a.lse, ref.lse)).toBeLessThan(1e-5);
      expect(relErr(a.dh, ref.dh)).toBeLessThan(1e-5);
      expect(relErr(a.dw, ref.dw)).toBeLessThan(1e-5);
      for (const k of ["losses", "lse", "dh", "dw"] as const) expect(bits(b[k])).toEqual(bits(a[k]));
    });
  }

  it("runs on the WebAssembly kernels and splits over the pool", () => {
    const [N, C, V] = [64, 96, 2048];
    const before = two.pool!.dispatched;
    two.classifierForward(two.alloc(N), two.alloc(N), two.alloc(N * C), two.alloc(V * C), two.uploadIds(new Int32Array(N)), N, C, V);
    expect(two.pool!.dispatched).toBeGreaterThan(before);
    expect(two.wasm).not.toBeNull();
  });
});
