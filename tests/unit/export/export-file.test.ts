// What an export file holds, read by @huggingface/gguf (an independent parser): metadata with exact value types,
// tokenizer keys (pre-tokenizer, CONTROL markers, FIM ids), the tensor table with llama-quantize's type choices;
// the Modelfile; the `fim export` CLI's errors, with nothing half-written on failure.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { beforeAll, describe, expect, it } from "vitest";
import { fim } from "../cli/run-fim.ts";
import { GGUF_VALUE_TYPE, TOKEN_TYPE } from "../../../src/lib/gguf/constants.ts";
import { modelfile } from "../../../src/lib/export/modelfile.ts";
import { planTensors } from "../../../src/lib/export/plan.ts";
import { parseModelConfig } from "../../../src/lib/model/config.ts";
import { writeTinyCheckpoint, tinyCheckpointFiles } from "../../fixtures/tiny-checkpoint.ts";
import { tmp, writeGguf } from "./export-helpers.ts";

const T = GGUF_VALUE_TYPE;

describe("export metadata, read by @huggingface/gguf", () => {
  it("qwen2, q4_0: architecture keys, tokenizer keys, tensor table", async () => {
    const files = tinyCheckpointFiles({ architecture: "qwen2" });
    const { path, cp } = await writeGguf("meta-qwen.gguf", files, "q4_0", undefined, "qwen");
    const { typedMetadata: m, tensorInfos } = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    const tk = cp.tokenizer;
    expect(m["general.architecture"]).toEqual({ value: "qwen2", type: T.STRING });
    expect(m["general.file_type"]).toEqual({ value: 2, type: T.UINT32 });
    expect(m["general.alignment"]).toEqual({ value: 32, type: T.UINT32 });
    expect(m["qwen2.block_count"]).toEqual({ value: 2, type: T.UINT32 });
    expect(m["qwen2.context_length"]).toEqual({ value: 32768, type: T.UINT32 });
    expect(m["qwen2.attention.head_count_kv"]).toEqual({ value: 2, type: T.UINT32 });
    expect(m["qwen2.rope.freq_base"]).toEqual({ value: 1000000, type: T.FLOAT32 });
    expect(m["qwen2.attention.layer_norm_rms_epsilon"]).toEqual({ value: Math.fround(1e-6), type: T.FLOAT32 });
    expect(m["tokenizer.ggml.model"]).toEqual({ value: "gpt2", type: T.STRING });
    expect(m["tokenizer.ggml.pre"]).toEqual({ value: "qwen2", type: T.STRING });
    expect(m["tokenizer.ggml.add_bos_token"]).toEqual({ value: false, type: T.BOOL });
    const tokens = m["tokenizer.ggml.tokens"]!.value as string[];
    const types = m["tokenizer.ggml.token_type"]!.value as number[];
    expect(tokens.length).toBe(cp.config.vocab_size); // padded to the embedding rows
    expect(tokens[tokens.length - 1]).toMatch(/^\[PAD\d+\]$/);
    expect(types[tokens.length - 1]).toBe(TOKEN_TYPE.UNUSED);
    for (const marker of ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|endoftext|>"]) {
      expect(types[tk.tokenToId(marker)!]).toBe(TOKEN_TYPE.CONTROL);
    }
    expect(m["tokenizer.ggml.fim_pre_token_id"]).toEqual({ value: tk.tokenToId("<|fim_prefix|>"), type: T.UINT32 });
    expect(m["tokenizer.ggml.fim_suf_token_id"]).toEqual({ value: tk.tokenToId("<|fim_suffix|>"), type: T.UINT32 });
    expect(m["tokenizer.ggml.fim_mid_token_id"]).toEqual({ value: tk.tokenToId("<|fim_middle|>"), type: T.UINT32 });
    expect(m["tokenizer.ggml.fim_pad_token_id"]).toEqual({ value: tk.tokenToId("<|fim_pad|>"), type: T.UINT32 });
    expect(m["tokenizer.ggml.fim_rep_token_id"]).toEqual({ value: tk.tokenToId("<|repo_name|>"), type: T.UINT32 });
    expect(m["tokenizer.ggml.fim_sep_token_id"]).toEqual({ value: tk.tokenToId("<|file_sep|>"), type: T.UINT32 });
    // as llama.cpp's converter: the eos of tokenizer_config.json (Qwen3's is <|im_end|>)
    expect(m["tokenizer.ggml.eos_token_id"]).toEqual({ value: tk.tokenToId(JSON.parse(files["tokenizer_config.json"] as string).eos_token), type: T.UINT32 });
    expect((m["tokenizer.ggml.merges"]!.value as string[])[0]).toMatch(/^\S+ \S+$/);
    expect(m["fim_studio.fim_format"]).toEqual({ value: "qwen", type: T.STRING });
    const byName = new Map(tensorInfos.map((t) => [t.name, t]));
    expect(tensorInfos.length).toBe(2 * 12 + 3); // 9 weights + 3 biases per block; embedding, norm, output
    expect(byName.get("blk.0.attn_q.weight")).toMatchObject({ dtype: 2, shape: [64n, 64n] }); // Q4_0, ggml order
    expect(byName.get("blk.0.attn_q.bias")).toMatchObject({ dtype: 0, shape: [64n] }); // F32
    expect(byName.get("blk.1.ffn_down.weight")).toMatchObject({ dtype: 2, shape: [128n, 64n] });
    expect(byName.get("output.weight")!.dtype).toBe(8); // Q8_0 where llama-quantize uses Q6_K
    expect(byName.get("token_embd.weight")!.dtype).toBe(2);
    expect(byName.get("output_norm.weight")!.dtype).toBe(0);
  });
  it("llama tied with llama3 rope: llama-bpe, add_bos as the tokenizer does, rope_freqs, embeddings as the output", async () => {
    const files = tinyCheckpointFiles({ tied: true, llama3Rope: true });
    const { path, cp } = await writeGguf("meta-llama.gguf", files, "q4_0");
    const { typedMetadata: m, tensorInfos } = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    expect(m["general.architecture"]!.value).toBe("llama");
    expect(m["tokenizer.ggml.pre"]!.value).toBe("llama-bpe");
    const bos = m["tokenizer.ggml.bos_token_id"]!.value;
    expect(bos).toBe(cp.tokenizer.tokenToId("<|begin_of_text|>"));
    expect(m["tokenizer.ggml.add_bos_token"]!.value).toBe(cp.tokenizer.encode("x")[0] === bos);
    expect(m["llama.rope.dimension_count"]).toEqual({ value: 16, type: T.UINT32 });
    const names = tensorInfos.map((t) => t.name);
    expect(names).not.toContain("output.weight");
    expect(tensorInfos.find((t) => t.name === "rope_freqs.weight")).toMatchObject({ dtype: 0, shape: [8n] });
    expect(tensorInfos.find((t) => t.name === "token_embd.weight")!.dtype).toBe(8); // tied: the output, so Q8_0
  });
});

