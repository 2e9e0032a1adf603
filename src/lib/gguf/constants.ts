// The GGUF file format as tables with their wire numbers: value types, tensor types and their block sizes, token
// types, file types, the metadata keys we write (with the value type llama.cpp's converter gives each) and the
// tensor names of the llama / qwen2 / mamba architectures with the Hugging Face module each comes from.
// Sources: llama.cpp gguf-py/gguf/constants.py (GGUF_MAGIC, GGUFValueType, GGMLQuantizationType, GGML_QUANT_SIZES,
// TokenType, LlamaFileType, Keys, TENSOR_NAMES, MODEL_TENSORS), gguf-py/gguf/gguf_writer.py (the add_* helpers'
// value types), gguf-py/gguf/tensor_mapping.py (Hugging Face names), ggml docs/gguf.md (the layout).
// Everything else here is derived from those tables. Not here: encoding (quantize.ts, writer.ts).

/** "GGUF" read as a little-endian u32: the bytes 0x47 0x47 0x55 0x46. */
export const GGUF_MAGIC = 0x46554747;
export const GGUF_VERSION = 3;
/** Used when a file has no general.alignment. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml.h GGML_QNT_VERSION: the general.quantization_version of files with quantized tensors. */
export const GGML_QUANT_VERSION = 2;
/** ggml.h GGML_MAX_NAME is 64 with the terminating NUL, so a tensor name has at most 63 bytes (gguf.cpp rejects longer). */
export const GGML_MAX_NAME_BYTES = 63;
/** ggml.h GGML_MAX_DIMS. */
export const GGML_MAX_DIMS = 4;

/** gguf_metadata_value_type, a u32 on the wire. */
export const GGUF_VALUE_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export type GgufValueTypeName = keyof typeof GGUF_VALUE_TYPE;
/** The value types of fixed size. */
export type GgufScalarTypeName = Exclude<GgufValueTypeName, "STRING" | "ARRAY">;

/** Bytes of each fixed-size value type (docs/gguf.md: BOOL is one byte, 0 or 1). */
export const GGUF_SCALAR_BYTES: Record<GgufScalarTypeName, number> = {
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  UINT32: 4,
  INT32: 4,
  FLOAT32: 4,
  BOOL: 1,
  UINT64: 8,
  INT64: 8,
  FLOAT64: 8,
};

/** ggml_type, a u32 on the wire: the types we write, and BF16 so that files holding it can be read. */
export const GGML_TYPE = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
  BF16: 30,
} as const;

export type GgmlTypeName = keyof typeof GGML_TYPE;

/** [elements per block, bytes per block] (GGML_QUANT_SIZES). Q4_0: fp16 scale + 32 nibbles; Q8_0: fp16 scale + 32 int8. */
export const QUANT_BLOCK: Record<GgmlTypeName, readonly [elements: number, bytes: number]> = {
  F32: [1, 4],
  F16: [1, 2],
  Q4_0: [32, 2 + 16],
  Q8_0: [32, 2 + 32],
  BF16: [1, 2],
};

/** tokenizer.ggml.token_type values (TokenType). */
export const TOKEN_TYPE = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

/** general.file_type values (LlamaFileType; "mostly": 1-D tensors such as norms stay F32). */
export const LLAMA_FILE_TYPE = {
  ALL_F32: 0,
  MOSTLY_F16: 1,
  MOSTLY_Q4_0: 2,
  MOSTLY_Q8_0: 7,
  MOSTLY_BF16: 32,
} as const;

/** A metadata key and the value type llama.cpp's converter writes it with; `{arch}` is general.architecture. */
export interface KeyRow {
  readonly key: string;
  readonly type: GgufValueTypeName;
  /** For ARRAY keys, the type of the items. */
  readonly itemType?: GgufValueTypeName;
}

