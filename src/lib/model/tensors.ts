// The tensors a Llama-family checkpoint holds, as name templates with symbolic shapes (Hugging Face names, as
// transformers saves them; `{i}` is the layer index). `expectedTensors(config)` expands them for one ModelConfig.
// Shape legend: V vocab, C hidden, I MLP width, Q = NH * HS (query width), KV = NKV * HS (key/value width).
// Not here: reading tensors (checkpoint.ts).

import type { ModelConfig } from "./config.ts";

export type Dim = "V" | "C" | "I" | "Q" | "KV";
/** When a tensor is present: always, only with that projection's bias, or only when lm_head is not tied. */
export type TensorCondition = "always" | "qBias" | "kBias" | "vBias" | "oBias" | "untied";

export interface TensorTemplate {
  name: string;
  shape: readonly Dim[];
  when: TensorCondition;
}

export const TENSOR_TEMPLATES: readonly TensorTemplate[] = [
  { name: "model.embed_tokens.weight", shape: ["V", "C"], when: "always" },
  { name: "model.layers.{i}.input_layernorm.weight", shape: ["C"], when: "always" },
  { name: "model.layers.{i}.self_attn.q_proj.weight", shape: ["Q", "C"], when: "always" },
  { name: "model.layers.{i}.self_attn.q_proj.bias", shape: ["Q"], when: "qBias" },
  { name: "model.layers.{i}.self_attn.k_proj.weight", shape: ["KV", "C"], when: "always" },
  { name: "model.layers.{i}.self_attn.k_proj.bias", shape: ["KV"], when: "kBias" },
  { name: "model.layers.{i}.self_attn.v_proj.weight", shape: ["KV", "C"], when: "always" },
  { name: "model.layers.{i}.self_attn.v_proj.bias", shape: ["KV"], when: "vBias" },
  { name: "model.layers.{i}.self_attn.o_proj.weight", shape: ["C", "Q"], when: "always" },
  { name: "model.layers.{i}.self_attn.o_proj.bias", shape: ["C"], when: "oBias" },
  { name: "model.layers.{i}.post_attention_layernorm.weight", shape: ["C"], when: "always" },
  { name: "model.layers.{i}.mlp.gate_proj.weight", shape: ["I", "C"], when: "always" },
  { name: "model.layers.{i}.mlp.up_proj.weight", shape: ["I", "C"], when: "always" },
  { name: "model.layers.{i}.mlp.down_proj.weight", shape: ["C", "I"], when: "always" },
  { name: "model.norm.weight", shape: ["C"], when: "always" },
  { name: "lm_head.weight", shape: ["V", "C"], when: "untied" },
];

export interface ExpectedTensor {
  name: string;
  shape: number[];
}

export function dimSizes(c: ModelConfig): Record<Dim, number> {
  return {
    V: c.vocab_size,
    C: c.hidden_size,
    I: c.intermediate_size,
    Q: c.num_attention_heads * c.head_dim,
    KV: c.num_key_value_heads * c.head_dim,
  };
}

function applies(when: TensorCondition, c: ModelConfig): boolean {
  switch (when) {
    case "always":
      return true;
    case "untied":
      return !c.tie_word_embeddings;
    case "qBias":
      return c.bias.q;
    case "kBias":
      return c.bias.k;
    case "vBias":
      return c.bias.v;
    case "oBias":
      return c.bias.o;
  }
}

/** Every tensor the config needs, in template order, layer by layer. */
export function expectedTensors(config: ModelConfig): ExpectedTensor[] {
  const dims = dimSizes(config);
  const out: ExpectedTensor[] = [];
  const add = (t: TensorTemplate, name: string) => out.push({ name, shape: t.shape.map((d) => dims[d]) });
  const perLayer = TENSOR_TEMPLATES.filter((t) => t.name.includes("{i}") && applies(t.when, config));
  let layersDone = false;
  for (const t of TENSOR_TEMPLATES) {
    if (!applies(t.when, config)) continue;
    if (!t.name.includes("{i}")) add(t, t.name);
    else if (!layersDone) {
      // All layers where the table first mentions one, layer by layer, as checkpoints list them.
      layersDone = true;
      for (let i = 0; i < config.num_hidden_layers; i++) for (const p of perLayer) add(p, layerTensorName(p.name, i));
    }
  }
  return out;
}

export function layerTensorName(template: string, layer: number): string {
  return template.replace("{i}", String(layer));
}
