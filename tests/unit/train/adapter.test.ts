// PEFT adapter files: what we write reads back bit for bit, PEFT's alternative tensor naming loads, and
// adapter_config.json problems are refused naming the field.

import { describe, expect, it } from "vitest";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { parseSafetensors, readTensor } from "../../../src/lib/model/safetensors.ts";
import { writeSafetensors } from "../../../src/lib/model/safetensors-write.ts";
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, baseModelMismatch, loadAdapter, loraShapes, parseAdapterConfig, readAdapter, saveAdapter, TRAINER_STATE } from "../../../src/lib/train/adapter.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { attachLora, type LoraConfig } from "../../../src/lib/train/lora.ts";
import { tinyCheckpointFiles } from "../../fixtures/tiny-checkpoint.ts";

const LORA: LoraConfig = { r: 4, alpha: 16, rslora: true, targets: ["q_proj", "v_proj"] };

async function trained() {
  const be = new CpuBackend();
  const engine = await loadEngine(be, memoryFiles(tinyCheckpointFiles()));
  const params = attachLora(be, engine.model.w, LORA, 3);
  params.forEach((p, i) => p.buf.forEach((_, j) => (p.buf[j] = Math.sin(i * 100 + j) * 0.01)));
  const files = await saveAdapter(be, params, LORA, "tiny-llama", loraShapes(engine.model.w));
  return { be, engine, params, files };
}

describe("PEFT adapters", () => {
  it("round-trip: config fields and every tensor, bit for bit", async () => {
    const { params, files } = await trained();
    const cfg = JSON.parse(new TextDecoder().decode(files.get(ADAPTER_CONFIG)));
    expect(cfg).toMatchObject({ peft_type: "LORA", r: 4, lora_alpha: 16, use_rslora: true, target_modules: ["q_proj", "v_proj"], base_model_name_or_path: "tiny-llama" });
    const fresh = await loadEngine(new CpuBackend(), memoryFiles(tinyCheckpointFiles()));
    const loaded = await loadAdapter(fresh.model.be, fresh.model.w, files);
    expect(loaded.lora).toEqual(LORA);
    expect(loaded.params.map((p) => p.name)).toEqual(params.map((p) => p.name));
    loaded.params.forEach((p, i) => expect(Array.from(p.buf)).toEqual(Array.from(params[i]!.buf)));
    const index = parseSafetensors(files.get(ADAPTER_WEIGHTS)!);
    expect(index.byName.get("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight")!.shape).toEqual([32, 4]);
  });
  it("reads the FIM format from any trainer_state.json, ours or another trainer's, and names a broken one", async () => {
    const { files } = await trained();
    const enc = (o: unknown) => new TextEncoder().encode(typeof o === "string" ? o : JSON.stringify(o));
    expect((await readAdapter(new Map([...files, [TRAINER_STATE, enc({ step: 10, format: "psm" })]]))).format).toBe("psm");
    expect((await readAdapter(new Map([...files, [TRAINER_STATE, enc({ log_history: [], best_metric: null })]]))).format).toBeUndefined();
    await expect(readAdapter(new Map([...files, [TRAINER_STATE, enc("{step")]]), "run")).rejects.toThrow(/^run\/trainer_state\.json: not valid JSON/);
  });
  it("says when an adapter names another base model than the one it is used with", () => {
    expect(baseModelMismatch(null, { name: "qwen" })).toBeUndefined();
    expect(baseModelMismatch("Qwen/Qwen2.5-Coder-0.5B", { name: "/models/qwen2.5-coder-0.5b/" })).toBeUndefined();
    expect(baseModelMismatch("./tiny", { name: "copy", nameOrPath: "org/tiny" })).toBeUndefined();
    expect(baseModelMismatch("meta-llama/Llama-3.2-1B", { name: "qwen" })).toBe(
      "the adapter was trained on meta-llama/Llama-3.2-1B, not on qwen; its shapes fit, so it is used: check that it is the model you meant",
    );
  });
  it("loads PEFT's '.lora_A.default.weight' naming", async () => {
    const { files, params } = await trained();
    const bytes = files.get(ADAPTER_WEIGHTS)!;
    const index = parseSafetensors(bytes);
    const renamed = await Promise.all(index.tensors.map(async (e) => ({
      name: e.name.replace(/\.weight$/, ".default.weight"), dtype: "F32" as const, shape: e.shape, data: (await readTensor(bytes, e)).data,
    })));
    const fresh = await loadEngine(new CpuBackend(), memoryFiles(tinyCheckpointFiles()));
    const loaded = await loadAdapter(fresh.model.be, fresh.model.w, new Map([...files, [ADAPTER_WEIGHTS, writeSafetensors(renamed)]]));
    expect(Array.from(loaded.params[3]!.buf)).toEqual(Array.from(params[3]!.buf));
  });
  it("refuses what it cannot apply, naming the field or tensor", async () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const base = { peft_type: "LORA", r: 4, lora_alpha: 8, target_modules: ["q_proj"] };
    expect(() => parseAdapterConfig(undefined)).toThrow(/adapter_config\.json: not found/);
    expect(() => parseAdapterConfig(enc({ ...base, peft_type: "IA3" }))).toThrow('adapter_config.json: peft_type: "IA3" is not supported: only LORA adapters load');
    expect(() => parseAdapterConfig(enc({ ...base, target_modules: "all-linear" }))).toThrow(/target_modules: must be a list/);
    expect(() => parseAdapterConfig(enc({ ...base, target_modules: ["all-linear"] }))).toThrow(/"all-linear" is not a module name/);
    expect(() => parseAdapterConfig(enc({ ...base, use_dora: true }))).toThrow(/use_dora/);
    expect(() => parseAdapterConfig(enc({ ...base, rank_pattern: { q_proj: 8 } }))).toThrow(/rank_pattern/);
    const { files } = await trained();
    const fresh = await loadEngine(new CpuBackend(), memoryFiles(tinyCheckpointFiles()));
    const bytes = files.get(ADAPTER_WEIGHTS)!;
    const index = parseSafetensors(bytes);
    const fewer = await Promise.all(index.tensors.slice(1).map(async (e) => ({ name: e.name, dtype: "F32" as const, shape: e.shape, data: (await readTensor(bytes, e)).data })));
    const gpt2 = new Map([...files, [ADAPTER_CONFIG, enc({ ...base, target_modules: ["c_attn"] })]]);
    await expect(loadAdapter(fresh.model.be, fresh.model.w, gpt2)).rejects.toThrow(/adapter_config\.json: target_modules: "c_attn" is not a linear module of this model \(one of q_proj, .*\) \(is the adapter for another base model\?\)/);
    await expect(loadAdapter(fresh.model.be, fresh.model.w, new Map([...files, [ADAPTER_WEIGHTS, writeSafetensors(fewer)]]))).rejects.toThrow(/adapter_model\.safetensors: tensor .* is missing \(1 missing in all\)/);
  });
});
