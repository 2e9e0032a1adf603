// Loading what the training and completion commands need from disk: the model folder, an adapter folder, JSONL.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { folderFiles } from "../model-folder.ts";
import type { Files } from "../../../../src/lib/train/adapter.ts";
import { CpuBackend } from "../../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../../src/lib/train/engine.ts";
import { UsageError } from "./errors.ts";
import type { WeightFormat } from "../../../../src/lib/train/quant.ts";
import { inferenceWeights } from "../../../../src/lib/train/tables.ts";

/**
 * The model folder on the CPU backend; `warn` hears of every tensor holding NaN or Inf (loading goes on). `weights`:
 * how the block linears are held (int8 / int4 stay quantized in memory, with an int8 embedding / lm_head: see the CPU
 * backend's uploadFrozen and uploadTable). Training loads f32.
 */
export async function loadModel(dir: string | undefined, warn: (line: string) => void = () => {}, weights: WeightFormat = "f32") {
  if (!dir) throw new UsageError("--model DIR is required (a Hugging Face model folder with config.json)");
  if (!existsSync(dir)) throw new UsageError(`--model: no such folder: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--model: ${dir} is not a folder (give the model's folder, the one holding config.json)`);
  // every core for the matmuls (cpu/pool.ts); the workers are unref'd, so the process still exits when done
  const be = new CpuBackend("f32", { threads: availableParallelism() });
  await be.ready();
  const onNonFinite = (name: string, index: number, value: number) =>
    warn(`warning: ${dir}: tensor ${name} holds a non-finite value (${value} at index ${index}): completions and training with this checkpoint will fail`);
  return { be, engine: await loadEngine(be, folderFiles(dir), { onNonFinite, ...inferenceWeights(weights) }) };
}

/**
 * Every regular file of a folder, by name (adapters and trainer state are small). Subfolders, FIFOs and devices are
 * left out: reading a FIFO or /dev/zero would hang or never end.
 */
export function readFolder(dir: string, what: string): Files {
  if (!existsSync(dir)) throw new UsageError(`${what}: no such folder: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${what}: ${dir} is not a folder`);
  const files: Files = new Map();
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) files.set(name, new Uint8Array(readFileSync(path)));
  }
  return files;
}

/** A text file; anything but a regular file (a folder, a FIFO, /dev/zero) is refused naming the flag and path. */
export function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageError(`${what}: no such file: ${path}`);
  if (!statSync(path).isFile()) throw new UsageError(`${what}: ${path} is not a regular file`);
  return readFileSync(path, "utf8");
}
