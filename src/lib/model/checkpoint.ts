// Loading a Hugging Face checkpoint folder (config.json, tokenizer.json, tokenizer_config.json,
// generation_config.json, model.safetensors or shards + model.safetensors.index.json) from any CheckpointFiles.
// Up front it reads only the JSON files and the safetensors headers, and checks that every tensor the architecture
// needs is there with the right shape and a dtype we convert; weights are then read one tensor at a time through
// the WeightStore. Without readRange a shard is read whole, once, and kept while the store lives.
// Not here: the math (the engine), where files come from (files.ts, the Node package's model-folder.ts).

import { CONFIG_FILE, type ModelConfig, parseModelConfig, tokenIds } from "./config.ts";
import { CheckpointError, ModelConfigError } from "./errors.ts";
import type { CheckpointFiles } from "./files.ts";
import {
  assertConvertible, type ByteSource, type RawTensor, readRawTensor, readSafetensorsIndex, readTensor, type Tensor,
  type TensorEntry,
} from "./safetensors.ts";
import { parseShardIndex, SHARD_INDEX_FILE } from "./shards.ts";
import { type ExpectedTensor, expectedTensors, layersPresent } from "./tensors.ts";
import { loadTokenizer, type ModelTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "./tokenizer.ts";

export const WEIGHTS_FILE = "model.safetensors";
export const GENERATION_CONFIG_FILE = "generation_config.json";

export interface GenerationConfig {
  bos_token_id: number | null;
  eos_token_ids: number[];
  /** The parsed file (temperature, top_p, ... as the model's authors set them). */
  raw: Readonly<Record<string, unknown>>;
}

/** The checkpoint's tensors, read on demand. */
export interface WeightStore {
  /** Every tensor in the checkpoint's headers (extra ones included), sorted. */
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorEntry | undefined;
  /** As float32; a fresh array the caller owns (may modify). */
  get(name: string): Promise<Tensor>;
  /** The stored bytes, not converted. */
  raw(name: string): Promise<RawTensor>;
}

export interface Checkpoint {
  config: ModelConfig;
  tokenizer: ModelTokenizer;
  generationConfig: GenerationConfig | null;
  weights: WeightStore;
  /** The tensors the architecture uses, with their shapes (all present and checked). */
  tensors: ExpectedTensor[];
  /** Ids that end generation: generation_config.json's eos, then config.json's, then the tokenizer's, deduplicated. */
  stopIds: number[];
}

export async function loadCheckpoint(files: CheckpointFiles): Promise<Checkpoint> {
  const names = new Set(await files.list());
  const where = `in ${files.label}`;
  const need = (name: string, what: string): void => {
    if (!names.has(name)) throw new CheckpointError(name, undefined, `not found ${where}: ${what}`);
  };
  const json = async (name: string): Promise<unknown> => {
    const text = new TextDecoder().decode(await files.read(name));
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new CheckpointError(name, undefined, `is not valid JSON (${(e as Error).message}): download it again`);
    }
  };

  need(CONFIG_FILE, "a Hugging Face checkpoint folder has config.json next to its *.safetensors files");
  const config = parseModelConfig(await json(CONFIG_FILE));
  need(TOKENIZER_FILE, "FIM Studio needs the fast-tokenizer file (download tokenizer.json from the model's repository)");
  const tokenizer = loadTokenizer(
    await json(TOKENIZER_FILE),
    names.has(TOKENIZER_CONFIG_FILE) ? await json(TOKENIZER_CONFIG_FILE) : {},
  );
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new CheckpointError(
      TOKENIZER_FILE,
      undefined,
      `has ids up to ${tokenizer.vocabSize - 1} but config.json's vocab_size is ${config.vocab_size}: the tokenizer belongs to another model`,
    );
  }
  const generationConfig = names.has(GENERATION_CONFIG_FILE) ? parseGenerationConfig(await json(GENERATION_CONFIG_FILE)) : null;

  const weights = await openWeights(files, names, where, json);
  // Before the tensor list is built from num_hidden_layers: a layer count the weights do not back is refused here,
  // so the list (and everything allocated per layer) stays as long as the headers are.
  const layers = layersPresent(config, weights.names());
  if (config.num_hidden_layers > layers) {
    throw new ModelConfigError(
      CONFIG_FILE,
      "num_hidden_layers",
      `${config.num_hidden_layers}, but the weights (${weights.fileOf("")}) hold tensors of ${layers} layers, the limit: config.json does not belong to these weights`,
    );
  }
  const tensors = expectedTensors(config);
  for (const t of tensors) {
    const entry = weights.info(t.name);
    if (!entry) {
      const file = weights.fileOf(t.name);
      throw new CheckpointError(
        file,
        t.name,
        `missing: ${config.architecture} with this config.json needs it, shape [${t.shape.join(", ")}]; the checkpoint is incomplete or of another architecture`,
      );
    }
    if (entry.shape.length !== t.shape.length || entry.shape.some((d, i) => d !== t.shape[i])) {
      throw new CheckpointError(
        entry.file,
        t.name,
        `shape is [${entry.shape.join(", ")}] but config.json implies [${t.shape.join(", ")}]: the weights do not match config.json`,
      );
    }
    assertConvertible(entry);
  }

  const stopIds = [...new Set([...(generationConfig?.eos_token_ids ?? []), ...config.eos_token_ids, ...tokenizer.eosIds])];
  return { config, tokenizer, generationConfig, weights, tensors, stopIds };
}

