// Frozen weight formats (src/lib/train/quant.ts) against independent references: int8 / int4 give exactly the values
// of GGUF Q8_0 / Q4_0 as node/export's port of ggml's reference quantizers computes them, f16 those of ggml's
// fp32 -> fp16; the documented word layout decodes hand-built words; the error stays within each format's bound; the
// CPU backend's matmuls with frozen weights equal float64 math on those values; a model loaded with int8 weights is
// the f32 model on ggml's Q8_0 values, and full training refuses it.

import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { enableFullTraining } from "../../../src/lib/train/lora.ts";
import { Transformer, Workspace } from "../../../src/lib/train/model.ts";
import {
  bytesPerBlock, frozenValues, packWeight, rowLayout, unpackWeight, WeightFormatError, WEIGHT_FORMATS, type WeightFormat,
} from "../../../src/lib/train/quant.ts";
import { dimsOf, loadWeights } from "../../../src/lib/train/weights.ts";
import { QUANT_BLOCK } from "../../../src/lib/gguf/constants.ts";
import {
  dequantizeQ4_0, dequantizeQ8_0, f16BitsToF32, f32ToF16Bits, quantizeQ4_0, quantizeQ8_0,
} from "../../../src/lib/gguf/quantize.ts";
import { fillBatch, randomWeights, tinyConfig } from "./tiny-model.ts";

/** Weights with the awkward blocks in them: all zeros, tiny (f16-subnormal scale), one large outlier, a positive max. */
function weights(rows: number, cols: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: rows * cols }, () => (rng.next() * 2 - 1) * 0.05);
  x.fill(0, 0, 32); // block 0 of row 0
  for (let i = 32; i < 64 && i < x.length; i++) x[i] = (rng.next() * 2 - 1) * 1e-3; // d = 7.9e-6: a subnormal half
  if (x.length > 70) x[70] = 0.9; // an outlier, positive: Q4_0's scale then is negative
  if (x.length > 100) x[100] = -0.7;
  return x;
}

/** ggml's dequantized values of `type`, block by block (blocks never straddle rows: cols is a multiple of 32). */
const ggml = {
  int8: (x: Float32Array) => dequantizeQ8_0(quantizeQ8_0(x)),
  int4: (x: Float32Array) => dequantizeQ4_0(quantizeQ4_0(x)),
  f16: (x: Float32Array) => Float32Array.from(x, (v) => f16BitsToF32(f32ToF16Bits(v))),
};

