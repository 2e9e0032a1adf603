// fromSession.ts — the model picked app-wide and the adapter trained on the Train page, as the picked folders the
// Export page works on (the export worker reads File objects): an embedded or Hub model's files are read through the
// same loaders the workers use (the Hub's from the browser's cache once downloaded), the adapter's from memory.

import { droppedFiles, urlFiles } from "../../lib/model/browser-files.ts";
import type { CheckpointFiles } from "../../lib/model/files.ts";
import { hubFiles } from "../../lib/model/hub-files.ts";
import { neededFiles } from "../../lib/model/browser-files.ts";
import { SHARD_INDEX_FILE } from "../../lib/model/shards.ts";
import type { PickedFolder } from "../../workers/export.worker.ts";
import { labelOf, type ModelPick } from "../shared/modelPicker.svelte.ts";
import type { TrainedAdapter } from "../shared/workspace.svelte.ts";

const EXTRA = ["tokenizer_config.json", "generation_config.json", "special_tokens_map.json"];

function filesOfPick(p: ModelPick): CheckpointFiles {
  switch (p.kind) {
    case "embedded":
      return urlFiles(`${import.meta.env.BASE_URL}models/${p.model.path.replace(/^\/+|\/+$/g, "")}/`);
    case "hub":
      return hubFiles(p.repo);
    case "folder":
      return droppedFiles(p.files, p.label);
    case "webllm":
      throw new Error("web-llm builds are already compiled for web-llm and cannot be exported: pick a checkpoint instead.");
  }
}

/** The checkpoint's files (config, tokenizer, weights and the small JSON files beside them) as a picked folder. */
export async function folderOfPick(p: ModelPick): Promise<PickedFolder> {
  if (p.kind === "folder") return { label: p.label, files: p.files.map((f) => ({ path: `${p.label}/${f.name}`, file: f })) };
  const src = filesOfPick(p);
  const names = new Set(await src.list());
  const needed = await neededFiles((n) => names.has(n), () => src.read(SHARD_INDEX_FILE));
  const wanted = [...new Set([...needed, ...EXTRA.filter((n) => names.has(n))])];
  const label = labelOf(p).replace(/[\\/:]+/g, "-");
  const files = await Promise.all(
    wanted.map(async (n) => ({ path: `${label}/${n}`, file: new File([(await src.read(n)) as Uint8Array<ArrayBuffer>], n) })),
  );
  return { label, files };
}

/** The trained adapter's PEFT files as a picked folder. */
export function folderOfAdapter(a: TrainedAdapter): PickedFolder {
  const label = "adapter";
  return {
    label,
    files: Object.entries(a.files).map(([n, bytes]) => ({ path: `${label}/${n}`, file: new File([bytes as Uint8Array<ArrayBuffer>], n) })),
  };
}
