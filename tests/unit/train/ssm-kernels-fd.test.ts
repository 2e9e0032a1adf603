// Mamba's conv1d and selective-scan kernels: backward against float64 central differences (through chunk
// boundaries of the scan), and the inference state: running a sequence in pieces equals running it at once.

import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { SCAN_CHUNK, scanChunks, type ScanDims } from "../../../src/lib/train/backend.ts";
import { conv1dBackward, conv1dForward } from "../../../src/lib/train/cpu/conv1d.ts";
import { scanBackward, scanForward } from "../../../src/lib/train/cpu/scan.ts";
import { dot, fdError, rand64 } from "./fd.ts";

const TOL = 1e-6;

describe("conv1d (causal depthwise, SiLU)", () => {
  const B = 2, T = 7, DI = 5, K = 4;
  const rng = new Rng(11);
  const x = rand64(B * T * DI, rng);
  const w = rand64(DI * K, rng);
  const bias = rand64(DI, rng);
  const R = rand64(B * T * DI, rng);
  const loss = () => {
    const out = new Float64Array(B * T * DI);
    conv1dForward(out, x, w, bias, B, T, DI, K, null);
    return dot(out, R);
  };

  it("backward matches finite differences for x, weight and bias", () => {
    const dx = new Float64Array(x.length), dw = new Float64Array(w.length), db = new Float64Array(DI);
    conv1dBackward(dx, dw, db, R, x, w, bias, B, T, DI, K);
    expect(fdError(x, dx, loss)).toBeLessThan(TOL);
    expect(fdError(w, dw, loss)).toBeLessThan(TOL);
    expect(fdError(bias, db, loss)).toBeLessThan(TOL);
  });

  it("is causal and matches the sum written out for one output", () => {
    const out = new Float64Array(B * T * DI);
    conv1dForward(out, x, w, bias, B, T, DI, K, null);
    const b = 1, t = 5, c = 2;
    let pre = bias[c]!;
    for (let k = 0; k < K; k++) pre += w[c * K + k]! * x[(b * T + t - K + 1 + k) * DI + c]!;
    expect(out[(b * T + t) * DI + c]).toBeCloseTo(pre / (1 + Math.exp(-pre)), 12);
  });

  it("run in pieces with a state equals one run", () => {
    const xs = x.subarray(0, T * DI); // batch 0
    const whole = new Float64Array(T * DI);
    conv1dForward(whole, xs, w, bias, 1, T, DI, K, null);
    const state = new Float64Array((K - 1) * DI);
    const parts = new Float64Array(T * DI);
    for (const [a, e] of [[0, 2], [2, 3], [3, 7]] as const) {
      conv1dForward(parts.subarray(a * DI, e * DI), xs.subarray(a * DI, e * DI), w, bias, 1, e - a, DI, K, state);
    }
    for (let i = 0; i < whole.length; i++) expect(parts[i]).toBeCloseTo(whole[i]!, 12);
  });
});

describe("selective scan", () => {
  const d: ScanDims = { B: 2, T: SCAN_CHUNK + 9, DI: 3, DS: 4 }; // two chunks, the second partial
  const N = d.B * d.T;
  const rng = new Rng(12);
  const u = rand64(N * d.DI, rng);
  const dt = rand64(N * d.DI, rng, 2);
  dt[5] = 25; // past softplus's threshold: delta = dt
  const Alog = rand64(d.DI * d.DS, rng);
  const Bm = rand64(N * d.DS, rng);
  const Cm = rand64(N * d.DS, rng);
  const D = rand64(d.DI, rng);
  const R = rand64(N * d.DI, rng);
  const run = (hs: Float64Array | null) => {
    const y = new Float64Array(N * d.DI);
    scanForward(y, hs, u, dt, Alog, Bm, Cm, D, d, null);
    return y;
  };
  const loss = () => dot(run(null), R);

  it("backward matches finite differences for every input", () => {
    const hs = new Float64Array(d.B * scanChunks(d.T) * d.DI * d.DS);
    run(hs);
    const g = {
      du: new Float64Array(u.length), ddt: new Float64Array(dt.length), dAlog: new Float64Array(Alog.length),
      dBm: new Float64Array(Bm.length), dCm: new Float64Array(Cm.length), dD: new Float64Array(D.length),
    };
    scanBackward(g.du, g.ddt, g.dAlog, g.dBm, g.dCm, g.dD, R, u, dt, Alog, Bm, Cm, D, hs, d);
    expect(fdError(u, g.du, loss, 1e-5, 200)).toBeLessThan(TOL);
    expect(fdError(dt, g.ddt, loss, 1e-5, 200)).toBeLessThan(TOL);
    expect(fdError(Alog, g.dAlog, loss)).toBeLessThan(TOL);
    expect(fdError(Bm, g.dBm, loss, 1e-5, 200)).toBeLessThan(TOL);
    expect(fdError(Cm, g.dCm, loss, 1e-5, 200)).toBeLessThan(TOL);
    expect(fdError(D, g.dD, loss)).toBeLessThan(TOL);
    expect(Math.max(...g.ddt.map(Math.abs))).toBeGreaterThan(0.01); // the check is not vacuous
  });

  it("matches the recurrence written out for one channel", () => {
    const y = run(null);
    const b = 1, c = 2;
    const h = new Float64Array(d.DS);
    for (let t = 0; t < d.T; t++) {
      const i = (b * d.T + t) * d.DI + c;
      const delta = dt[i]! > 20 ? dt[i]! : Math.log(1 + Math.exp(dt[i]!));
      let want = D[c]! * u[i]!;
      for (let s = 0; s < d.DS; s++) {
        const A = -Math.exp(Alog[c * d.DS + s]!);
        h[s] = Math.exp(delta * A) * h[s]! + delta * Bm[(b * d.T + t) * d.DS + s]! * u[i]!;
        want += h[s]! * Cm[(b * d.T + t) * d.DS + s]!;
      }
      expect(y[i]).toBeCloseTo(want, 12);
    }
  });

  it("run in pieces with a state equals one run", () => {
    const one: ScanDims = { ...d, B: 1 };
    const whole = new Float64Array(d.T * d.DI);
    scanForward(whole, null, u, dt, Alog, Bm, Cm, D, one, null);
    const state = new Float64Array(d.DI * d.DS);
    const parts = new Float64Array(d.T * d.DI);
    for (const [a, e] of [[0, 1], [1, 40], [40, d.T]] as const) {
      const sl = (arr: Float64Array, w: number) => arr.subarray(a * w, e * w);
      scanForward(sl(parts, d.DI), null, sl(u, d.DI), sl(dt, d.DI), Alog, sl(Bm, d.DS), sl(Cm, d.DS), D, { ...one, T: e - a }, state);
    }
    for (let i = 0; i < whole.length; i++) expect(parts[i]).toBeCloseTo(whole[i]!, 12);
  });
});
