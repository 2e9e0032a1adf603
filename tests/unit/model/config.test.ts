// config.json parsing: real configs (Llama-3.2-1B, Qwen2.5-Coder-0.5B, a transformers v5 spelling), the defaults,
// the per-architecture bias rules, and every refusal with its exact message.

import { describe, expect, it } from "vitest";
import { ModelConfigError, parseLlamaConfig as parseModelConfig, parseModelConfig as parseModelConfigAny } from "../../../src/lib/model/index.ts";

// As published on the Hugging Face Hub (meta-llama/Llama-3.2-1B, Qwen/Qwen2.5-Coder-0.5B).
const LLAMA_3_2_1B = {
  architectures: ["LlamaForCausalLM"], attention_bias: false, attention_dropout: 0.0, bos_token_id: 128000,
  eos_token_id: 128001, head_dim: 64, hidden_act: "silu", hidden_size: 2048, initializer_range: 0.02,
  intermediate_size: 8192, max_position_embeddings: 131072, mlp_bias: false, model_type: "llama",
  num_attention_heads: 32, num_hidden_layers: 16, num_key_value_heads: 8, pretraining_tp: 1, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
  rope_theta: 500000.0, tie_word_embeddings: true, torch_dtype: "bfloat16", transformers_version: "4.45.0.dev0",
  use_cache: true, vocab_size: 128256,
};
const QWEN_CODER_0_5B = {
  architectures: ["Qwen2ForCausalLM"], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151643,
  hidden_act: "silu", hidden_size: 896, initializer_range: 0.02, intermediate_size: 4864, max_position_embeddings: 32768,
  max_window_layers: 24, model_type: "qwen2", num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2,
  rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true, torch_dtype: "bfloat16",
  transformers_version: "4.45.0.dev0", use_cache: true, use_sliding_window: false, vocab_size: 151936,
};

