// Every backward kernel of the CPU backend against central finite differences in float64, on odd sizes.

import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { attentionBackward, attentionForward } from "../../../src/lib/train/cpu/attention.ts";
import { classifierBackward, classifierForward, VOCAB_CHUNK } from "../../../src/lib/train/cpu/classifier.ts";
import { embeddingBackward, embeddingForward } from "../../../src/lib/train/cpu/embedding.ts";
import { matmulBackward, matmulForward } from "../../../src/lib/train/cpu/matmul.ts";
import { rmsnormBackward, rmsnormForward } from "../../../src/lib/train/cpu/rmsnorm.ts";
import { ropeBackward, ropeForward } from "../../../src/lib/train/cpu/rope.ts";
import { swigluBackward, swigluForward } from "../../../src/lib/train/cpu/swiglu.ts";
import { dot, fdError, rand64 } from "./fd.ts";

const TOL = 1e-7;

describe("backward kernels match float64 finite differences", () => {
  it("rmsnorm: dinp, dweight", () => {
    const rng = new Rng(1);
    const [N, C] = [5, 7];
    const inp = rand64(N * C, rng), w = rand64(C, rng), R = rand64(N * C, rng);
    const out = new Float64Array(N * C), rstd = new Float64Array(N);
    const L = () => (rmsnormForward(out, rstd, inp, w, N, C, 1e-5), dot(out, R));
    L();
    const dinp = new Float64Array(N * C), dw = new Float64Array(C);
    rmsnormBackward(dinp, dw, R, inp, w, rstd, N, C);
    expect(fdError(inp, dinp, L)).toBeLessThan(TOL);
    expect(fdError(w, dw, L)).toBeLessThan(TOL);
  });

  it("matmul with bias and scale: dinp, dweight, dbias", () => {
    const rng = new Rng(2);
    const [N, IC, OC] = [7, 5, 6]; // N not a multiple of the 4-row block
    const inp = rand64(N * IC, rng), w = rand64(OC * IC, rng), b = rand64(OC, rng), R = rand64(N * OC, rng);
    const out = new Float64Array(N * OC);
    const L = () => (matmulForward(out, inp, w, b, N, IC, OC, 1.7), dot(out, R));
    const dinp = new Float64Array(N * IC), dw = new Float64Array(OC * IC), db = new Float64Array(OC);
    matmulBackward(dinp, dw, db, R, inp, w, N, IC, OC, 1.7);
    expect(fdError(inp, dinp, L)).toBeLessThan(TOL);
    expect(fdError(w, dw, L)).toBeLessThan(TOL);
    expect(fdError(b, db, L)).toBeLessThan(TOL);
  });

  it("embedding: dwte (repeated ids accumulate)", () => {
    const rng = new Rng(3);
    const [V, C, N] = [9, 4, 6];
    const wte = rand64(V * C, rng), R = rand64(N * C, rng), ids = Int32Array.from([3, 1, 3, 8, 0, 3]);
    const out = new Float64Array(N * C);
    const L = () => (embeddingForward(out, ids, wte, N, C), dot(out, R));
    const dwte = new Float64Array(V * C);
    embeddingBackward(dwte, R, ids, N, C);
    expect(fdError(wte, dwte, L, 1e-5, 1000)).toBeLessThan(TOL);
  });

  it("rope: dinp", () => {
    const rng = new Rng(4);
    const [N, NH, HS] = [5, 3, 8];
    const inp = rand64(N * NH * HS, rng), R = rand64(N * NH * HS, rng);
    const inv = Float64Array.from({ length: HS / 2 }, (_, i) => 1 / Math.pow(10000, (2 * i) / HS));
    const pos = Int32Array.from([0, 1, 7, 30, 2]);
    const out = new Float64Array(N * NH * HS);
    const L = () => (ropeForward(out, inp, inv, pos, N, NH, HS), dot(out, R));
    const dinp = new Float64Array(N * NH * HS);
    ropeBackward(dinp, R, inv, pos, N, NH, HS);
    expect(fdError(inp, dinp, L)).toBeLessThan(TOL);
  });

  for (const [NH, NKV] of [[4, 4], [4, 2], [4, 1]] as const) {
    for (const [Tq, Tk] of [[5, 5], [2, 6]] as const) {
      it(`attention GQA ${NH}/${NKV}, Tq ${Tq} Tk ${Tk}: dq, dk, dv`, () => {
        const rng = new Rng(5 + NKV);
        const B = 2, HS = 6, kvStride = Tk + 1; // a cache row left unused
        const d = { B, Tq, Tk, kvStride, NH, NKV, HS };
        const q = rand64(B * Tq * NH * HS, rng), k = rand64(B * kvStride * NKV * HS, rng), v = rand64(B * kvStride * NKV * HS, rng);
        const R = rand64(B * Tq * NH * HS, rng);
        const out = new Float64Array(q.length), lse = new Float64Array(B * NH * Tq);
        const L = () => (attentionForward(out, lse, q, k, v, d), dot(out, R));
        L();
        const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length);
        attentionBackward(dq, dk, dv, R, q, k, v, out, lse, d);
        expect(fdError(q, dq, L)).toBeLessThan(TOL);
        expect(fdError(k, dk, L)).toBeLessThan(TOL);
        expect(fdError(v, dv, L)).toBeLessThan(TOL);
      });
    }
  }

  it("swiglu: dgate, dup", () => {
    const rng = new Rng(6);
    const n = 11;
    const g = rand64(n, rng, 3), u = rand64(n, rng), R = rand64(n, rng);
    const out = new Float64Array(n);
    const L = () => (swigluForward(out, g, u, n), dot(out, R));
    const dg = new Float64Array(n), du = new Float64Array(n);
    swigluBackward(dg, du, R, g, u, n);
    expect(fdError(g, dg, L)).toBeLessThan(TOL);
    expect(fdError(u, du, L)).toBeLessThan(TOL);
  });

  it("fused classifier + cross-entropy over several vocabulary chunks: dh, dwte", () => {
    const rng = new Rng(7);
    const [N, C, V] = [4, 5, VOCAB_CHUNK * 2 + 37];
    const h = rand64(N * C, rng), wte = rand64(V * C, rng);
    const targets = Int32Array.from([3, -1, V - 1, VOCAB_CHUNK + 5]);
    const losses = new Float64Array(N), lse = new Float64Array(N);
    const dloss = 0.37;
    const L = () => {
      classifierForward(losses, lse, h, wte, targets, N, C, V);
      return dloss * losses.reduce((a, b) => a + b, 0);
    };
    L();
    const dh = new Float64Array(N * C), dw = new Float64Array(V * C);
    classifierBackward(dh, dw, h, wte, targets, lse, dloss, N, C, V);
    expect(fdError(h, dh, L)).toBeLessThan(TOL);
    expect(fdError(wte, dw, L, 1e-5, 200)).toBeLessThan(TOL);
    expect(losses[1]).toBe(0);
  });
});
