// A tiny random transformer in memory for engine tests: a config.json object, HF-named weights, and the
// engine objects built from them on a CPU backend (float32 or float64).

import { Rng } from "../../../src/lib/fim/prng.ts";
import { parseLlamaConfig, type LlamaConfig } from "../../../src/lib/model/config.ts";
import type { Backend } from "../../../src/lib/train/backend.ts";
import type { TrainWorkspace } from "../../../src/lib/train/causal-lm.ts";
import { Generator } from "../../../src/lib/train/generate.ts";
import { attachLora } from "../../../src/lib/train/lora.ts";
import { BLOCK_LINEARS, Transformer, Workspace, type BlockLinear } from "../../../src/lib/train/model.ts";
import { dimsOf, linearShape, loadWeights, LINEAR_MODULE } from "../../../src/lib/train/weights.ts";

export function tinyConfig(over: Record<string, unknown> = {}): LlamaConfig {
  return parseLlamaConfig({
    architectures: ["LlamaForCausalLM"], vocab_size: 50, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
    hidden_act: "silu", max_position_embeddings: 64, ...over,
  });
}

export function randomWeights(c: LlamaConfig, seed: number, std = 0.3): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const d = dimsOf(c);
  const m = new Map<string, Float32Array>();
  const rand = (n: number, s = std) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * s * Math.sqrt(3));
  const ones = (n: number) => Float32Array.from({ length: n }, () => 1 + (rng.next() - 0.5) * 0.2);
  m.set("model.embed_tokens.weight", rand(d.V * d.C, 1));
  for (let l = 0; l < d.L; l++) {
    m.set(`model.layers.${l}.input_layernorm.weight`, ones(d.C));
    m.set(`model.layers.${l}.post_attention_layernorm.weight`, ones(d.C));
    for (const [which, mod] of Object.entries(LINEAR_MODULE)) {
      const [IC, OC] = linearShape(d, which as BlockLinear);
      m.set(`model.layers.${l}.${mod}.weight`, rand(IC * OC, 1 / Math.sqrt(IC)));
      const b = ({ q_proj: "q", k_proj: "k", v_proj: "v", o_proj: "o" } as const)[which as "q_proj"];
      if (b && c.bias[b]) m.set(`model.layers.${l}.${mod}.bias`, rand(OC, 0.1));
    }
  }
  m.set("model.norm.weight", ones(d.C));
  if (!c.tie_word_embeddings) m.set("lm_head.weight", rand(d.V * d.C, 0.5));
  return m;
}

export async function buildModel<T, I>(be: Backend<T, I>, c: LlamaConfig, weights: Map<string, Float32Array>) {
  const w = await loadWeights(be, c, async (name) => {
    const t = weights.get(name);
    if (!t) throw new Error(`test weights lack ${name}`);
    return t;
  });
  return new Transformer(be, dimsOf(c), w);
}

/** Fills a workspace with ids/targets/positions for B sequences. */
export function fillBatch<T, I>(be: Backend<T, I>, ws: TrainWorkspace<T, I>, seqs: number[][], targets: number[][]): void {
  const N = ws.N;
  const ids = new Int32Array(N), tg = new Int32Array(N), pos = new Int32Array(N);
  seqs.forEach((s, b) => s.forEach((id, t) => {
    ids[b * ws.T + t] = id;
    tg[b * ws.T + t] = targets[b]![t]!;
    pos[b * ws.T + t] = t;
  }));
  be.writeIds(ws.ids, ids);
  be.writeIds(ws.targets, tg);
  be.writeIds(ws.pos, pos);
}

/**
 * The whole-model check of the thread-pool tests: a model big enough that every projection, the LoRA matmuls and the
 * lm_head go to the pool (N = 48 tokens), one LoRA forward + backward and two decoding steps. Returns the losses,
 * the LoRA gradients and the logits, for comparing backends and thread counts bit for bit.
 */
export const POOL_MODEL = tinyConfig({ vocab_size: 600, hidden_size: 96, intermediate_size: 256, num_attention_heads: 6, num_key_value_heads: 2, tie_word_embeddings: true });
const poolWeights = randomWeights(POOL_MODEL, 4, 0.1);

export async function loraStepAndDecode(b: Backend<Float32Array, Int32Array>) {
  const c = POOL_MODEL, d = dimsOf(c);
  const seqs = [0, 1].map((s) => Array.from({ length: 24 }, (_, t) => (s * 97 + t * 31) % d.V));
  const targets = seqs.map((s) => s.map((_, t) => (t % 5 === 0 ? -1 : s[(t + 1) % s.length]!)));
  const model = await buildModel(b, c, poolWeights);
  const params = attachLora(b, model.w, { r: 8, alpha: 16, rslora: false, targets: BLOCK_LINEARS }, 1);
  for (const p of params) if (p.name.includes("lora_B")) p.buf.fill(0.01); // B = 0 would make dA zero
  const ws = new Workspace(b, d, 2, 24, false);
  fillBatch(b, ws, seqs, targets);
  model.forward(ws);
  model.backward(ws, 1 / 40);
  const gen = new Generator(model, 64);
  const logits = [await gen.prompt(seqs[0]!.slice(0, 40 - 1)), await gen.append([5])];
  return { losses: ws.losses.slice(), grads: params.map((p) => p.grad.slice()), logits };
}