/** The keys an exported llama / qwen2 / mamba model carries (Keys, typed as in gguf_writer.py's add_* helpers). */
export const KEY = {
  ARCHITECTURE: { key: "general.architecture", type: "STRING" },
  NAME: { key: "general.name", type: "STRING" },
  ALIGNMENT: { key: "general.alignment", type: "UINT32" },
  FILE_TYPE: { key: "general.file_type", type: "UINT32" },
  QUANTIZATION_VERSION: { key: "general.quantization_version", type: "UINT32" },
  VOCAB_SIZE: { key: "{arch}.vocab_size", type: "UINT32" },
  CONTEXT_LENGTH: { key: "{arch}.context_length", type: "UINT32" },
  EMBEDDING_LENGTH: { key: "{arch}.embedding_length", type: "UINT32" },
  BLOCK_COUNT: { key: "{arch}.block_count", type: "UINT32" },
  FEED_FORWARD_LENGTH: { key: "{arch}.feed_forward_length", type: "UINT32" },
  HEAD_COUNT: { key: "{arch}.attention.head_count", type: "UINT32" },
  HEAD_COUNT_KV: { key: "{arch}.attention.head_count_kv", type: "UINT32" },
  KEY_LENGTH: { key: "{arch}.attention.key_length", type: "UINT32" },
  VALUE_LENGTH: { key: "{arch}.attention.value_length", type: "UINT32" },
  LAYERNORM_RMS_EPS: { key: "{arch}.attention.layer_norm_rms_epsilon", type: "FLOAT32" },
  ROPE_DIMENSION_COUNT: { key: "{arch}.rope.dimension_count", type: "UINT32" },
  ROPE_FREQ_BASE: { key: "{arch}.rope.freq_base", type: "FLOAT32" },
  ROPE_SCALING_TYPE: { key: "{arch}.rope.scaling.type", type: "STRING" },
  ROPE_SCALING_FACTOR: { key: "{arch}.rope.scaling.factor", type: "FLOAT32" },
  ROPE_SCALING_ORIG_CTX_LEN: { key: "{arch}.rope.scaling.original_context_length", type: "UINT32" },
  SSM_CONV_KERNEL: { key: "{arch}.ssm.conv_kernel", type: "UINT32" },
  SSM_INNER_SIZE: { key: "{arch}.ssm.inner_size", type: "UINT32" },
  SSM_STATE_SIZE: { key: "{arch}.ssm.state_size", type: "UINT32" },
  SSM_TIME_STEP_RANK: { key: "{arch}.ssm.time_step_rank", type: "UINT32" },
  SSM_DT_B_C_RMS: { key: "{arch}.ssm.dt_b_c_rms", type: "BOOL" },
  TOKENIZER_MODEL: { key: "tokenizer.ggml.model", type: "STRING" },
  TOKENIZER_PRE: { key: "tokenizer.ggml.pre", type: "STRING" },
  TOKENS: { key: "tokenizer.ggml.tokens", type: "ARRAY", itemType: "STRING" },
  TOKEN_TYPE: { key: "tokenizer.ggml.token_type", type: "ARRAY", itemType: "INT32" },
  SCORES: { key: "tokenizer.ggml.scores", type: "ARRAY", itemType: "FLOAT32" },
  MERGES: { key: "tokenizer.ggml.merges", type: "ARRAY", itemType: "STRING" },
  BOS_ID: { key: "tokenizer.ggml.bos_token_id", type: "UINT32" },
  EOS_ID: { key: "tokenizer.ggml.eos_token_id", type: "UINT32" },
  EOT_ID: { key: "tokenizer.ggml.eot_token_id", type: "UINT32" },
  UNK_ID: { key: "tokenizer.ggml.unknown_token_id", type: "UINT32" },
  PAD_ID: { key: "tokenizer.ggml.padding_token_id", type: "UINT32" },
  ADD_BOS: { key: "tokenizer.ggml.add_bos_token", type: "BOOL" },
  ADD_EOS: { key: "tokenizer.ggml.add_eos_token", type: "BOOL" },
  CHAT_TEMPLATE: { key: "tokenizer.chat_template", type: "STRING" },
  FIM_PRE_ID: { key: "tokenizer.ggml.fim_pre_token_id", type: "UINT32" },
  FIM_SUF_ID: { key: "tokenizer.ggml.fim_suf_token_id", type: "UINT32" },
  FIM_MID_ID: { key: "tokenizer.ggml.fim_mid_token_id", type: "UINT32" },
  FIM_PAD_ID: { key: "tokenizer.ggml.fim_pad_token_id", type: "UINT32" },
  FIM_REP_ID: { key: "tokenizer.ggml.fim_rep_token_id", type: "UINT32" },
  FIM_SEP_ID: { key: "tokenizer.ggml.fim_sep_token_id", type: "UINT32" },
} as const satisfies Record<string, KeyRow>;

/** A key with `{arch}` filled in. */
export function keyFor(row: KeyRow, arch?: string): string {
  if (!row.key.includes("{arch}")) return row.key;
  if (arch === undefined) throw new Error(`${row.key} needs the architecture name`);
  return row.key.replace("{arch}", arch);
}

