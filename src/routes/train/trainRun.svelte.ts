// trainRun.svelte.ts — the Train page's run: starts the training worker (src/workers/train.worker.ts) on the picked
// model and the Data page's samples, follows its progress (loss, held-out loss, tokens/s, ETA), pauses, resumes,
// stops, and hands the finished adapter to the Playground and Export (workspace). The job is saved next to the
// worker's OPFS checkpoint (runs.ts), so after a reload the page can offer to resume it.

import * as Comlink from "comlink";
import type { SessionProgress } from "../../lib/train/session.ts";
import type { EvalSummary, TrainEvent, TrainJob, TrainResult, TrainWorkerApi } from "../../workers/train.worker.ts";
import { workspace } from "../shared/workspace.svelte.ts";
import { clearJob, loadJob, RUN_KEY, saveJob, type SavedJob } from "./runs.ts";

/** Steps between checkpoints: a tab can close at any moment, and a LoRA checkpoint is small. */
export const CHECKPOINT_EVERY = 10;

export type RunStatus = "idle" | "starting" | "running" | "paused" | "stopping" | "done" | "cancelled" | "error";

export class TrainRun {
  status = $state<RunStatus>("idle");
  progress = $state.raw<SessionProgress | null>(null);
  losses = $state.raw<[number, number][]>([]);
  evalLosses = $state.raw<[number, number][]>([]);
  totalSteps = $state(0);
  backendNote = $state("");
  backendKind = $state<"webgpu" | "cpu" | null>(null);
  /** The loaded model's architecture and LoRA targets, once the worker has loaded it. */
  model = $state.raw<{ architecture: string; family: "llama" | "mamba"; layers: number; loraTargets: string[] } | null>(null);
  /** Loading the model, resuming, a lost device: the latest such message. */
  notice = $state("");
  /** While the model loads: bytes of the file being downloaded (a Hub model) or read, when the worker says. */
  loadBytes = $state.raw<{ loaded: number; total: number | undefined } | null>(null);
  before = $state.raw<EvalSummary | null>(null);
  after = $state.raw<EvalSummary | null>(null);
  error = $state<string | null>(null);
  /** The checkpoint step this run went on from, when it was resumed. */
  resumedFrom = $state<number | null>(null);
  /** A saved run that can be resumed (checked on page load). */
  resumable = $state.raw<SavedJob | null>(null);
  resumableStep = $state(0);

  readonly active = $derived(["starting", "running", "paused", "stopping"].includes(this.status));

  private worker: Worker | null = null;
  private api: Comlink.Remote<TrainWorkerApi> | null = null;
  private job: SavedJob | null = null;

  private remote(): Comlink.Remote<TrainWorkerApi> {
    if (!this.api) {
      this.worker = new Worker(new URL("../../workers/train.worker.ts", import.meta.url), { type: "module" });
      this.api = Comlink.wrap<TrainWorkerApi>(this.worker);
    }
    return this.api;
  }

  /** Looks for a saved, unfinished run with a checkpoint (after a reload). */
  async checkSaved(): Promise<void> {
    const job = await loadJob();
    if (!job || job.finished || this.active) return void (this.resumable = null);
    const step = await this.remote().checkpointStep(RUN_KEY).catch(() => 0);
    this.resumable = step > 0 ? job : null;
    this.resumableStep = step;
  }

  /** A new run (any saved one is discarded). */
  async start(job: Omit<SavedJob, "startedAt" | "finished">, source: TrainJob["model"]): Promise<void> {
    if (this.active) return;
    await this.remote().clearCheckpoint(RUN_KEY);
    const saved: SavedJob = { ...job, startedAt: Date.now(), finished: false };
    await saveJob(saved).catch(() => {}); // no OPFS (private mode): the run works, only resume-after-reload does not
    await this.run(saved, source);
  }

  /** Continues the saved run from its checkpoint. */
  async resumeSaved(source: TrainJob["model"]): Promise<void> {
    const job = this.resumable;
    if (!job || this.active) return;
    this.resumable = null;
    await this.run(job, source);
  }

