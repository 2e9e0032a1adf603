// Test helpers for GGUF export: tiny checkpoints with sharper logits, adapters with non-zero B, writing a GGUF
// to a temp file, and our engine running on exactly the weights a GGUF holds (merged, quantised, dequantised).

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { loadCheckpoint, type Checkpoint } from "../../../src/lib/model/checkpoint.ts";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { loraShapes } from "../../../src/lib/train/adapter.ts";
import { attachLora, DEFAULT_LORA, type LoraConfig } from "../../../src/lib/train/lora.ts";
import type { CausalLM } from "../../../src/lib/train/causal-lm.ts";
import { argmax } from "../../../src/lib/train/sampling.ts";
import { loadModel } from "../../../src/lib/train/weights.ts";
import { openAtomic } from "../../../node/export/src/atomic-writer.ts";
import { decodeTensor, encodeTensor } from "../../../src/lib/gguf/quantize.ts";
import { exportGguf, mergedTensor, type AdapterSource } from "../../../src/lib/export/gguf-export.ts";
import { planTensors, type ExportType } from "../../../src/lib/export/plan.ts";
import { tinyCheckpointFiles, type TinyCheckpointOptions } from "../../fixtures/tiny-checkpoint.ts";

export const tmp = mkdtempSync(join(tmpdir(), "fim-export-"));

/** The fixture with 2-D weights x16 (exact in every dtype) so logits are peaked enough for token comparisons. */
export function sharpFiles(opts: TinyCheckpointOptions) {
  return tinyCheckpointFiles({ ...opts, mutate: (ts) => ts.map((t) => (t.shape.length === 2 ? { ...t, data: t.data.map((x) => x * 16) } : t)) });
}

/** A LoRA adapter with random A and B, as an AdapterSource. */
export async function randomAdapter(files: Record<string, Uint8Array | string>, lora: LoraConfig = { ...DEFAULT_LORA, r: 4, alpha: 8 }): Promise<AdapterSource> {
  const be = new CpuBackend();
  const engine = await loadEngine(be, memoryFiles(files));
  const params = attachLora(be, engine.model.w, lora, 5);
  const rng = new Rng(11);
  for (const p of params) if (p.name.includes("lora_B")) for (let i = 0; i < p.n; i++) p.buf[i] = (rng.next() - 0.5) * 0.5;
  const shapes = loraShapes(engine.model.w);
  const byName = new Map(params.map((p) => [p.name, { shape: shapes.get(p.name)!, data: p.buf.slice() }]));
  return { lora, tensors: byName, tensor: async (n) => byName.get(n) };
}

export async function writeGguf(name: string, files: Record<string, Uint8Array | string>, type: ExportType, adapter?: AdapterSource, format = "qwen") {
  const cp = await loadCheckpoint(memoryFiles(files));
  const path = join(tmp, name);
  const out = openAtomic(path);
  const summary = await exportGguf(cp, JSON.parse(files["tokenizer.json"] as string), JSON.parse(files["tokenizer_config.json"] as string), out, {
    type, name, format, adapter,
  });
  await out.commit();
  return { path, cp, summary };
}

/** Our engine on the weights the GGUF holds: adapter merged, each tensor encoded to its GGUF type and decoded. */
export async function engineOnExport(cp: Checkpoint, type: ExportType, adapter?: AdapterSource): Promise<CausalLM<Float32Array, Int32Array>> {
  const plan = planTensors(cp.config, cp.tensors, type);
  const weights = new Map<string, Float32Array>();
  for (const t of plan) {
    if (t.hf === null) continue;
    const data = await mergedTensor(cp, t, adapter);
    const rows = t.shape[t.shape.length - 1]!;
    weights.set(t.hf, decodeTensor(t.type, encodeTensor(t.type, data, rows), data.length));
  }
  const be = new CpuBackend();
  return loadModel(be, cp.config, async (n) => weights.get(n)!);
}

/** Greedy continuation of `prompt` by our engine. */
export async function greedy(model: CausalLM<Float32Array, Int32Array>, prompt: number[], n: number): Promise<number[]> {
  const gen = model.decoder(prompt.length + n + 1);
  let logits = await gen.prompt(prompt);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(argmax(logits, model.V));
    logits = await gen.append([out[i]!]);
  }
  return out;
}

/** Our engine's argmax after each prefix of `ids` (teacher forcing). */
export async function argmaxPerPosition(model: CausalLM<Float32Array, Int32Array>, ids: number[]): Promise<number[]> {
  const gen = model.decoder(ids.length + 1);
  const out: number[] = [];
  for (let t = 1; t <= ids.length; t++) out.push(argmax(await gen.prompt(ids.slice(0, t)), model.V));
  return out;
}
