// train.worker.ts — LoRA training off the main thread (Comlink). Loads the model, tokenizes the JSONL samples, and
// runs a TrainingSession with checkpoints in OPFS; a lost GPU device is reported and training goes on from the last
// checkpoint on a new device, or on the CPU. All training logic lives in src/lib/train/.
/// <reference lib="webworker" />
import * as Comlink from "comlink";
import { droppedFiles, urlFiles } from "../lib/model/browser-files.ts";
import type { CheckpointFiles } from "../lib/model/files.ts";
import { hubFiles } from "../lib/model/hub-files.ts";
import { parseJsonl, tokenizeSample, type TokenizedSample } from "../lib/train/data.ts";
import { loadEngine } from "../lib/train/engine.ts";
import { DEFAULT_LORA, type LoraConfig } from "../lib/train/lora.ts";
import { OpfsStore } from "../lib/train/opfs-store.ts";
import { TrainingSession, type SessionProgress, type SessionState } from "../lib/train/session.ts";
import { DEFAULT_TRAIN, type TrainConfig } from "../lib/train/trainer.ts";
import { createBackend, type BackendChoice } from "./backends.ts";

export type ModelSource = { kind: "url"; url: string } | { kind: "files"; files: File[] } | { kind: "hub"; repo: string };

export interface TrainJob {
  model: ModelSource;
  /** Train samples as JSONL (from the Data page or `fim samples`). */
  jsonl: string;
  train?: Partial<TrainConfig>;
  lora?: Partial<LoraConfig>;
  backend: BackendChoice;
  /** Checkpoint folder in OPFS: the same key resumes the run. */
  runKey: string;
  checkpointEvery?: number;
}

export type TrainEvent =
  | { type: "backend"; kind: "webgpu" | "cpu"; note: string }
  | { type: "resumed"; step: number }
  | { type: "device-lost"; message: string };

export interface TrainResult {
  state: SessionState;
  losses: number[];
  backend: "webgpu" | "cpu";
}

function filesOf(m: ModelSource): CheckpointFiles {
  if (m.kind === "url") return urlFiles(m.url);
  if (m.kind === "files") return droppedFiles(m.files);
  return hubFiles(m.repo);
}

let session: TrainingSession<unknown, unknown> | undefined;

const api = {
  async start(job: TrainJob, onProgress: (p: SessionProgress) => void, onEvent: (e: TrainEvent) => void): Promise<TrainResult> {
    const store = new OpfsStore(job.runKey);
    let choice = job.backend;
    for (let attempt = 0; ; attempt++) {
      const { be, kind, note } = await createBackend(choice);
      onEvent({ type: "backend", kind, note });
      const engine = await loadEngine(be, filesOf(job.model));
      const train: TrainConfig = { ...DEFAULT_TRAIN, ...job.train };
      const records = parseJsonl(job.jsonl, "samples.jsonl");
      const samples = records
        .map((r) => tokenizeSample(r, engine.checkpoint.tokenizer, { contextLength: train.contextLength, lossOn: "middle" }))
        .filter((s): s is TokenizedSample => s !== undefined);
      if (samples.length === 0) throw new Error(`no sample fits the context length ${train.contextLength}: raise it or use shorter samples`);
      session = new TrainingSession(be, engine.model, samples, store, {
        train, lora: { ...DEFAULT_LORA, ...job.lora }, baseModel: job.model.kind === "hub" ? job.model.repo : "model",
        format: records[0]!.format, checkpointEvery: job.checkpointEvery ?? 25, onProgress,
      });
      const step = await session.init();
      if (step > 0) onEvent({ type: "resumed", step });
      try {
        const state = await session.run();
        return { state, losses: [...session.losses], backend: kind };
      } catch (e) {
        // a lost GPU: go on from the last checkpoint, on a new device if there is one, else on the CPU
        if ((e as Error).name !== "GpuUnavailableError" || attempt >= 2) throw e;
        onEvent({ type: "device-lost", message: (e as Error).message });
        choice = attempt === 0 ? "auto" : "cpu";
      }
    }
  },
  pause(): void {
    session?.pause();
  },
  resume(): void {
    session?.resume();
  },
  cancel(): void {
    session?.cancel();
  },
  /** The adapter and trainer state of the run (PEFT files), for download. */
  async files(): Promise<Record<string, Uint8Array>> {
    if (!session) throw new Error("no training run yet");
    return Object.fromEntries(await session.files());
  },
  async clearCheckpoint(runKey: string): Promise<void> {
    await new OpfsStore(runKey).clear();
  },
  async hasCheckpoint(runKey: string): Promise<boolean> {
    return (await new OpfsStore(runKey).load()) !== undefined;
  },
};

export type TrainWorkerApi = typeof api;
Comlink.expose(api);