describe("real configs", () => {
  it("Llama-3.2-1B", () => {
    const { raw, ...c } = parseModelConfig(LLAMA_3_2_1B);
    expect(raw).toBe(LLAMA_3_2_1B);
    expect(c).toEqual({
      family: "llama", architecture: "LlamaForCausalLM", model_type: "llama", vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192,
      num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, rms_norm_eps: 1e-5,
      rope_theta: 500000,
      rope_scaling: { rope_type: "llama3", factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      max_position_embeddings: 131072, tie_word_embeddings: true, hidden_act: "silu",
      bias: { q: false, k: false, v: false, o: false }, bos_token_id: 128000, eos_token_ids: [128001], torch_dtype: "bfloat16",
    });
  });

  it("Qwen2.5-Coder-0.5B: q/k/v biases, head_dim from hidden / heads, a window as long as the context is no window", () => {
    const c = parseModelConfig(QWEN_CODER_0_5B);
    expect(c.architecture).toBe("Qwen2ForCausalLM");
    expect(c.head_dim).toBe(64);
    expect(c.bias).toEqual({ q: true, k: true, v: true, o: false });
    expect(c.rope_scaling).toBeNull();
    expect(c.rope_theta).toBe(1e6);
    expect(c.eos_token_ids).toEqual([151643]);
    expect(parseModelConfig({ ...QWEN_CODER_0_5B, use_sliding_window: true }).num_hidden_layers).toBe(24);
  });

  it("transformers v5 spelling: rope_parameters and dtype", () => {
    const { rope_scaling, rope_theta, torch_dtype, ...rest } = LLAMA_3_2_1B;
    const c = parseModelConfig({ ...rest, dtype: torch_dtype, rope_parameters: { ...rope_scaling, rope_theta } });
    expect(c.rope_theta).toBe(500000);
    expect(c.rope_scaling?.factor).toBe(32);
    expect(c.torch_dtype).toBe("bfloat16");
    expect(parseModelConfig({ ...rest, rope_parameters: { rope_type: "default", rope_theta: 1234 } })).toMatchObject({ rope_theta: 1234, rope_scaling: null });
  });
});

describe("defaults and flags", () => {
  const MIN = { architectures: ["LlamaForCausalLM"], vocab_size: 100, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4 };

  it("fills transformers' defaults", () => {
    expect(parseModelConfig(MIN)).toMatchObject({
      num_key_value_heads: 4, head_dim: 16, rms_norm_eps: 1e-6, rope_theta: 10000, rope_scaling: null,
      max_position_embeddings: 2048, tie_word_embeddings: false, bos_token_id: null, eos_token_ids: [], torch_dtype: null,
    });
  });

  it("Llama's attention_bias puts a bias on all four projections; rope_scaling type 'default' is plain RoPE", () => {
    expect(parseModelConfig({ ...MIN, attention_bias: true }).bias).toEqual({ q: true, k: true, v: true, o: true });
    expect(parseModelConfig({ ...MIN, rope_scaling: { type: "default" } }).rope_scaling).toBeNull();
  });

  it("a config without architectures is recognised by model_type; eos may be a list; pretraining_tp is ignored", () => {
    const { architectures, ...noArch } = MIN;
    void architectures;
    const c = parseModelConfig({ ...noArch, model_type: "qwen2", eos_token_id: [5, 7], pretraining_tp: 4 });
    expect(c.architecture).toBe("Qwen2ForCausalLM");
    expect(c.eos_token_ids).toEqual([5, 7]);
  });
});

describe("refusals", () => {
  const MIN = { architectures: ["LlamaForCausalLM"], vocab_size: 100, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4 };
  const CASES: [string, Record<string, unknown>, string][] = [
    ["an unknown architecture", { ...MIN, architectures: ["MistralForCausalLM"] },
      'config.json: architectures: "MistralForCausalLM" is not supported (FIM Studio runs LlamaForCausalLM, Qwen2ForCausalLM, MambaForCausalLM): pick a model of one of these'],
    ["Qwen3", { ...MIN, architectures: ["Qwen3ForCausalLM"] }, 'config.json: architectures: "Qwen3ForCausalLM" is not supported'],
    ["linear RoPE", { ...MIN, rope_scaling: { type: "linear", factor: 2 } },
      'config.json: rope_scaling.rope_type: "linear" is not implemented (FIM Studio implements default and llama3 RoPE): use a model with one of those'],
    ["dynamic RoPE", { ...MIN, rope_scaling: { rope_type: "dynamic", factor: 2 } }, 'config.json: rope_scaling.rope_type: "dynamic" is not implemented'],
    ["YaRN in v5 spelling", { ...MIN, rope_parameters: { rope_type: "yarn", factor: 4, rope_theta: 1e6 } }, 'config.json: rope_parameters.rope_type: "yarn" is not implemented'],
    ["llama3 RoPE without its factors", { ...MIN, rope_scaling: { rope_type: "llama3", factor: 8 } },
      "config.json: rope_scaling.low_freq_factor: undefined is not a positive number (llama3 RoPE needs it)"],
    ["gelu", { ...MIN, hidden_act: "gelu" }, 'config.json: hidden_act: "gelu": only the SiLU (SwiGLU) MLP is implemented: use a model whose hidden_act is "silu"'],
    ["mlp_bias", { ...MIN, mlp_bias: true }, "config.json: mlp_bias: true: biases on gate/up/down_proj are not implemented: use a model without mlp_bias"],
    ["a quantized checkpoint", { ...MIN, quantization_config: { quant_method: "gptq", bits: 4 } },
      'config.json: quantization_config: {"quant_method":"gptq","bits":4}: quantized checkpoints (GPTQ, AWQ, bitsandbytes, ...) are not supported: use the unquantized float16/bfloat16 model'],
    ["partial rotary", { ...MIN, partial_rotary_factor: 0.5 }, "config.json: partial_rotary_factor: 0.5: partial rotary embeddings are not implemented: use a model with full RoPE"],
    ["Qwen2 sliding window on the top layers", { ...QWEN_CODER_0_5B, use_sliding_window: true, sliding_window: 4096, max_window_layers: 21 },
      "config.json: use_sliding_window: true with sliding_window 4096 < max_position_embeddings 32768 on layers 21, 22, 23: " +
      "sliding-window attention is not implemented; use a checkpoint with use_sliding_window false"],
    ["a missing size", { ...MIN, hidden_size: undefined }, "config.json: hidden_size: missing: every config.json saved by transformers has it; download the file again"],
    ["kv heads that do not divide the heads", { ...MIN, num_key_value_heads: 3 }, "config.json: num_key_value_heads: 3 does not divide num_attention_heads 4"],
    ["an odd head_dim", { ...MIN, head_dim: 15 }, "config.json: head_dim: 15 is odd: RoPE rotates pairs of channels"],
    ["a bad eos", { ...MIN, eos_token_id: "</s>" }, 'config.json: eos_token_id: "</s>" is not a token id or a list of token ids'],
  ];
  it.each(CASES)("%s", (_, json, message) => {
    let error: unknown;
    try {
      parseModelConfig(json);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelConfigError);
    expect((error as Error).message.startsWith(message)).toBe(true);
    if (!(error as Error).message.startsWith(message)) expect((error as Error).message).toBe(message);
  });

  it("names the file it was given", () => {
    expect(() => parseModelConfig({ ...MIN, mlp_bias: true }, "/models/x/config.json")).toThrow(/^\/models\/x\/config\.json: mlp_bias: /);
  });
});

describe("runaway sizes are refused before anything is allocated from them", () => {
  const MIN = { architectures: ["LlamaForCausalLM"], vocab_size: 100, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4 };
  const MAMBA = { architectures: ["MambaForCausalLM"], vocab_size: 100, hidden_size: 64, num_hidden_layers: 2 };
  const CASES: [string, Record<string, unknown>, string, number][] = [
    ["num_hidden_layers", { ...MIN, num_hidden_layers: 1e9 }, "1000000000", 1024],
    ["hidden_size", { ...MIN, hidden_size: 2 ** 40 }, String(2 ** 40), 65536],
    ["intermediate_size", { ...MIN, intermediate_size: 1e12 }, "1000000000000", 1048576],
    ["vocab_size", { ...MIN, vocab_size: 1e10 }, "10000000000", 4194304],
    ["num_attention_heads", { ...MIN, hidden_size: 65536, num_attention_heads: 65536 }, "65536", 1024],
    ["num_key_value_heads", { ...MIN, num_key_value_heads: 1e6 }, "1000000", 1024],
    ["head_dim", { ...MIN, head_dim: 1e8 }, "100000000", 4096],
    ["max_position_embeddings", { ...MIN, max_position_embeddings: 1e15 }, "1000000000000000", 16777216],
    ["num_hidden_layers", { ...MAMBA, num_hidden_layers: 1e9 }, "1000000000", 1024],
    ["intermediate_size", { ...MAMBA, expand: 60, hidden_size: 60000 }, "3600000", 1048576],
    ["state_size", { ...MAMBA, state_size: 1e7 }, "10000000", 1024],
    ["time_step_rank", { ...MAMBA, time_step_rank: 1e9 }, "1000000000", 65536],
  ];
  it.each(CASES)("%s", (field, json, value, limit) => {
    expect(() => parseModelConfigAny(json, "/m/config.json")).toThrow(
      new ModelConfigError("/m/config.json", field, `${value} is above the limit of ${limit} (far beyond any released model): config.json is damaged or not a model's config`),
    );
  });
  it("a Qwen2 sliding-window config with 1e9 layers is refused without listing them", () => {
    expect(() => parseModelConfigAny({ ...MIN, architectures: ["Qwen2ForCausalLM"], num_hidden_layers: 1e9, use_sliding_window: true, sliding_window: 16, max_window_layers: 0 }))
      .toThrow(/^config\.json: num_hidden_layers: 1000000000 is above the limit of 1024/);
  });
  it("the largest released sizes still load", () => {
    // Llama 3.1 405B
    const c = parseModelConfig({ ...LLAMA_3_2_1B, hidden_size: 16384, intermediate_size: 53248, num_hidden_layers: 126, num_attention_heads: 128, head_dim: 128 });
    expect(c.num_hidden_layers).toBe(126);
  });
});
