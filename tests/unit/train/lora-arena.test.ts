// The LoRA arena (lora.ts attachLora: every A, B, dA, dB a view of one buffer) and the optimizer stepping it as one
// tensor (trainer.ts spans), on the CPU backend, the reference: bit for bit the per-tensor step, the gaps between
// tensors stay zero, and a run with the arena equals a run whose adapters sit in buffers of their own. Also the
// matmuls' fused LoRA terms (MatmulOptions.lora, matmulBackward's lora): the products they stand for, bit for bit.
// The WebGPU side of both: tests/e2e/webgpu-kernels.test.ts.

import { describe, expect, it } from "vitest";
import { VIEW_ALIGN } from "../../../src/lib/train/backend.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { sampleFile } from "../../../src/lib/fim/index.ts";
import { tokenizeSample } from "../../../src/lib/train/data.ts";
import { attachLora, detachLora, type Param } from "../../../src/lib/train/lora.ts";
import { DEFAULT_TRAIN, Trainer } from "../../../src/lib/train/trainer.ts";
import { tinyCheckpointFiles } from "../../fixtures/tiny-checkpoint.ts";
import { randomFloats as random } from "../../fixtures/random.ts";


const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe("views and the optimizer over an arena (CPU)", () => {
  it("a view aliases its buffer; freeing it frees nothing", async () => {
    const be = new CpuBackend();
    const buf = be.upload(random(3 * VIEW_ALIGN, 1));
    const v = be.view(buf, VIEW_ALIGN, 10);
    be.write(v, new Float32Array(10).fill(7), 0);
    expect((await be.read(buf))[VIEW_ALIGN + 3]).toBe(7);
    be.free(v);
    expect(Array.from(await be.read(v))).toEqual(new Array(10).fill(7));
    expect(() => be.view(buf, 2 * VIEW_ALIGN, VIEW_ALIGN + 1)).toThrow(/past the buffer/);
  });

  it("adamw, sumSquares and scale over an arena of odd-sized tensors equal the per-tensor calls, bit for bit", async () => {
    const be = new CpuBackend();
    const sizes = [37, 1, 130, 64, 5];
    const offsets: number[] = [];
    let n = 0;
    for (const s of sizes) {
      offsets.push(n);
      n += Math.ceil(s / VIEW_ALIGN) * VIEW_ALIGN;
    }
    const arena = { p: be.alloc(n), g: be.alloc(n), m: be.alloc(n), v: be.alloc(n) };
    for (const b of Object.values(arena)) be.zero(b, n);
    const own = sizes.map((s, i) => ({
      p: be.upload(random(s, 10 + i)), g: be.upload(random(s, 20 + i)), m: be.upload(random(s, 30 + i, -0.1, 0.1)), v: be.upload(random(s, 40 + i, 0, 0.01)),
    }));
    sizes.forEach((s, i) => {
      for (const k of ["p", "g", "m", "v"] as const) be.copy(arena[k], own[i]![k], s, offsets[i]!, 0);
    });
    const opt = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, t: 3 };
    const normArena = be.alloc(1);
    const normOwn = be.alloc(1);
    be.sumSquares(normArena, [[arena.g, n]]);
    be.sumSquares(normOwn, own.map((o, i) => [o.g, sizes[i]!] as const));
    expect(bits(normArena)).toEqual(bits(normOwn));
    be.scale(arena.g, n, 0.37);
    be.adamw(arena.p, arena.g, arena.m, arena.v, n, opt);
    own.forEach((o, i) => {
      be.scale(o.g, sizes[i]!, 0.37);
      be.adamw(o.p, o.g, o.m, o.v, sizes[i]!, opt);
    });
    for (const k of ["p", "g", "m", "v"] as const) {
      const whole = await be.read(arena[k], n);
      sizes.forEach((s, i) => expect(bits(whole.subarray(offsets[i]!, offsets[i]! + s)), `${k}[${i}]`).toEqual(bits(own[i]![k])));
      // the gaps: zero before, zero after
      const used = new Set(sizes.flatMap((s, i) => Array.from({ length: s }, (_, j) => offsets[i]! + j)));
      expect(whole.filter((_, j) => !used.has(j) && whole[j] !== 0).length, `${k} gaps`).toBe(0);
    }
  });
});

