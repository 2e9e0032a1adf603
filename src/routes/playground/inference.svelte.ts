// inference.svelte.ts — the Playground's model: our engine in the inference worker (src/workers/infer.worker.ts) for
// embedded, Hub and folder models, or a web-llm engine for its prebuilt builds; loaded when the app-wide choice
// changes (or the device of device.svelte.ts, or the weight format), with progress; each answer's time is recorded
// for the device that ran it. Gives the editor its Completer (a keystroke's abort cancels the request in the worker),
// switches the trained adapter on and off, and completes one cursor with both for the side-by-side view.

import * as Comlink from "comlink";
import { WorkerHandle } from "../shared/workerHandle.ts";
import type { Completer, CompletionRequest, CompletionResult } from "../../lib/editor/suggestion.ts";
import { createWebLlmEngine, webLlmComplete, type WebLlmEngine } from "../../lib/webllm/completer.ts";
import type { InferWorkerApi, LoadProgress, ModelInfo, PromptCost } from "../../workers/infer.worker.ts";
import { keyOf, labelOf, sourceOf, type ModelPick } from "../shared/modelPicker.svelte.ts";
import { workspace } from "../shared/workspace.svelte.ts";
import { playgroundDevice } from "./device.svelte.ts";

export type InferenceStatus = "idle" | "loading" | "ready" | "error";

/** Tokens generated at most per suggestion, by mode, unless the user picks a limit (Inference.maxTokens). */
const MAX_TOKENS = { line: 48, multiline: 160 } as const;
/** The limits the Playground offers besides its per-mode default. */
export const MAX_TOKEN_CHOICES = [4, 8, 16, 32, 64, 128, 256] as const;

const cancelledError = () => new DOMException("the request was cancelled", "AbortError");

export class Inference {
  status = $state<InferenceStatus>("idle");
  /** 0..1 while loading, with what is happening. */
  progress = $state(0);
  progressText = $state("");
  info = $state.raw<ModelInfo | null>(null);
  webllm = $state<string | null>(null);
  error = $state<string | null>(null);
  /** The adapter in the worker is the workspace's (trained on this model), and whether it is switched on. */
  adapterLoaded = $state(false);
  adapterOn = $state(false);
  /** The FIM format the loaded adapter was trained with (its trainer_state.json), when it says. */
  adapterFormat = $state<string | undefined>(undefined);
  /** The format a completion is prompted in: the adapter's while it is on, else the model's default. */
  readonly format = $derived((this.adapterOn ? this.adapterFormat : undefined) ?? this.info?.defaultFormat);
  loadedKey = $state<string | null>(null);
  /**
   * How our engine holds the model's block weights: "auto" (float32 on the CPU, f16 on a GPU with shader-f16), or
   * "int8" / "int4" (GGUF Q8_0 / Q4_0 values, kept quantized: 3.6x / 6.4x less memory for them). Changing it reloads.
   */
  weights = $state<"auto" | "int8" | "int4">("auto");
  /** Tokens generated at most per suggestion: "auto" is 48 in single-line mode, 160 in multi-line mode. */
  maxTokens = $state<"auto" | number>("auto");
  /** The weights and device (playgroundDevice) the loaded model was loaded with: a change reloads. */
  private loadedSettings: string | null = null;
  loadedLabel = $state("");
  /** What the prompt of the last answered request cost in the worker (tokens run vs reused, ms); null for web-llm. */
  lastPrompt = $state.raw<PromptCost | null>(null);

  private readonly worker = new WorkerHandle<InferWorkerApi>(
    () => new Worker(new URL("../../workers/infer.worker.ts", import.meta.url), { type: "module" }),
  );
  private engine: WebLlmEngine | null = null;
  private nextId = 1;
  private loading = 0;
  private pending: { key: string; done: Promise<void> } | null = null;

  private remote(): Comlink.Remote<InferWorkerApi> {
    return this.worker.remote;
  }

  /**
   * Loads `pick` unless it is loaded or loading already; then brings the workspace's adapter in when it belongs to it.
   * A second call while the same model loads (the page's effect runs again as the status changes) waits for that load
   * instead of starting another one, which would read and upload the weights twice.
   */
  async ensure(pick: ModelPick): Promise<void> {
    const key = keyOf(pick);
    const settings = this.settings();
    if (this.pending?.key === `${key}|${settings}`) {
      await this.pending.done;
    } else if (key !== this.loadedKey || (pick.kind !== "webllm" && settings !== this.loadedSettings) || this.status === "error") {
      const pending = { key: `${key}|${settings}`, done: this.load(pick) };
      this.pending = pending;
      await pending.done;
      if (this.pending === pending) this.pending = null;
    }
    await this.syncAdapter();
  }

  /** What a load depends on besides the model: the weight format and the backend asked for. */
  private settings(): string {
    return `${this.weights}|${playgroundDevice.backend}`;
  }

