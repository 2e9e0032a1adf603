// modelFolder.ts — whether a picked folder is a model the engine can load, judged from its file names alone (the
// files at the folder's top level): the model picker says at once what is missing instead of failing at Start. The
// loader (src/lib/model/checkpoint.ts) needs config.json, tokenizer.json and the weights as model.safetensors or as
// model.safetensors.index.json with its shards. Pure; the names are the loader's (a unit test holds them equal), written
// out here so the page's bundle does not take in the loader.

const CONFIG_FILE = "config.json";
const TOKENIZER_FILE = "tokenizer.json";
const WEIGHTS_FILE = "model.safetensors";
const SHARD_INDEX_FILE = "model.safetensors.index.json";

/** The files a model folder lacks, in the loader's order (the weights named as model.safetensors); [] when none. */
export function missingModelFiles(names: readonly string[]): string[] {
  const has = new Set(names);
  const missing: string[] = [];
  if (!has.has(CONFIG_FILE)) missing.push(CONFIG_FILE);
  if (!has.has(TOKENIZER_FILE)) missing.push(TOKENIZER_FILE);
  if (!has.has(WEIGHTS_FILE) && !has.has(SHARD_INDEX_FILE)) missing.push(WEIGHTS_FILE);
  return missing;
}

/** "a", "a and b", "a, b and c". */
function list(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/**
 * What is wrong with a folder of these top-level file names as a model, in words (null: nothing seen from the names):
 * every missing file, and a hint when the folder is something else (a LoRA adapter, weights in another format).
 */
export function modelFolderProblem(names: readonly string[]): string | null {
  const missing = missingModelFiles(names);
  if (missing.length === 0) return null;
  const named = missing.map((m) => (m === WEIGHTS_FILE ? `${WEIGHTS_FILE} (or ${SHARD_INDEX_FILE} with its shards)` : m));
  let text = `This folder is not a model: ${list(named)} ${missing.length > 1 ? "are" : "is"} missing.`;
  if (names.includes("adapter_config.json")) {
    text += " It looks like a LoRA adapter: choose the folder of the base model it was trained on.";
  } else if (missing.includes(WEIGHTS_FILE)) {
    const other = names.filter((n) => /\.(bin|pt|pth|ckpt|gguf)$/.test(n));
    if (other.length > 0) text += ` Found ${list(other)}: only safetensors weights are read (transformers' save_pretrained writes them).`;
    else if (names.some((n) => n.endsWith(".safetensors"))) text += ` The *.safetensors files here need ${SHARD_INDEX_FILE} beside them.`;
  }
  return text;
}
