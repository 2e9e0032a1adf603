// Mamba's conv1d and RoPE as WebAssembly (wasm/kernels/conv-rope.ts through the CPU backend) against their TypeScript
// references: the conv with and without a carried state (two halves with the state between = one whole run), its
// gradients added into non-zero buffers; RoPE forward and backward, in place too; 1 and 2 threads give the same bits.

import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import type { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { conv1dBackward, conv1dForward } from "../../../src/lib/train/cpu/conv1d.ts";
import { ropeBackward, ropeForward } from "../../../src/lib/train/cpu/rope.ts";
import { bits, rand, relErr, useBackends } from "./helpers.ts";

const backends = useBackends();
let one: CpuBackend, two: CpuBackend;
beforeAll(() => ({ one, two } = backends));

describe("WebAssembly conv1d (Mamba)", () => {
  for (const [B, T, DI, K] of [[2, 9, 70, 4], [1, 300, 1536, 4], [1, 2, 5, 4]] as [number, number, number, number][]) {
    it(`B=${B} T=${T} DI=${DI} K=${K}: forward and backward match the reference`, () => {
      const rng = new Rng(T * DI);
      const x = rand(B * T * DI, rng), w = rand(DI * K, rng), bias = rand(DI, rng), dout = rand(B * T * DI, rng);
      const dx0 = rand(B * T * DI, rng), dw0 = rand(DI * K, rng), db0 = rand(DI, rng);
      const ref = { out: new Float32Array(B * T * DI), dx: dx0.slice(), dw: dw0.slice(), db: db0.slice() };
      conv1dForward(ref.out, x, w, bias, B, T, DI, K, null);
      conv1dBackward(ref.dx, ref.dw, ref.db, dout, x, w, bias, B, T, DI, K);
      const [a, b] = [one, two].map((be) => {
        const r = { out: be.alloc(B * T * DI), dx: be.upload(dx0), dw: be.upload(dw0), db: be.upload(db0) };
        const [xb, wb, bb] = [be.upload(x), be.upload(w), be.upload(bias)];
        be.conv1dForward(r.out, xb, wb, bb, B, T, DI, K);
        be.conv1dBackward(r.dx, r.dw, r.db, be.upload(dout), xb, wb, bb, B, T, DI, K);
        return r;
      }) as [typeof ref, typeof ref];
      for (const k of ["out", "dx", "dw", "db"] as const) {
        expect(relErr(a[k], ref[k]), k).toBeLessThan(1e-6);
        expect(bits(b[k]), k).toEqual(bits(a[k]));
      }
      if (B === 1) {
        const whole = one.alloc(T * DI), halves = one.alloc(T * DI), state = one.alloc((K - 1) * DI);
        const [wb, bb] = [one.upload(w), one.upload(bias)];
        one.conv1dForward(whole, one.upload(x), wb, bb, 1, T, DI, K);
        const h = Math.max(1, Math.floor(T / 2));
        one.conv1dForward(halves.subarray(0, h * DI), one.upload(x.subarray(0, h * DI)), wb, bb, 1, h, DI, K, state);
        one.conv1dForward(halves.subarray(h * DI), one.upload(x.subarray(h * DI)), wb, bb, 1, T - h, DI, K, state);
        expect(bits(halves)).toEqual(bits(whole));
      }
    });
  }
});

describe("WebAssembly RoPE", () => {
  for (const [N, NH, HS] of [[37, 9, 64], [3, 2, 6]] as [number, number, number][]) {
    it(`N=${N} NH=${NH} HS=${HS}: forward and backward (in place) match the reference`, () => {
      const rng = new Rng(N + HS);
      const x = rand(N * NH * HS, rng), inv = Float32Array.from({ length: HS / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / HS));
      const pos = Int32Array.from({ length: N }, (_, n) => 5 + 97 * n);
      const ref = { f: new Float32Array(N * NH * HS), b: x.slice() };
      ropeForward(ref.f, x, inv, pos, N, NH, HS);
      ropeBackward(ref.b, ref.b, inv, pos, N, NH, HS);
      const [a, b] = [one, two].map((be) => {
        const f = be.alloc(N * NH * HS), back = be.upload(x), [ib, pb] = [be.upload(inv), be.uploadIds(pos)];
        be.ropeForward(f, be.upload(x), ib, pb, N, NH, HS);
        be.ropeBackward(back, back, ib, pb, N, NH, HS);
        return { f, b: back };
      }) as [typeof ref, typeof ref];
      for (const k of ["f", "b"] as const) {
        expect(relErr(a[k], ref[k]), k).toBeLessThan(1e-6);
        expect(bits(b[k]), k).toEqual(bits(a[k]));
      }
    });
  }
});