export function parseGenerationConfig(json: unknown, file = GENERATION_CONFIG_FILE): GenerationConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CheckpointError(file, undefined, "is not a JSON object: download it again");
  }
  const raw = json as Record<string, unknown>;
  const fail = (field: string, problem: string): never => {
    throw new ModelConfigError(file, field, problem);
  };
  return { bos_token_id: tokenIds(raw, "bos_token_id", fail)[0] ?? null, eos_token_ids: tokenIds(raw, "eos_token_id", fail), raw };
}

interface OpenedWeights extends WeightStore {
  /** The file that should hold `name` (for messages about missing tensors). */
  fileOf(name: string): string;
}

async function openWeights(
  files: CheckpointFiles,
  names: Set<string>,
  where: string,
  json: (name: string) => Promise<unknown>,
): Promise<OpenedWeights> {
  let shardFiles: string[];
  let weightMap: ReadonlyMap<string, string> | undefined;
  if (names.has(SHARD_INDEX_FILE)) {
    const index = parseShardIndex(await json(SHARD_INDEX_FILE));
    weightMap = index.weightMap;
    shardFiles = index.files;
    for (const f of shardFiles) {
      if (!names.has(f)) throw new CheckpointError(f, undefined, `not found ${where}, but ${SHARD_INDEX_FILE} lists it: the download is incomplete`);
    }
  } else {
    const other = [...names].filter((n) => /\.(bin|pt|pth|ckpt|gguf)$/.test(n));
    const hint = other.length > 0 ? ` (found ${other.join(", ")}: only safetensors weights are read; convert them with transformers' save_pretrained(safe_serialization=True))` : "";
    if (!names.has(WEIGHTS_FILE)) throw new CheckpointError(WEIGHTS_FILE, undefined, `not found ${where}, nor ${SHARD_INDEX_FILE}${hint}`);
    shardFiles = [WEIGHTS_FILE];
  }

  const whole = new Map<string, Promise<Uint8Array>>();
  const sourceOf = async (file: string): Promise<ByteSource> => {
    const range = files.readRange?.bind(files);
    if (range) return (begin, end) => range(file, begin, end);
    let p = whole.get(file);
    if (!p) whole.set(file, (p = files.read(file)));
    return p;
  };

  const entries = new Map<string, TensorEntry>();
  for (const file of shardFiles) {
    const index = await readSafetensorsIndex(await sourceOf(file), file, files.size?.(file));
    for (const t of index.tensors) {
      const listed = weightMap?.get(t.name);
      if (listed !== undefined && listed !== file) continue; // a stray copy: the index names the one to use
      entries.set(t.name, t);
    }
  }
  if (weightMap) {
    for (const [tensor, file] of weightMap) {
      if (!entries.has(tensor)) {
        throw new CheckpointError(file, tensor, `${SHARD_INDEX_FILE} says this shard holds it, but its header does not: the shard or the index is from another download`);
      }
    }
  }

  const sorted = [...entries.keys()].sort();
  const entry = (name: string): TensorEntry => {
    const e = entries.get(name);
    if (!e) throw new CheckpointError(files.label, name, "no such tensor in the checkpoint: check the name against weights.names()");
    return e;
  };
  return {
    names: () => [...sorted],
    has: (name) => entries.has(name),
    info: (name) => entries.get(name),
    get: async (name) => {
      const e = entry(name);
      return readTensor(await sourceOf(e.file), e);
    },
    raw: async (name) => {
      const e = entry(name);
      return readRawTensor(await sourceOf(e.file), e);
    },
    fileOf: (name) => weightMap?.get(name) ?? (weightMap ? SHARD_INDEX_FILE : WEIGHTS_FILE),
  };
}
