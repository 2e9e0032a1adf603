// Checkpoint tensors (Hugging Face names) → the engine's TransformerWeights on a backend. The names are the
// checkpoint's own; the one table here maps each block linear to its module path.

import type { LlamaConfig, MambaConfig, ModelConfig } from "../model/config.ts";
import { ropeInvFreq } from "../model/rope.ts";
import type { Backend } from "./backend.ts";
import type { CausalLM } from "./causal-lm.ts";
import { enableFullTraining, type Param } from "./lora.ts";
import { Mamba } from "./mamba.ts";
import { enableMambaFullTraining, loadMambaWeights, mambaDimsOf, namedMambaWeights } from "./mamba-weights.ts";
import type { Linear } from "./linear.ts";
import type { WeightFormat } from "./quant.ts";
import { loadTables } from "./tables.ts";
import { BLOCK_LINEARS, type BlockLinear, type BlockWeights, Transformer, type TransformerDims, type TransformerWeights } from "./model.ts";

/** Module path of each block linear under `model.layers.{l}.` */
export const LINEAR_MODULE: Record<BlockLinear, string> = {
  q_proj: "self_attn.q_proj", k_proj: "self_attn.k_proj", v_proj: "self_attn.v_proj", o_proj: "self_attn.o_proj",
  gate_proj: "mlp.gate_proj", up_proj: "mlp.up_proj", down_proj: "mlp.down_proj",
};

type Get = (name: string) => Promise<Float32Array>;

/** The model of a checkpoint of either family, its weights loaded through `get`. */
export async function loadModel<T, I>(be: Backend<T, I>, c: LlamaConfig, get: Get, opts?: WeightOptions): Promise<Transformer<T, I>>;
export async function loadModel<T, I>(be: Backend<T, I>, c: MambaConfig, get: Get, opts?: WeightOptions): Promise<Mamba<T, I>>;
export async function loadModel<T, I>(be: Backend<T, I>, c: ModelConfig, get: Get, opts?: WeightOptions): Promise<CausalLM<T, I>>;
export async function loadModel<T, I>(be: Backend<T, I>, c: ModelConfig, get: Get, opts: WeightOptions = {}): Promise<CausalLM<T, I>> {
  if (c.family === "mamba") return new Mamba(be, mambaDimsOf(c), await loadMambaWeights(be, c, get, opts));
  return new Transformer(be, dimsOf(c), await loadWeights(be, c, get, opts));
}

/** Every weight of a model by its HF name (a tied lm_head once). */
export function namedModelWeights<T, I>(m: CausalLM<T, I>): [string, T][] {
  if (m instanceof Mamba) return namedMambaWeights(m.w);
  if (m instanceof Transformer) return namedWeights(m.w);
  throw new Error(`namedModelWeights: unknown model family ${m.family}`);
}

/** Full-parameter training of either family: a gradient for every weight. */
export function enableModelFullTraining<T, I>(be: Backend<T, I>, m: CausalLM<T, I>): Param<T>[] {
  if (m instanceof Mamba) return enableMambaFullTraining(be, m.w, m.d);
  if (m instanceof Transformer) return enableFullTraining(be, m.w, m.d.V, m.d.C);
  throw new Error(`enableModelFullTraining: unknown model family ${m.family}`);
}

export function dimsOf(c: LlamaConfig): TransformerDims {
  return {
    V: c.vocab_size, C: c.hidden_size, L: c.num_hidden_layers, NH: c.num_attention_heads, NKV: c.num_key_value_heads,
    HS: c.head_dim, H: c.intermediate_size, eps: c.rms_norm_eps,
  };
}

/** (IC, OC) of each block linear. */
export function linearShape(d: TransformerDims, which: BlockLinear): [number, number] {
  const Q = d.NH * d.HS;
  const KV = d.NKV * d.HS;
  const shapes: Record<BlockLinear, [number, number]> = {
    q_proj: [d.C, Q], k_proj: [d.C, KV], v_proj: [d.C, KV], o_proj: [Q, d.C],
    gate_proj: [d.C, d.H], up_proj: [d.C, d.H], down_proj: [d.H, d.C],
  };
  return shapes[which];
}

const BIAS_OF: Partial<Record<BlockLinear, "q" | "k" | "v" | "o">> = { q_proj: "q", k_proj: "k", v_proj: "v", o_proj: "o" };

export interface WeightOptions {
  /**
   * How the frozen block linears (q/k/v/o, gate/up/down) are stored (quant.ts): "f32" (default: exact), "f16", or
   * QLoRA-style "int8" / "int4" blocks dequantized inside the matmul (int4 lets Llama-3.2-1B fit a browser tab).
   * Norms and biases stay f32 (the embedding and lm_head: `table`); full training needs "f32".
   */
  weights?: WeightFormat;
  /**
   * How the embedding and lm_head are held, for inference only (Backend.uploadTable): "f32" (default; training and
   * scoring need it) or "int8" (the values of GGUF Q8_0, what our Q8_0 and Q4_0 exports store for the output
   * matrix). A table whose rows do not fill whole blocks stays f32. `inferenceWeights` picks it from `weights`.
   */
  table?: WeightFormat;
}

/** Loads every tensor through `get` (HF name → float32 data) onto the backend. */
export async function loadWeights<T, I>(
  be: Backend<T, I>, c: LlamaConfig, get: (name: string) => Promise<Float32Array>, opts: WeightOptions = {},
): Promise<TransformerWeights<T>> {
  const d = dimsOf(c);
  const format = opts.weights ?? "f32";
  const up = async (name: string) => be.upload(await get(name), name);
  const blocks: BlockWeights<T>[] = [];
  for (let l = 0; l < d.L; l++) {
    const p = `model.layers.${l}.`;
    const lin = {} as Record<BlockLinear, Linear<T>>;
    for (const which of BLOCK_LINEARS) {
      const [IC, OC] = linearShape(d, which);
      const name = p + LINEAR_MODULE[which];
      const b = BIAS_OF[which];
      const weight = be.uploadFrozen(await get(`${name}.weight`), OC, IC, format, `${name}.weight`);
      lin[which] = { name, IC, OC, weight, format, bias: b && c.bias[b] ? await up(`${name}.bias`) : null };
    }
    blocks.push({ ln1: await up(`${p}input_layernorm.weight`), ln2: await up(`${p}post_attention_layernorm.weight`), lin });
  }
  const names = { embedding: "model.embed_tokens.weight", lmHead: "lm_head.weight" };
  const { wte, lmHead } = await loadTables(be, get, d.V, d.C, c.tie_word_embeddings, names, opts);
  return {
    wte,
    lnf: await up("model.norm.weight"),
    lmHead,
    blocks,
    invFreq: be.upload(Float32Array.from(ropeInvFreq(c)), "inv_freq"),
  };
}

/** Every weight by its HF name (tied lm_head once, as embed_tokens). */
export function namedWeights<T>(w: TransformerWeights<T>): [string, T][] {
  const out: [string, T][] = [["model.embed_tokens.weight", w.wte]];
  w.blocks.forEach((b, l) => {
    out.push([`model.layers.${l}.input_layernorm.weight`, b.ln1], [`model.layers.${l}.post_attention_layernorm.weight`, b.ln2]);
    for (const which of BLOCK_LINEARS) {
      out.push([`${b.lin[which].name}.weight`, b.lin[which].weight]);
      if (b.lin[which].bias) out.push([`${b.lin[which].name}.bias`, b.lin[which].bias!]);
    }
  });
  out.push(["model.norm.weight", w.lnf]);
  if (w.lmHead !== w.wte) out.push(["lm_head.weight", w.lmHead]);
  return out;
}
