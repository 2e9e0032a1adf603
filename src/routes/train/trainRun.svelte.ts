// trainRun.svelte.ts — the Train page's run: starts the training worker (src/workers/train.worker.ts) on the picked
// model and the Data page's samples, follows its progress (loss, held-out loss, tokens/s, ETA), pauses, resumes,
// stops, and hands the adapter of a finished or stopped run to the Playground and Export (workspace); a stopped run is
// offered for resuming. Each run has its own id: its job is
// saved next to the worker's OPFS checkpoint (runs.ts), so after a reload the page can offer to resume it. The worker
// holds the run's Web Lock while it trains: this page offers only runs no other tab trains, and says which ones
// another tab trains. A checkpoint that cannot be written (storage full) is shown with the space it needs and the
// adapter in memory offered as a download; training goes on. The speed of the steps is kept for the next ETA.

import * as Comlink from "comlink";
import { WorkerHandle } from "../shared/workerHandle.ts";
import type { SessionProgress } from "../../lib/train/session.ts";
import type { EvalSummary, TrainEvent, TrainJob, TrainResult, TrainWorkerApi } from "../../workers/train.worker.ts";
import { workspace } from "../shared/workspace.svelte.ts";
import { runLockName } from "../../lib/train/opfs-store.ts";
import { busyRuns, discardFinished, discardRun, discardRuns, loadJobs, newRunId, saveJob, type SavedJob } from "../shared/runs.ts";
import { zipStored } from "./zip.ts";
import { tokensPerStep } from "./estimates.ts";
import { measuredSpeeds } from "./measuredSpeed.svelte.ts";

/** Steps between checkpoints: a tab can close at any moment, and a LoRA checkpoint is small. */
export const CHECKPOINT_EVERY = 10;

