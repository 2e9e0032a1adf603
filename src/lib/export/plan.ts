// What goes into a GGUF file, before any data is read: for every tensor its GGUF name, the checkpoint tensor it
// comes from, its shape, the stored type, and the transforms on the way (LoRA merge, llama's Q/K row order, Mamba's
// A = -exp(A_log)). What differs per model family is one row of FAMILIES; what differs per tensor kind, one row of
// KIND_RULES. Type rules follow llama.cpp's converter and llama-quantize; see TYPE_RULES and tensorType.

import type { LlamaConfig, MambaConfig, ModelConfig } from "../model/config.ts";
import { ropeInvFreq } from "../model/rope.ts";
import { MAMBA_LINEARS } from "../train/mamba.ts";
import { BLOCK_LINEARS } from "../train/model.ts";
import { ggufNameOf, hfNameOf, LLAMA_FILE_TYPE, tensorKindOf, tensorName, type GgmlTypeName, type TensorKind } from "../gguf/constants.ts";
import { canEncode } from "../gguf/quantize.ts";

export const EXPORT_TYPES = ["f32", "f16", "q8_0", "q4_0"] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

/**
 * Per export type: the type of 2-D weights, of the output matrix (lm_head, or the embeddings when tied), and
 * general.file_type. llama-quantize stores the output as Q6_K in Q4_0 mode; we have no K-quants and use Q8_0 there
 * (larger, at least as accurate). Which tensors stay F32 whatever the type: tensorType.
 */
export const TYPE_RULES: Record<ExportType, { weight: GgmlTypeName; output: GgmlTypeName; fileType: number }> = {
  f32: { weight: "F32", output: "F32", fileType: LLAMA_FILE_TYPE.ALL_F32 },
  f16: { weight: "F16", output: "F16", fileType: LLAMA_FILE_TYPE.MOSTLY_F16 },
  q8_0: { weight: "Q8_0", output: "Q8_0", fileType: LLAMA_FILE_TYPE.MOSTLY_Q8_0 },
  q4_0: { weight: "Q4_0", output: "Q8_0", fileType: LLAMA_FILE_TYPE.MOSTLY_Q4_0 },
};

export type GgufArch = "llama" | "qwen2" | "mamba";

/** GGUF architecture name per checkpoint architecture (convert_hf_to_gguf.py's ModelBase.register). */
export const GGUF_ARCH: Record<string, GgufArch> = { LlamaForCausalLM: "llama", Qwen2ForCausalLM: "qwen2", MambaForCausalLM: "mamba" };

/** A model llama.cpp could not load as exported; the message says why and what to use instead. */
export class UnsupportedExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedExportError";
  }
}

export interface PlannedTensor {
  gguf: string;
  /** The checkpoint tensor, or null for a computed one (see `computed`). */
  hf: string | null;
  /** The shape in the GGUF (numpy order, outermost first). */
  shape: number[];
  type: GgmlTypeName;
  /** Why the type differs from the rule, e.g. a row length that Q4_0 cannot hold. */
  fallback?: string;
  /** llama only: rows permuted per head, with this many heads. */
  permuteHeads?: number;
  /** Stored as -exp(x): Mamba's A from A_log. */
  negExp?: boolean;
  /** For hf null: what is computed. rope_freqs (Llama 3 scaling), or zeros (a tensor llama.cpp requires that the checkpoint may lack). */
  computed?: "rope_freqs" | "zeros";
  /** Module path for a LoRA merge, e.g. "model.layers.0.self_attn.q_proj". */
  loraModule?: string;
}

/**
 * GGUF tensor kinds converted with more than a rename. From convert_hf_to_gguf.py (MambaModel.modify_tensors: A_log
 * → A = -exp(A_log), conv1d (DI,1,K) squeezed to (DI,K); prepare_tensors: SSM_CONV1D always F32) and llama-quant.cpp
 * (tensor_allows_quantization: never quantizes ssm_conv1d).
 */
const KIND_RULES: Partial<Record<TensorKind, { f32?: true; squeeze?: true; negExp?: true }>> = {
  SSM_CONV1D: { f32: true, squeeze: true },
  SSM_A: { negExp: true },
};

/**
 * The stored type. F32 for what llama.cpp's converter keeps F32 in every mode: 1-D tensors, names not ending in
 * ".weight" (biases, Mamba's ssm_a and ssm_d), and the kinds KIND_RULES marks; else the export type's rule. A row
 * length the type cannot hold falls back to F16, as llama-quantize does.
 */
function tensorType(gguf: string, hf: string, kind: TensorKind | undefined, shape: number[], isOutput: boolean, type: ExportType): { type: GgmlTypeName; fallback?: string } {
  if (shape.length === 1 || !gguf.endsWith(".weight") || (kind && KIND_RULES[kind]?.f32)) return { type: "F32" };
  const want = isOutput ? TYPE_RULES[type].output : TYPE_RULES[type].weight;
  const row = shape[shape.length - 1]!;
  if (canEncode(want, row)) return { type: want };
  return { type: "F16", fallback: `row length ${row} is not a multiple of 32, so ${hf} is stored as F16 instead of ${want}` };
}

