// config.json of a Mamba-1 state-space model (transformers' MambaForCausalLM, the layout of
// state-spaces/mamba-130m-hf … mamba-2.8b-hf) -> a typed, fully-defaulted MambaConfig. Defaults are those of
// transformers' MambaConfig (configuration_mamba.py): state_size 16, expand 2, conv_kernel 4, time_step_rank "auto"
// = ceil(hidden_size / 16), use_bias false, use_conv_bias true, layer_norm_epsilon 1e-5, tied embeddings.
// Ignored on purpose (initialisation or storage only): time_step_scale/min/max/init_scheme/floor, initializer_range,
// rescale_prenorm_residual, residual_in_fp32 (we run float32 throughout), use_cache, use_mambapy, pad_token_id.
// Other state-space and hybrid architectures change the math and are refused by name (OTHER_SSM).

import { tokenIds, type Fail, type FieldReaders, type Raw } from "./config-fields.ts";

export const MAMBA_ARCHITECTURE = "MambaForCausalLM";

export interface MambaConfig {
  family: "mamba";
  architecture: typeof MAMBA_ARCHITECTURE;
  model_type: "mamba";
  vocab_size: number; // V
  hidden_size: number; // C
  num_hidden_layers: number; // L
  intermediate_size: number; // DI, the inner (expanded) width = expand * C
  state_size: number; // DS, SSM state per inner channel
  conv_kernel: number; // K, depthwise causal conv width
  time_step_rank: number; // R, the rank of the dt projection
  use_bias: boolean; // in_proj / out_proj bias
  use_conv_bias: boolean;
  layer_norm_epsilon: number;
  /** Mamba has no positions; the longest context we let a user ask for (recurrent: no hard limit). */
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  bos_token_id: number | null;
  eos_token_ids: number[];
  torch_dtype: string | null;
  raw: Readonly<Record<string, unknown>>;
}

/** State-space and hybrid architectures that are not Mamba-1, with what differs. */
const OTHER_SSM: Record<string, string> = {
  Mamba2ForCausalLM: "Mamba-2 (multi-head SSD scan, grouped B/C, gated norm)",
  FalconMambaForCausalLM: "Falcon-Mamba (extra RMS norms on B, C and dt inside the mixer)",
  JambaForCausalLM: "a Mamba/attention/MoE hybrid",
  ZambaForCausalLM: "a Mamba/shared-attention hybrid",
  Zamba2ForCausalLM: "a Mamba-2/shared-attention hybrid",
  BambaForCausalLM: "a Mamba-2/attention hybrid",
  FalconH1ForCausalLM: "a Mamba-2/attention hybrid",
  NemotronHForCausalLM: "a Mamba-2/attention hybrid",
  GraniteMoeHybridForCausalLM: "a Mamba-2/attention/MoE hybrid",
  LongcatFlashForCausalLM: "a hybrid",
};
const OTHER_SSM_TYPES: Record<string, string> = {
  mamba2: "Mamba2ForCausalLM", falcon_mamba: "FalconMambaForCausalLM", jamba: "JambaForCausalLM", zamba: "ZambaForCausalLM",
  zamba2: "Zamba2ForCausalLM", bamba: "BambaForCausalLM", falcon_h1: "FalconH1ForCausalLM", nemotron_h: "NemotronHForCausalLM",
  granitemoehybrid: "GraniteMoeHybridForCausalLM",
};

function architectureName(raw: Raw): string | undefined {
  const list = raw.architectures;
  if (Array.isArray(list) && typeof list[0] === "string") return list[0];
  if (typeof raw.model_type === "string") return raw.model_type === "mamba" ? MAMBA_ARCHITECTURE : OTHER_SSM_TYPES[raw.model_type];
  return undefined;
}

/** True for a Mamba-1 config; throws (through `fail`) for other state-space models and the original mamba_ssm layout. */
export function isMamba(raw: Raw, fail: Fail): boolean {
  const name = architectureName(raw);
  if (name !== undefined && Object.hasOwn(OTHER_SSM, name)) {
    fail("architectures", `"${name}" is ${OTHER_SSM[name]}, which FIM Studio does not implement: it runs Mamba-1 (${MAMBA_ARCHITECTURE}), e.g. state-spaces/mamba-130m-hf`);
  }
  if (name === undefined && raw.d_model !== undefined && raw.n_layer !== undefined) {
    fail("architectures", "missing: this is the original mamba_ssm config (d_model, n_layer); use the transformers checkpoint of the same model (the \"-hf\" repository, e.g. state-spaces/mamba-130m-hf)");
  }
  return name === MAMBA_ARCHITECTURE;
}

export function parseMambaConfig(raw: Raw, r: FieldReaders, fail: Fail): MambaConfig {
  if (raw.hidden_act != null && raw.hidden_act !== "silu") fail("hidden_act", `${JSON.stringify(raw.hidden_act)}: Mamba's gate and conv use SiLU; no other activation is implemented`);
  if (raw.quantization_config != null) fail("quantization_config", "quantized checkpoints are not supported: use the unquantized float16/bfloat16/float32 model");
  const hidden_size = r.int("hidden_size");
  const expand = r.int("expand", 2);
  const rank = raw.time_step_rank === undefined || raw.time_step_rank === "auto" ? Math.ceil(hidden_size / 16) : r.int("time_step_rank");
  return {
    family: "mamba",
    architecture: MAMBA_ARCHITECTURE,
    model_type: "mamba",
    vocab_size: r.int("vocab_size"),
    hidden_size,
    num_hidden_layers: r.int("num_hidden_layers"),
    intermediate_size: r.int("intermediate_size", expand * hidden_size),
    state_size: r.int("state_size", 16),
    conv_kernel: r.int("conv_kernel", 4),
    time_step_rank: rank,
    use_bias: r.bool("use_bias", false),
    use_conv_bias: r.bool("use_conv_bias", true),
    layer_norm_epsilon: r.num("layer_norm_epsilon", 1e-5),
    max_position_embeddings: r.int("max_position_embeddings", 2048),
    tie_word_embeddings: r.bool("tie_word_embeddings", true),
    bos_token_id: tokenIds(raw, "bos_token_id", fail)[0] ?? null,
    eos_token_ids: tokenIds(raw, "eos_token_id", fail),
    torch_dtype: typeof raw.torch_dtype === "string" ? raw.torch_dtype : typeof raw.dtype === "string" ? raw.dtype : null,
    raw,
  };
}
