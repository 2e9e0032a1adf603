// runs.ts — the Train page's one saved run in OPFS: the job (model choice, settings, samples) next to the worker's
// checkpoint folder, so closing the tab and coming back can offer to resume it. The checkpoint itself is the
// worker's (OpfsStore, run key RUN_KEY); this file only keeps what is needed to start the same job again.

import type { ModelSource } from "../../workers/train.worker.ts";
import type { WeightFormat } from "../../lib/train/quant.ts";
import type { TrainSettings } from "./settings.ts";

export const RUN_KEY = "current";
const DIR = "fim-studio-jobs";
const FILE = `${RUN_KEY}.json`;

export interface SavedJob {
  /** modelPicker keyOf() and label, to match the model on resume (a folder has to be picked again). */
  modelKey: string;
  modelLabel: string;
  /** Null for a local folder (its files cannot be kept). */
  model: Exclude<ModelSource, { kind: "files" }> | null;
  settings: TrainSettings;
  backend: "auto" | "webgpu" | "cpu";
  weights: "auto" | WeightFormat;
  format: string;
  trainJsonl: string;
  evalJsonl: string;
  startedAt: number;
  finished: boolean;
}

async function dir(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
}

export async function saveJob(job: SavedJob): Promise<void> {
  const f = await (await dir()).getFileHandle(FILE, { create: true });
  const w = await f.createWritable();
  await w.write(JSON.stringify(job));
  await w.close();
}

export async function loadJob(): Promise<SavedJob | null> {
  try {
    const f = await (await dir()).getFileHandle(FILE);
    return JSON.parse(await (await f.getFile()).text()) as SavedJob;
  } catch {
    return null; // none, or unreadable: nothing to resume
  }
}

export async function clearJob(): Promise<void> {
  try {
    await (await dir()).removeEntry(FILE);
  } catch {
    // already gone
  }
}
