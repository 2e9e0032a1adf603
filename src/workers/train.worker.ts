// train.worker.ts — LoRA training off the main thread (Comlink). Loads the model, tokenizes the JSONL samples, and
// runs a TrainingSession with checkpoints in OPFS; a lost GPU device is reported and training goes on from the last
// checkpoint on a new device, or on the CPU. The worker holds the run's Web Lock while it trains (a second tab can
// neither write into the run nor resume it), and a checkpoint that cannot be written (browser storage full) is
// reported while training goes on from memory. All training logic lives in src/lib/train/.
/// <reference lib="webworker" />
import * as Comlink from "comlink";
import type { SampleRecord } from "../lib/fim/types.ts";
import { TRAINER_STATE } from "../lib/train/adapter.ts";
import { parseJsonl, tokenizeSample, type TokenizedSample } from "../lib/train/data.ts";
import { evaluateCompletions, type EvalReport } from "../lib/train/evaluate.ts";
import { loadEngine } from "../lib/train/engine.ts";
import { defaultLora, type LoraConfig } from "../lib/train/lora.ts";
import { CheckpointWriteError, OpfsStore, withRunLock } from "../lib/train/opfs-store.ts";
import type { WeightFormat } from "../lib/train/quant.ts";
import { TrainingSession, type SessionProgress, type SessionState } from "../lib/train/session.ts";
import { DEFAULT_TRAIN, trainingContext, type TrainConfig } from "../lib/train/trainer.ts";
import { createBackend, defaultWeights, loseDevice, type BackendChoice, type ChosenBackend } from "./backends.ts";
import { filesOf, throttled, type ModelSource } from "./model-source.ts";

export type { ModelSource };

/** Held-out samples whose loss is measured (the first ones): enough for a stable curve, few enough to be quick. */
const EVAL_LOSS_SAMPLES = 32;

export interface TrainJob {
  model: ModelSource;
  /** Train samples as JSONL (from the Data page or `fim samples`). */
  jsonl: string;
  train?: Partial<TrainConfig>;
  lora?: Partial<LoraConfig>;
  /** Which tokens the loss is on (default: the middle, as the seed). */
  lossOn?: "middle" | "all";
  backend: BackendChoice;
  /** How the frozen block linears are stored (quant.ts); "auto" (default): f16 on a GPU with shader-f16, else f32. */
  weights?: WeightFormat | "auto";
  /** Checkpoint folder in OPFS: the same key resumes the run. Only one tab at a time can train a run (its Web Lock). */
  runKey: string;
  checkpointEvery?: number;
  /** Held-out samples as JSONL: their loss is drawn next to the training loss, and some are completed before and after. */
  evalJsonl?: string;
  /** Held-out loss every this many steps (else only before and after). */
  evalEvery?: number;
  /** Held-out samples completed before and after training for exact match / edit similarity (default 0). */
  evalCompletions?: number;
  /** Written into the adapter's config as base_model_name_or_path. */
  baseModel?: string;
}

/** Exact match and edit similarity on held-out samples (src/lib/train/evaluate.ts), without the predictions. */
export interface EvalSummary {
  n: number;
  exactMatch: number;
  editSimilarity: number;
  stoppedProperly: number;
  msPerSample: number;
  /** A few predictions next to their references, to show. */
  examples: { prefixTail: string; reference: string; prediction: string }[];
}

export type TrainEvent =
  | { type: "backend"; kind: "webgpu" | "cpu"; note: string }
  /** The loaded model: its architecture (config.json) and the linear modules LoRA adapts. */
  | { type: "model"; architecture: string; family: "llama" | "mamba"; layers: number; loraTargets: string[] }
  /** loaded/total: bytes of the file being downloaded or read, while the model loads. */
  | { type: "loading"; message: string; loaded?: number; total?: number }
  | { type: "started"; totalSteps: number; losses: number[]; evalLosses: [number, number][] }
  | { type: "resumed"; step: number }
  | { type: "eval-loss"; evalLosses: [number, number][] }
  | { type: "metrics"; when: "before" | "after"; summary: EvalSummary }
  | { type: "device-lost"; message: string }
  /**
   * A checkpoint could not be written: training goes on, the store keeps the one of `savedStep` (0: none). bytes: what
   * it needed; free: what the browser said was free (when it said); storageFull: the site's storage is full.
   */
  | { type: "checkpoint-failed"; step: number; savedStep: number; bytes: number; free?: number; storageFull: boolean; message: string }
  /** A checkpoint was written again after a failed one. */
  | { type: "checkpoint-saved"; step: number };

