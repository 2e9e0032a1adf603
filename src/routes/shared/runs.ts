// runs.ts — the Train page's saved runs in OPFS: each run has an id, its job (model choice, settings, samples) in
// fim-studio-jobs/<id>.json and the worker's checkpoint in fim-studio-runs/<id>/ (OpfsStore), so closing the tab and
// coming back can offer to resume it, and the adapter of a finished or stopped run comes back after a reload. A run is owned by the
// tab whose worker trains it (its Web Lock, opfs-store.ts): other tabs leave it alone and say so.

import type { ModelSource } from "../../workers/train.worker.ts";
import type { WeightFormat } from "../../lib/train/quant.ts";
import { lockedRunKeys, OpfsStore, RunLockedError, withRunLock } from "../../lib/train/opfs-store.ts";
import { TRAINER_STATE } from "../../lib/train/adapter.ts";
import type { TrainedAdapter } from "./workspace.svelte.ts";
import type { TrainSettings } from "./trainSettings.ts";

const DIR = "fim-studio-jobs";

export interface SavedJob {
  /** The run's id: its job file and checkpoint folder (older saves without one: "current"). */
  id: string;
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
  /** True once the run ended with its last step's checkpoint written. */
  finished: boolean;
  finishedAt?: number;
  /** When it was last stopped with the adapter of the step it stopped at in its checkpoint (it stays resumable). */
  stoppedAt?: number;
}

/** A run whose checkpoint is an adapter to use: finished, or stopped by the user. */
const hasAdapter = (j: SavedJob) => j.finished || j.stoppedAt !== undefined;

/** A new run id: unique across tabs. */
export function newRunId(): string {
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `run-${Date.now().toString(36)}-${rand}`;
}

async function dir(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
}

export async function saveJob(job: SavedJob): Promise<void> {
  const f = await (await dir()).getFileHandle(`${job.id}.json`, { create: true });
  const w = await f.createWritable();
  try {
    await w.write(JSON.stringify(job));
    await w.close(); // the file is replaced whole here, or (aborted) not at all
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
}

/** Every saved job, newest first (unreadable ones left out). */
export async function loadJobs(): Promise<SavedJob[]> {
  const jobs: SavedJob[] = [];
  try {
    const d = (await dir()) as FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> };
    for await (const [name, handle] of d.entries()) {
      if (handle.kind !== "file" || !name.endsWith(".json")) continue;
      try {
        const job = JSON.parse(await (await (handle as FileSystemFileHandle).getFile()).text()) as SavedJob;
        jobs.push({ ...job, id: name.slice(0, -".json".length) });
      } catch {
        // unreadable: nothing to resume
      }
    }
  } catch {
    return []; // no OPFS
  }
  return jobs.sort((a, b) => b.startedAt - a.startedAt);
}

export async function clearJob(id: string): Promise<void> {
  try {
    await (await dir()).removeEntry(`${id}.json`);
  } catch {
    // already gone
  }
}

/** The runs some tab trains now (their lock is held). */
export const busyRuns = lockedRunKeys;

/** Deletes run `id` (job and checkpoint) unless a tab trains it; false when one does. */
export async function discardRun(id: string): Promise<boolean> {
  try {
    await withRunLock(id, () => Promise.all([clearJob(id), new OpfsStore(id).clear()]), 0);
    return true;
  } catch (e) {
    if (e instanceof RunLockedError) return false;
    throw e;
  }
}

const endedAt = (j: SavedJob) => Math.max(j.finishedAt ?? 0, j.stoppedAt ?? 0) || j.startedAt;
const byFinish = (a: SavedJob, b: SavedJob) => endedAt(b) - endedAt(a);

/**
 * Before a new run: deletes the saved runs no tab trains (an unfinished one is no longer offered), except the newest
 * finished or stopped run (its adapter is the one restored after a reload until the new run finishes); runs that other
 * tabs train stay. Checkpoint folders without a job go too.
 */
export async function discardRuns(): Promise<void> {
  const jobs = await loadJobs();
  const newest = jobs.filter(hasAdapter).sort(byFinish)[0];
  const ids = new Set([...jobs.map((j) => j.id), ...(await OpfsStore.keys().catch(() => []))]);
  for (const id of ids) if (id !== newest?.id) await discardRun(id).catch(() => false);
}

/** After run `keep` finished or was stopped: the other finished or stopped runs no tab trains go. */
export async function discardFinished(keep: string): Promise<void> {
  for (const j of await loadJobs()) if (hasAdapter(j) && j.id !== keep) await discardRun(j.id).catch(() => false);
}

/** The adapter of the newest finished or stopped run whose checkpoint is still in browser storage (after a reload). */
export async function savedAdapter(): Promise<TrainedAdapter | null> {
  for (const job of (await loadJobs()).filter(hasAdapter).sort(byFinish)) {
    const files = await new OpfsStore(job.id).load().catch(() => undefined);
    if (!files) continue;
    let steps = 0;
    try {
      steps = (JSON.parse(new TextDecoder().decode(files.get(TRAINER_STATE))) as { step?: number }).step ?? 0;
    } catch {
      // no trainer state: the step count is unknown
    }
    return { files: Object.fromEntries(files), modelKey: job.modelKey, modelLabel: job.modelLabel, format: job.format, steps };
  }
  return null;
}
