// Loading what the training and completion commands need from disk: the model folder, an adapter folder, JSONL.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { folderFiles } from "../../../../src/lib/model/node-folder.ts";
import type { Files } from "../../../../src/lib/train/adapter.ts";
import { CpuBackend } from "../../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../../src/lib/train/engine.ts";
import { UsageError } from "./errors.ts";

export async function loadModel(dir: string | undefined) {
  if (!dir) throw new UsageError("--model DIR is required (a Hugging Face model folder with config.json)");
  if (!existsSync(dir)) throw new UsageError(`--model: no such folder: ${dir}`);
  // every core for the matmuls (cpu/pool.ts); the workers are unref'd, so the process still exits when done
  const be = new CpuBackend("f32", { threads: availableParallelism() });
  await be.ready();
  return { be, engine: await loadEngine(be, folderFiles(dir)) };
}

/** Every file of a folder, by name (adapters and trainer state are small). */
export function readFolder(dir: string, what: string): Files {
  if (!existsSync(dir)) throw new UsageError(`${what}: no such folder: ${dir}`);
  return new Map(readdirSync(dir).map((name) => [name, new Uint8Array(readFileSync(join(dir, name)))]));
}

export function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageError(`${what}: no such file: ${path}`);
  return readFileSync(path, "utf8");
}
