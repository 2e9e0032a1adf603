// randomModel (src/lib/train/random-model.ts): every tensor a checkpoint of the config would hold, at its size,
// norms 1 and the rest random with the asked-for standard deviation; the same seed gives the same weights.

import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { parseLlamaConfig as parseModelConfig } from "../../../src/lib/model/config.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { randomModel, weightLength } from "../../../src/lib/train/random-model.ts";
import { namedWeights } from "../../../src/lib/train/weights.ts";

// Qwen2: q/k/v biases and an untied lm_head, so every kind of tensor is asked for
const config = parseModelConfig({
  architectures: ["Qwen2ForCausalLM"], vocab_size: 40, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, tie_word_embeddings: false, hidden_act: "silu",
  max_position_embeddings: 64,
});

describe("randomModel", () => {
  it("makes every tensor at its size: norms 1, the rest with std 0.1", async () => {
    const model = await randomModel(new CpuBackend(), config, new Rng(1), 0.1);
    const named = namedWeights(model.w);
    expect(named.map(([n]) => n)).toContain("model.layers.1.self_attn.k_proj.bias");
    expect(named.map(([n]) => n)).toContain("lm_head.weight");
    expect(weightLength(config, "model.layers.0.self_attn.k_proj.bias")).toBe(8); // NKV * HS
    expect(weightLength(config, "model.layers.0.mlp.down_proj.weight")).toBe(24 * 16);
    for (const [name, buf] of named) {
      expect(buf.length).toBe(weightLength(config, name));
      if (name.endsWith("norm.weight")) expect([...buf].every((x) => x === 1)).toBe(true);
    }
    const big = named.find(([n]) => n === "model.embed_tokens.weight")![1];
    const std = Math.sqrt(big.reduce((s, x) => s + x * x, 0) / big.length);
    expect(std).toBeGreaterThan(0.09);
    expect(std).toBeLessThan(0.11);
    expect(() => weightLength(config, "model.layers.0.mlp.nope.weight")).toThrow(/not a tensor/);
  });

  it("is deterministic in the seed", async () => {
    const a = namedWeights((await randomModel(new CpuBackend(), config, new Rng(7))).w);
    const b = namedWeights((await randomModel(new CpuBackend(), config, new Rng(7))).w);
    const c = namedWeights((await randomModel(new CpuBackend(), config, new Rng(8))).w);
    expect(a).toEqual(b);
    expect(a[3]![1]).not.toEqual(c[3]![1]);
  });
});
