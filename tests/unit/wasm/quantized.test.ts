// Frozen weights kept int8 / int4 on the CPU backend's heap (src/lib/train/wasm/quantized.ts, wasm/kernels/quant.ts):
// the packed rows hold exactly quant.ts's values (the GPU's, GGUF Q8_0 / Q4_0's); the quantized matmul gives the bits
// of the float32 matmul on the dequantized weight, forward and dinp, on 1 and 2 threads; the weight takes 1.125 / 0.625
// bytes a value; and a whole model loaded int8 / int4 runs on it.

import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { Generator } from "../../../src/lib/train/generate.ts";
import { Transformer } from "../../../src/lib/train/model.ts";
import { frozenValues } from "../../../src/lib/train/quant.ts";
import { dequantizedRows, quantizedRowBytes, quantizedRows, type BlockFormat } from "../../../src/lib/train/wasm/quantized.ts";
import { inferenceWeights } from "../../../src/lib/train/tables.ts";
import { loadWeights } from "../../../src/lib/train/weights.ts";
import { dimsOf } from "../../../src/lib/train/weights.ts";
import { randomWeights, tinyConfig } from "../train/tiny-model.ts";
import { bits, rand, useBackends } from "./helpers.ts";

const FORMATS: BlockFormat[] = ["int8", "int4"];

const backends = useBackends();
let one: CpuBackend, two: CpuBackend;
beforeAll(() => ({ one, two } = backends));
const plain = new CpuBackend("f32", { wasm: null });

