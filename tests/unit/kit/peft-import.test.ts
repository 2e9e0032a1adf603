// An adapter in the layout Axolotl and TRL write (PEFT's save_pretrained, made here): adapter_config.json with every
// field of the current PEFT version in its alphabetical order, the Hub id of the base model, target_modules resolved
// from "all-linear" to full module paths (PEFT keeps them for models with fewer than 20 linears, as this tiny one),
// LoRA tensors in BF16 under PEFT's names. `fim export` merges it and llama.cpp runs the GGUF as our engine runs the
// model with the same (BF16-rounded) adapter; what FIM Studio cannot load is refused, naming the field or tensor.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { AdapterSource } from "../../../src/lib/export/gguf-export.ts";
import { decodeFloats, encodeFloats } from "../../../src/lib/model/dtypes.ts";
import { loadCheckpoint, memoryFiles } from "../../../src/lib/model/index.ts";
import { writeSafetensors } from "../../../src/lib/model/safetensors-write.ts";
import { engineOnExport, randomAdapter, sharpFiles, tmp } from "../export/export-helpers.ts";
import { CODE, followAndCompare, llamaRunner } from "../export/llama-cpp-helpers.ts";
import { fim } from "../cli/run-fim.ts";
import { PEFT } from "./kit-helpers.ts";

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
}, 120_000);
afterAll(async () => llama?.dispose());
const { greedy } = llamaRunner(() => llama, { contextSize: 256, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });

/** Writes `files` as a model folder and `adapter` as a PEFT adapter folder; returns their paths. */
function writeFolders(name: string, files: Record<string, Uint8Array | string>, adapter: AdapterSource, config: Record<string, unknown> = {}) {
  const model = join(tmp, `${name}-model`);
  const peft = join(tmp, `${name}-peft`);
  mkdirSync(model, { recursive: true });
  mkdirSync(peft, { recursive: true });
  for (const [n, c] of Object.entries(files)) writeFileSync(join(model, n), c);
  const paths = [...new Set([...adapter.tensors.keys()].map((n) => n.replace(/^base_model\.model\./, "").replace(/\.lora_[AB]\.weight$/, "")))].reverse();
  const cfg = { ...PEFT.adapterConfigExample, base_model_name_or_path: "example-org/tiny-coder", r: adapter.lora.r, lora_alpha: adapter.lora.alpha, target_modules: paths, ...config };
  writeFileSync(join(peft, "adapter_config.json"), JSON.stringify(Object.fromEntries(Object.entries(cfg).sort(([a], [b]) => a.localeCompare(b))), null, 2));
  const tensors = [...adapter.tensors].map(([n, t]) => ({ name: n, dtype: "BF16" as const, shape: t.shape, data: t.data }));
  writeFileSync(join(peft, "adapter_model.safetensors"), writeSafetensors(tensors, { format: "pt" }, "adapter_model.safetensors"));
  return { model, peft };
}

/** The adapter as the BF16 file holds it. */
function roundedBf16(a: AdapterSource): AdapterSource {
  const tensors = new Map([...a.tensors].map(([n, t]) => [n, { shape: t.shape, data: decodeFloats(encodeFloats(t.data, "BF16"), "BF16") }]));
  return { lora: a.lora, tensors, tensor: async (n) => tensors.get(n) };
}

describe("a PEFT adapter as Axolotl and TRL write it", () => {
  it("merges in `fim export`, and llama.cpp runs the GGUF as our engine runs the model with the adapter", async () => {
    const files = sharpFiles({});
    const adapter = await randomAdapter(files);
    const { model, peft } = writeFolders("trl", files, adapter);
    const out = join(tmp, "trl-merged.gguf");
    const r = await fim("export", "--model", model, "--adapter", peft, "--quant", "f32", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the adapter was trained on example-org\/tiny-coder/); // another name: a warning, not a refusal
    const cp = await loadCheckpoint(memoryFiles(files));
    const prompt = cp.tokenizer.encode(CODE);
    await followAndCompare(await engineOnExport(cp, "f32", roundedBf16(adapter)), prompt, await greedy(out, prompt, 32));
  }, 120_000);

  it("an adapter that retrains whole modules, has lora_B biases, or fits another model is refused by name", async () => {
    const files = sharpFiles({});
    const adapter = await randomAdapter(files);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["saved", { modules_to_save: ["embed_tokens", "lm_head"] }, /modules_to_save: \["embed_tokens","lm_head"\]: the adapter retrains whole modules/],
      ["bias", { lora_bias: true }, /lora_bias: adapters with a bias on lora_B are not supported/],
      ["regex", { target_modules: ".*proj" }, /target_modules: must be a list of module names \(a regex/],
    ];
    for (const [name, config, message] of cases) {
      const { model, peft } = writeFolders(name, files, adapter, config);
      const r = await fim("export", "--model", model, "--adapter", peft, "--quant", "f32", "--out", join(tmp, `${name}.gguf`));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    // trained on a wider model: the first tensor whose shape does not fit is named
    const other = await randomAdapter(sharpFiles({ dims: { hidden_size: 96, num_attention_heads: 6, head_dim: 16 } }));
    const { model, peft } = writeFolders("other", files, other);
    const r = await fim("export", "--model", model, "--adapter", peft, "--quant", "f32", "--out", join(tmp, "other.gguf"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tensor base_model\.model\.model\.layers\.\d\.\w+\.\w+_proj\.lora_[AB]\.weight has shape \[\d+,\d+\] but this model needs \[\d+,\d+\]/);
  }, 120_000);
});
