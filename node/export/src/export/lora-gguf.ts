// A LoRA adapter as its own GGUF (llama.cpp's convert_lora_to_gguf layout), for Ollama's ADAPTER instruction and
// llama.cpp's --lora: general.type "adapter", adapter.type "lora", adapter.lora.alpha, and for every adapted module
// "<gguf weight name>.lora_a" (R, IC) and ".lora_b" (OC, R), float32. For `llama`, B's rows take the same Q/K
// permutation as the weight they adapt. llama.cpp scales by alpha / R, so rsLoRA's alpha / sqrt(R) is written as
// alpha' = alpha * sqrt(R).

import { type ModelConfig, requireLlama } from "../../../../src/lib/model/config.ts";
import { peftName } from "../../../../src/lib/train/lora.ts";
import type { BlockLinear } from "../../../../src/lib/train/model.ts";
import { LINEAR_MODULE } from "../../../../src/lib/train/weights.ts";
import { ggufNameOf, KEY } from "../gguf/constants.ts";
import { encodeTensor } from "../gguf/quantize.ts";
import { GgufWriter, type ByteSink } from "../gguf/writer.ts";
import type { AdapterSource } from "./gguf-export.ts";
import { permuteRowsForLlama } from "./permute.ts";
import { GGUF_ARCH } from "./plan.ts";

export async function exportLoraGguf(anyConfig: ModelConfig, adapter: AdapterSource, sink: ByteSink, name: string): Promise<number> {
  const config = requireLlama(anyConfig, "LoRA GGUF export");
  const arch = GGUF_ARCH[config.architecture]!;
  const { lora } = adapter;
  const w = new GgufWriter(sink);
  w.addKey(KEY.ARCHITECTURE, arch);
  w.addKey(KEY.NAME, name);
  w.string("general.type", "adapter");
  w.string("adapter.type", "lora");
  w.addKv("adapter.lora.alpha", "FLOAT32", lora.rslora ? lora.alpha * Math.sqrt(lora.r) : lora.alpha);
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    for (const which of lora.targets) {
      const module = `model.layers.${l}.${LINEAR_MODULE[which as BlockLinear]}`;
      const A = await adapter.tensor(peftName(module, "A"));
      const B = await adapter.tensor(peftName(module, "B"));
      if (!A || !B) throw new Error(`adapter: ${peftName(module, A ? "B" : "A")} is missing`);
      const base = ggufNameOf(`${module}.weight`)!;
      let b = B.data;
      if (arch === "llama" && (which === "q_proj" || which === "k_proj")) {
        b = permuteRowsForLlama(b, which === "q_proj" ? config.num_attention_heads : config.num_key_value_heads, lora.r);
      }
      tensors.push({ name: `${base}.lora_a`, shape: A.shape, data: A.data }, { name: `${base}.lora_b`, shape: B.shape, data: b });
    }
  }
  for (const t of tensors) w.addTensorInfo(t.name, t.shape, "F32");
  await w.writeHeader();
  for (const t of tensors) await w.writeTensorData(t.name, encodeTensor("F32", t.data, t.shape[1]!));
  return w.finish();
}
