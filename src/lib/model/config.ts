// config.json -> a typed, fully-defaulted ModelConfig for the architectures of architectures.ts. Field names are
// the checkpoint's own (snake_case) so code and config.json read alike. Everything that would change the math and is
// not implemented is refused with a ModelConfigError naming config.json and the field, never silently ignored.
// Ignored on purpose (no effect on the numbers we compute): pretraining_tp (transformers only slices the same
// matmuls to mimic Meta's tensor-parallel rounding), use_cache, initializer_range, attention_dropout (0 in released
// models; training sets its own), pad_token_id. Accepts both transformers v4 (rope_theta + rope_scaling, torch_dtype)
// and v5 (rope_parameters, dtype) spellings. Not here: RoPE frequencies (rope.ts), tensor names (tensors.ts).

import { ARCHITECTURE_NAMES, architectureForModelType, ARCHITECTURES, type ArchitectureName, isArchitectureName } from "./architectures.ts";
import { fieldReaders, tokenIds, type Fail, type Raw } from "./config-fields.ts";
import { ModelConfigError } from "./errors.ts";
import { isMamba, MAMBA_ARCHITECTURE, type MambaConfig, parseMambaConfig } from "./mamba-config.ts";

export type { MambaConfig } from "./mamba-config.ts";
export { CONFIG_LIMITS, fieldReaders, tokenIds, type Fail, type FieldReaders, type Raw } from "./config-fields.ts";

export const CONFIG_FILE = "config.json";

