// The CPU backend's thread pool (cpu/pool.ts): with threads 2 the split kernels must give exactly the bits of the
// single-threaded kernels (odd sizes that do not divide evenly, accumulate and scale, null gradient variants), a
// whole model must give identical losses, gradients and decoding logits, and dispose must end the workers.
// Sizes are chosen above MIN_PARALLEL_MACS, and each test checks that work really went to a worker.
// These are the TypeScript kernels' pool ({ wasm: null }); tests/unit/wasm/ checks the WebAssembly kernels' split.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { attentionBackward, attentionForward } from "../../../src/lib/train/cpu/attention.ts";
import { classifierBackward, classifierForward } from "../../../src/lib/train/cpu/classifier.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { matmulBackward, matmulForward } from "../../../src/lib/train/cpu/matmul.ts";
import { MIN_PARALLEL_MACS, ranges } from "../../../src/lib/train/cpu/pool.ts";
import { attachLora, defaultLora } from "../../../src/lib/train/lora.ts";
import { parseModelConfig } from "../../../src/lib/model/config.ts";
import { tinyMambaConfig, tinyMambaWeights } from "../../fixtures/tiny-mamba.ts";
import { loadModel } from "../../../src/lib/train/weights.ts";
import { fillBatch, loraStepAndDecode } from "./tiny-model.ts";

/** The exact bits of a float array (a copy, so shared and unshared arrays compare alike). */
const bits = (a: Float32Array | Float64Array) => Array.from(new Uint32Array(a.slice().buffer));

