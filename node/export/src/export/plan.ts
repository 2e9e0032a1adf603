// What goes into a GGUF file, before any data is read: for every tensor its GGUF name, the checkpoint tensor it
// comes from, its shape, the stored type, and the transforms on the way (LoRA merge, llama's Q/K row order).
// Type rules follow llama-quantize for the output tensor; see TYPE_RULES.

import { type LlamaConfig, type ModelConfig, requireLlama } from "../../../../src/lib/model/config.ts";
import { ropeInvFreq } from "../../../../src/lib/model/rope.ts";
import { ggufNameOf, LLAMA_FILE_TYPE, type GgmlTypeName } from "../gguf/constants.ts";
import { canEncode } from "../gguf/quantize.ts";

export const EXPORT_TYPES = ["f32", "f16", "q8_0", "q4_0"] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

/**
 * Per export type: the type of 2-D weights, of the output matrix (lm_head, or embed_tokens when tied), and
 * general.file_type. 1-D tensors (norms, biases, rope_freqs) are always F32. llama-quantize stores the output as
 * Q6_K in Q4_0 mode; we have no K-quants and use Q8_0 there (larger, at least as accurate).
 */
export const TYPE_RULES: Record<ExportType, { weight: GgmlTypeName; output: GgmlTypeName; fileType: number }> = {
  f32: { weight: "F32", output: "F32", fileType: LLAMA_FILE_TYPE.ALL_F32 },
  f16: { weight: "F16", output: "F16", fileType: LLAMA_FILE_TYPE.MOSTLY_F16 },
  q8_0: { weight: "Q8_0", output: "Q8_0", fileType: LLAMA_FILE_TYPE.MOSTLY_Q8_0 },
  q4_0: { weight: "Q4_0", output: "Q8_0", fileType: LLAMA_FILE_TYPE.MOSTLY_Q4_0 },
};

/** GGUF architecture name per checkpoint architecture. */
export const GGUF_ARCH: Record<string, "llama" | "qwen2"> = { LlamaForCausalLM: "llama", Qwen2ForCausalLM: "qwen2" };

export interface PlannedTensor {
  gguf: string;
  /** The checkpoint tensor, or null for rope_freqs (computed). */
  hf: string | null;
  shape: number[];
  type: GgmlTypeName;
  /** Why the type differs from the rule, e.g. a row length that Q4_0 cannot hold. */
  fallback?: string;
  /** llama only: rows permuted per head, with this many heads. */
  permuteHeads?: number;
  /** Module path for a LoRA merge, e.g. "model.layers.0.self_attn.q_proj". */
  loraModule?: string;
}

/** rope_freqs for Llama 3's "llama3" scaling: llama.cpp divides each base frequency by its factor. */
export function ropeFactors(c: LlamaConfig): Float32Array {
  const scaled = ropeInvFreq(c);
  const base = ropeInvFreq({ ...c, rope_scaling: null });
  return Float32Array.from(base, (b, i) => b / scaled[i]!);
}

export function planTensors(config: ModelConfig, tensors: readonly { name: string; shape: number[] }[], type: ExportType): PlannedTensor[] {
  const c = requireLlama(config, "GGUF export");
  const arch = GGUF_ARCH[c.architecture]!;
  const rule = TYPE_RULES[type];
  const out: PlannedTensor[] = [];
  const outputName = c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  for (const t of tensors) {
    const gguf = ggufNameOf(t.name);
    if (!gguf) throw new Error(`${t.name}: no GGUF tensor for this checkpoint tensor`);
    let want: GgmlTypeName = t.shape.length === 1 ? "F32" : t.name === outputName ? rule.output : rule.weight;
    let fallback: string | undefined;
    if (!canEncode(want, t.shape[t.shape.length - 1]!)) {
      fallback = `row length ${t.shape[t.shape.length - 1]} is not a multiple of 32, so ${t.name} is stored as F16 instead of ${want}`;
      want = "F16";
    }
    const p: PlannedTensor = { gguf, hf: t.name, shape: t.shape, type: want, fallback };
    const m = /^(model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj)\.weight$/.exec(t.name);
    if (m) p.loraModule = m[1];
    const qk = /self_attn\.(q|k)_proj\.(weight|bias)$/.exec(t.name);
    if (arch === "llama" && qk) p.permuteHeads = qk[1] === "q" ? c.num_attention_heads : c.num_key_value_heads;
    out.push(p);
  }
  if (arch === "llama" && c.rope_scaling) out.push({ gguf: "rope_freqs.weight", hf: null, shape: [c.head_dim / 2], type: "F32" });
  return out;
}
