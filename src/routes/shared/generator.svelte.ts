// generator.svelte.ts — runs dataset generation in samples.worker.ts and holds its state for the page:
// status, live progress, the result (stats, preview, JSONL blobs and their object URLs) and errors.
// The result is the last run that worked: a run that fails or is cancelled leaves it as it was. It is kept in browser
// storage (persist.ts) and comes back on page load, whichever page (Data, Train) is opened first, until clear().
import { Stopwatch } from "./stopwatch.svelte.ts";
import * as Comlink from "comlink";
import { WorkerHandle } from "./workerHandle.ts";
import { deleteValues, loadValue, saveValue } from "./persist.ts";
import type { DatasetOptions, DatasetProgress } from "../../lib/fim/index.ts";
import type { GenerateInput, GenerateResult, SamplesWorkerApi } from "../../workers/samples.worker.ts";

export type GeneratorStatus = "idle" | "running" | "done" | "error" | "cancelled";

/** How long a cancelled worker may take to stop by itself before it is terminated. */
const CANCEL_GRACE_MS = 1500;

/** Storage key of the last result, and what is kept under it. */
const RESULT_KEY = "data.result";
interface SavedResult {
  result: GenerateResult;
  elapsedMs: number;
}

export class SampleGenerator {
  status = $state<GeneratorStatus>("idle");
  progress = $state<DatasetProgress | null>(null);
  result = $state.raw<GenerateResult | null>(null);
  error = $state<string | null>(null);
  trainUrl = $state<string | null>(null);
  evalUrl = $state<string | null>(null);
  /** Milliseconds the run that made `result` took. */
  resultMs = $state(0);
  /** Set when browser storage refused the result (it will not survive a reload). */
  storageNote = $state<string | null>(null);
  /** Settles once the result kept in browser storage has been looked for (on page load). */
  readonly restored: Promise<void>;
  /** Milliseconds the last run took (or has taken so far). */
  private readonly clock = new Stopwatch();
  get elapsedMs(): number {
    return this.clock.elapsedMs;
  }

  readonly running = $derived(this.status === "running");

  private readonly worker = new WorkerHandle<SamplesWorkerApi>(
    () => new Worker(new URL("../../workers/samples.worker.ts", import.meta.url), { type: "module", name: "samples" }),
  );
  /** Bumped on every start and cancel, so answers of an abandoned run are ignored. */
  private runId = 0;
  /** The worker call of the current or last run; settled once the worker is idle again. */
  private inflight: Promise<unknown> | null = null;
  private inflightSettled = true;

  constructor(persist = typeof indexedDB !== "undefined") {
    this.restored = persist ? this.restore() : Promise.resolve();
  }

  async generate(input: GenerateInput, options: Partial<DatasetOptions>): Promise<void> {
    if (this.running) return;
    // A cancelled run that has not stopped yet would hold the worker: start a fresh one instead.
    if (!this.inflightSettled) this.dispose();
    const id = ++this.runId;
    this.error = null;
    this.progress = { phase: "scan", files: 0, bytes: 0, samples: 0 };
    this.status = "running";
    this.clock.start();

    const onProgress = Comlink.proxy((p: DatasetProgress) => {
      if (id === this.runId) this.progress = p;
    });
    try {
      const call = this.worker.remote.generate(input, options, onProgress);
      this.track(call);
      const result = await call;
      if (id !== this.runId) return;
      this.clock.stop();
      this.show(result, this.clock.elapsedMs);
      this.status = "done";
      void this.keep(result, this.clock.elapsedMs);
    } catch (err) {
      if (id !== this.runId) return;
      this.error = messageOf(err);
      this.status = "error";
    } finally {
      if (id === this.runId) this.clock.stop();
    }
  }

  /** Stops the run in progress: asks the worker, and terminates it if it does not stop soon. */
  cancel(): void {
    if (!this.running) return;
    this.runId++;
    this.clock.stop();
    this.status = "cancelled";
    const { inflight } = this;
    const api = this.worker.current;
    const worker = this.worker.instance;
    if (!api || !worker || !inflight) return;
    void api.cancel().catch(() => {});
    const timer = setTimeout(() => {
      if (this.worker.instance === worker) this.dispose();
    }, CANCEL_GRACE_MS);
    const clear = () => clearTimeout(timer);
    inflight.then(clear, clear);
  }

  /** Forgets the result, here and in browser storage (the Data page's Clear). */
  clear(): void {
    if (this.running) return;
    this.clearResult();
    this.error = null;
    this.progress = null;
    this.storageNote = null;
    this.status = "idle";
    void deleteValues(RESULT_KEY).catch(() => {});
  }

  /** Terminates the worker; a new one starts with the next run. */
  dispose(): void {
    this.worker.terminate();
    this.inflight = null;
    this.inflightSettled = true;
  }

  private track(call: Promise<unknown>): void {
    this.inflight = call;
    this.inflightSettled = false;
    const settle = () => {
      if (this.inflight === call) this.inflightSettled = true;
    };
    call.then(settle, settle);
  }

  /** Makes `result` the one shown and downloaded (the previous one's URLs are let go). */
  private show(result: GenerateResult, elapsedMs: number): void {
    this.clearResult();
    this.result = result;
    this.resultMs = elapsedMs;
    this.trainUrl = URL.createObjectURL(result.train);
    this.evalUrl = URL.createObjectURL(result.eval);
  }

  private clearResult(): void {
    if (this.trainUrl) URL.revokeObjectURL(this.trainUrl);
    if (this.evalUrl) URL.revokeObjectURL(this.evalUrl);
    this.trainUrl = null;
    this.evalUrl = null;
    this.result = null;
    this.resultMs = 0;
  }

  private async keep(result: GenerateResult, elapsedMs: number): Promise<void> {
    try {
      await saveValue(RESULT_KEY, { result, elapsedMs } satisfies SavedResult);
      if (this.result === result) this.storageNote = null;
    } catch (e) {
      if (this.result !== result) return;
      this.storageNote = `Browser storage refused these samples, so they will not survive a reload: ${messageOf(e)}`;
    }
  }

  /** The result kept by an earlier visit, unless a run of this visit has started or finished meanwhile. */
  private async restore(): Promise<void> {
    const saved = await loadValue<SavedResult>(RESULT_KEY);
    const r = saved?.result;
    if (!r || !(r.train instanceof Blob) || !(r.eval instanceof Blob) || !r.stats || !Array.isArray(r.preview)) return;
    if (this.result || this.running || this.runId > 0) return;
    this.show(r, typeof saved.elapsedMs === "number" ? saved.elapsedMs : 0);
  }

}

/** The error's message as a sentence: "no usable files: …" → "No usable files: …". */
function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const generator = new SampleGenerator();