export interface TrainResult {
  state: SessionState;
  losses: number[];
  evalLosses: [number, number][];
  backend: "webgpu" | "cpu";
  /** The step of the run's last good checkpoint (less than the last step when a checkpoint write failed). */
  savedStep: number;
  /** The steps taken (a stopped run: the step it stopped at, checkpointed) and the run's length. */
  step: number;
  totalSteps: number;
}

let session: TrainingSession<unknown, unknown> | undefined;
let backend: ChosenBackend | undefined;
/** Set by cancel(); checked while loading and evaluating, where there is no session to tell yet. */
let cancelled = false;

function summarize(r: EvalReport, records: readonly SampleRecord[]): EvalSummary {
  return {
    n: r.n, exactMatch: r.exactMatch, editSimilarity: r.editSimilarity, stoppedProperly: r.stoppedProperly, msPerSample: r.msPerSample,
    examples: r.predictions.slice(0, 5).map((p, i) => ({ prefixTail: records[i]!.prefix.slice(-120), reference: p.reference, prediction: p.prediction })),
  };
}

/** Trains `job` (the run's Web Lock held by the caller). */
async function runJob(job: TrainJob, onProgress: (p: SessionProgress) => void, onEvent: (e: TrainEvent) => void): Promise<TrainResult> {
  const store = new OpfsStore(job.runKey);
  let failing = false;
  const onCheckpoint = ({ step, error }: { step: number; error?: unknown }) => {
    if (error === undefined) {
      if (failing) onEvent({ type: "checkpoint-saved", step });
      failing = false;
      return;
    }
    failing = true;
    const w = error instanceof CheckpointWriteError ? error : undefined;
    onEvent({
      type: "checkpoint-failed", step, savedStep: session?.savedStep ?? 0, bytes: w?.bytes ?? 0, storageFull: w?.storageFull ?? false,
      message: w?.reason ?? (error as Error)?.message ?? String(error), ...(w?.free === undefined ? {} : { free: w.free }),
    });
  };
  let choice = job.backend;
  cancelled = false;
  session = undefined;
  const train: TrainConfig = { ...DEFAULT_TRAIN, ...job.train };
  const records = parseJsonl(job.jsonl, "samples.jsonl");
  const evalRecords = job.evalJsonl ? parseJsonl(job.evalJsonl, "eval.jsonl") : [];
  for (let attempt = 0; ; attempt++) {
    backend = await createBackend(choice);
    const { be, kind, note } = backend;
    onEvent({ type: "backend", kind, note });
    onEvent({ type: "loading", message: "Loading the model…" });
    const bytes = throttled(onEvent);
    const files = filesOf(job.model, (p) => bytes.report({ type: "loading", message: `Loading the model: ${p.file}`, loaded: p.loaded, total: p.total }));
    const engine = await loadEngine(be, files, { weights: defaultWeights(backend, job.weights) }).finally(() => bytes.flush());
    const tk = engine.checkpoint.tokenizer;
    const lora = { ...defaultLora(engine.model), ...job.lora };
    const { config } = engine.checkpoint;
    train.contextLength = trainingContext(train.contextLength, config.max_position_embeddings);
    onEvent({ type: "model", architecture: config.architecture, family: config.family, layers: config.num_hidden_layers, loraTargets: [...lora.targets] });
    const tokenize = (rs: readonly SampleRecord[]) => rs
      .map((r) => tokenizeSample(r, tk, { contextLength: train.contextLength, lossOn: job.lossOn ?? "middle" }))
      .filter((s): s is TokenizedSample => s !== undefined);
    const samples = tokenize(records);
    if (samples.length === 0) throw new Error(`no sample fits the context length ${train.contextLength}: raise it or use shorter samples`);
    const evalSamples = tokenize(evalRecords).slice(0, EVAL_LOSS_SAMPLES);
    const onStep = (p: SessionProgress) => {
      onProgress(p);
      if (p.evalLoss !== undefined && session) onEvent({ type: "eval-loss", evalLosses: [...session.evalLosses] });
    };
    session = new TrainingSession(be, engine.model, samples, store, {
      train, lora, baseModel: job.baseModel ?? (job.model.kind === "hub" ? job.model.repo : "model"),
      format: records[0]!.format, checkpointEvery: job.checkpointEvery ?? 25, onProgress: onStep,
      evalSamples, evalEvery: job.evalEvery, onCheckpoint,
    });
    const step = await session.init();
    if (step > 0) onEvent({ type: "resumed", step });
    let generator: ReturnType<typeof engine.generator> | undefined;
    const completions = Math.min(job.evalCompletions ?? 0, evalRecords.length);
    const measure = async (when: "before" | "after") => {
      if (completions === 0 || cancelled) return;
      onEvent({ type: "loading", message: `Completing ${completions} held-out samples (${when} training)…` });
      const held = evalRecords.slice(0, completions);
      // the model as it is now: with the adapter attached by session.init (zero before training: the base model)
      const m = { tokenizer: tk, generator: generator ??= engine.generator(), eosIds: engine.checkpoint.stopIds };
      const report = await evaluateCompletions(m, held, { stop: () => cancelled });
      onEvent({ type: "metrics", when, summary: summarize(report, held) });
    };
    try {
      if (step === 0) await measure("before");
      if (cancelled) session.cancel();
      onEvent({ type: "started", totalSteps: session.totalSteps, losses: [...session.losses], evalLosses: [...session.evalLosses] });
      const state = await session.run();
      if (state === "done") await measure("after");
      return {
        state, losses: [...session.losses], evalLosses: [...session.evalLosses], backend: kind, savedStep: session.savedStep,
        step: session.step, totalSteps: session.totalSteps,
      };
    } catch (e) {
      // a lost GPU: go on from the last checkpoint, on a new device if there is one, else on the CPU
      if ((e as Error).name !== "GpuUnavailableError" || attempt >= 2) throw e;
      onEvent({ type: "device-lost", message: (e as Error).message });
      choice = attempt === 0 ? "auto" : "cpu";
    }
  }
}

