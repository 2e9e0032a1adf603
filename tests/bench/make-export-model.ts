// Writes a random Llama-shaped checkpoint of about 500 MB (F16 safetensors, HF layout, the small real Llama 3
// tokenizer of the test fixtures) for the export bench. Usage: node --import tsx tests/bench/make-export-model.ts DIR

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../../src/lib/model/safetensors-write.ts";
import { smallTokenizer } from "../fixtures/small-tokenizer.ts";

const dir = process.argv[2]!;
mkdirSync(dir, { recursive: true });
const tok = smallTokenizer("llama3");
const C = 1024, H = 2816, L = 16, NH = 16, NKV = 4, HS = 64, V = 32768;
const config = {
  architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: V, hidden_size: C, intermediate_size: H,
  num_hidden_layers: L, num_attention_heads: NH, num_key_value_heads: NKV, head_dim: HS, rms_norm_eps: 1e-5,
  rope_theta: 500000, max_position_embeddings: 2048, tie_word_embeddings: false, hidden_act: "silu", torch_dtype: "float16",
  bos_token_id: tok.addedId("<|begin_of_text|>"), eos_token_id: tok.addedId("<|end_of_text|>"),
};
let seed = 1;
const rand = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    a[i] = (seed / 4294967296 - 0.5) * 0.04;
  }
  return a;
};
const t: { name: string; dtype: "F16"; shape: number[]; data: Float32Array }[] = [];
const add = (name: string, shape: number[]) => t.push({ name, dtype: "F16", shape, data: rand(shape.reduce((a, b) => a * b, 1)) });
add("model.embed_tokens.weight", [V, C]);
for (let l = 0; l < L; l++) {
  const p = `model.layers.${l}.`;
  add(p + "input_layernorm.weight", [C]);
  add(p + "post_attention_layernorm.weight", [C]);
  add(p + "self_attn.q_proj.weight", [NH * HS, C]);
  add(p + "self_attn.k_proj.weight", [NKV * HS, C]);
  add(p + "self_attn.v_proj.weight", [NKV * HS, C]);
  add(p + "self_attn.o_proj.weight", [C, NH * HS]);
  add(p + "mlp.gate_proj.weight", [H, C]);
  add(p + "mlp.up_proj.weight", [H, C]);
  add(p + "mlp.down_proj.weight", [C, H]);
}
add("model.norm.weight", [C]);
add("lm_head.weight", [V, C]);
writeFileSync(join(dir, "model.safetensors"), writeSafetensors(t, { format: "pt" }));
writeFileSync(join(dir, "config.json"), JSON.stringify(config));
writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tok.tokenizerJson));
writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(tok.tokenizerConfig));