/** The model families of src/lib/model/config.ts, whose checkpoints name their tensors differently. */
export type HfFamily = "llama" | "mamba";

interface TensorRow {
  readonly gguf: string;
  /** The Hugging Face module per family (transformers' LlamaForCausalLM / Qwen2ForCausalLM, MambaForCausalLM). */
  readonly hf: Readonly<Partial<Record<HfFamily, string>>>;
  /** The name is the whole tensor name, with no `.weight` / `.bias` (Mamba's A_log and D; ssm_a and ssm_d). */
  readonly bare?: true;
}

/**
 * One row per tensor of the llama / qwen2 / mamba graphs: the GGUF name (TENSOR_NAMES) and the Hugging Face module it
 * is converted from, per family (tensor_mapping.py). `{bid}` is the layer index in both. Names here lack the `.weight`
 * / `.bias` suffix, which carries over unchanged, except for bare rows. rope_freqs has no Hugging Face tensor:
 * converters compute it from rope_scaling (Llama 3.1 style).
 */
export const TENSORS = {
  TOKEN_EMBD: { gguf: "token_embd", hf: { llama: "model.embed_tokens", mamba: "backbone.embeddings" } },
  OUTPUT_NORM: { gguf: "output_norm", hf: { llama: "model.norm", mamba: "backbone.norm_f" } },
  OUTPUT: { gguf: "output", hf: { llama: "lm_head", mamba: "lm_head" } },
  ROPE_FREQS: { gguf: "rope_freqs", hf: {} },
  ATTN_NORM: { gguf: "blk.{bid}.attn_norm", hf: { llama: "model.layers.{bid}.input_layernorm", mamba: "backbone.layers.{bid}.norm" } },
  ATTN_Q: { gguf: "blk.{bid}.attn_q", hf: { llama: "model.layers.{bid}.self_attn.q_proj" } },
  ATTN_K: { gguf: "blk.{bid}.attn_k", hf: { llama: "model.layers.{bid}.self_attn.k_proj" } },
  ATTN_V: { gguf: "blk.{bid}.attn_v", hf: { llama: "model.layers.{bid}.self_attn.v_proj" } },
  ATTN_OUT: { gguf: "blk.{bid}.attn_output", hf: { llama: "model.layers.{bid}.self_attn.o_proj" } },
  FFN_NORM: { gguf: "blk.{bid}.ffn_norm", hf: { llama: "model.layers.{bid}.post_attention_layernorm" } },
  FFN_GATE: { gguf: "blk.{bid}.ffn_gate", hf: { llama: "model.layers.{bid}.mlp.gate_proj" } },
  FFN_UP: { gguf: "blk.{bid}.ffn_up", hf: { llama: "model.layers.{bid}.mlp.up_proj" } },
  FFN_DOWN: { gguf: "blk.{bid}.ffn_down", hf: { llama: "model.layers.{bid}.mlp.down_proj" } },
  SSM_IN: { gguf: "blk.{bid}.ssm_in", hf: { mamba: "backbone.layers.{bid}.mixer.in_proj" } },
  SSM_CONV1D: { gguf: "blk.{bid}.ssm_conv1d", hf: { mamba: "backbone.layers.{bid}.mixer.conv1d" } },
  SSM_X: { gguf: "blk.{bid}.ssm_x", hf: { mamba: "backbone.layers.{bid}.mixer.x_proj" } },
  SSM_DT: { gguf: "blk.{bid}.ssm_dt", hf: { mamba: "backbone.layers.{bid}.mixer.dt_proj" } },
  SSM_A: { gguf: "blk.{bid}.ssm_a", hf: { mamba: "backbone.layers.{bid}.mixer.A_log" }, bare: true },
  SSM_D: { gguf: "blk.{bid}.ssm_d", hf: { mamba: "backbone.layers.{bid}.mixer.D" }, bare: true },
  SSM_OUT: { gguf: "blk.{bid}.ssm_out", hf: { mamba: "backbone.layers.{bid}.mixer.out_proj" } },
} as const satisfies Record<string, TensorRow>;

export type TensorKind = keyof typeof TENSORS;