const rand = (n: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

let be: CpuBackend;
beforeAll(async () => {
  be = new CpuBackend("f32", { threads: 2, wasm: null });
  await be.ready();
});
afterAll(() => be.dispose());

/** Runs f and checks that it handed at least one range to a worker. */
function onWorkers(f: () => void): void {
  const before = be.pool!.dispatched;
  f();
  expect(be.pool!.dispatched).toBeGreaterThan(before);
}

describe("ranges", () => {
  it("covers [0, n) with aligned, ordered, possibly empty ranges", () => {
    expect(ranges(13, 2, 4)).toEqual([[0, 8], [8, 13]]);
    expect(ranges(1, 2, 1)).toEqual([[0, 1], [1, 1]]);
    expect(ranges(10, 3, 1)).toEqual([[0, 4], [4, 8], [8, 10]]);
  });
});

describe("threads 2: bit-identical to the single-threaded kernels", () => {
  it("is active, with two threads", () => {
    expect(be.threads).toBe(2);
    expect(be.alloc(4).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  // N = 37 rows split 20 + 17 (4-row blocks, then a tail of 1); N = 1 splits out-channels
  for (const [N, IC, OC] of [[37, 83, 71], [1, 577, 401]] as const) {
    for (const bias of [false, true]) {
      for (const [scale, accumulate] of [[1, false], [0.5, true]] as const) {
        it(`matmulForward N=${N} IC=${IC} OC=${OC} bias=${bias} scale=${scale} accumulate=${accumulate}`, () => {
          expect(N * IC * OC).toBeGreaterThanOrEqual(MIN_PARALLEL_MACS);
          const rng = new Rng(N + OC);
          const inp = rand(N * IC, rng), w = rand(OC * IC, rng), b = bias ? rand(OC, rng) : null, out0 = rand(N * OC, rng);
          const ref = out0.slice();
          matmulForward(ref, inp, w, b, N, IC, OC, scale, accumulate);
          const out = be.upload(out0);
          onWorkers(() => be.matmulForward(out, be.upload(inp), be.upload(w), b && be.upload(b), N, IC, OC, { scale, accumulate }));
          expect(bits(out)).toEqual(bits(ref));
        });
      }
    }
  }

  const [N, IC, OC] = [37, 83, 71];
  for (const [name, has] of [
    ["dinp, dweight, dbias", [true, true, true]],
    ["dinp only", [true, false, false]],
    ["dweight only", [false, true, false]],
    ["dweight and dbias", [false, true, true]],
  ] as const) {
    it(`matmulBackward ${name}, scale 1.7, adding into non-zero gradients`, () => {
      const rng = new Rng(7);
      const dout = rand(N * OC, rng), inp = rand(N * IC, rng), w = rand(OC * IC, rng);
      dout[5] = 0; // a zero gradient (a masked token) takes no special path
      const g0 = [rand(N * IC, rng), rand(OC * IC, rng), rand(OC, rng)];
      const ref = g0.map((g, i) => (has[i] ? g.slice() : null));
      matmulBackward(ref[0]!, ref[1]!, ref[2]!, dout, inp, w, N, IC, OC, 1.7);
      const got = g0.map((g, i) => (has[i] ? be.upload(g) : null));
      onWorkers(() => be.matmulBackward(got[0]!, got[1]!, got[2]!, be.upload(dout), be.upload(inp), be.upload(w), N, IC, OC, 1.7));
      for (let i = 0; i < 3; i++) if (has[i]) expect(bits(got[i]!)).toEqual(bits(ref[i]!));
    });
  }

  for (const full of [false, true]) {
    it(`fused lm_head + cross-entropy, forward and backward (rows split${full ? "; dwte: vocabulary chunks split" : ""})`, () => {
      const [N, C, V] = [9, 33, 1100];
      const rng = new Rng(8);
      const h = rand(N * C, rng), wte = rand(V * C, rng), dh0 = rand(N * C, rng), dw0 = rand(V * C, rng);
      const targets = Int32Array.from({ length: N }, (_, n) => (n === 4 ? -1 : (n * 131) % V));
      const losses = new Float32Array(N), lse = new Float32Array(N), dh = dh0.slice(), dw = full ? dw0.slice() : null;
      classifierForward(losses, lse, h, wte, targets, N, C, V);
      classifierBackward(dh, dw, h, wte, targets, lse, 0.3, N, C, V);
      const sh = be.upload(h), sw = be.upload(wte), st = be.uploadIds(targets);
      const gl = be.alloc(N), gs = be.alloc(N), gdh = be.upload(dh0), gdw = full ? be.upload(dw0) : null;
      onWorkers(() => be.classifierForward(gl, gs, sh, sw, st, N, C, V));
      onWorkers(() => be.classifierBackward(gdh, gdw, sh, sw, st, gs, 0.3, N, C, V));
      expect(bits(gl)).toEqual(bits(losses));
      expect(bits(gs)).toEqual(bits(lse));
      expect(bits(gdh)).toEqual(bits(dh));
      if (full) expect(bits(gdw!)).toEqual(bits(dw!));
    });
  }

  // training (Tq = Tk) and a cache (Tq < Tk <= kvStride); B * NKV groups of 3 and 4, split unevenly
  for (const d of [
    { B: 3, Tq: 37, Tk: 37, kvStride: 37, NH: 4, NKV: 1, HS: 16 },
    { B: 2, Tq: 9, Tk: 50, kvStride: 61, NH: 6, NKV: 2, HS: 24 },
  ]) {
    it(`attention forward and backward, B ${d.B} NKV ${d.NKV} Tq ${d.Tq} Tk ${d.Tk} (sequence x kv-head groups split)`, () => {
      const rng = new Rng(10);
      const nq = d.B * d.Tq * d.NH * d.HS, nkv = d.B * d.kvStride * d.NKV * d.HS;
      const q = rand(nq, rng), k = rand(nkv, rng), v = rand(nkv, rng), dout = rand(nq, rng);
      const g0 = [rand(nq, rng), rand(nkv, rng), rand(nkv, rng)];
      const out = new Float32Array(nq), lse = new Float32Array(d.B * d.NH * d.Tq), ref = g0.map((g) => g.slice());
      attentionForward(out, lse, q, k, v, d);
      attentionBackward(ref[0]!, ref[1]!, ref[2]!, dout, q, k, v, out, lse, d);
      const [sq, sk, sv] = [q, k, v].map((a) => be.upload(a));
      const gout = be.alloc(nq), glse = be.alloc(d.B * d.NH * d.Tq), got = g0.map((g) => be.upload(g));
      onWorkers(() => be.attentionForward(gout, glse, sq!, sk!, sv!, d));
      onWorkers(() => be.attentionBackward(got[0]!, got[1]!, got[2]!, be.upload(dout), sq!, sk!, sv!, gout, glse, d));
      expect(bits(gout)).toEqual(bits(out));
      expect(bits(glse)).toEqual(bits(lse));
      for (let i = 0; i < 3; i++) expect(bits(got[i]!)).toEqual(bits(ref[i]!));
    });
  }

  it("arrays not on a SharedArrayBuffer run inline, with the same result", () => {
    const rng = new Rng(9);
    const inp = rand(N * IC, rng), w = rand(OC * IC, rng), out = new Float32Array(N * OC), ref = new Float32Array(N * OC);
    const before = be.pool!.dispatched;
    be.matmulForward(out, inp, w, null, N, IC, OC);
    expect(be.pool!.dispatched).toBe(before);
    matmulForward(ref, inp, w, null, N, IC, OC);
    expect(bits(out)).toEqual(bits(ref));
  });

  // float64 also catches what float32's final rounding hides: a row that left its 4-row block adds the bias in
  // another order ((out + s) + b instead of out + (s + b))
  it("float64 buffers too (bias, scale, accumulate)", async () => {
    const be64 = new CpuBackend("f64", { threads: 2 });
    await be64.ready();
    const rng = new Rng(10);
    const [inp, w, b, out0] = [N * IC, OC * IC, OC, N * OC].map((n) => Float64Array.from(rand(n, rng)).map((x) => x * Math.PI));
    const ref = out0!.slice();
    matmulForward(ref, inp!, w!, b!, N, IC, OC, 0.25, true);
    const up = (a: Float64Array) => be64.upload(a as unknown as Float32Array);
    const out = up(out0!);
    be64.matmulForward(out, up(inp!), up(w!), up(b!), N, IC, OC, { scale: 0.25, accumulate: true });
    expect(out).toBeInstanceOf(Float64Array);
    expect(bits(out)).toEqual(bits(ref));
    expect(be64.pool!.dispatched).toBeGreaterThan(0);
    await be64.dispose();
  });
});

describe("a whole model: threads 1 and 2 agree exactly", () => {
  // every projection, the LoRA matmuls and the lm_head go to the pool (N = 48 tokens); the TypeScript kernels
  const run = (threads: number) => loraStepAndDecode(threads === 1 ? new CpuBackend("f32", { wasm: null }) : be);

  it("losses, LoRA gradients and decoding logits", async () => {
    const one = await run(1);
    const before = be.pool!.dispatched;
    const two = await run(2);
    expect(be.pool!.dispatched).toBeGreaterThan(before);
    expect(bits(two.losses)).toEqual(bits(one.losses));
    two.grads.forEach((g, i) => expect(bits(g)).toEqual(bits(one.grads[i]!)));
    two.logits.forEach((l, i) => expect(bits(l)).toEqual(bits(one.logits[i]!)));
  });
});

describe("a whole Mamba: threads 1 and 2 agree exactly", () => {
  // inner width 192 (three scan groups of 64, split 2 + 1), 40 tokens per sequence: the scan goes to the pool
  const opts = { dims: { hidden_size: 96, intermediate_size: 192, state_size: 16, time_step_rank: 6 }, weightScale: 2 };
  const config = parseModelConfig(tinyMambaConfig(opts));
  const weights = new Map(tinyMambaWeights(opts).map((t) => [t.name, t.data]));
  const seqs = [0, 1].map((b) => Array.from({ length: 40 }, (_, t) => (b * 97 + t * 31) % 500));
  const targets = seqs.map((s) => s.map((_, t) => (t % 5 === 0 ? -1 : s[(t + 1) % s.length]!)));

  async function run(threads: number) {
    const b = threads === 1 ? new CpuBackend("f32", { wasm: null }) : be;
    const model = await loadModel(b, config, async (n) => weights.get(n)!);
    const params = attachLora(b, model.w, { ...defaultLora(model), r: 8, alpha: 16 }, 1);
    for (const p of params) if (p.name.includes("lora_B")) p.buf.fill(0.01);
    const ws = model.workspace(2, 40, false);
    fillBatch(b, ws, seqs, targets);
    model.forward(ws);
    model.backward(ws, 1 / 60);
    const gen = model.decoder(64);
    const logits = [await gen.prompt(seqs[0]!.slice(0, 39)), await gen.append([5])];
    return { losses: (ws.losses as Float32Array).slice(), grads: params.map((p) => p.grad.slice()), logits };
  }

  it("losses, LoRA gradients and decoding logits", async () => {
    const one = await run(1);
    const before = be.pool!.dispatched;
    const two = await run(2);
    expect(be.pool!.dispatched).toBeGreaterThan(before);
    expect(bits(two.losses)).toEqual(bits(one.losses));
    two.grads.forEach((g, i) => expect(bits(g)).toEqual(bits(one.grads[i]!)));
    two.logits.forEach((l, i) => expect(bits(l)).toEqual(bits(one.logits[i]!)));
  });
});

describe("lifecycle", () => {
  it("threads 1 (the default) has no pool and plain buffers", () => {
    const one = new CpuBackend("f32", { wasm: null });
    expect(one.pool).toBeNull();
    expect(one.threads).toBe(1);
    expect(one.alloc(4).buffer).toBeInstanceOf(ArrayBuffer);
  });

  it("dispose terminates the workers; the backend then runs on one thread", async () => {
    const b = new CpuBackend("f32", { threads: 3, wasm: null });
    await b.ready();
    expect(b.pool!.running).toBe(2);
    expect(b.threads).toBe(3);
    await b.dispose();
    expect(b.pool!.running).toBe(0);
    expect(b.threads).toBe(1);
    const [N, IC, OC] = [37, 83, 71];
    const rng = new Rng(11);
    const inp = b.upload(rand(N * IC, rng)), w = b.upload(rand(OC * IC, rng)), out = b.alloc(N * OC), ref = new Float32Array(N * OC);
    const before = b.pool!.dispatched;
    b.matmulForward(out, inp, w, null, N, IC, OC);
    expect(b.pool!.dispatched).toBe(before);
    matmulForward(ref, inp, w, null, N, IC, OC);
    expect(bits(out)).toEqual(bits(ref));
  });
});
