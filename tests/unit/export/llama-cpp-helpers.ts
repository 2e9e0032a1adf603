// What the llama.cpp comparisons (llama-cpp.test.ts, mamba-gguf.test.ts) share: running a GGUF through
// node-llama-cpp (greedy tokens, argmax at every position), following llama.cpp's tokens with our engine, and our
// engine with an adapter attached. Test code only.

import { expect } from "vitest";
import type { Llama, LlamaContextOptions } from "node-llama-cpp";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import type { CausalLM } from "../../../src/lib/train/causal-lm.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { attachLora } from "../../../src/lib/train/lora.ts";
import { argmax } from "../../../src/lib/train/sampling.ts";
import type { AdapterSource } from "../../../src/lib/export/gguf-export.ts";

export const CODE = "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n";

/**
 * How close two logits must be for a different greedy choice to count as a tie. With F16 weights llama.cpp's CPU
 * matmul also rounds the activations to F16 (ggml's vec_dot type for F16 is F16), a relative error of ~5e-4 per
 * input that reaches the logits as a few hundredths; with F32 everything stays F32.
 */
export const TIE = { f32: 0.01, f16: 0.03 } as const;

/** llama.cpp on a GGUF, each call in a fresh model and context made with `context`. `llama` is read at call time. */
export function llamaRunner(llama: () => Llama, context: Omit<LlamaContextOptions, "lora">) {
  return {
    async greedy(path: string, prompt: number[], n: number, lora?: string): Promise<number[]> {
      const model = await llama().loadModel({ modelPath: path });
      const ctx = await model.createContext({ ...context, ...(lora ? { lora: { adapters: [{ filePath: lora }] } } : {}) });
      const out: number[] = [];
      for await (const t of ctx.getSequence().evaluate(prompt as never, { temperature: 0 })) {
        out.push(t as number);
        if (out.length >= n) break;
      }
      await ctx.dispose();
      await model.dispose();
      return out;
    },

    async argmaxPerPosition(path: string, ids: number[]): Promise<number[]> {
      const model = await llama().loadModel({ modelPath: path });
      const ctx = await model.createContext(context);
      // Probabilities are a softmax of the logits, so their argmax is the logits' argmax.
      const res = await ctx.getSequence().controlledEvaluate(ids.map((t) => [t, { generateNext: { probabilities: true } }] as never));
      const out = res.map((r) => {
        const probs = (r as { next: { probabilities: Map<number, number> } }).next.probabilities;
        let best = -1;
        let bestV = -Infinity;
        for (const [tok, v] of probs) if (v > bestV || (v === bestV && tok < best)) [best, bestV] = [tok, v];
        return best;
      });
      await ctx.dispose();
      await model.dispose();
      return out;
    },
  };
}

/** Our engine follows llama.cpp's tokens; each step where it would choose otherwise must be a tie, at most 2. */
export async function followAndCompare(model: CausalLM<Float32Array, Int32Array>, prompt: number[], theirs: number[], tie: number = TIE.f32) {
  const gen = model.decoder(prompt.length + theirs.length + 1);
  let logits = await gen.prompt(prompt);
  let ties = 0;
  const ours: number[] = [];
  for (const t of theirs) {
    const a = argmax(logits, model.V);
    ours.push(a);
    if (a !== t) {
      expect(logits[a]! - logits[t]!, `llama.cpp chose ${t}, we ${a}`).toBeLessThan(tie);
      ties++;
    }
    logits = await gen.append([t]);
  }
  expect(new Set(ours).size).toBeGreaterThan(3); // a real sequence, not one token repeated
  expect(ties).toBeLessThanOrEqual(2);
}

/** Our engine on the checkpoint with the adapter attached (not merged). */
export async function engineWithAdapter(files: Record<string, Uint8Array | string>, adapter: AdapterSource): Promise<CausalLM<Float32Array, Int32Array>> {
  const be = new CpuBackend();
  const engine = await loadEngine(be, memoryFiles(files));
  const params = attachLora(be, engine.model.w, adapter.lora, 0);
  for (const p of params) be.write(p.buf, (await adapter.tensor(p.name))!.data);
  return engine.model;
}
