// The embedding and lm_head tables: held as float32 for training, or as int8 blocks for inference (Backend.uploadTable).

import type { Backend } from "./backend.ts";
import { formatFor, type WeightFormat } from "./quant.ts";
import type { WeightOptions } from "./weights.ts";

/** What inference (completion, evaluation) loads with `weights`: int8 / int4 blocks come with an int8 table. */
export function inferenceWeights(weights: WeightFormat = "f32"): WeightOptions {
  return { weights, table: weights === "int8" || weights === "int4" ? "int8" : "f32" };
}

/** The embedding and lm_head (the same buffer when tied), held as `opts.table`. */
export async function loadTables<T, I>(
  be: Backend<T, I>, get: (name: string) => Promise<Float32Array>, V: number, C: number, tied: boolean,
  names: { embedding: string; lmHead: string }, opts: WeightOptions,
): Promise<{ wte: T; lmHead: T }> {
  const format = formatFor(opts.table ?? "f32", C);
  const up = async (name: string) => be.uploadTable(await get(name), V, C, format, name);
  const wte = await up(names.embedding);
  return { wte, lmHead: tied ? wte : await up(names.lmHead) };
}
