// A whole tiny model: LoRA gradients (and, in full training, weight gradients) against float64 finite
// differences of its loss; activation recomputation gives the same loss and gradients as keeping activations.

import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { attachLora, enableFullTraining, type Param } from "../../../src/lib/train/lora.ts";
import { Workspace } from "../../../src/lib/train/model.ts";
import { dimsOf } from "../../../src/lib/train/weights.ts";
import { fdError } from "./fd.ts";
import { buildModel, fillBatch, randomWeights, tinyConfig } from "./tiny-model.ts";

const SEQS = [[1, 7, 3, 9, 4, 2], [5, 5, 8, 1, 0, 3]];
const TARGETS = [[7, 3, 9, 4, 2, -1], [-1, -1, 1, 0, 3, 6]]; // loss on some tokens only, as on a FIM middle

async function setup(over: Record<string, unknown>, mode: "lora" | "full", recompute = false) {
  const be = new CpuBackend("f64");
  const c = tinyConfig(over);
  const model = await buildModel(be, c, randomWeights(c, 3));
  const d = dimsOf(c);
  let params: Param<Float32Array>[];
  if (mode === "lora") {
    params = attachLora(be, model.w, { r: 3, alpha: 6, rslora: false, targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] }, 1);
    const rng = new Rng(5);
    for (const p of params) if (p.name.includes("lora_B")) for (let i = 0; i < p.n; i++) p.buf[i] = (rng.next() - 0.5) * 0.4;
  } else params = enableFullTraining(be, model.w, d.V, d.C);
  const ws = new Workspace(be, d, 2, 6, recompute);
  fillBatch(be, ws, SEQS, TARGETS);
  const loss = () => {
    model.forward(ws);
    return ws.losses.reduce((a, b) => a + b, 0);
  };
  return { be, model, ws, params, loss };
}

describe("whole-model gradients against float64 finite differences", () => {
  for (const [name, over] of [
    ["llama, untied", {}],
    ["llama, tied, llama3 rope scaling", { tie_word_embeddings: true, rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } }],
    ["qwen2 (q/k/v biases)", { architectures: ["Qwen2ForCausalLM"] }],
  ] as const) {
    it(`LoRA on every projection: ${name}`, async () => {
      const { model, ws, params, loss } = await setup(over, "lora");
      loss();
      model.backward(ws, 1);
      for (const p of params) expect(fdError(p.buf as unknown as Float64Array, p.grad as unknown as Float64Array, loss, 1e-5, 8)).toBeLessThan(1e-6);
    });
  }
  it("full training: every weight, tied embeddings included", async () => {
    const { model, ws, params, loss } = await setup({ tie_word_embeddings: true }, "full");
    loss();
    model.backward(ws, 1);
    for (const p of params) expect(fdError(p.buf as unknown as Float64Array, p.grad as unknown as Float64Array, loss, 1e-5, 6)).toBeLessThan(1e-6);
  });
});

describe("activation recomputation", () => {
  it("gives the same loss and gradients as keeping every block's activations", async () => {
    const a = await setup({ num_hidden_layers: 3 }, "lora", false);
    const b = await setup({ num_hidden_layers: 3 }, "lora", true);
    expect(b.ws.acts.length).toBe(1);
    expect(b.loss()).toBe(a.loss());
    a.model.backward(a.ws, 1);
    b.model.backward(b.ws, 1);
    for (let i = 0; i < a.params.length; i++) expect(Array.from(b.params[i]!.grad)).toEqual(Array.from(a.params[i]!.grad));
  });
});
