// The WebAssembly matmuls (wasm/kernels/gemm.ts through the CPU backend): forward, dinp, dweight and dbias against
// float64 loops, on odd sizes that exercise every block and tail (rows not a multiple of 2 or 4, columns not a
// multiple of 4 or 8, k not a multiple of 4), and the same bits on 1 and 2 threads.

import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { scanForward } from "../../../src/lib/train/cpu/scan.ts";
import { loraStepAndDecode } from "../train/tiny-model.ts";
import { bits, rand, relErr, useBackends } from "./helpers.ts";

function forward64(out: Float64Array, inp: Float32Array, w: Float32Array, b: Float32Array | null, N: number, IC: number, OC: number, scale: number, acc: boolean) {
  for (let n = 0; n < N; n++) for (let o = 0; o < OC; o++) {
    let s = 0;
    for (let i = 0; i < IC; i++) s += inp[n * IC + i]! * w[o * IC + i]!;
    const v = scale * s + (b ? b[o]! : 0);
    out[n * OC + o] = acc ? out[n * OC + o]! + v : v;
  }
}

const backends = useBackends();
let one: CpuBackend, two: CpuBackend;
beforeAll(() => ({ one, two } = backends));

describe("WebAssembly matmuls", () => {
  it("run on the heap (the backend has kernels and its buffers are heap views)", () => {
    expect(one.wasm).not.toBeNull();
    expect(one.wasm!.heap.owns(one.alloc(3))).toBe(true);
  });

  const shapes: [number, number, number][] = [[1, 7, 5], [1, 577, 401], [2, 4, 4], [3, 9, 13], [37, 83, 71], [64, 128, 96], [5, 1, 9]];
  for (const [N, IC, OC] of shapes) {
    for (const [scale, accumulate, bias] of [[1, false, false], [0.5, true, true]] as const) {
      it(`forward N=${N} IC=${IC} OC=${OC} scale=${scale} accumulate=${accumulate} bias=${bias}`, () => {
        const rng = new Rng(N * 1000 + IC + OC);
        const inp = rand(N * IC, rng), w = rand(OC * IC, rng), b = bias ? rand(OC, rng) : null, out0 = rand(N * OC, rng);
        const ref = Float64Array.from(out0);
        forward64(ref, inp, w, b, N, IC, OC, scale, accumulate);
        const results = [one, two].map((be) => {
          const out = be.upload(out0);
          be.matmulForward(out, be.upload(inp), be.upload(w), b && be.upload(b), N, IC, OC, { scale, accumulate });
          return out;
        });
        expect(relErr(results[0]!, ref)).toBeLessThan(1e-5);
        expect(bits(results[1]!)).toEqual(bits(results[0]!));
      });
    }
  }

  for (const [N, IC, OC] of [[1, 5, 3], [37, 83, 71], [6, 130, 33]] as [number, number, number][]) {
    for (const which of ["all", "dinp", "dweight"] as const) {
      it(`backward (${which}) N=${N} IC=${IC} OC=${OC}, scale 1.7, adding into non-zero gradients`, () => {
        const rng = new Rng(N + IC * 7 + OC);
        const dout = rand(N * OC, rng), inp = rand(N * IC, rng), w = rand(OC * IC, rng);
        const dinp0 = rand(N * IC, rng), dw0 = rand(OC * IC, rng), db0 = rand(OC, rng);
        const scale = 1.7;
        const dinpRef = Float64Array.from(dinp0), dwRef = Float64Array.from(dw0), dbRef = Float64Array.from(db0);
        for (let n = 0; n < N; n++) for (let o = 0; o < OC; o++) {
          const g = dout[n * OC + o]!;
          dbRef[o] = dbRef[o]! + g;
          for (let i = 0; i < IC; i++) {
            dinpRef[n * IC + i] = dinpRef[n * IC + i]! + scale * g * w[o * IC + i]!;
            dwRef[o * IC + i] = dwRef[o * IC + i]! + scale * g * inp[n * IC + i]!;
          }
        }
        const results = [one, two].map((be) => {
          const dinp = which !== "dweight" ? be.upload(dinp0) : null;
          const dw = which !== "dinp" ? be.upload(dw0) : null;
          const db = which === "all" ? be.upload(db0) : null;
          be.matmulBackward(dinp, dw, db, be.upload(dout), be.upload(inp), be.upload(w), N, IC, OC, scale);
          return { dinp, dw, db };
        });
        const [r1, r2] = results as [(typeof results)[0], (typeof results)[0]];
        if (r1.dinp) {
          expect(relErr(r1.dinp, dinpRef)).toBeLessThan(1e-5);
          expect(bits(r2.dinp!)).toEqual(bits(r1.dinp));
        }
        if (r1.dw) {
          expect(relErr(r1.dw, dwRef)).toBeLessThan(1e-5);
          expect(bits(r2.dw!)).toEqual(bits(r1.dw));
        }
        if (r1.db) expect(relErr(r1.db, dbRef)).toBeLessThan(1e-5);
      });
    }
  }

  it("large enough calls really go to the pool's worker, after the first through its mailbox", () => {
    const before = two.pool!.dispatched, mailed = two.pool!.mailed;
    const [N, IC, OC] = [64, 128, 96];
    for (let i = 0; i < 3; i++) two.matmulForward(two.alloc(N * OC), two.alloc(N * IC), two.alloc(OC * IC), null, N, IC, OC);
    expect(two.pool!.dispatched).toBeGreaterThan(before);
    expect(two.pool!.mailed).toBeGreaterThan(mailed);
  });

  it("a TypeScript task right after WebAssembly ones (the worker parked on its mailbox) still runs, and right", () => {
    // buffers on plain SharedArrayBuffers (not the heap): the pool runs the TypeScript scan, as a message to the worker
    const d = { B: 1, T: 200, DI: 128, DS: 16 }; // big enough for the pool
    const rng = new Rng(3);
    const [u, dt, Bm, Cm] = [rand(d.T * d.DI, rng), rand(d.T * d.DI, rng), rand(d.T * d.DS, rng), rand(d.T * d.DS, rng)];
    const Alog = rand(d.DI * d.DS, rng), D = rand(d.DI, rng);
    const ref = new Float32Array(d.T * d.DI);
    scanForward(ref, null, u, dt, Alog, Bm, Cm, D, d, null);
    const shared = (a: Float32Array) => {
      const s = new Float32Array(new SharedArrayBuffer(a.byteLength));
      s.set(a);
      return s;
    };
    const [N, IC, OC] = [64, 128, 96];
    for (let i = 0; i < 5; i++) {
      two.matmulForward(two.alloc(N * OC), two.alloc(N * IC), two.alloc(OC * IC), null, N, IC, OC); // leaves the worker parked
      const y = shared(new Float32Array(d.T * d.DI));
      const before = two.pool!.dispatched;
      two.scanForward(y, null, shared(u), shared(dt), shared(Alog), shared(Bm), shared(Cm), shared(D), d);
      expect(two.pool!.dispatched).toBeGreaterThan(before);
      expect(bits(y)).toEqual(bits(ref));
    }
  });
});

describe("a whole model on the WebAssembly kernels", () => {
  const run = loraStepAndDecode;

  it("threads 1 and 2 agree bit for bit, and both agree with the TypeScript kernels", async () => {
    const ts = await run(new CpuBackend("f32", { wasm: null }));
    const a = await run(one);
    const before = two.pool!.dispatched;
    const b = await run(two);
    expect(two.pool!.dispatched).toBeGreaterThan(before);
    expect(bits(b.losses)).toEqual(bits(a.losses));
    b.grads.forEach((g, i) => expect(bits(g)).toEqual(bits(a.grads[i]!)));
    b.logits.forEach((l, i) => expect(bits(l)).toEqual(bits(a.logits[i]!)));
    expect(relErr(a.losses, ts.losses)).toBeLessThan(1e-5);
    a.grads.forEach((g, i) => expect(relErr(g, ts.grads[i]!)).toBeLessThan(1e-4));
    a.logits.forEach((l, i) => expect(relErr(l, ts.logits[i]!)).toBeLessThan(1e-4));
  });
});
