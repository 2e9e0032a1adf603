// The tensors a Llama-family checkpoint holds, as name templates with symbolic shapes (Hugging Face names, as
// transformers saves them; `{i}` is the layer index). `expectedTensors(config)` expands them for one ModelConfig.
// Shape legend: V vocab, C hidden, I MLP width, Q = NH * HS (query width), KV = NKV * HS (key/value width);
// Mamba: DI inner width, XZ = 2 * DI (in_proj's x and gate halves), DS state size, K conv width, R dt rank,
// XP = R + 2 * DS (x_proj's dt, B and C), 1 a unit axis (conv1d's channel-group axis).
// Not here: reading tensors (checkpoint.ts).

import type { ModelConfig } from "./config.ts";

export type Dim = "V" | "C" | "I" | "Q" | "KV" | "DI" | "XZ" | "DS" | "K" | "R" | "XP" | "1";
/** When a tensor is present: always, only with that projection's bias, or only when lm_head is not tied. */
export type TensorCondition = "always" | "qBias" | "kBias" | "vBias" | "oBias" | "untied" | "mambaBias" | "convBias";

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

// transformers' modeling_mamba.py (MambaForCausalLM: backbone.embeddings, layers.{i}.norm + mixer, norm_f).
export const MAMBA_TENSOR_TEMPLATES: readonly TensorTemplate[] = [
  { name: "backbone.embeddings.weight", shape: ["V", "C"], when: "always" },
  { name: "backbone.layers.{i}.norm.weight", shape: ["C"], when: "always" },
  { name: "backbone.layers.{i}.mixer.in_proj.weight", shape: ["XZ", "C"], when: "always" },
  { name: "backbone.layers.{i}.mixer.in_proj.bias", shape: ["XZ"], when: "mambaBias" },
  { name: "backbone.layers.{i}.mixer.conv1d.weight", shape: ["DI", "1", "K"], when: "always" },
  { name: "backbone.layers.{i}.mixer.conv1d.bias", shape: ["DI"], when: "convBias" },
  { name: "backbone.layers.{i}.mixer.x_proj.weight", shape: ["XP", "DI"], when: "always" },
  { name: "backbone.layers.{i}.mixer.dt_proj.weight", shape: ["DI", "R"], when: "always" },
  { name: "backbone.layers.{i}.mixer.dt_proj.bias", shape: ["DI"], when: "always" },
  { name: "backbone.layers.{i}.mixer.A_log", shape: ["DI", "DS"], when: "always" },
  { name: "backbone.layers.{i}.mixer.D", shape: ["DI"], when: "always" },
  { name: "backbone.layers.{i}.mixer.out_proj.weight", shape: ["C", "DI"], when: "always" },
  { name: "backbone.layers.{i}.mixer.out_proj.bias", shape: ["C"], when: "mambaBias" },
  { name: "backbone.norm_f.weight", shape: ["C"], when: "always" },
  { name: "lm_head.weight", shape: ["V", "C"], when: "untied" },
];

export interface ExpectedTensor {
  name: string;
  shape: number[];
}

/** Sizes of the dims; those of the other family are NaN (no template of this family uses them). */
export function dimSizes(c: ModelConfig): Record<Dim, number> {
  const common = { V: c.vocab_size, C: c.hidden_size, I: c.intermediate_size, "1": 1 };
  const none = { Q: NaN, KV: NaN, DI: NaN, XZ: NaN, DS: NaN, K: NaN, R: NaN, XP: NaN };
  if (c.family === "mamba") {
    const DI = c.intermediate_size;
    return { ...common, ...none, DI, XZ: 2 * DI, DS: c.state_size, K: c.conv_kernel, R: c.time_step_rank, XP: c.time_step_rank + 2 * c.state_size };
  }
  return { ...common, ...none, Q: c.num_attention_heads * c.head_dim, KV: c.num_key_value_heads * c.head_dim };
}

function applies(when: TensorCondition, c: ModelConfig): boolean {
  if (when === "always") return true;
  if (when === "untied") return !c.tie_word_embeddings;
  if (c.family === "mamba") return when === "mambaBias" ? c.use_bias : when === "convBias" ? c.use_conv_bias : false;
  switch (when) {
    case "qBias":
      return c.bias.q;
    case "kBias":
      return c.bias.k;
    case "vBias":
      return c.bias.v;
    case "oBias":
      return c.bias.o;
    default:
      return false;
  }
}

/** The template table of the config's family. */
export function tensorTemplates(c: ModelConfig): readonly TensorTemplate[] {
  return c.family === "mamba" ? MAMBA_TENSOR_TEMPLATES : TENSOR_TEMPLATES;
}

/** Every tensor the config needs, in template order, layer by layer. */
export function expectedTensors(config: ModelConfig): ExpectedTensor[] {
  const dims = dimSizes(config);
  const out: ExpectedTensor[] = [];
  const add = (t: TensorTemplate, name: string) => out.push({ name, shape: t.shape.map((d) => dims[d]) });
  const templates = tensorTemplates(config);
  const perLayer = templates.filter((t) => t.name.includes("{i}") && applies(t.when, config));
  let layersDone = false;
  for (const t of templates) {
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

/**
 * How many layers `names` (a checkpoint's tensor names) hold tensors for: the distinct layer indices under the
 * family's layer prefix ("model.layers." / "backbone.layers."). O(number of names); never more than names.length.
 */
export function layersPresent(config: ModelConfig, names: Iterable<string>): number {
  const template = tensorTemplates(config).find((t) => t.name.includes("{i}"))!.name;
  const prefix = template.slice(0, template.indexOf("{i}"));
  const seen = new Set<string>();
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const dot = n.indexOf(".", prefix.length);
    const index = n.slice(prefix.length, dot < 0 ? undefined : dot);
    if (/^(0|[1-9]\d*)$/.test(index)) seen.add(index);
  }
  return seen.size;
}

export function layerTensorName(template: string, layer: number): string {
  return template.replace("{i}", String(layer));
}