  async discardSaved(): Promise<void> {
    this.resumable = null;
    await Promise.all([clearJob(), this.remote().clearCheckpoint(RUN_KEY)]);
  }

  private async run(job: SavedJob, source: TrainJob["model"]): Promise<void> {
    this.job = job;
    this.status = "starting";
    this.error = null;
    this.notice = "Loading the model…";
    this.loadBytes = null;
    this.progress = null;
    this.losses = [];
    this.evalLosses = [];
    this.before = null;
    this.after = null;
    this.totalSteps = 0;
    this.resumedFrom = null;
    this.model = null;
    const s = job.settings;
    const request: TrainJob = {
      model: source,
      jsonl: job.trainJsonl,
      evalJsonl: job.evalJsonl,
      evalEvery: s.evalEvery || undefined,
      evalCompletions: s.evalSamples,
      train: {
        lr: s.lr, warmupSteps: s.warmupSteps, batchSize: s.batchSize, gradAccum: s.gradAccum, epochs: s.epochs,
        contextLength: s.contextLength, ...(s.steps > 0 ? { steps: s.steps } : {}),
      },
      lora: { r: s.r, alpha: s.alpha },
      backend: job.backend,
      weights: job.weights ?? "auto",
      runKey: RUN_KEY,
      checkpointEvery: CHECKPOINT_EVERY,
      baseModel: job.modelLabel,
    };
    const onProgress = Comlink.proxy((p: SessionProgress) => {
      if (this.status === "starting") this.status = "running";
      this.progress = p;
      this.totalSteps = p.totalSteps;
      this.losses = [...this.losses, [p.step, p.loss]];
    });
    const onEvent = Comlink.proxy((e: TrainEvent) => this.onEvent(e));
    try {
      const result: TrainResult = await this.remote().start(request, onProgress, onEvent);
      this.losses = result.losses.map((l, i) => [i + 1, l]);
      this.evalLosses = result.evalLosses;
      // the adapter first: "Done" says it is ready for the Playground and Export
      if (result.state === "done") {
        workspace.adapter = {
          files: await this.remote().files(), modelKey: job.modelKey, modelLabel: job.modelLabel, format: job.format,
          steps: this.totalSteps || result.losses.length,
        };
      }
      this.status = result.state === "cancelled" ? "cancelled" : "done";
      this.notice = "";
      if (result.state === "done") await saveJob({ ...job, finished: true }).catch(() => {});
    } catch (e) {
      this.status = "error";
      this.error = (e as Error).message;
      this.notice = "";
    }
    this.loadBytes = null;
  }

  private onEvent(e: TrainEvent): void {
    switch (e.type) {
      case "backend":
        this.backendKind = e.kind;
        this.backendNote = e.note;
        break;
      case "loading":
        this.notice = e.message;
        this.loadBytes = e.loaded === undefined ? null : { loaded: e.loaded, total: e.total };
        break;
      case "model":
        this.model = { architecture: e.architecture, family: e.family, layers: e.layers, loraTargets: e.loraTargets };
        break;
      case "resumed":
        this.resumedFrom = e.step;
        break;
      case "device-lost":
        this.notice = `The GPU was lost (${e.message}); going on from the last checkpoint.`;
        break;
      case "eval-loss":
        this.evalLosses = e.evalLosses;
        break;
      case "metrics":
        if (e.when === "before") this.before = e.summary;
        else this.after = e.summary;
        break;
      case "started":
        this.totalSteps = e.totalSteps;
        this.losses = e.losses.map((l, i) => [i + 1, l]);
        this.evalLosses = e.evalLosses;
        if (this.status === "starting") this.status = "running";
        this.notice = "";
        this.loadBytes = null;
        break;
    }
  }

  pause(): void {
    if (this.status !== "running") return;
    this.status = "paused";
    void this.api?.pause();
  }

  resume(): void {
    if (this.status !== "paused") return;
    this.status = "running";
    void this.api?.resume();
  }

  stop(): void {
    if (!this.active) return;
    this.status = "stopping";
    void this.api?.cancel();
  }
}

export const trainRun = new TrainRun();
