// The registry of model architectures FIM Studio runs: one row per Hugging Face `architectures[0]` name, saying
// what the name implies that config.json does not spell out (which projections have a bias, transformers' defaults
// for omitted fields). Adding an architecture of the same shape is adding a row. Not here: parsing config.json
// (config.ts) or tensor names (tensors.ts).

/** A projection's bias: always there, never there, or as config.json's `attention_bias` flag says. */
export type BiasRule = boolean | "attention_bias";

export interface ArchitectureRow {
  model_type: string;
  /** Bias of q_proj, k_proj, v_proj and o_proj. */
  bias: { q: BiasRule; k: BiasRule; v: BiasRule; o: BiasRule };
  /** Whether config.json carries Qwen2's use_sliding_window / sliding_window / max_window_layers / layer_types. */
  slidingWindow: boolean;
  /** transformers' class defaults for fields a config.json may leave out. */
  defaults: { rms_norm_eps: number; max_position_embeddings: number; tie_word_embeddings: boolean; rope_theta: number };
}

// Sources: transformers models/llama/{configuration,modeling}_llama.py (q/k/v/o_proj bias=config.attention_bias)
// and models/qwen2/{configuration,modeling}_qwen2.py (q/k/v bias=True, o_proj bias=False).
export const ARCHITECTURES = {
  LlamaForCausalLM: {
    model_type: "llama",
    bias: { q: "attention_bias", k: "attention_bias", v: "attention_bias", o: "attention_bias" },
    slidingWindow: false,
    defaults: { rms_norm_eps: 1e-6, max_position_embeddings: 2048, tie_word_embeddings: false, rope_theta: 10000 },
  },
  Qwen2ForCausalLM: {
    model_type: "qwen2",
    bias: { q: true, k: true, v: true, o: false },
    slidingWindow: true,
    defaults: { rms_norm_eps: 1e-6, max_position_embeddings: 32768, tie_word_embeddings: false, rope_theta: 10000 },
  },
} as const satisfies Record<string, ArchitectureRow>;

export type ArchitectureName = keyof typeof ARCHITECTURES;
export const ARCHITECTURE_NAMES = Object.keys(ARCHITECTURES) as ArchitectureName[];

export function isArchitectureName(s: string): s is ArchitectureName {
  return Object.hasOwn(ARCHITECTURES, s);
}

/** The row whose model_type is `modelType`, for configs that name no architecture. */
export function architectureForModelType(modelType: string): ArchitectureName | undefined {
  return ARCHITECTURE_NAMES.find((a) => ARCHITECTURES[a].model_type === modelType);
}
