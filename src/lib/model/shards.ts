// Sharded checkpoints: `model.safetensors.index.json` = `{ "metadata": {"total_size": N}, "weight_map": {tensor: file} }`
// says which shard file holds each tensor. This file parses and checks that index; it does not read the shards
// (checkpoint.ts does) and does not write one (the test fixture builds its own).

import { SafetensorsError } from "./errors.ts";

export const SHARD_INDEX_FILE = "model.safetensors.index.json";

export interface ShardIndex {
  /** Tensor name -> shard file name. */
  weightMap: ReadonlyMap<string, string>;
  /** The shard files, in order of first mention. */
  files: string[];
  metadata: Record<string, unknown>;
}

/** Check a parsed model.safetensors.index.json. */
export function parseShardIndex(json: unknown, file = SHARD_INDEX_FILE): ShardIndex {
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new SafetensorsError(file, undefined, 'has no "weight_map" object: it is not a safetensors shard index; download it again');
  }
  const weightMap = new Map<string, string>();
  const files: string[] = [];
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || shard === "" || shard.includes("/") || shard.includes("\\")) {
      throw new SafetensorsError(file, tensor, `weight_map entry ${JSON.stringify(shard)} is not a file name in the checkpoint folder`);
    }
    weightMap.set(tensor, shard);
    if (!files.includes(shard)) files.push(shard);
  }
  const metadata = (json as { metadata?: unknown }).metadata;
  return { weightMap, files, metadata: typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>) : {} };
}
