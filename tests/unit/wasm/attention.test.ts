// The WebAssembly attention kernels (wasm/kernels/attention.ts through the CPU backend) against the TypeScript
// reference (src/lib/train/cpu/attention.ts): training shapes (Tq = Tk), a cached decode (Tq < Tk, a KV cache with
// spare rows), head sizes that are and are not a multiple of 16 (and one not a multiple of 4, where TypeScript runs),
// gradients added into non-zero buffers; and the same bits on 1 and 2 threads.

import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import type { AttentionDims } from "../../../src/lib/train/backend.ts";
import { attentionBackward, attentionForward } from "../../../src/lib/train/cpu/attention.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { causalRanges, dealBlocks, keyBlock } from "../../../src/lib/train/wasm/ops.ts";
import { bits, rand, relErr, useBackends } from "./helpers.ts";


const backends = useBackends();
let one: CpuBackend, two: CpuBackend;
beforeAll(() => ({ one, two } = backends));

const cases: AttentionDims[] = [
  { B: 2, Tq: 13, Tk: 13, kvStride: 13, NH: 6, NKV: 2, HS: 12 },
  { B: 1, Tq: 40, Tk: 40, kvStride: 40, NH: 4, NKV: 4, HS: 64 },
  { B: 1, Tq: 3, Tk: 29, kvStride: 35, NH: 6, NKV: 3, HS: 20 },
  { B: 1, Tq: 1, Tk: 50, kvStride: 64, NH: 9, NKV: 3, HS: 64 },
  { B: 2, Tq: 9, Tk: 9, kvStride: 9, NH: 4, NKV: 2, HS: 6 },
  { B: 1, Tq: 300, Tk: 300, kvStride: 300, NH: 4, NKV: 2, HS: 16 }, // five key blocks in the backward, the last partial
  { B: 2, Tq: 2, Tk: 600, kvStride: 610, NH: 3, NKV: 1, HS: 8 }, // five, rows that see all of them
];

describe("WebAssembly attention", () => {
  for (const d of cases) {
    it(`B=${d.B} Tq=${d.Tq} Tk=${d.Tk} kvStride=${d.kvStride} NH=${d.NH} NKV=${d.NKV} HS=${d.HS}`, () => {
      const rng = new Rng(d.Tq * 100 + d.Tk + d.HS);
      const nq = d.B * d.Tq * d.NH * d.HS, nkv = d.B * d.kvStride * d.NKV * d.HS, nl = d.B * d.NH * d.Tq;
      const q = rand(nq, rng), k = rand(nkv, rng), v = rand(nkv, rng), dout = rand(nq, rng);
      const dq0 = rand(nq, rng), dk0 = rand(nkv, rng), dv0 = rand(nkv, rng);
      const ref = { out: new Float32Array(nq), lse: new Float32Array(nl), dq: dq0.slice(), dk: dk0.slice(), dv: dv0.slice() };
      attentionForward(ref.out, ref.lse, q, k, v, d);
      attentionBackward(ref.dq, ref.dk, ref.dv, dout, q, k, v, ref.out, ref.lse, d);
      const [a, b] = [one, two].map((be) => {
        const out = be.alloc(nq), lse = be.alloc(nl), dq = be.upload(dq0), dk = be.upload(dk0), dv = be.upload(dv0);
        const [qb, kb, vb] = [be.upload(q), be.upload(k), be.upload(v)];
        be.attentionForward(out, lse, qb, kb, vb, d);
        be.attentionBackward(dq, dk, dv, be.upload(dout), qb, kb, vb, out, lse, d);
        return { out, lse, dq, dk, dv };
      }) as [typeof ref, typeof ref];
      for (const key of ["out", "lse", "dq", "dk", "dv"] as const) {
        expect(relErr(a[key], ref[key]), key).toBeLessThan(1e-5);
        expect(bits(b[key]), key).toEqual(bits(a[key]));
      }
    });
  }
});

describe("causalRanges (the forward's split of query rows)", () => {
  for (const [Tq, Tk, parts] of [[128, 128, 2], [37, 37, 3], [5, 300, 2], [1, 9, 2], [3, 3, 8]] as [number, number, number][]) {
    it(`Tq=${Tq} Tk=${Tk} into ${parts}: contiguous, covering, each share within one row of an equal cut`, () => {
      const r = causalRanges(Tq, Tk, parts);
      expect(r[0]![0]).toBe(0);
      expect(r.at(-1)![1]).toBe(Tq);
      r.slice(1).forEach(([a], i) => expect(a).toBe(r[i]![1]));
      expect(r.length).toBeLessThanOrEqual(parts);
      const cost = ([a, z]: [number, number]) => { let c = 0; for (let t = a; t < z; t++) c += Tk - Tq + t + 1; return c; };
      const total = cost([0, Tq]);
      if (r.length === parts) for (const x of r) expect(Math.abs(cost(x) - total / parts)).toBeLessThanOrEqual(Tk);
    });
  }
});

describe("dealBlocks (the backward's key blocks to threads)", () => {
  it("every block to exactly one thread, the causal work balanced within the largest block's", () => {
    for (const [Tq, Tk, threads] of [[1024, 1024, 2], [300, 300, 2], [1, 2048, 2], [1024, 1024, 3], [100, 100, 4], [256, 256, 2], [4096, 4096, 2]] as [number, number, number][]) {
      const kb = keyBlock(Tk), blocks = Math.ceil(Tk / kb);
      expect(blocks).toBeLessThanOrEqual(8);
      if (Tk >= 256) expect(blocks).toBeGreaterThanOrEqual(4);
      const lists = dealBlocks(Tq, Tk, kb, threads);
      expect(lists.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: blocks }, (_, b) => b));
      const work = (b: number) => { let w = 0; for (let j = b * kb; j < Math.min(Tk, (b + 1) * kb); j++) w += Math.max(0, Math.min(Tq, Tk - j)); return w; };
      const loads = lists.map((l) => l.reduce((a, b) => a + work(b), 0));
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(Math.max(...Array.from({ length: blocks }, (_, b) => work(b))));
    }
  });
});
