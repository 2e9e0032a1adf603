// A training run that can be paused, resumed, cancelled and checkpointed: the Trainer's loop with progress events
// (step, loss, tokens/s, ETA), a checkpoint every `checkpointEvery` steps into a CheckpointStore (OPFS in the browser,
// a folder or memory elsewhere; a cancel checkpoints the step it stopped at), and `resume` from the last checkpoint —
// after a reload, or on a new device or the CPU backend after a lost GPU. With `onCheckpoint` a checkpoint the store
// cannot write (browser storage full) is reported and training goes on in memory; without it the run fails.
// Isomorphic; the Web Worker (src/workers/train.worker.ts) drives it.

import { loadAdapter, loadTrainerState, loraShapes, saveAdapter, saveTrainerState, type Files, type TrainerState } from "./adapter.ts";
import type { Backend } from "./backend.ts";
import type { TokenizedSample } from "./data.ts";
import { attachLora, type LoraConfig, type Param } from "./lora.ts";
import type { CausalLM } from "./causal-lm.ts";
import { Trainer, type TrainConfig } from "./trainer.ts";

/** Where checkpoints go: a flat set of named files, replaced as a whole. */
export interface CheckpointStore {
  load(): Promise<Files | undefined>;
  save(files: Files): Promise<void>;
  clear(): Promise<void>;
}

export class MemoryStore implements CheckpointStore {
  private files: Files | undefined;
  async load() {
    return this.files && new Map(this.files);
  }
  async save(files: Files) {
    this.files = new Map(files);
  }
  async clear() {
    this.files = undefined;
  }
}

export interface SessionProgress {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  tokensPerSecond: number;
  etaSeconds: number;
  skipped: boolean;
  /** Steps since the last checkpoint was written. */
  sinceCheckpoint: number;
  /** Held-out loss, on the steps where it was measured. */
  evalLoss?: number;
}

export type SessionState = "idle" | "running" | "paused" | "cancelled" | "done" | "failed";

export interface SessionOptions {
  train: TrainConfig;
  lora: LoraConfig;
  /** Written into the adapter's config; the base model's name or folder. */
  baseModel: string;
  /** FIM format of the data (stored in the trainer state for export). */
  format?: string;
  checkpointEvery: number;
  /** Held-out samples: their mean loss is measured before the first step, every `evalEvery` steps and at the end. */
  evalSamples?: readonly TokenizedSample[];
  evalEvery?: number;
  onProgress?: (p: SessionProgress) => void;
  /**
   * Told after every checkpoint write, with the store's error when it failed. Without it a failed write ends the run;
   * with it the run goes on (the store keeps its last good checkpoint) and the next checkpoint tries again.
   */
  onCheckpoint?: (r: { step: number; error?: unknown }) => void | Promise<void>;
}