describe("frozen weight formats", () => {
  it("one table: int8 and int4 blocks take GGUF Q8_0 / Q4_0's bytes; rows are whole words", () => {
    expect(bytesPerBlock("int8")).toBe(QUANT_BLOCK.Q8_0[1]);
    expect(bytesPerBlock("int4")).toBe(QUANT_BLOCK.Q4_0[1]);
    expect(WEIGHT_FORMATS.int8.block).toBe(QUANT_BLOCK.Q8_0[0]);
    expect(WEIGHT_FORMATS.int4.block).toBe(QUANT_BLOCK.Q4_0[0]);
    // 2048 columns: 64 blocks; bytes per row as GGUF's
    for (const f of ["int8", "int4"] as const) expect(rowLayout(f, 2048).words * 4).toBe(64 * bytesPerBlock(f));
    expect(rowLayout("f16", 33)).toEqual({ quantWords: 17, scaleWords: 0, words: 17 }); // odd rows padded to a word
    expect(rowLayout("int4", 96)).toEqual({ quantWords: 12, scaleWords: 2, words: 14 }); // 3 scales: 2 words
    expect(rowLayout("f32", 5).words).toBe(5);
  });

  it.each(["int8", "int4", "f16"] as const)("%s gives ggml's values, bit for bit", (format) => {
    const [rows, cols] = format === "f16" ? [7, 33] : [5, 96];
    const x = weights(rows, cols, 1);
    const got = frozenValues(x, rows, cols, format, "w");
    expect(Array.from(got)).toEqual(Array.from(ggml[format](x)));
  });

  it("the word layout: quants in order from the low bits, then f16 scales two to a word", () => {
    const cols = 64;
    // int4, 2 blocks: element i holds nibble (i % 16); scales 0.5 (0x3800) and -2 (0xc000)
    const w4 = new Uint32Array(rowLayout("int4", cols).words);
    for (let i = 0; i < cols; i++) w4[i >> 3]! |= (i % 16) << ((i % 8) * 4);
    w4[8] = 0x3800 | (0xc000 << 16);
    expect(Array.from(unpackWeight(w4, 1, cols, "int4"))).toEqual(Array.from({ length: cols }, (_, i) => ((i % 16) - 8) * (i < 32 ? 0.5 : -2)));
    // int8, 2 blocks: element i holds the byte i - 32 (two's complement); scales 0.25 (0x3400) and 1 (0x3c00)
    const w8 = new Uint32Array(rowLayout("int8", cols).words);
    for (let i = 0; i < cols; i++) w8[i >> 2]! |= ((i - 32) & 0xff) << ((i % 4) * 8);
    w8[16] = 0x3400 | (0x3c00 << 16);
    expect(Array.from(unpackWeight(w8, 1, cols, "int8"))).toEqual(Array.from({ length: cols }, (_, i) => (i - 32) * (i < 32 ? 0.25 : 1)));
    // f16: 1.5 (0x3e00) low, -0.125 (0xb000) high
    expect(Array.from(unpackWeight(Uint32Array.of(0x3e00 | (0xb000 << 16), 0x3c00), 1, 3, "f16"))).toEqual([1.5, -0.125, 1]);
  });

  it("errors stay within each format's bound", () => {
    const half = (v: number) => Math.max(Math.abs(v) * 2 ** -11, 2 ** -25); // f16 rounding error of v
    const [rows, cols] = [16, 256];
    const x = weights(rows, cols, 2);
    for (const format of ["f16", "int8", "int4"] as const) {
      const y = frozenValues(x, rows, cols, format);
      for (let b = 0; b < x.length / 32; b++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
        for (let j = b * 32; j < b * 32 + 32; j++) {
          const err = Math.abs(y[j]! - x[j]!);
          // f16: half an ulp (2^-11 relative) or, below 2^-14, half the subnormal step 2^-24
          // int8: half a step of d = amax/127, plus 127 times d's own f16 rounding
          // int4: a whole step of d = amax/8 (the end opposite the max is clamped to q = 15: +7 steps where 8 fit),
          //       plus 8 times d's f16 rounding
          const bound = { f16: half(x[j]!), int8: amax / 127 / 2 + 127 * half(amax / 127), int4: amax / 8 + 8 * half(amax / 8) }[format];
          expect(err, `${format} element ${j}`).toBeLessThanOrEqual(bound * (1 + 1e-6));
        }
      }
    }
  });

  it("block formats refuse rows that are not whole blocks, naming the tensor; f16 and f32 take any row; unknown formats are named", () => {
    const x = new Float32Array(3 * 33).fill(0.5);
    for (const f of ["int8", "int4"] as const) {
      expect(() => packWeight(x, 3, 33, f, "model.layers.0.mlp.down_proj.weight")).toThrow(WeightFormatError);
      expect(() => packWeight(x, 3, 33, f, "model.layers.0.mlp.down_proj.weight")).toThrow(/down_proj\.weight: .*blocks of 32.* rows of 33/);
    }
    expect(Array.from(frozenValues(x, 3, 33, "f16"))).toEqual(Array.from(x));
    expect(frozenValues(x, 3, 33, "f32")).toBe(x);
    expect(() => packWeight(x, 3, 32, "f16", "w")).toThrow(/99 values, expected 3 x 32/);
    expect(() => packWeight(x, 3, 33, "q4" as WeightFormat, "w")).toThrow(/w: unknown weight format "q4" \(one of f32, f16, int8, int4\)/);
  });
});