describe("the matmuls' fused LoRA terms (CPU reference)", () => {
  const [N, IC, OC, R] = [9, 29, 37, 3];
  it("matmulForward with lora = the base product, then scale * h @ B^T added", () => {
    const be = new CpuBackend();
    const [inp, W, bias, h, B] = [random(N * IC, 1), random(OC * IC, 2), random(OC, 3), random(N * R, 4), random(OC * R, 5)];
    const fused = random(N * OC, 6);
    const twice = fused.slice();
    be.matmulForward(fused, inp, W, bias, N, IC, OC, { accumulate: true, scale: 0.7, lora: { h, B, R, scale: 1.9 } });
    be.matmulForward(twice, inp, W, bias, N, IC, OC, { accumulate: true, scale: 0.7 });
    be.matmulForward(twice, h, B, null, N, R, OC, { accumulate: true, scale: 1.9 });
    expect(bits(fused)).toEqual(bits(twice));
  });
  it("matmulBackward with lora = the base gradients, then dinp += dh @ A", () => {
    const be = new CpuBackend();
    const [dout, inp, W, dh, A] = [random(N * OC, 1), random(N * IC, 2), random(OC * IC, 3), random(N * R, 4), random(R * IC, 5)];
    const fused = { dinp: random(N * IC, 6), dW: random(OC * IC, 7), db: random(OC, 8) };
    const twice = { dinp: fused.dinp.slice(), dW: fused.dW.slice(), db: fused.db.slice() };
    be.matmulBackward(fused.dinp, fused.dW, fused.db, dout, inp, W, N, IC, OC, 1.3, { dh, A, R });
    be.matmulBackward(twice.dinp, twice.dW, twice.db, dout, inp, W, N, IC, OC, 1.3);
    be.matmulBackward(twice.dinp, null, null, dh, inp, A, N, IC, R);
    for (const k of ["dinp", "dW", "db"] as const) expect(bits(fused[k]), k).toEqual(bits(twice[k]));
  });
});

describe("LoRA training with the arena", () => {
  async function setup() {
    const be = new CpuBackend();
    const engine = await loadEngine(be, memoryFiles(tinyCheckpointFiles({ architecture: "qwen2" })));
    const text = "def add(a, b):\n    total = a + b\n    return total\n\n\ndef sub(a, b):\n    return a - b\n";
    const recs = sampleFile({ path: "a.py", text, language: "python" }, 8, "qwen", { seed: 1, spanUnit: "lines", fimRate: 1, spmRate: 0, incompleteRate: 0.35, eot: undefined }, "train");
    const samples = recs.map((r) => tokenizeSample(r, engine.checkpoint.tokenizer, { contextLength: 96, lossOn: "middle" })).filter((s) => s !== undefined);
    const params = attachLora(be, engine.model.w, { r: 3, alpha: 6, rslora: false, targets: engine.model.linearNames }, 3);
    // B = 0 would make every dA zero: give B values so both gradients are exercised
    for (const p of params) if (p.name.includes("lora_B")) be.write(p.buf, random(p.n, p.n, -0.05, 0.05));
    return { be, engine, samples, params };
  }
  const cfg = { ...DEFAULT_TRAIN, lr: 1e-2, warmupSteps: 1, batchSize: 2, gradAccum: 2, steps: 4, contextLength: 96, weightDecay: 0.01, clip: 0.5 };

  it("every tensor is a view at a multiple of VIEW_ALIGN, in order, none overlapping", async () => {
    const { params } = await setup();
    let end = 0;
    for (const p of params) {
      expect(p.at!.offset % VIEW_ALIGN).toBe(0);
      expect(p.at!.offset).toBeGreaterThanOrEqual(end);
      end = p.at!.offset + p.n;
      expect(p.at!.arena).toBe(params[0]!.at!.arena);
    }
    expect(end).toBeLessThanOrEqual(params[0]!.at!.arena.n);
  });

  it("a run on the arena equals a run with every adapter in buffers of its own, bit for bit (weights, moments, losses)", async () => {
    const a = await setup();
    const b = await setup();
    // b: the same values, each tensor copied into a buffer of its own; the model's branches point at those
    const own: Param<Float32Array>[] = b.params.map((p) => ({ name: p.name, buf: b.be.upload(p.buf), grad: b.be.alloc(p.n), n: p.n }));
    const byName = new Map(own.map((p) => [p.name, p]));
    for (const blk of b.engine.model.w.blocks) {
      for (const lin of Object.values(blk.lin)) {
        const l = lin.lora!;
        const A = byName.get(`base_model.model.${lin.name}.lora_A.weight`)!;
        const B = byName.get(`base_model.model.${lin.name}.lora_B.weight`)!;
        Object.assign(l, { A: A.buf, dA: A.grad, B: B.buf, dB: B.grad });
      }
    }
    const ta = new Trainer(a.be, a.engine.model, a.params, a.samples, cfg);
    const tb = new Trainer(b.be, b.engine.model, own, b.samples, cfg);
    for (let s = 0; s < cfg.steps; s++) {
      const [ra, rb] = [await ta.trainStep(), await tb.trainStep()];
      expect(ra.loss).toBe(rb.loss);
      expect(ra.gradNorm).toBe(rb.gradNorm);
    }
    expect(ta.moments.length).toBe(a.params.length);
    for (let i = 0; i < own.length; i++) {
      expect(bits(a.params[i]!.buf), a.params[i]!.name).toEqual(bits(own[i]!.buf));
      expect(bits(ta.moments[i]!.m)).toEqual(bits(tb.moments[i]!.m));
      expect(bits(ta.moments[i]!.v)).toEqual(bits(tb.moments[i]!.v));
    }
    // the arena's gaps are still zero
    const arena = a.params[0]!.at!.arena;
    const used = new Set(a.params.flatMap((p) => Array.from({ length: p.n }, (_, j) => p.at!.offset + j)));
    expect(arena.buf.filter((x, j) => !used.has(j) && x !== 0).length).toBe(0);
    detachLora(a.be, a.engine.model.w);
    expect(a.engine.model.w.blocks.every((blk) => Object.values(blk.lin).every((l) => l.lora === undefined))).toBe(true);
  }, 60_000);
});