const api = {
  /**
   * Trains the job, holding its run's Web Lock (another tab training the same run: RunLockedError); `onOwned` runs
   * first, under the lock (the page saves the run's job there, where no other tab can discard it meanwhile).
   */
  start(job: TrainJob, onProgress: (p: SessionProgress) => void, onEvent: (e: TrainEvent) => void, onOwned?: () => Promise<void>): Promise<TrainResult> {
    return withRunLock(job.runKey, async () => {
      await onOwned?.();
      return runJob(job, onProgress, onEvent);
    });
  },
  pause(): void {
    session?.pause();
  },
  resume(): void {
    session?.resume();
  },
  cancel(): void {
    cancelled = true;
    session?.cancel();
  },
  /** The adapter and trainer state of the run (PEFT files), for download. */
  async files(): Promise<Record<string, Uint8Array>> {
    if (!session) throw new Error("no training run yet");
    return Object.fromEntries(await session.files());
  },
  /** For tests and diagnostics only: destroys the WebGPU device in use, as a driver reset would (false on the CPU). */
  loseDevice(): boolean {
    return backend ? loseDevice(backend) : false;
  },
  /** Deletes the run's checkpoint, unless another tab trains it (RunLockedError). */
  async clearCheckpoint(runKey: string): Promise<void> {
    await withRunLock(runKey, () => new OpfsStore(runKey).clear(), 0);
  },
  async hasCheckpoint(runKey: string): Promise<boolean> {
    return (await new OpfsStore(runKey).load()) !== undefined;
  },
  /** The step of the run's checkpoint (0: none) and the run's length (0: unknown). */
  async checkpointSteps(runKey: string): Promise<{ step: number; totalSteps: number }> {
    const files = await new OpfsStore(runKey).load();
    const st = files?.get(TRAINER_STATE);
    const json = st ? (JSON.parse(new TextDecoder().decode(st)) as { step?: number; totalSteps?: number }) : {};
    return { step: json.step ?? 0, totalSteps: json.totalSteps ?? 0 };
  },
};

export type TrainWorkerApi = typeof api;
Comlink.expose(api);