/** One row per model family: what the plan does differently for it. */
interface FamilyRule<C extends ModelConfig> {
  /** The block linears a LoRA adapter may target (PEFT target names, the last part of the module path). */
  linears: readonly string[];
  /** Throws UnsupportedExportError for what llama.cpp cannot load. */
  check(c: C): void;
  /** Per planned tensor: family transforms. */
  adjust(c: C, p: PlannedTensor): void;
  /** Tensors llama.cpp needs that the checkpoint does not hold, computed. */
  extra(c: C, present: ReadonlySet<string>): PlannedTensor[];
}

type Families = { [F in ModelConfig["family"]]: FamilyRule<Extract<ModelConfig, { family: F }>> };

const FAMILIES: Families = {
  llama: {
    linears: BLOCK_LINEARS,
    check() {},
    adjust(c: LlamaConfig, p) {
      // llama.cpp's llama graph expects Q/K rows in the interleaved RoPE order (convert_hf_to_gguf.py LlamaModel.permute)
      const qk = /self_attn\.(q|k)_proj\.(weight|bias)$/.exec(p.hf ?? "");
      if (GGUF_ARCH[c.architecture] === "llama" && qk) p.permuteHeads = qk[1] === "q" ? c.num_attention_heads : c.num_key_value_heads;
    },
    extra(c: LlamaConfig) {
      if (GGUF_ARCH[c.architecture] !== "llama" || !c.rope_scaling) return [];
      return [{ gguf: tensorName("ROPE_FREQS"), hf: null, shape: [c.head_dim / 2], type: "F32", computed: "rope_freqs" }];
    },
  },
  mamba: {
    linears: MAMBA_LINEARS,
    check(c: MambaConfig) {
      // llama.cpp src/models/mamba.cpp load_arch_tensors
      if (c.intermediate_size !== 2 * c.hidden_size) {
        throw new UnsupportedExportError(`config.json: intermediate_size ${c.intermediate_size} is not 2 × hidden_size ${c.hidden_size}: llama.cpp runs Mamba only with expand 2, so this model cannot be exported to GGUF`);
      }
      if (c.use_bias) {
        throw new UnsupportedExportError("config.json: use_bias is true, but llama.cpp's Mamba graph has no in_proj/out_proj bias (it loads no ssm_in.bias or ssm_out.bias), so this model cannot be exported to GGUF");
      }
    },
    adjust() {},
    extra(c: MambaConfig, present) {
      // llama.cpp requires ssm_conv1d.bias; a model without conv bias is the same model with a zero one
      const out: PlannedTensor[] = [];
      for (let l = 0; l < c.num_hidden_layers; l++) {
        const gguf = tensorName("SSM_CONV1D", l, "bias");
        if (!present.has(gguf)) out.push({ gguf, hf: null, shape: [c.intermediate_size], type: "F32", computed: "zeros" });
      }
      return out;
    },
  },
};

function familyOf<C extends ModelConfig>(c: C): FamilyRule<C> {
  return FAMILIES[c.family] as unknown as FamilyRule<C>;
}

/** rope_freqs for Llama 3's "llama3" scaling: llama.cpp divides each base frequency by its factor. */
export function ropeFactors(c: LlamaConfig): Float32Array {
  const scaled = ropeInvFreq(c);
  const base = ropeInvFreq({ ...c, rope_scaling: null });
  return Float32Array.from(base, (b, i) => b / scaled[i]!);
}

export function planTensors(config: ModelConfig, tensors: readonly { name: string; shape: number[] }[], type: ExportType): PlannedTensor[] {
  if (!GGUF_ARCH[config.architecture]) throw new UnsupportedExportError(`config.json: architecture ${config.architecture} has no GGUF export`);
  const family = familyOf(config);
  family.check(config);
  const out: PlannedTensor[] = [];
  // the output matrix: lm_head, or the embeddings when tied (llama-quantize's "output" rule covers both)
  const outputName = hfNameOf(tensorName(config.tie_word_embeddings ? "TOKEN_EMBD" : "OUTPUT"), config.family);
  for (const t of tensors) {
    const gguf = ggufNameOf(t.name);
    if (!gguf) throw new Error(`${t.name}: no GGUF tensor for this checkpoint tensor`);
    const kind = tensorKindOf(gguf)?.kind;
    const rule = kind ? KIND_RULES[kind] : undefined;
    const shape = rule?.squeeze ? t.shape.filter((d) => d !== 1) : t.shape;
    const p: PlannedTensor = { gguf, hf: t.name, shape, ...tensorType(gguf, t.name, kind, shape, t.name === outputName, type) };
    if (rule?.negExp) p.negExp = true;
    const m = /^(.+\.(\w+))\.weight$/.exec(t.name);
    if (m && t.shape.length === 2 && family.linears.includes(m[2]!)) p.loraModule = m[1];
    family.adjust(config, p);
    out.push(p);
  }
  return out.concat(family.extra(config, new Set(out.map((t) => t.gguf))));
}