  private async load(pick: ModelPick): Promise<void> {
    const ticket = ++this.loading;
    this.status = "loading";
    this.error = null;
    this.progress = 0;
    this.progressText = `Loading ${labelOf(pick)}…`;
    this.info = null;
    this.webllm = null;
    this.adapterLoaded = false;
    this.adapterOn = false;
    this.loadedKey = null;
    this.lastPrompt = null;
    try {
      if (this.engine) await this.engine.unload().catch(() => {});
      this.engine = null;
      if (pick.kind === "webllm") {
        const engine = await createWebLlmEngine(pick.model.id, (p) => {
          if (ticket !== this.loading) return;
          this.progress = p.progress;
          this.progressText = p.text;
        });
        if (ticket !== this.loading) return void engine.unload();
        this.engine = engine;
        this.webllm = pick.model.id;
      } else {
        const onProgress = Comlink.proxy((p: LoadProgress) => {
          if (ticket !== this.loading) return;
          if (p.phase === "tensors") {
            this.progress = p.total ? p.done / p.total : 0;
            this.progressText = `Preparing the weights: ${p.done} of ${p.total} tensors`;
          } else {
            this.progress = p.total ? p.loaded / p.total : 0;
            this.progressText = `Reading ${p.file}${p.total ? `: ${Math.round((100 * p.loaded) / p.total)}%` : ""}`;
          }
        });
        const [weights, backend, settings] = [this.weights, playgroundDevice.backend, this.settings()];
        const info = await this.remote().load({ model: sourceOf(pick)!, backend, weights }, onProgress);
        this.loadedSettings = settings;
        if (ticket !== this.loading) return;
        this.info = info;
      }
      this.loadedKey = keyOf(pick);
      this.loadedLabel = labelOf(pick);
      this.status = "ready";
    } catch (e) {
      if (ticket !== this.loading) return;
      this.status = "error";
      this.error = (e as Error).message;
    }
  }

  /** The workspace's adapter into the worker when it was trained on the loaded model (switched on), else none. */
  private async syncAdapter(): Promise<void> {
    if (this.status !== "ready" || this.webllm) return;
    const a = workspace.adapter;
    const fits = a !== null && a.modelKey === this.loadedKey;
    if (fits && !this.adapterLoaded) {
      this.adapterFormat = (await this.remote().setAdapter(a.files))?.format;
      this.adapterLoaded = true;
      this.adapterOn = true;
    } else if (!fits && this.adapterLoaded) {
      await this.remote().setAdapter(null);
      this.adapterLoaded = false;
      this.adapterOn = false;
    }
  }

  async setAdapterOn(on: boolean): Promise<void> {
    if (!this.adapterLoaded || on === this.adapterOn) return;
    await this.remote().useAdapter(on);
    this.adapterOn = on;
  }

  private async completeOnce(req: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    if (this.status !== "ready") {
      throw new Error(this.status === "loading" ? "the model is still loading: wait until Model status says Ready" : "no model is loaded: choose one under Model");
    }
    if (this.engine) {
      const maxTokens = this.maxTokens === "auto" ? undefined : this.maxTokens;
      const r = await webLlmComplete(this.engine, { prefix: req.prefix, suffix: req.suffix, mode: req.mode, maxTokens }, signal);
      if (signal?.aborted) throw cancelledError();
      return { text: r.text, ms: r.ms };
    }
    const id = this.nextId++;
    const api = this.remote();
    const onAbort = () => void api.cancel(id);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const r = await api.complete({ id, prefix: req.prefix, suffix: req.suffix, mode: req.mode, maxTokens: this.maxTokens === "auto" ? MAX_TOKENS[req.mode] : this.maxTokens });
      if (r.stoppedBy === "cancelled") throw cancelledError();
      if (!signal?.aborted) {
        this.lastPrompt = r.prompt ?? null;
        if (this.info) playgroundDevice.record(this.info.backend, r.ms);
      }
      return { text: r.text, ms: r.ms, tokens: r.tokens };
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** For the editor: one suggestion per request, cancelled in the worker when the editor aborts it. */
  readonly completer: Completer = (req, signal) => this.completeOnce(req, signal);

  /** The same cursor completed by the base model and with the adapter (for the side-by-side view). */
  async compare(req: CompletionRequest): Promise<{ base: CompletionResult; tuned: CompletionResult }> {
    if (!this.adapterLoaded) throw new Error("no trained adapter for this model: train one on the Train page first");
    const was = this.adapterOn;
    try {
      await this.setAdapterOn(false);
      const base = await this.completeOnce(req);
      await this.setAdapterOn(true);
      const tuned = await this.completeOnce(req);
      return { base, tuned };
    } finally {
      await this.setAdapterOn(was);
    }
  }
}

export const inference = new Inference();