describe("the CPU backend with frozen weights", () => {
  const rand = (n: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

  it.each(["f16", "int8", "int4"] as const)("%s: matmul forward and dinp equal float64 math on ggml's values", async (format: WeightFormat) => {
    const rng = new Rng(5);
    const [N, IC, OC] = [7, 96, 37];
    const w = weights(OC, IC, 3);
    const inp = rand(N * IC, rng), dout = rand(N * OC, rng), bias = rand(OC, rng);
    const wq = ggml[format as "f16"](w);
    const be = new CpuBackend();
    const W = be.uploadFrozen(w, OC, IC, format, "w");
    const out = be.alloc(N * OC), dinp = be.alloc(N * IC);
    be.matmulForward(out, be.upload(inp), W, be.upload(bias), N, IC, OC, { scale: 0.5 });
    be.matmulBackward(dinp, null, null, be.upload(dout), be.upload(inp), W, N, IC, OC, 0.5);
    let worst = 0;
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < OC; o++) {
        let s = 0;
        for (let i = 0; i < IC; i++) s += inp[n * IC + i]! * wq[o * IC + i]!;
        worst = Math.max(worst, Math.abs(out[n * OC + o]! - (0.5 * s + bias[o]!)));
      }
      for (let i = 0; i < IC; i++) {
        let s = 0;
        for (let o = 0; o < OC; o++) s += dout[n * OC + o]! * wq[o * IC + i]!;
        worst = Math.max(worst, Math.abs(dinp[n * IC + i]! - 0.5 * s));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  // a tiny Llama whose linears are whole blocks: C 64, Q 64, KV 32, H 96
  const cfg = tinyConfig({ hidden_size: 64, intermediate_size: 96 });

  async function loss(be: CpuBackend, weights: Map<string, Float32Array>, format: WeightFormat) {
    const w = await loadWeights(be, cfg, async (n) => weights.get(n)!, { weights: format });
    const model = new Transformer(be, dimsOf(cfg), w);
    const ws = new Workspace(be, model.d, 2, 5, false);
    fillBatch(be, ws, [[1, 7, 3, 9, 4], [2, 2, 8, 5, 0]], [[7, 3, 9, 4, -1], [2, 8, 5, 0, 1]]);
    model.forward(ws);
    return { model, loss: (await be.read(ws.losses)).reduce((a, b) => a + b, 0) / 9 };
  }

  it("a model loaded with int8 / int4 weights is the f32 model on ggml's Q8_0 / Q4_0 values", async () => {
    const weights = randomWeights(cfg, 4);
    const f32 = (await loss(new CpuBackend(), weights, "f32")).loss;
    for (const [format, gguf, bound] of [["int8", ggml.int8, 2e-3], ["int4", ggml.int4, 8e-2]] as const) {
      const { model, loss: l } = await loss(new CpuBackend(), weights, format);
      const onGgml = new Map([...weights].map(([n, v]) => [n, /_proj\.weight$/.test(n) ? gguf(v) : v]));
      expect(l).toBe((await loss(new CpuBackend(), onGgml, "f32")).loss);
      expect(Math.abs(l - f32) / f32, format).toBeLessThan(bound); // measured: int8 6.5e-4, int4 3.2e-2
      expect(model.w.blocks[0]!.lin.down_proj.format).toBe(format);
      expect(() => enableFullTraining(model.be, model.w, 50, 64)).toThrow(/q_proj: full training needs f32 weights/);
    }
  });

  it("loading refuses a model whose linears are not whole blocks, naming the first tensor", async () => {
    const small = tinyConfig(); // hidden 16
    const weights = randomWeights(small, 5);
    await expect(loadWeights(new CpuBackend(), small, async (n) => weights.get(n)!, { weights: "int4" }))
      .rejects.toThrow(/model\.layers\.0\.self_attn\.q_proj\.weight: int4 stores blocks of 32/);
  });
});
