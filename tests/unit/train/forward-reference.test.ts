// The engine's forward pass against the independent float64 reference (tests/reference/llama-f64.ts) on the
// tiny checkpoints in HF layout: every position's logits within 1e-4, through the KV-cache path; and greedy
// decoding gives the reference's token ids.

import { describe, expect, it } from "vitest";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { argmax } from "../../../src/lib/train/sampling.ts";
import { tinyCheckpointFiles, tinyConfig, tinyWeights, type TinyCheckpointOptions } from "../../fixtures/tiny-checkpoint.ts";
import { referenceLogits, type RefConfig } from "../../reference/llama-f64.ts";

const VARIANTS: [string, TinyCheckpointOptions][] = [
  ["llama untied", {}],
  ["llama tied, llama3 rope scaling", { tied: true, llama3Rope: true }],
  ["qwen2 (q/k/v biases)", { architecture: "qwen2" }],
  ["qwen2 stored as bf16, 2 shards", { architecture: "qwen2", dtype: "BF16", shards: 2, seed: 4 }],
];

describe("forward pass against the float64 reference", () => {
  for (const [name, opts] of VARIANTS) {
    it(`${name}: logits at every position within 1e-4 (relative to the row's scale)`, async () => {
      const engine = await loadEngine(new CpuBackend(), memoryFiles(tinyCheckpointFiles(opts)));
      const ids = engine.checkpoint.tokenizer.encode("def add(a, b):\n    return a + b\n");
      const weights = new Map(tinyWeights(opts).map((t) => [t.name, t.data]));
      const ref = referenceLogits(tinyConfig(opts) as unknown as RefConfig, weights, ids);
      const V = engine.model.V;
      const gen = engine.generator(64);
      for (let t = 1; t <= ids.length; t++) {
        const logits = await gen.prompt(ids.slice(0, t)); // reuses the cache: one new token per call
        expect(gen.lastRun).toBe(1);
        const row = ref.subarray((t - 1) * V, t * V);
        const scale = Math.max(...Array.from(row, Math.abs));
        let worst = 0;
        for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(logits[v]! - row[v]!));
        expect(worst / scale).toBeLessThan(1e-4);
      }
    }, 60_000);
  }

  it("greedy decoding gives the reference's tokens", async () => {
    const opts: TinyCheckpointOptions = { architecture: "qwen2", seed: 2 };
    const engine = await loadEngine(new CpuBackend(), memoryFiles(tinyCheckpointFiles(opts)));
    const weights = new Map(tinyWeights(opts).map((t) => [t.name, t.data]));
    const prompt = engine.checkpoint.tokenizer.encode("<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>");
    const ours: number[] = [];
    const gen = engine.generator(64);
    let logits = await gen.prompt(prompt);
    for (let i = 0; i < 8; i++) {
      ours.push(argmax(logits, engine.model.V));
      logits = await gen.append([ours[i]!]);
    }
    const ref: number[] = [];
    const V = engine.model.V;
    for (let i = 0; i < 8; i++) {
      const seq = [...prompt, ...ref];
      const all = referenceLogits(tinyConfig(opts) as unknown as RefConfig, weights, seq);
      ref.push(argmax(all.subarray((seq.length - 1) * V, seq.length * V)));
    }
    expect(ours).toEqual(ref);
  }, 60_000);
});
