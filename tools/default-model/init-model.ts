// init-model.ts — a freshly initialised Llama checkpoint folder in Hugging Face layout (config.json,
// generation_config.json, tokenizer files, model.safetensors), the starting point of the default model's full training.
// Initialisation as GPT-2/Llama do it: normal(0, 0.02) weights, residual output projections (o_proj, down_proj) scaled
// by 1/sqrt(2L), RMSNorm weights 1. Seeded, so the same seed gives the same bytes.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../../src/lib/fim/prng.ts";
import { writeSafetensors } from "../../src/lib/model/safetensors-write.ts";

export interface LlamaDims {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  context: number;
}

export interface TokenizerFiles {
  "tokenizer.json": string;
  "tokenizer_config.json": string;
  bos: number;
  eos: number;
}

export function llamaConfig(d: LlamaDims, bos: number, eos: number): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"], model_type: "llama",
    hidden_size: d.hidden, num_hidden_layers: d.layers, num_attention_heads: d.heads, num_key_value_heads: d.kvHeads,
    head_dim: d.hidden / d.heads, intermediate_size: d.intermediate, vocab_size: d.vocab,
    max_position_embeddings: d.context, rope_theta: 10000, rope_scaling: null, rms_norm_eps: 1e-5,
    hidden_act: "silu", attention_bias: false, mlp_bias: false, tie_word_embeddings: true, initializer_range: 0.02,
    bos_token_id: bos, eos_token_id: eos, torch_dtype: "float32", use_cache: true,
  };
}

/** Parameter count of the tied Llama with these dims. */
export function paramCount(d: LlamaDims): number {
  const hs = d.hidden / d.heads;
  const attn = d.hidden * d.heads * hs * 2 + d.hidden * d.kvHeads * hs * 2;
  return d.vocab * d.hidden + d.layers * (attn + 3 * d.hidden * d.intermediate + 2 * d.hidden) + d.hidden;
}

export function writeInitialModel(dir: string, d: LlamaDims, tok: TokenizerFiles, seed = 1): void {
  if (d.hidden % d.heads !== 0) throw new Error(`hidden ${d.hidden} is not a multiple of heads ${d.heads}`);
  const hs = d.hidden / d.heads;
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const normal = (n: number, std: number) => Float32Array.from({ length: n }, () => gauss() * std);
  const residual = 0.02 / Math.sqrt(2 * d.layers);
  const tensors: { name: string; dtype: "F32"; shape: number[]; data: Float32Array }[] = [];
  const add = (name: string, shape: number[], data: Float32Array) => tensors.push({ name, dtype: "F32", shape, data });
  add("model.embed_tokens.weight", [d.vocab, d.hidden], normal(d.vocab * d.hidden, 0.02));
  for (let l = 0; l < d.layers; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, [d.hidden], new Float32Array(d.hidden).fill(1));
    add(`${p}self_attn.q_proj.weight`, [d.heads * hs, d.hidden], normal(d.heads * hs * d.hidden, 0.02));
    add(`${p}self_attn.k_proj.weight`, [d.kvHeads * hs, d.hidden], normal(d.kvHeads * hs * d.hidden, 0.02));
    add(`${p}self_attn.v_proj.weight`, [d.kvHeads * hs, d.hidden], normal(d.kvHeads * hs * d.hidden, 0.02));
    add(`${p}self_attn.o_proj.weight`, [d.hidden, d.heads * hs], normal(d.hidden * d.heads * hs, residual));
    add(`${p}post_attention_layernorm.weight`, [d.hidden], new Float32Array(d.hidden).fill(1));
    add(`${p}mlp.gate_proj.weight`, [d.intermediate, d.hidden], normal(d.intermediate * d.hidden, 0.02));
    add(`${p}mlp.up_proj.weight`, [d.intermediate, d.hidden], normal(d.intermediate * d.hidden, 0.02));
    add(`${p}mlp.down_proj.weight`, [d.hidden, d.intermediate], normal(d.hidden * d.intermediate, residual));
  }
  add("model.norm.weight", [d.hidden], new Float32Array(d.hidden).fill(1));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify(llamaConfig(d, tok.bos, tok.eos), null, 2) + "\n");
  writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ bos_token_id: tok.bos, eos_token_id: tok.eos }, null, 2) + "\n");
  writeFileSync(join(dir, "tokenizer.json"), tok["tokenizer.json"]);
  writeFileSync(join(dir, "tokenizer_config.json"), tok["tokenizer_config.json"]);
  writeFileSync(join(dir, "model.safetensors"), writeSafetensors(tensors, { format: "pt" }));
}
