// A LoRA adapter as its own GGUF (llama.cpp's convert_lora_to_gguf layout), for Ollama's ADAPTER instruction and
// llama.cpp's --lora: general.type "adapter", adapter.type "lora", adapter.lora.alpha, and for every adapted module
// "<gguf weight name>.lora_a" (R, IC), e.g. "blk.0.ssm_in.weight.lora_a", and ".lora_b" (OC, R), float32. The adapted
// weights and their GGUF names come from the same plan as the model's (plan.ts), so every family the export knows is
// covered: for `llama`, B's rows take the same Q/K permutation as the weight they adapt; for `mamba`, llama.cpp
// applies adapters to ssm_in, ssm_x, ssm_dt and ssm_out (its graph multiplies each through build_lora_mm). llama.cpp
// scales by alpha / R, so rsLoRA's alpha / sqrt(R) is written as alpha' = alpha * sqrt(R).

import type { ModelConfig } from "../model/config.ts";
import { expectedTensors } from "../model/tensors.ts";
import { matchAdapter } from "../train/adapter.ts";
import { peftName } from "../train/lora.ts";
import { KEY } from "../gguf/constants.ts";
import { encodeTensor } from "../gguf/quantize.ts";
import { GgufWriter, type ByteSink } from "../gguf/writer.ts";
import { adaptableModules, type AdapterSource } from "./gguf-export.ts";
import { permuteRowsForLlama } from "./permute.ts";
import { GGUF_ARCH, planTensors } from "./plan.ts";

export async function exportLoraGguf(config: ModelConfig, adapter: AdapterSource, sink: ByteSink, name: string): Promise<number> {
  const plan = planTensors(config, expectedTensors(config), "f32");
  matchAdapter(adapter, adaptableModules(plan));
  const { lora } = adapter;
  const w = new GgufWriter(sink);
  w.addKey(KEY.ARCHITECTURE, GGUF_ARCH[config.architecture]!);
  w.addKey(KEY.NAME, name);
  w.string("general.type", "adapter");
  w.string("adapter.type", "lora");
  w.addKv("adapter.lora.alpha", "FLOAT32", lora.rslora ? lora.alpha * Math.sqrt(lora.r) : lora.alpha);
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const t of plan) {
    const module = t.loraModule;
    if (!module || !lora.targets.includes(module.split(".").pop()!)) continue;
    const A = await adapter.tensor(peftName(module, "A"));
    const B = await adapter.tensor(peftName(module, "B"));
    if (!A || !B) throw new Error(`adapter: ${peftName(module, A ? "B" : "A")} is missing`); // matchAdapter saw to it
    const b = t.permuteHeads ? permuteRowsForLlama(B.data, t.permuteHeads, lora.r) : B.data;
    tensors.push({ name: `${t.gguf}.lora_a`, shape: A.shape, data: A.data }, { name: `${t.gguf}.lora_b`, shape: B.shape, data: b });
  }
  for (const t of tensors) w.addTensorInfo(t.name, t.shape, "F32");
  await w.writeHeader();
  for (const t of tensors) await w.writeTensorData(t.name, encodeTensor("F32", t.data, t.shape[1]!));
  return w.finish();
}