describe("type rules", () => {
  it("a row length Q4_0 cannot hold falls back to F16 with a reason", () => {
    const c = parseModelConfig({ architectures: ["LlamaForCausalLM"], vocab_size: 64, hidden_size: 48, intermediate_size: 40, num_hidden_layers: 1, num_attention_heads: 2, rms_norm_eps: 1e-5 });
    const plan = planTensors(c, [{ name: "model.layers.0.mlp.down_proj.weight", shape: [48, 40] }, { name: "model.layers.0.mlp.up_proj.weight", shape: [40, 48] }], "q4_0");
    expect(plan[0]).toMatchObject({ type: "F16", fallback: "row length 40 is not a multiple of 32, so model.layers.0.mlp.down_proj.weight is stored as F16 instead of Q4_0" });
    expect(plan[1]).toMatchObject({ type: "F16" }); // 48 is not a multiple of 32 either
  });
});

describe("Modelfile", () => {
  it("qwen: the FIM template in the suffix branch, every stop string, context and sampling", () => {
    const mf = modelfile({ gguf: "./m.gguf", format: "qwen", contextLength: 1024 });
    expect(mf).toContain("FROM ./m.gguf\n");
    expect(mf).toContain('TEMPLATE """{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>{{- else }}{{ .Prompt }}{{- end }}"""');
    for (const s of ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|file_sep|>"]) expect(mf).toContain(`PARAMETER stop "${s}"`);
    expect(mf).toContain("PARAMETER num_ctx 1024");
    expect(mf).toMatch(/PARAMETER temperature 0\.2/);
  });
  it("codestral is suffix first; ctx formats stop at a newline", () => {
    expect(modelfile({ gguf: "./m.gguf", format: "codestral", contextLength: 512 })).toContain("[SUFFIX]{{ .Suffix }}[PREFIX]{{ .Prompt }}");
    expect(modelfile({ gguf: "./m.gguf", format: "ctx", contextLength: 512 })).toContain('PARAMETER stop "\\n"');
  });
});

describe("fim export", () => {
  let model: string;
  beforeAll(async () => {
    model = (await writeTinyCheckpoint(join(tmp, "cli-qwen"), { architecture: "qwen2" })).dir;
  });
  it("writes the GGUF, the Modelfile beside it, and a summary", async () => {
    const out = join(tmp, "cli.gguf");
    const r = await fim("export", "--model", model, "--quant", "q8_0", "--out", out, "--modelfile", join(tmp, "Modelfile"), "--format", "starcoder");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*cli\.gguf \(q8_0, [\d.]+ MB, 27 tensors: 16 Q8_0, 11 F32\) in [\d.]+ s; FIM format starcoder/);
    expect(readFileSync(join(tmp, "Modelfile"), "utf8")).toContain("FROM ./cli.gguf\n");
    expect(r.stderr).toContain(`ollama create cli-qwen -f ${join(tmp, "Modelfile")}`);
  }, 60_000);
  it.each([
    [["--quant", "q5_k"], '--quant must be one of f32, f16, q8_0, q4_0, got "q5_k"'],
    [["--quant", "q4_0", "--lora-gguf", "x.gguf"], "--lora-gguf needs --adapter"],
    [["--quant", "q4_0", "--format", "nope"], '--format must be one of ctx, ctx-seed'],
  ])("usage error %#", async (args, message) => {
    const r = await fim("export", "--model", model, "--out", join(tmp, "never.gguf"), ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
  it("an adapter for another base is refused, naming the tensor", async () => {
    const adapterDir = join(tmp, "other-adapter");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { writeSafetensors } = await import("../../../src/lib/model/safetensors-write.ts");
    mkdirSync(adapterDir, { recursive: true });
    writeFileSync(join(adapterDir, "adapter_config.json"), JSON.stringify({ peft_type: "LORA", r: 2, lora_alpha: 4, target_modules: ["q_proj"] }));
    const t = [];
    for (let l = 0; l < 2; l++) {
      t.push({ name: `base_model.model.model.layers.${l}.self_attn.q_proj.lora_A.weight`, dtype: "F32" as const, shape: [2, 32], data: new Float32Array(64) });
      t.push({ name: `base_model.model.model.layers.${l}.self_attn.q_proj.lora_B.weight`, dtype: "F32" as const, shape: [32, 2], data: new Float32Array(64) });
    }
    writeFileSync(join(adapterDir, "adapter_model.safetensors"), writeSafetensors(t));
    const out = join(tmp, "other.gguf");
    const r = await fim("export", "--model", model, "--adapter", adapterDir, "--quant", "f16", "--out", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("adapter_model.safetensors: tensor base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight has shape [2,32] but this model needs [2,64] (an adapter for another base model?)");
    expect(existsSync(out)).toBe(false);
  }, 60_000);
  it("a failing export leaves no file that looks finished", async () => {
    const broken = join(tmp, "cli-broken");
    await writeTinyCheckpoint(broken, { architecture: "qwen2", mutate: (ts) => ts });
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(broken, "tokenizer.json"), JSON.stringify({ model: { type: "Unigram", vocab: [] } }));
    const out = join(tmp, "broken.gguf");
    const r = await fim("export", "--model", broken, "--quant", "f16", "--out", out);
    expect(r.code).not.toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes("broken.gguf"))).toEqual([]);
  }, 60_000);
});

describe("FIM token ids for our own formats", () => {
  it("ctx markers that are single tokens fill the fim_pre/suf/mid keys and are CONTROL", async () => {
    const { tokenizerKv } = await import("../../../src/lib/export/tokenizer-kv.ts");
    const files = tinyCheckpointFiles({ architecture: "qwen2" });
    const tj = JSON.parse(files["tokenizer.json"] as string);
    const config = parseModelConfig(JSON.parse(files["config.json"] as string));
    const base = Math.max(...tj.added_tokens.map((a: { id: number }) => a.id)) + 1;
    const markers = ["«CTX»", "«CURSOR»", "«/CTX»", "«PREFIX»", "«SUFFIX»", "«MIDDLE»"];
    markers.forEach((content, i) => tj.added_tokens.push({ id: base + i, content, special: false, single_word: false, lstrip: false, rstrip: false, normalized: false }));
    const kv = new Map(tokenizerKv(tj, {}, config, { format: "ctx" }).map((e) => [e.row.key, e.value]));
    expect(kv.get("tokenizer.ggml.fim_pre_token_id")).toBe(base + 3);
    expect(kv.get("tokenizer.ggml.fim_suf_token_id")).toBe(base + 4);
    expect(kv.get("tokenizer.ggml.fim_mid_token_id")).toBe(base + 5);
    const types = kv.get("tokenizer.ggml.token_type") as number[];
    for (let i = 0; i < markers.length; i++) expect(types[base + i]).toBe(TOKEN_TYPE.CONTROL);
    expect(kv.has("tokenizer.ggml.fim_pad_token_id")).toBe(false); // ctx has no pad marker
  });
  it("a tokenizer llama.cpp does not know is refused unless --pre names it", async () => {
    const { tokenizerKv } = await import("../../../src/lib/export/tokenizer-kv.ts");
    const files = tinyCheckpointFiles({ architecture: "qwen2" });
    const tj = { ...JSON.parse(files["tokenizer.json"] as string), pre_tokenizer: { type: "Whitespace" } };
    const config = parseModelConfig(JSON.parse(files["config.json"] as string));
    expect(() => tokenizerKv(tj, {}, config)).toThrow(/tokenizer\.json: its pre-tokenizer is none llama\.cpp is known to run .*--pre/);
    expect(new Map(tokenizerKv(tj, {}, config, { pre: "qwen2" }).map((e) => [e.row.key, e.value])).get("tokenizer.ggml.pre")).toBe("qwen2");
  });
});

describe("fim try", () => {
  it("runs the seed's three checks through llama.cpp", async () => {
    const { path } = await writeGguf("try.gguf", tinyCheckpointFiles({ architecture: "qwen2" }), "q8_0", undefined, "qwen");
    const r = await fim("try", path, "--max-tokens", "4");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("FIM format qwen (from the GGUF)");
    for (const name of ["binary search (Python)", "async function (JavaScript)", "class method (Python)"]) expect(r.stdout).toContain(`--- ${name}`);
    expect(r.stdout).toContain("def binary_search(items, target):");
  }, 120_000);
});
