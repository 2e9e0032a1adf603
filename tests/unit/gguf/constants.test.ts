// GGUF tables: wire numbers spot-checked against docs/gguf.md, block sizes against the block structs, and the
// Hugging Face <-> GGUF tensor names derived from the one TENSORS table, both ways, for a whole qwen2 checkpoint.

import { describe, expect, it } from "vitest";
import { expectedTensors } from "../../../src/lib/model/tensors.ts";
import {
  ARCH_TENSORS, GGML_TYPE, GGML_TYPE_NAME, GGUF_MAGIC, GGUF_VALUE_TYPE, GGUF_VALUE_TYPE_NAME, KEY, QUANT_BLOCK,
  TENSORS, TOKEN_TYPE, ggufNameOf, hfNameOf, keyFor, tensorKindOf, tensorName,
} from "../../../src/lib/gguf/constants.ts";
import type { ModelConfig } from "../../../src/lib/model/index.ts";

describe("wire numbers", () => {
  it("match docs/gguf.md", () => {
    expect(new TextDecoder().decode(new Uint8Array(new Uint32Array([GGUF_MAGIC]).buffer))).toBe("GGUF");
    expect(GGUF_VALUE_TYPE).toMatchObject({ UINT8: 0, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, FLOAT64: 12 });
    expect(GGML_TYPE).toEqual({ F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30 });
    expect(TOKEN_TYPE).toEqual({ NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 });
    expect(GGUF_VALUE_TYPE_NAME.get(9)).toBe("ARRAY");
    expect(GGML_TYPE_NAME.get(8)).toBe("Q8_0");
  });

  it("block sizes: an fp16 scale, then 32 nibbles (Q4_0) or 32 int8 (Q8_0)", () => {
    expect(QUANT_BLOCK.Q4_0).toEqual([32, 18]);
    expect(QUANT_BLOCK.Q8_0).toEqual([32, 34]);
    expect(QUANT_BLOCK.F16).toEqual([1, 2]);
    expect(QUANT_BLOCK.F32).toEqual([1, 4]);
  });

  it("keys fill in the architecture", () => {
    expect(keyFor(KEY.CONTEXT_LENGTH, "llama")).toBe("llama.context_length");
    expect(keyFor(KEY.LAYERNORM_RMS_EPS, "qwen2")).toBe("qwen2.attention.layer_norm_rms_epsilon");
    expect(keyFor(KEY.BOS_ID)).toBe("tokenizer.ggml.bos_token_id");
  });
});

describe("tensor names", () => {
  it("templates fill in the layer and suffix", () => {
    expect(tensorName("TOKEN_EMBD")).toBe("token_embd.weight");
    expect(tensorName("ATTN_OUT", 11)).toBe("blk.11.attn_output.weight");
    expect(tensorName("ATTN_K", 0, "bias")).toBe("blk.0.attn_k.bias");
    expect(() => tensorName("ATTN_Q")).toThrow(/needs a layer index/);
    expect(() => tensorName("OUTPUT", 1)).toThrow(/takes no layer index/);
  });

  it("Hugging Face -> GGUF, by hand", () => {
    const CASES: [string, string][] = [
      ["model.embed_tokens.weight", "token_embd.weight"],
      ["model.norm.weight", "output_norm.weight"],
      ["lm_head.weight", "output.weight"],
      ["model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"],
      ["model.layers.12.self_attn.q_proj.weight", "blk.12.attn_q.weight"],
      ["model.layers.12.self_attn.q_proj.bias", "blk.12.attn_q.bias"],
      ["model.layers.3.self_attn.k_proj.weight", "blk.3.attn_k.weight"],
      ["model.layers.3.self_attn.v_proj.bias", "blk.3.attn_v.bias"],
      ["model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight"],
      ["model.layers.3.post_attention_layernorm.weight", "blk.3.ffn_norm.weight"],
      ["model.layers.3.mlp.gate_proj.weight", "blk.3.ffn_gate.weight"],
      ["model.layers.3.mlp.up_proj.weight", "blk.3.ffn_up.weight"],
      ["model.layers.3.mlp.down_proj.weight", "blk.3.ffn_down.weight"],
    ];
    for (const [hf, g] of CASES) {
      expect(ggufNameOf(hf)).toBe(g);
      expect(hfNameOf(g)).toBe(hf);
    }
  });

  it("unknown names map to nothing; rope_freqs has no Hugging Face tensor", () => {
    expect(ggufNameOf("model.layers.0.self_attn.rotary_emb.inv_freq")).toBeUndefined();
    expect(ggufNameOf("model.layers.x.mlp.up_proj.weight")).toBeUndefined();
    expect(ggufNameOf("model.embed_tokens")).toBeUndefined();
    expect(ggufNameOf("xmodel.norm.weight")).toBeUndefined();
    expect(hfNameOf("rope_freqs.weight")).toBeUndefined();
    expect(tensorKindOf("rope_freqs.weight")).toEqual({ kind: "ROPE_FREQS", suffix: "weight" });
    expect(tensorKindOf("blk.7.ffn_up.weight")).toEqual({ kind: "FFN_UP", bid: 7, suffix: "weight" });
    expect(tensorKindOf("output_norm.weight")).toEqual({ kind: "OUTPUT_NORM", suffix: "weight" });
  });

  it("every tensor of a qwen2 checkpoint maps to a distinct GGUF name of the architecture, and back", () => {
    const config = {
      vocab_size: 64, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 3, num_attention_heads: 4,
      num_key_value_heads: 2, head_dim: 8, tie_word_embeddings: false, bias: { q: true, k: true, v: true, o: false },
    } as unknown as ModelConfig;
    const names = expectedTensors(config).map((t) => t.name);
    const mapped = names.map((n) => ggufNameOf(n));
    expect(mapped.every((m) => m !== undefined)).toBe(true);
    expect(new Set(mapped).size).toBe(names.length);
    for (const [i, m] of mapped.entries()) {
      expect(hfNameOf(m!)).toBe(names[i]);
      expect(ARCH_TENSORS.qwen2).toContain(tensorKindOf(m!)!.kind);
    }
    expect(Object.keys(TENSORS)).toEqual(expect.arrayContaining([...ARCH_TENSORS.llama]));
  });
});