export class TrainingSession<T, I> {
  state: SessionState = "idle";
  readonly losses: number[] = [];
  /** [step, held-out loss] pairs, in step order. */
  readonly evalLosses: [number, number][] = [];
  /** The step of the last checkpoint in the store (0: none yet). */
  savedStep = 0;
  private trainer!: Trainer<T, I>;
  private params!: Param<T>[];
  private pauseRequested = false;
  private cancelRequested = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly be: Backend<T, I>,
    readonly model: CausalLM<T, I>,
    readonly samples: readonly TokenizedSample[],
    readonly store: CheckpointStore,
    readonly o: SessionOptions,
  ) {}

  /** Sets up the adapters: from the store's checkpoint when there is one (returns its step), else fresh. */
  async init(): Promise<number> {
    const saved = await this.store.load();
    if (saved) this.params = (await loadAdapter(this.be, this.model.w, saved)).params;
    else this.params = attachLora(this.be, this.model.w, this.o.lora, this.o.train.seed);
    this.trainer = new Trainer(this.be, this.model, this.params, this.samples, this.o.train);
    if (saved) {
      const st = await loadTrainerState(this.be, this.params, this.trainer.moments, saved);
      this.trainer.step = st.step;
      this.losses.push(...st.losses);
      this.evalLosses.push(...(st.evalLosses ?? []));
      this.savedStep = st.step;
    }
    return this.trainer.step;
  }

  get totalSteps(): number {
    return this.trainer.totalSteps;
  }

  /** Steps taken so far (those of a resumed checkpoint included). */
  get step(): number {
    return this.trainer?.step ?? 0;
  }

  /** Runs to the end, a cancel, or an error (the state says which). Pausing waits inside. */
  async run(): Promise<SessionState> {
    if (!this.trainer) await this.init();
    this.state = "running";
    const started = Date.now();
    const firstStep = this.trainer.step;
    let tokens = 0;
    let since = 0;
    try {
      if (this.trainer.step === 0 && this.evalLosses.length === 0) await this.measureEval();
      while (this.trainer.step < this.trainer.totalSteps) {
        if (this.cancelRequested) return await this.stopped();
        if (this.pauseRequested) {
          this.state = "paused";
          // a checkpoint of this step, unless the last one is of this very step (a pause right after a periodic one)
          if (since > 0 || this.savedStep !== this.trainer.step) await this.checkpoint();
          since = 0;
          while (this.pauseRequested && !this.cancelRequested) await new Promise<void>((ok) => (this.wake = ok));
          if (this.cancelRequested) return await this.stopped();
          this.state = "running";
        }
        const r = await this.trainer.trainStep();
        this.losses.push(r.loss);
        tokens += r.tokens;
        since++;
        if (since >= this.o.checkpointEvery) {
          await this.checkpoint();
          since = 0;
        }
        const last = this.trainer.step === this.trainer.totalSteps;
        const evalDue = last || (this.o.evalEvery !== undefined && this.trainer.step % this.o.evalEvery === 0);
        const evalLoss = evalDue ? await this.measureEval() : undefined;
        const secs = Math.max(1e-3, (Date.now() - started) / 1000);
        const perStep = secs / (this.trainer.step - firstStep);
        this.o.onProgress?.({
          step: r.step, totalSteps: this.trainer.totalSteps, loss: r.loss, lr: r.lr, tokensPerSecond: tokens / secs,
          etaSeconds: perStep * (this.trainer.totalSteps - this.trainer.step), skipped: r.skipped, sinceCheckpoint: since,
          ...(evalLoss === undefined ? {} : { evalLoss }),
        });
      }
      await this.checkpoint();
      return (this.state = "done");
    } catch (e) {
      this.state = "failed";
      throw e;
    }
  }

  /**
   * A cancel: the steps trained are kept as a checkpoint of this step (unless the last one is of this very step, or
   * nothing was trained), so the adapter of a stopped run is there to use and to resume from.
   */
  private async stopped(): Promise<"cancelled"> {
    if (this.trainer.step > 0 && this.savedStep !== this.trainer.step) await this.checkpoint();
    return (this.state = "cancelled");
  }

  /** Held-out loss now (recorded in evalLosses), or undefined without held-out samples. */
  private async measureEval(): Promise<number | undefined> {
    if (!this.o.evalSamples?.length) return undefined;
    const loss = await this.trainer.evaluate(this.o.evalSamples);
    this.evalLosses.push([this.trainer.step, loss]);
    return loss;
  }

  pause(): void {
    this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.wake?.();
    this.wake = undefined;
  }

  cancel(): void {
    this.cancelRequested = true;
    this.wake?.();
  }

  /** The adapter and trainer state as files (also what a checkpoint holds). */
  async files(): Promise<Files> {
    const state: TrainerState = { step: this.trainer.step, totalSteps: this.trainer.totalSteps, seed: this.o.train.seed, losses: [...this.losses], evalLosses: [...this.evalLosses], format: this.o.format };
    return new Map([
      ...(await saveAdapter(this.be, this.params, this.o.lora, this.o.baseModel, loraShapes(this.model.w))),
      ...(await saveTrainerState(this.be, this.params, this.trainer.moments, state)),
    ]);
  }

  /** Writes a checkpoint; false when the store failed and onCheckpoint took the error (the last good one stays). */
  async checkpoint(): Promise<boolean> {
    const files = await this.files();
    const step = this.trainer.step;
    try {
      await this.store.save(files);
    } catch (error) {
      if (!this.o.onCheckpoint) throw error;
      await this.o.onCheckpoint({ step, error });
      return false;
    }
    this.savedStep = step;
    await this.o.onCheckpoint?.({ step });
    return true;
  }
}
