// A full model folder in Hugging Face layout from the engine's current weights (full training): the weights as
// float32 safetensors, and the base folder's config, tokenizer and generation files alongside.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../../../../src/lib/model/safetensors-write.ts";
import type { Files } from "../../../../src/lib/train/adapter.ts";
import type { Backend } from "../../../../src/lib/train/backend.ts";
import type { Engine } from "../../../../src/lib/train/engine.ts";
import { namedModelWeights } from "../../../../src/lib/train/weights.ts";

/** Files copied from the base folder unchanged (config.json gets torch_dtype float32). */
const COPIED = ["tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"];

/** Every file a full model folder written here may hold. */
export const FULL_MODEL_FILES = ["model.safetensors", "config.json", ...COPIED] as const;

export async function saveFullModel<T, I>(be: Backend<T, I>, engine: Engine<T, I>, baseDir: string): Promise<Files> {
  const shapes = new Map(engine.checkpoint.tensors.map((t) => [t.name, t.shape]));
  const tensors = [];
  for (const [name, buf] of namedModelWeights(engine.model)) {
    const shape = shapes.get(name)!;
    tensors.push({ name, dtype: "F32" as const, shape, data: await be.read(buf, shape.reduce((a, b) => a * b, 1)) });
  }
  const config = { ...engine.checkpoint.config.raw, torch_dtype: "float32" };
  const files: Files = new Map([
    ["model.safetensors", writeSafetensors(tensors, { format: "pt" })],
    ["config.json", new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n")],
  ]);
  for (const name of COPIED) if (existsSync(join(baseDir, name))) files.set(name, new Uint8Array(readFileSync(join(baseDir, name))));
  return files;
}