/** Llama 3.1+ frequency scaling (transformers' rope_type "llama3"). */
export interface Llama3RopeScaling {
  rope_type: "llama3";
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

/** The fields every architecture has (both families). */
interface CommonConfig {
  model_type: string;
  vocab_size: number; // V
  hidden_size: number; // C
  num_hidden_layers: number; // L
  max_position_embeddings: number;
  tie_word_embeddings: boolean; // true: lm_head reuses the embeddings
  bos_token_id: number | null;
  /** eos_token_id as a list (config.json may hold one id or several). */
  eos_token_ids: number[];
  torch_dtype: string | null; // the dtype the weights were saved in, e.g. "bfloat16"
  /** The parsed config.json, for fields this type does not carry (export writes some of them back). */
  raw: Readonly<Record<string, unknown>>;
}

/** A checkpoint of either family; `family` tells them apart. */
export type ModelConfig = LlamaConfig | MambaConfig;

/** Llama-family decoder-only transformers (Llama, Qwen2). */
export interface LlamaConfig extends CommonConfig {
  family: "llama";
  architecture: ArchitectureName;
  intermediate_size: number; // I, the MLP width
  num_attention_heads: number; // NH
  num_key_value_heads: number; // NKV, = NH when absent (no grouped-query attention)
  head_dim: number; // HS, = C / NH when absent
  rms_norm_eps: number;
  rope_theta: number; // 10000 when absent
  rope_scaling: Llama3RopeScaling | null; // null: plain RoPE
  hidden_act: "silu";
  /** Which attention projections carry a bias (from the architecture row and `attention_bias`). */
  bias: { q: boolean; k: boolean; v: boolean; o: boolean };
}

/** Values that change the math in ways we do not implement. */
const REFUSED: readonly { field: string; refuse: (v: unknown) => boolean; why: string }[] = [
  { field: "quantization_config", refuse: (v) => v != null, why: "quantized checkpoints (GPTQ, AWQ, bitsandbytes, ...) are not supported: use the unquantized float16/bfloat16 model" },
  { field: "mlp_bias", refuse: (v) => v === true, why: "biases on gate/up/down_proj are not implemented: use a model without mlp_bias" },
  { field: "partial_rotary_factor", refuse: (v) => v != null && v !== 1, why: "partial rotary embeddings are not implemented: use a model with full RoPE" },
  { field: "hidden_act", refuse: (v) => v != null && v !== "silu", why: "only the SiLU (SwiGLU) MLP is implemented: use a model whose hidden_act is \"silu\"" },
];

const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parse and validate config.json. `file` names it in errors (e.g. a path). */
export function parseModelConfig(json: unknown, file = CONFIG_FILE): ModelConfig {
  const fail = (field: string, problem: string): never => {
    throw new ModelConfigError(file, field, problem);
  };
  if (!isObject(json)) return fail("(top level)", "not a JSON object: download config.json again");
  const raw = json;
  if (isMamba(raw, fail)) return parseMambaConfig(raw, fieldReaders(raw, fail), fail);
  const architecture = pickArchitecture(raw, fail);
  const row = ARCHITECTURES[architecture];
  for (const r of REFUSED) if (r.refuse(raw[r.field])) fail(r.field, `${JSON.stringify(raw[r.field])}: ${r.why}`);
  const { int, num, bool } = fieldReaders(raw, fail);

  const hidden_size = int("hidden_size");
  const num_attention_heads = int("num_attention_heads");
  const num_key_value_heads = int("num_key_value_heads", num_attention_heads);
  if (num_attention_heads % num_key_value_heads !== 0) {
    fail("num_key_value_heads", `${num_key_value_heads} does not divide num_attention_heads ${num_attention_heads}`);
  }
  if (raw.head_dim == null && hidden_size % num_attention_heads !== 0) {
    fail("head_dim", `missing, and hidden_size ${hidden_size} is not a multiple of num_attention_heads ${num_attention_heads}`);
  }
  const head_dim = int("head_dim", hidden_size / num_attention_heads);
  if (head_dim % 2 !== 0) fail("head_dim", `${head_dim} is odd: RoPE rotates pairs of channels`);
  const attentionBias = bool("attention_bias", false);
  const biasOf = (rule: boolean | "attention_bias") => (rule === "attention_bias" ? attentionBias : rule);
  const max_position_embeddings = int("max_position_embeddings", row.defaults.max_position_embeddings);
  const num_hidden_layers = int("num_hidden_layers");
  if (row.slidingWindow) checkSlidingWindow(raw, num_hidden_layers, max_position_embeddings, fail);

  return {
    family: "llama",
    architecture,
    model_type: row.model_type,
    vocab_size: int("vocab_size"),
    hidden_size,
    intermediate_size: int("intermediate_size"),
    num_hidden_layers,
    num_attention_heads,
    num_key_value_heads,
    head_dim,
    rms_norm_eps: num("rms_norm_eps", row.defaults.rms_norm_eps),
    ...parseRope(raw, row.defaults.rope_theta, fail),
    max_position_embeddings,
    tie_word_embeddings: bool("tie_word_embeddings", row.defaults.tie_word_embeddings),
    hidden_act: "silu",
    bias: { q: biasOf(row.bias.q), k: biasOf(row.bias.k), v: biasOf(row.bias.v), o: biasOf(row.bias.o) },
    bos_token_id: tokenIds(raw, "bos_token_id", fail)[0] ?? null,
    eos_token_ids: tokenIds(raw, "eos_token_id", fail),
    torch_dtype: typeof raw.torch_dtype === "string" ? raw.torch_dtype : typeof raw.dtype === "string" ? raw.dtype : null,
    raw,
  };
}

function pickArchitecture(raw: Raw, fail: Fail): ArchitectureName {
  const supported = `FIM Studio runs ${[...ARCHITECTURE_NAMES, MAMBA_ARCHITECTURE].join(", ")}`;
  const list = raw.architectures;
  if (Array.isArray(list) && list.length > 0) {
    const name = list[0];
    if (typeof name === "string" && isArchitectureName(name)) return name;
    return fail("architectures", `${JSON.stringify(name)} is not supported (${supported}): pick a model of one of these`);
  }
  const byType = typeof raw.model_type === "string" ? architectureForModelType(raw.model_type) : undefined;
  return byType ?? fail("architectures", `missing, and model_type ${JSON.stringify(raw.model_type)} names none we know (${supported})`);
}

function parseRope(raw: Raw, defaultTheta: number, fail: Fail): Pick<LlamaConfig, "rope_theta" | "rope_scaling"> {
  // transformers v5 keeps theta and the scaling in rope_parameters; v4 in rope_theta and rope_scaling.
  const v5 = isObject(raw.rope_parameters);
  const field = v5 ? "rope_parameters" : "rope_scaling";
  const params = v5 ? (raw.rope_parameters as Raw) : raw.rope_scaling;
  const theta = (v5 ? params && (params as Raw).rope_theta : undefined) ?? raw.rope_theta ?? defaultTheta;
  if (typeof theta !== "number" || !(theta > 0)) return fail("rope_theta", `${JSON.stringify(theta)} is not a positive number`);
  if (params == null) return { rope_theta: theta, rope_scaling: null };
  if (!isObject(params)) return fail(field, `${JSON.stringify(params)} is not an object or null`);
  const type = params.rope_type ?? params.type ?? "default";
  if (type === "default") return { rope_theta: theta, rope_scaling: null };
  if (type !== "llama3") {
    return fail(`${field}.rope_type`, `${JSON.stringify(type)} is not implemented (FIM Studio implements default and llama3 RoPE): use a model with one of those`);
  }
  const pos = (key: string): number => {
    const x = params[key];
    if (typeof x !== "number" || !Number.isFinite(x) || x <= 0) return fail(`${field}.${key}`, `${JSON.stringify(x)} is not a positive number (llama3 RoPE needs it)`);
    return x;
  };
  const scaling: Llama3RopeScaling = {
    rope_type: "llama3",
    factor: pos("factor"),
    low_freq_factor: pos("low_freq_factor"),
    high_freq_factor: pos("high_freq_factor"),
    original_max_position_embeddings: pos("original_max_position_embeddings"),
  };
  if (scaling.high_freq_factor <= scaling.low_freq_factor) {
    fail(`${field}.high_freq_factor`, `${scaling.high_freq_factor} must be greater than low_freq_factor ${scaling.low_freq_factor}`);
  }
  return { rope_theta: theta, rope_scaling: scaling };
}

/** Qwen2: layers at index >= max_window_layers (or listed as "sliding_attention") use a window when use_sliding_window. */
function checkSlidingWindow(raw: Raw, layers: number, maxPositions: number, fail: Fail): void {
  if (raw.use_sliding_window !== true) return; // transformers drops the window entirely then
  const window = raw.sliding_window === undefined ? 4096 : raw.sliding_window;
  if (window === null) return;
  if (typeof window !== "number" || window <= 0) fail("sliding_window", `${JSON.stringify(window)} is not a positive integer or null`);
  if ((window as number) >= maxPositions) return; // a window as long as any sequence changes nothing
  const maxWindowLayers = typeof raw.max_window_layers === "number" ? raw.max_window_layers : 28;
  const types = Array.isArray(raw.layer_types)
    ? raw.layer_types
    : Array.from({ length: layers }, (_, i) => (i >= maxWindowLayers ? "sliding_attention" : "full_attention"));
  const sliding = types.map((t, i) => (t === "sliding_attention" ? i : -1)).filter((i) => i >= 0);
  if (sliding.length > 0) {
    fail(
      "use_sliding_window",
      `true with sliding_window ${String(window)} < max_position_embeddings ${maxPositions} on layers ${sliding.join(", ")}: ` +
        "sliding-window attention is not implemented; use a checkpoint with use_sliding_window false",
    );
  }
}

/** `c` as a Llama-family config, or an error saying that `what` is implemented for that family only. */
export function requireLlama(c: ModelConfig, what: string): LlamaConfig {
  if (c.family !== "llama") throw new Error(`${what} is implemented for Llama-family models (${ARCHITECTURE_NAMES.join(", ")}), not ${c.architecture}`);
  return c;
}

/** parseModelConfig for callers that only take Llama-family models (presets, tests). */
export function parseLlamaConfig(json: unknown, file = CONFIG_FILE): LlamaConfig {
  return requireLlama(parseModelConfig(json, file), file);
}