/** The tensors each architecture may hold (MODEL_TENSORS, less what llama's MoE variants add). */
export const ARCH_TENSORS = {
  llama: ["TOKEN_EMBD", "OUTPUT_NORM", "OUTPUT", "ROPE_FREQS", "ATTN_NORM", "ATTN_Q", "ATTN_K", "ATTN_V", "ATTN_OUT",
    "FFN_NORM", "FFN_GATE", "FFN_DOWN", "FFN_UP"],
  qwen2: ["TOKEN_EMBD", "OUTPUT_NORM", "OUTPUT", "ROPE_FREQS", "ATTN_NORM", "ATTN_Q", "ATTN_K", "ATTN_V", "ATTN_OUT",
    "FFN_NORM", "FFN_GATE", "FFN_DOWN", "FFN_UP"],
  mamba: ["TOKEN_EMBD", "OUTPUT_NORM", "OUTPUT", "ATTN_NORM", "SSM_IN", "SSM_CONV1D", "SSM_X", "SSM_DT", "SSM_A",
    "SSM_D", "SSM_OUT"],
} as const satisfies Record<string, readonly TensorKind[]>;

export const TENSOR_SUFFIXES = ["weight", "bias"] as const;
export type TensorSuffix = (typeof TENSOR_SUFFIXES)[number];

const ROWS = Object.entries(TENSORS) as [TensorKind, TensorRow][];
const isBare = (kind: TensorKind) => (TENSORS[kind] as TensorRow).bare === true;

/** The GGUF name of a tensor: `tensorName("ATTN_Q", 3)` is "blk.3.attn_q.weight", `tensorName("SSM_A", 0)` "blk.0.ssm_a". */
export function tensorName(kind: TensorKind, bid?: number, suffix: TensorSuffix = "weight"): string {
  const base: string = TENSORS[kind].gguf;
  if (base.includes("{bid}") !== (bid !== undefined)) {
    throw new Error(`${kind}: ${bid === undefined ? "needs a layer index" : "takes no layer index"}`);
  }
  const name = base.replace("{bid}", String(bid));
  return isBare(kind) ? name : `${name}.${suffix}`;
}

// ---- Derived: Hugging Face name <-> GGUF name, both ways, from the one TENSORS table.

interface NamePattern {
  kind: TensorKind;
  re: RegExp;
}

/** A template as a pattern over full names: `{bid}` is captured, then the suffix (none for bare rows). */
function compile(kind: TensorKind, template: string): NamePattern {
  const body = template.replace(/[.]/g, "\\.").replace("{bid}", "(\\d+)");
  return { kind, re: new RegExp(isBare(kind) ? `^${body}$` : `^${body}\\.(${TENSOR_SUFFIXES.join("|")})$`) };
}

const BY_HF = ROWS.flatMap(([kind, row]) => Object.values(row.hf).map((hf) => compile(kind, hf)));
const BY_GGUF = ROWS.map(([kind, row]) => compile(kind, row.gguf));

interface NameParts {
  kind: TensorKind;
  bid?: number;
  /** null for bare names. */
  suffix: TensorSuffix | null;
}

function parse(table: NamePattern[], name: string): NameParts | undefined {
  for (const { kind, re } of table) {
    const m = re.exec(name);
    if (!m) continue;
    const hasBid = TENSORS[kind].gguf.includes("{bid}");
    const suffix = isBare(kind) ? null : (m[hasBid ? 2 : 1] as TensorSuffix);
    return hasBid ? { kind, bid: Number(m[1]), suffix } : { kind, suffix };
  }
  return undefined;
}

/** "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; undefined for a name the table lacks. */
export function ggufNameOf(hfName: string): string | undefined {
  const p = parse(BY_HF, hfName);
  return p && tensorName(p.kind, p.bid, p.suffix ?? undefined);
}

/** "blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight" (the family's name); undefined for rope_freqs and unknown names. */
export function hfNameOf(ggufName: string, family: HfFamily = "llama"): string | undefined {
  const p = parse(BY_GGUF, ggufName);
  const hf: string | undefined = p && (TENSORS[p.kind] as TensorRow).hf[family];
  if (!p || !hf) return undefined;
  const name = hf.replace("{bid}", String(p.bid));
  return p.suffix ? `${name}.${p.suffix}` : name;
}

/** The table row, layer index and suffix of a GGUF tensor name, e.g. { kind: "ATTN_Q", bid: 3, suffix: "weight" }. */
export function tensorKindOf(ggufName: string): NameParts | undefined {
  return parse(BY_GGUF, ggufName);
}

// ---- Derived: number -> name, for readers and messages.

function invert<K extends string>(table: Record<K, number>): Map<number, K> {
  return new Map((Object.entries(table) as [K, number][]).map(([k, v]) => [v, k]));
}

export const GGUF_VALUE_TYPE_NAME = invert(GGUF_VALUE_TYPE);
export const GGML_TYPE_NAME = invert(GGML_TYPE);
