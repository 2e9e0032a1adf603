// The Train page's estimates: memory of the weights per storage format against what the backends really allocate
// (the tiny checkpoint loaded with each format), and the step count and FLOPs of a run against hand-worked figures.
import { describe, expect, it } from "vitest";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { estimateRun, linearParams, weightBytes, WEIGHT_BYTES } from "../../../src/lib/train/estimate.ts";
import { packWeight } from "../../../src/lib/train/quant.ts";
import { loadCheckpoint } from "../../../src/lib/model/index.ts";
import { tinyCheckpointFiles } from "../../fixtures/tiny-checkpoint.ts";

describe("estimates", () => {
  it("bytes per weight follow the packed layouts (GGUF Q8_0 = 34 bytes / 32, Q4_0 = 18 / 32)", () => {
    expect(WEIGHT_BYTES).toEqual({ f32: 4, f16: 2, int8: 34 / 32, int4: 18 / 32 });
    // and a packed 64 x 64 matrix takes that many bytes
    const w = new Float32Array(64 * 64).map((_, i) => Math.sin(i));
    expect(packWeight(w, 64, 64, "int4").byteLength).toBe(64 * 64 * (18 / 32));
  });

  it("weight memory of the tiny checkpoint equals the sum of its tensors (f32) and shrinks with int4", async () => {
    const cp = await loadCheckpoint(memoryFiles(tinyCheckpointFiles({})));
    const c = cp.config;
    const params = cp.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    const shape = { params, C: c.hidden_size, L: c.num_hidden_layers, H: c.intermediate_size, V: c.vocab_size };
    expect(weightBytes(shape, "f32")).toBe(params * 4);
    // the block linears of this GQA model are smaller than 4C² + 3CH: the estimate errs high, never low
    const real = cp.tensors.filter((t) => /_proj\.weight$/.test(t.name)).reduce((a, t) => a + t.shape[0]! * t.shape[1]!, 0);
    expect(linearParams(shape)).toBeGreaterThanOrEqual(real);
    expect(weightBytes(shape, "int4")).toBeLessThan(params * 4);
  });

  it("a run: tokens per step and FLOPs", () => {
    const s = { params: 1e8, C: 512, L: 8, H: 2048, V: 32000 };
    const e = estimateRun(s, { batchSize: 4, contextLength: 1024, gradAccum: 2, steps: 10, loraRank: 16, weights: "f32" });
    expect(e.tokensPerStep).toBe(8192);
    expect(e.flopsPerStep).toBe(4 * 1e8 * 8192);
    expect(e.totalBytes).toBe(e.weightBytes + e.loraBytes + e.activationBytes);
  });
});
