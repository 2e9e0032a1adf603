// Reading an adapter folder from disk for any command: the one validating reader (src/lib/train/adapter.ts), plus
// what only the file system can tell: whether the adapter was trained on this model folder.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AdapterError, ADAPTER_CONFIG, baseModelMismatch, readAdapter, type ReadAdapter } from "../../../../src/lib/train/adapter.ts";
import { readFolder } from "./load.ts";

function configOf(dir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The adapter in `dir`, checked against the model folder it is used with: when its base_model_name_or_path names
 * another folder that is there, a different architecture or vocabulary is refused; another name is a warning.
 */
export async function readAdapterFolder(dir: string, modelDir: string, warn: (line: string) => void): Promise<ReadAdapter> {
  const adapter = await readAdapter(readFolder(dir, "--adapter"), dir);
  const base = adapter.baseModel;
  if (!base || resolve(base) === resolve(modelDir)) return adapter;
  const mine = configOf(modelDir);
  const theirs = existsSync(base) ? configOf(base) : undefined;
  if (theirs && mine) {
    const arch = (c: Record<string, unknown>) => (Array.isArray(c.architectures) ? String(c.architectures[0]) : String(c.model_type));
    for (const [field, a, b] of [["architecture", arch(theirs), arch(mine)], ["vocab_size", theirs.vocab_size, mine.vocab_size]] as const) {
      if (a !== b) {
        throw new AdapterError(`${dir}/${ADAPTER_CONFIG}`, `base_model_name_or_path ${base} has ${field} ${a}, but --model ${modelDir} has ${b}: the adapter belongs to another model`);
      }
    }
  }
  const mismatch = baseModelMismatch(base, { name: modelDir, nameOrPath: mine?._name_or_path });
  if (mismatch) warn(`warning: ${dir}: ${mismatch}`);
  return adapter;
}