describe("quantized frozen weights on the CPU backend", () => {
  for (const format of FORMATS) {
    it(`${format}: the packed rows hold quant.ts's values exactly`, () => {
      const rng = new Rng(5);
      const [N, K] = [7, 96];
      const w = rand(N * K, rng, 0.3);
      w[40] = 0; // a block with a zero and an exact extreme
      const rows = quantizedRows(w, N, K, format);
      expect(rows.length).toBe(N * quantizedRowBytes(format, K));
      expect(bits(dequantizedRows(rows, N, K, format))).toEqual(bits(frozenValues(w, N, K, format)));
    });

    for (const [M, K, N] of [[1, 64, 70], [37, 96, 130], [3, 32, 1], [2, 160, 200]] as [number, number, number][]) {
      it(`${format} M=${M} K=${K} N=${N}: forward, dinp and dbias are the float32 kernels' bits on the dequantized weight`, () => {
        const rng = new Rng(M * 7 + K + N);
        const w = rand(N * K, rng, 0.2), x = rand(M * K, rng), b = rand(N, rng), out0 = rand(M * N, rng), dout = rand(M * N, rng), dx0 = rand(M * K, rng);
        const deq = frozenValues(w, N, K, format);
        const run = (be: CpuBackend, weight: Float32Array) => {
          const out = be.upload(out0), dx = be.upload(dx0), db = be.upload(b);
          be.matmulForward(out, be.upload(x), weight, be.upload(b), M, K, N, { scale: 0.75, accumulate: true });
          be.matmulBackward(dx, null, db, be.upload(dout), be.upload(x), weight, M, K, N, 1.5);
          return { out, dx, db };
        };
        const ref = run(one, one.upload(deq));
        const q1 = run(one, one.uploadFrozen(w, N, K, format));
        const q2 = run(two, two.uploadFrozen(w, N, K, format));
        expect(bits(q1.out)).toEqual(bits(ref.out));
        expect(bits(q1.dx)).toEqual(bits(ref.dx));
        expect(bits(q2.out)).toEqual(bits(ref.out));
        expect(bits(q2.dx)).toEqual(bits(ref.dx));
        expect(bits(q1.db)).toEqual(bits(ref.db)); // dbias (frozen weight, trainable bias) too
        expect(bits(q2.db)).toEqual(bits(ref.db));
      });
    }

    it(`${format}: a weight takes ${format === "int8" ? "1.125" : "0.625"} bytes a value on the heap (no float32 copy)`, () => {
      const be = new CpuBackend("f32");
      const [N, K] = [512, 1024];
      const w = rand(N * K, new Rng(1), 0.1);
      const before = be.wasm!.heap.liveBytes;
      const view = be.uploadFrozen(w, N, K, format);
      const used = be.wasm!.heap.liveBytes - before;
      const expected = N * quantizedRowBytes(format, K);
      expect(view.byteLength).toBe(expected);
      expect(used).toBeGreaterThanOrEqual(expected);
      expect(used).toBeLessThanOrEqual(expected * 1.125); // the heap's size classes
      expect(used).toBeLessThan(N * K * 4 / (format === "int8" ? 3.5 : 6));
    });
  }

  for (const format of FORMATS) {
    it(`a whole model loaded ${format}: logits match the TypeScript kernels on the dequantized weights`, async () => {
      const c = tinyConfig({ vocab_size: 300, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 2 });
      const weights = randomWeights(c, 9, 0.1);
      const logitsOf = async (be: CpuBackend) => {
        const w = await loadWeights(be, c, async (n) => weights.get(n)!, { weights: format });
        const gen = new Generator(new Transformer(be, dimsOf(c), w), 32);
        return [await gen.prompt([1, 5, 9, 14, 20, 7, 3]), await gen.append([11])];
      };
      const [a, b, ts] = [await logitsOf(one), await logitsOf(two), await logitsOf(plain)];
      a.forEach((l, i) => expect(bits(b[i]!)).toEqual(bits(l)));
      a.forEach((l, i) => l.forEach((v, j) => expect(Math.abs(v - ts[i]![j]!)).toBeLessThan(1e-4 * (1 + Math.abs(ts[i]![j]!)))));
    });

    for (const tied of [true, false]) {
      it(`loaded for inference ${format} (${tied ? "tied" : "untied"}): an int8 embedding / lm_head table on the heap, lookups of Q8_0's values, logits as the TypeScript kernels'`, async () => {
        const c = tinyConfig({ vocab_size: 300, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: tied });
        const d = dimsOf(c);
        const weights = randomWeights(c, 11, 0.1);
        const load = (be: CpuBackend) => loadWeights(be, c, async (n) => weights.get(n)!, inferenceWeights(format));
        const logitsOf = async (be: CpuBackend) => {
          const gen = new Generator(new Transformer(be, d, await load(be)), 32);
          return [await gen.prompt([1, 5, 9, 14, 20, 7, 3]), await gen.append([11])];
        };
        // the table's bytes: V rows of C int8 values and C/32 scales, not 4 bytes a value
        const w = await load(one);
        expect(w.wte.byteLength).toBe(d.V * quantizedRowBytes("int8", d.C));
        expect(w.lmHead === w.wte).toBe(tied);
        // a lookup gives the rows of the table's Q8_0 values, bit for bit
        const ids = one.uploadIds(Int32Array.from([299, 0, 17, 17]));
        const out = one.alloc(4 * d.C);
        one.embeddingForward(out, ids, w.wte, 4, d.C);
        const q8 = frozenValues(weights.get("model.embed_tokens.weight")!, d.V, d.C, "int8");
        expect(bits(out)).toEqual(bits(Float32Array.from([299, 0, 17, 17].flatMap((id) => [...q8.subarray(id * d.C, (id + 1) * d.C)]))));
        // training through a quantized table is refused, naming it
        expect(() => one.classifierForward(one.alloc(1), one.alloc(1), one.alloc(d.C), w.lmHead, one.uploadIds(Int32Array.of(1)), 1, d.C, d.V)).toThrow(/quantized inference table/);
        const [a, b, ts] = [await logitsOf(one), await logitsOf(two), await logitsOf(plain)];
        a.forEach((l, i) => expect(bits(b[i]!)).toEqual(bits(l)));
        a.forEach((l, i) => l.forEach((v, j) => expect(Math.abs(v - ts[i]![j]!)).toBeLessThan(1e-4 * (1 + Math.abs(ts[i]![j]!)))));
      });
    }
  }
});