/** A checkpoint that could not be written (the worker's "checkpoint-failed" event). */
export interface CheckpointTrouble {
  step: number;
  /** The step of the last good checkpoint (0: none). */
  savedStep: number;
  bytes: number;
  free?: number;
  storageFull: boolean;
  message: string;
}

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
  /** A saved run that can be resumed (checked on page load, or the run this tab stopped). */
  resumable = $state.raw<SavedJob | null>(null);
  resumableStep = $state(0);
  /** The resumable run's length (0: unknown). */
  resumableTotal = $state(0);
  /** Where the last run was stopped: its step, its length, and whether that step's adapter is in browser storage. */
  stopped = $state.raw<{ step: number; totalSteps: number; saved: boolean } | null>(null);
  /** Unfinished runs that another tab of this browser trains now (they are not offered here). */
  elsewhere = $state.raw<SavedJob[]>([]);
  /** Why this tab could not resume or discard a run: another tab owns it. */
  lockedOut = $state<string | null>(null);
  /** The latest checkpoint write that failed, while no later one succeeded. */
  checkpointTrouble = $state.raw<CheckpointTrouble | null>(null);
  /** Downloading the adapter in memory: an error when it failed. */
  downloadError = $state<string | null>(null);

  readonly active = $derived(["starting", "running", "paused", "stopping"].includes(this.status));

  private readonly worker = new WorkerHandle<TrainWorkerApi>(
    () => new Worker(new URL("../../workers/train.worker.ts", import.meta.url), { type: "module" }),
  );
  private job: SavedJob | null = null;
  /** The first step seen since the run (re)started, and the latest: the speed between them is the measured one. */
  private firstTick: { step: number; t: number } | null = null;
  private lastTick: { step: number; t: number; tokensPerSecond: number } | null = null;
  /** Waits for other tabs' runs to be let go of, to look again (aborted on the next look). */
  private watch: AbortController | null = null;

  private remote(): Comlink.Remote<TrainWorkerApi> {
    return this.worker.remote;
  }

  /**
   * Looks for saved, unfinished runs (after a reload): the newest one with a checkpoint that no other tab trains is
   * offered for resuming; those another tab trains are listed apart, and looked at again once that tab lets go.
   */
  async checkSaved(): Promise<void> {
    this.watch?.abort();
    this.watch = null;
    const [jobs, busy] = await Promise.all([loadJobs(), busyRuns()]);
    // this tab's own run is left out while it trains (its worker holds the lock)
    const open = jobs.filter((j) => !j.finished && !(this.active && j.id === this.job?.id));
    this.elsewhere = open.filter((j) => busy.has(j.id));
    let offer: SavedJob | null = null;
    let at = { step: 0, totalSteps: 0 };
    if (!this.active) {
      for (const j of open) {
        if (busy.has(j.id)) continue;
        at = await this.remote().checkpointSteps(j.id).catch(() => ({ step: 0, totalSteps: 0 }));
        if (at.step > 0) {
          offer = j;
          break;
        }
      }
    }
    this.offer(offer, offer ? at.step : 0, offer ? at.totalSteps : 0);
    if (this.elsewhere.length === 0 || typeof navigator === "undefined" || !navigator.locks) return;
    const watch = (this.watch = new AbortController());
    for (const j of this.elsewhere) {
      // a shared request is granted once the owner lets go (tab closed or reloaded, run ended); let go at once
      navigator.locks.request(runLockName(j.id), { mode: "shared", signal: watch.signal }, () => {}).then(
        () => this.watch === watch && void this.checkSaved(),
        () => {},
      );
    }
  }

  private offer(job: SavedJob | null, step: number, totalSteps: number): void {
    this.resumable = job;
    this.resumableStep = step;
    this.resumableTotal = totalSteps;
  }

  /** A new run, with a new id (saved runs no tab trains are discarded, but the newest one with an adapter). */
  async start(job: Omit<SavedJob, "id" | "startedAt" | "finished">, source: TrainJob["model"]): Promise<void> {
    if (this.active) return;
    this.offer(null, 0, 0);
    await discardRuns().catch(() => {});
    const saved: SavedJob = { ...job, id: newRunId(), startedAt: Date.now(), finished: false };
    await this.run(saved, source, true);
  }

  /** Continues the saved run from its checkpoint (unless another tab has taken it meanwhile). */
  async resumeSaved(source: TrainJob["model"]): Promise<void> {
    const job = this.resumable;
    if (!job || this.active) return;
    this.offer(null, 0, 0);
    await this.run(job, source, false);
  }

  async discardSaved(): Promise<void> {
    const job = this.resumable;
    this.offer(null, 0, 0);
    if (job && !(await discardRun(job.id).catch(() => true))) {
      this.lockedOut = "That run is being trained in another tab of this browser now, so this tab left it as it is.";
      await this.checkSaved();
    }
  }

  /** The adapter in memory (the run's files, as a checkpoint holds them) as a .zip download. */
  async downloadAdapter(): Promise<void> {
    this.downloadError = null;
    try {
      const files = await this.remote().files();
      const step = this.progress?.step ?? this.totalSteps;
      const name = `${(this.job?.modelLabel ?? "model").replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "")}-lora-step-${step}.zip`;
      const url = URL.createObjectURL(new Blob([zipStored(files)], { type: "application/zip" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      this.downloadError = (e as Error).message;
    }
  }

  /** Trains `job`; a new one is saved once the worker holds its lock. */
  private async run(job: SavedJob, source: TrainJob["model"], isNew: boolean): Promise<void> {
    this.job = job;
    this.status = "starting";
    this.error = null;
    this.lockedOut = null;
    this.checkpointTrouble = null;
    this.downloadError = null;
    this.notice = "Loading the model…";
    this.loadBytes = null;
    this.progress = null;
    this.losses = [];
    this.evalLosses = [];
    this.before = null;
    this.after = null;
    this.totalSteps = 0;
    this.resumedFrom = null;
    this.stopped = null;
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
      lossOn: s.lossOn ?? "middle", // runs saved before the choice existed trained on the middle
      backend: job.backend,
      weights: job.weights ?? "auto",
      runKey: job.id,
      checkpointEvery: CHECKPOINT_EVERY,
      baseModel: job.modelLabel,
    };
    this.firstTick = this.lastTick = null;
    const onProgress = Comlink.proxy((p: SessionProgress) => {
      if (this.status === "starting") this.status = "running";
      this.tick(job, p);
      this.progress = p;
      this.totalSteps = p.totalSteps;
      this.losses = [...this.losses, [p.step, p.loss]];
    });
    const onEvent = Comlink.proxy((e: TrainEvent) => this.onEvent(e));
    // no OPFS (private mode) or no space: the run works, only resume-after-reload does not
    const onOwned = isNew ? Comlink.proxy(() => saveJob(job).catch(() => {})) : undefined;
    try {
      const result: TrainResult = await this.remote().start(request, onProgress, onEvent, onOwned);
      this.losses = result.losses.map((l, i) => [i + 1, l]);
      this.evalLosses = result.evalLosses;
      // the adapter first: "Done" says it is ready for the Playground and Export
      if (result.state === "done") {
        workspace.adapter = {
          files: await this.remote().files(), modelKey: job.modelKey, modelLabel: job.modelLabel, format: job.format,
          steps: this.totalSteps || result.losses.length,
        };
      }
      // finished once the last step's checkpoint is in storage (else it stays resumable from the last good one);
      // saved before "Done" shows, so a reload right after finds the adapter
      if (result.state === "done" && result.savedStep >= (this.totalSteps || result.losses.length)) {
        this.job = { ...job, finished: true, finishedAt: Date.now() };
        await saveJob(this.job).catch(() => {});
        await discardFinished(job.id).catch(() => {});
      }
      this.keepSpeed(job);
      if (result.state === "cancelled") await this.keepStopped(job, result);
      this.status = result.state === "cancelled" ? "cancelled" : "done";
      this.notice = "";
    } catch (e) {
      if ((e as Error).name === "RunLockedError") {
        this.job = null;
        this.status = "idle";
        this.lockedOut = (e as Error).message;
        void this.checkSaved();
      } else {
        this.status = "error";
        this.error = (e as Error).message;
      }
      this.notice = "";
    }
    this.loadBytes = null;
  }

  /** Times the steps (the first one, which also warms up, only starts the clock); kept every 10 steps. */
  private tick(job: SavedJob, p: SessionProgress): void {
    const t = performance.now();
    if (!this.firstTick) {
      this.firstTick = { step: p.step, t };
      return;
    }
    this.lastTick = { step: p.step, t, tokensPerSecond: p.tokensPerSecond };
    if ((p.step - this.firstTick.step) % 10 === 0) this.keepSpeed(job);
  }

  /** The speed measured so far, for the ETA of the next run of this model on this backend. */
  private keepSpeed(job: SavedJob): void {
    const a = this.firstTick;
    const b = this.lastTick;
    if (!a || !b || b.step <= a.step || !this.backendKind) return;
    measuredSpeeds.record(job.modelKey, this.backendKind, {
      secondsPerStep: (b.t - a.t) / 1000 / (b.step - a.step), tokensPerStep: tokensPerStep(job.settings), tokensPerSecond: b.tokensPerSecond,
    });
  }

  /**
   * A stopped run: the steps it trained are its adapter (the worker checkpointed the step it stopped at), handed to the
   * Playground and Export as a finished run's is, and kept after a reload (its job marked stopped); the run is offered
   * for resuming. A run stopped before its first step has nothing to keep.
   */
  private async keepStopped(job: SavedJob, result: TrainResult): Promise<void> {
    const saved = result.step > 0 && result.savedStep === result.step;
    this.stopped = { step: result.step, totalSteps: result.totalSteps, saved };
    if (result.step === 0) return;
    try {
      workspace.adapter = { files: await this.remote().files(), modelKey: job.modelKey, modelLabel: job.modelLabel, format: job.format, steps: result.step };
    } catch {
      // no session in the worker (stopped while loading): nothing trained to hand over
    }
    if (result.savedStep === 0) return;
    this.job = { ...job, stoppedAt: Date.now() };
    if (saved) {
      await saveJob(this.job).catch(() => {});
      await discardFinished(job.id).catch(() => {});
    }
    this.offer(this.job, result.savedStep, result.totalSteps);
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
      case "checkpoint-failed":
        this.checkpointTrouble = { step: e.step, savedStep: e.savedStep, bytes: e.bytes, free: e.free, storageFull: e.storageFull, message: e.message };
        break;
      case "checkpoint-saved":
        this.checkpointTrouble = null;
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
    void this.worker.current?.pause();
  }

  resume(): void {
    if (this.status !== "paused") return;
    this.status = "running";
    if (this.job) this.keepSpeed(this.job);
    this.firstTick = this.lastTick = null; // the pause is not a step's time
    void this.worker.current?.resume();
  }

  stop(): void {
    if (!this.active) return;
    this.status = "stopping";
    void this.worker.current?.cancel();
  }
}

export const trainRun = new TrainRun();
