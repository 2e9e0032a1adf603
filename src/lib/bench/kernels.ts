// The kernels the benchmark suite times, on a preset's shapes: each case names its shape, counts its floating-point
// operations (a multiply-add is 2) and prepares random inputs on a backend. Counts are of the math, not of what a
// kernel happens to do: attention counts the (query, key) pairs a causal mask keeps; backward passes count the
// logits or scores they recompute. Not here: the timing (suite.ts).

import { Rng } from "../fim/prng.ts";
import type { AttentionDims, Backend } from "../train/backend.ts";
import type { TransformerDims } from "../train/model.ts";
import { fillUniform } from "../train/random-model.ts";

export interface PreparedKernel<T> {
  /** One call of the kernel (enqueued; the backend runs it by the next read). */
  run(): void;
  /** A buffer the kernel writes: reading it waits for every call before. */
  out: T;
  free(): void;
}

export interface KernelCase {
  name: string;
  /** The sizes in the backend's shape legend, e.g. { N: 64, IC: 128, OC: 384 }. */
  dims: Record<string, number>;
  flops: number;
  prepare<T, I>(be: Backend<T, I>, rng: Rng): PreparedKernel<T>;
}

/** Query-key pairs a causal mask keeps for B sequences of T tokens and NH heads: each row t sees t + 1 keys. */
export const causalPairs = (B: number, T: number, NH: number) => (B * NH * T * (T + 1)) / 2;

/** Buffers of one case, freed together. */
function arena<T, I>(be: Backend<T, I>, rng: Rng) {
  const bufs: (T | I)[] = [];
  const keep = <B extends T | I>(b: B) => (bufs.push(b), b);
  return {
    rand: (n: number, std = 1) => keep(be.upload(fillUniform(new Float32Array(n), rng, std))),
    ids: (n: number, max: number) => keep(be.uploadIds(Int32Array.from({ length: n }, () => Math.floor(rng.next() * max)))),
    free: () => bufs.forEach((b) => be.free(b)),
  };
}

function matmulFwd(name: string, N: number, IC: number, OC: number): KernelCase {
  return {
    name, dims: { N, IC, OC }, flops: 2 * N * IC * OC,
    prepare(be, rng) {
      const a = arena(be, rng);
      const inp = a.rand(N * IC), w = a.rand(OC * IC, 0.02), out = a.rand(N * OC);
      return { run: () => be.matmulForward(out, inp, w, null, N, IC, OC), out, free: a.free };
    },
  };
}

function matmulBwd(name: string, N: number, IC: number, OC: number, dweight: boolean): KernelCase {
  return {
    name, dims: { N, IC, OC }, flops: (dweight ? 4 : 2) * N * IC * OC,
    prepare(be, rng) {
      const a = arena(be, rng);
      const dout = a.rand(N * OC, 1e-3), inp = a.rand(N * IC), w = a.rand(OC * IC, 0.02), dinp = a.rand(N * IC);
      const dw = dweight ? a.rand(OC * IC) : null;
      return { run: () => be.matmulBackward(dinp, dw, null, dout, inp, w, N, IC, OC), out: dinp, free: a.free };
    },
  };
}

function logits(name: string, N: number, C: number, V: number): KernelCase {
  return {
    name, dims: { N, C, V }, flops: 2 * N * C * V,
    prepare(be, rng) {
      const a = arena(be, rng);
      const h = a.rand(N * C), wte = a.rand(V * C, 0.02), out = a.rand(N * V);
      return { run: () => be.logits(out, h, wte, N, C, V), out, free: a.free };
    },
  };
}

function attention(backward: boolean, ad: AttentionDims): KernelCase {
  const { B, Tq: T, NH, NKV, HS } = ad;
  // forward: q.k and p*v per pair; backward: q.k again, dout.v, and the three products into dq, dk, dv
  return {
    name: `attention ${backward ? "bwd" : "fwd"}`, dims: { B, T, NH, NKV, HS }, flops: causalPairs(B, T, NH) * (backward ? 10 : 4) * HS,
    prepare(be, rng) {
      const a = arena(be, rng);
      const q = a.rand(B * T * NH * HS), k = a.rand(B * T * NKV * HS), v = a.rand(B * T * NKV * HS);
      const out = a.rand(B * T * NH * HS), lse = a.rand(B * NH * T);
      be.attentionForward(out, lse, q, k, v, ad);
      if (!backward) return { run: () => be.attentionForward(out, lse, q, k, v, ad), out, free: a.free };
      const dout = a.rand(B * T * NH * HS, 1e-3), dq = a.rand(B * T * NH * HS), dk = a.rand(B * T * NKV * HS), dv = a.rand(B * T * NKV * HS);
      return { run: () => be.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, ad), out: dq, free: a.free };
    },
  };
}

function classifier(backward: boolean, N: number, C: number, V: number): KernelCase {
  // forward: the logits; backward (dh only, as LoRA trains): the logits again and dh = (p - y) wte
  return {
    name: `classifier ${backward ? "bwd (dh)" : "fwd"} (lm_head + cross-entropy)`, dims: { N, C, V }, flops: (backward ? 4 : 2) * N * C * V,
    prepare(be, rng) {
      const a = arena(be, rng);
      const h = a.rand(N * C), wte = a.rand(V * C, 0.02), targets = a.ids(N, V), losses = a.rand(N), lse = a.rand(N);
      be.classifierForward(losses, lse, h, wte, targets, N, C, V);
      if (!backward) return { run: () => be.classifierForward(losses, lse, h, wte, targets, N, C, V), out: losses, free: a.free };
      const dh = a.rand(N * C);
      return { run: () => be.classifierBackward(dh, null, h, wte, targets, lse, 1 / N, N, C, V), out: dh, free: a.free };
    },
  };
}

/** The cases for a model of dims `d` trained on B sequences of T tokens (N = B*T rows), decoding one token. */
export function kernelCases(d: TransformerDims, B: number, T: number): KernelCase[] {
  const N = B * T;
  const ad: AttentionDims = { B, Tq: T, Tk: T, kvStride: T, NH: d.NH, NKV: d.NKV, HS: d.HS };
  return [
    matmulFwd("matmul fwd (gate/up_proj)", N, d.C, d.H),
    matmulFwd("matmul fwd (down_proj)", N, d.H, d.C),
    matmulBwd("matmul bwd dinp (gate/up_proj)", N, d.C, d.H, false),
    matmulBwd("matmul bwd dinp + dweight (gate/up_proj)", N, d.C, d.H, true),
    matmulFwd("matmul decode (gate/up_proj)", 1, d.C, d.H),
    logits("lm_head logits, decode", 1, d.C, d.V),
    attention(false, ad),
    attention(true, ad),
    classifier(false, N, d.C, d.V),
    classifier(true, N, d.C, d.V),
  ];
}
