// The benchmark suite's sizes, one row per preset: the model's config.json (random weights are made for it) and how
// much work each measurement does. "tiny" is for tests, "small" fits a software GPU (SwiftShader runs ~0.1 GFLOP/s),
// "real" is SmolLM2-135M's shape, for real GPUs (the CPU engine bench in tests/bench/engine-run.ts uses it too).

import { parseLlamaConfig, parseModelConfig, type LlamaConfig, type MambaConfig } from "../model/config.ts";

export interface PresetSpec {
  description: string;
  config: LlamaConfig;
  /** Training: B sequences of T tokens per step, LoRA rank r on all 7 projections, `trainSteps` steps timed. */
  B: number;
  T: number;
  loraRank: number;
  trainSteps: number;
  /** Generation: a prompt of this many tokens (prefill), then this many greedy tokens one at a time (decode). */
  promptTokens: number;
  decodeTokens: number;
  /** Kernels: timed `reps` times, each rep enough calls to last at least `minRepMs` (best and median kept). */
  reps: number;
  minRepMs: number;
}

const llama = (over: Record<string, unknown>): LlamaConfig =>
  parseLlamaConfig({
    architectures: ["LlamaForCausalLM"], rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
    hidden_act: "silu", max_position_embeddings: 8192, ...over,
  });

/** SmolLM2-135M's config.json, as far as the math goes. */
export const SMOLLM2_135M = llama({
  vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9,
  num_key_value_heads: 3, head_dim: 64, rope_theta: 100000,
});

/** Qwen2.5-Coder-0.5B's config.json, as far as the math goes (q/k/v biases, tied, 151936-token vocabulary). */
export const QWEN25_CODER_05B = parseLlamaConfig({
  architectures: ["Qwen2ForCausalLM"], vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true,
  hidden_act: "silu", max_position_embeddings: 32768,
});

export const PRESETS = {
  tiny: {
    description: "a 2-layer toy model (C 32, vocab 256) for tests: seconds anywhere",
    config: llama({ vocab_size: 256, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 }),
    B: 1, T: 16, loraRank: 4, trainSteps: 2, promptTokens: 8, decodeTokens: 4, reps: 2, minRepMs: 2,
  },
  small: {
    description: "a 2-layer model (C 128, vocab 1024): under a minute on a software GPU",
    config: llama({ vocab_size: 1024, hidden_size: 128, intermediate_size: 384, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 }),
    B: 1, T: 64, loraRank: 8, trainSteps: 3, promptTokens: 32, decodeTokens: 16, reps: 5, minRepMs: 20,
  },
  real: {
    description: "SmolLM2-135M's shape (30 layers, C 576, vocab 49152): seconds on a GPU, minutes on the CPU",
    config: SMOLLM2_135M,
    B: 1, T: 256, loraRank: 16, trainSteps: 3, promptTokens: 256, decodeTokens: 32, reps: 5, minRepMs: 50,
  },
} as const satisfies Record<string, PresetSpec>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** state-spaces/mamba-130m-hf's config.json, as far as the math goes: the Mamba next to SMOLLM2_135M (similar size). */
export const MAMBA_130M = parseModelConfig({
  architectures: ["MambaForCausalLM"], vocab_size: 50280, hidden_size: 768, num_hidden_layers: 24, intermediate_size: 1536,
  state_size: 16, conv_kernel: 4, expand: 2, time_step_rank: 48, use_bias: false, use_conv_bias: true, layer_norm_epsilon: 1e-5,
}) as MambaConfig;
