// infer.worker.ts — code completion off the main thread (Comlink), for the Playground. Loads a model on the chosen
// backend, switches between the base model and a PEFT adapter without reloading, and runs one completion at a time:
// each request has an id, streams its text, and can be cancelled between tokens (the loop yields to the event loop
// after every token so the cancel message gets through). The completion logic lives in src/lib/train/complete.ts
// and src/lib/fim; this file only holds state and messages.
/// <reference lib="webworker" />
import * as Comlink from "comlink";
import { DEFAULT_FORMAT } from "../lib/fim/index.ts";
import { loadAdapter } from "../lib/train/adapter.ts";
import { complete, nativeFormats, type NativeFormat, type StopReason } from "../lib/train/complete.ts";
import { loadEngine, type Engine } from "../lib/train/engine.ts";
import { inferenceWeights } from "../lib/train/tables.ts";
import { detachLora, setLoraEnabled, type LoraConfig } from "../lib/train/lora.ts";
import type { WeightFormat } from "../lib/train/quant.ts";
import { createBackend, defaultWeights, disposeBackend, loseDevice, type BackendChoice, type ChosenBackend } from "./backends.ts";
import { MeasuredDecoder, type PromptCost } from "./measured-decoder.ts";
import { filesOf, throttled, type BytesProgress, type ModelSource } from "./model-source.ts";

export type { PromptCost };

export interface LoadRequest {
  model: ModelSource;
  backend: BackendChoice;
  /**
   * Tokens a completion may hold (prompt + completion): the KV cache's size, or a recurrent model's limit; default
   * min(2048, the model's max_position_embeddings).
   */
  contextLength?: number;
  /** How the block linears are stored (quant.ts); "auto" (default): f16 on a GPU with shader-f16, else f32. */
  weights?: WeightFormat | "auto";
}

export type LoadProgress = ({ phase: "bytes" } & BytesProgress) | { phase: "tensors"; done: number; total: number };

export interface ModelInfo {
  backend: "webgpu" | "cpu";
  /** Why this backend, in plain words. */
  note: string;
  architecture: string;
  /** "llama": a transformer with a KV cache; "mamba": a recurrent state (constant size, saved every 32 prompt tokens). */
  family: "llama" | "mamba";
  modelType: string;
  vocabSize: number;
  layers: number;
  hidden: number;
  contextLength: number;
  /** FIM formats whose markers are single tokens of this tokenizer (the model's own, most likely), with their ids. */
  fimFormats: NativeFormat[];
  /** What a request without `format` uses: the adapter's training format, else the first native one, else ctx. */
  defaultFormat: string;
  /** Tensors of the checkpoint holding NaN or Inf, in words (completions from it will fail). */
  warnings: string[];
}

export interface AdapterInfo {
  lora: LoraConfig;
  /** The FIM format the adapter was trained with, when its trainer_state.json says. */
  format: string | undefined;
}

export interface CompleteRequest {
  /** Chosen by the caller; cancel(id) stops this request. */
  id: number;
  prefix: string;
  suffix: string;
  format?: string;
  maxTokens?: number;
  /** "line" (default) stops at the end of the line; "multiline" at an end token. */
  mode?: "line" | "multiline";
  /** 0 = greedy (default). */
  temperature?: number;
  topP?: number;
  seed?: number;
}

export interface CompleteResult {
  id: number;
  text: string;
  /** Tokens sampled (an end token included). */
  tokens: number;
  /** Time this request ran (prompt and generation), not counting a wait behind another request. */
  ms: number;
  /** "cancelled" when cancel(id) stopped it; `text` is then what was streamed so far. */
  stoppedBy: StopReason;
  /** What the prompt cost: its tokens, those run (the rest reused from the KV cache or recurrent state), the time. */
  prompt?: PromptCost;
}

interface Loaded {
  backend: ChosenBackend;
  engine: Engine<unknown, unknown>;
  contextLength: number;
  /** The engine's decoder, measured: every completion goes through it. */
  decoder: MeasuredDecoder<unknown, unknown>;
  adapter: AdapterInfo | undefined;
  adapterOn: boolean;
  /** What loading found wrong with the checkpoint (non-finite tensors). */
  warnings: string[];
}

let current: Loaded | undefined;
const requests = new Map<number, AbortController>();
let busy: Promise<void> = Promise.resolve();

/** Runs `fn` after every earlier call has finished (one model, one decoder); a request cancelled while waiting skips. */
async function exclusive<R>(fn: () => Promise<R>, signal?: AbortSignal, skipped?: () => R): Promise<R> {
  const before = busy;
  let release!: () => void;
  const mine = new Promise<void>((ok) => (release = ok));
  busy = before.then(() => mine);
  try {
    if (signal) await Promise.race([before, new Promise<void>((ok) => signal.addEventListener("abort", () => ok(), { once: true }))]);
    else await before;
    if (signal?.aborted && skipped) return skipped();
    return await fn();
  } finally {
    release();
  }
}

/** Resolves in a new task, after messages already queued (a cancel) have been handled; no timer clamping. */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
const nextTask = () => new Promise<void>((ok) => {
  waiting.push(ok);
  channel.port2.postMessage(null);
});

function loaded(): Loaded {
  if (!current) throw new Error("no model loaded: call load() first");
  return current;
}

function info(l: Loaded): ModelInfo {
  const { config, tokenizer } = l.engine.checkpoint;
  const fimFormats = nativeFormats(tokenizer);
  return {
    backend: l.backend.kind, note: l.backend.note, architecture: config.architecture, family: config.family, modelType: config.model_type,
    vocabSize: config.vocab_size, layers: config.num_hidden_layers, hidden: config.hidden_size, contextLength: l.contextLength,
    fimFormats, defaultFormat: (l.adapterOn ? l.adapter?.format : undefined) ?? fimFormats[0]?.format ?? DEFAULT_FORMAT,
    warnings: l.warnings,
  };
}

const api = {
  /** Loads the model (replacing the one loaded before) and says which backend runs it and what the model is. */
  async load(req: LoadRequest, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    return exclusive(async () => {
      if (current) await disposeBackend(current.backend);
      current = undefined;
      // one throttle per stream: on a fast load one shared throttle would keep only the tensor counts and drop the bytes
      const bytes = throttled(onProgress);
      const tensors = throttled(onProgress);
      const flush = async () => (await bytes.flush(), await tensors.flush());
      const backend = await createBackend(req.backend);
      try {
        const warnings: string[] = [];
        const engine = await loadEngine(backend.be, filesOf(req.model, (p) => bytes.report({ phase: "bytes", ...p })), {
          ...inferenceWeights(defaultWeights(backend, req.weights)),
          onTensor: (done, total) => tensors.report({ phase: "tensors", done, total }),
          onNonFinite: (name, index, value) => warnings.push(`tensor ${name} holds a non-finite value (${value} at index ${index}): completions from this checkpoint will fail`),
        });
        await flush();
        const contextLength = req.contextLength ?? Math.min(2048, engine.checkpoint.config.max_position_embeddings);
        const decoder = new MeasuredDecoder(engine.generator(contextLength));
        current = { backend, engine, contextLength, decoder, adapter: undefined, adapterOn: false, warnings };
        return info(current);
      } catch (e) {
        await flush(); // no report after the error
        await disposeBackend(backend);
        throw e;
      }
    });
  },

  /**
   * Loads a PEFT adapter (adapter_config.json + adapter_model.safetensors, trainer_state.json optional) in place of
   * the one before and turns it on; null removes it. An adapter that does not fit the model is refused (AdapterError)
   * and leaves the base model.
   */
  async setAdapter(files: Record<string, Uint8Array> | null): Promise<AdapterInfo | null> {
    return exclusive(async () => {
      const l = loaded();
      const be = l.backend.be;
      const model = l.engine.model;
      detachLora(be, model.w);
      l.decoder.reset(); // the cached keys and values (or the saved states) came from other weights
      l.adapter = undefined;
      l.adapterOn = false;
      if (!files) return null;
      try {
        const { lora, format } = await loadAdapter(be, model.w, new Map(Object.entries(files)));
        l.adapter = { lora, format };
      } catch (e) {
        detachLora(be, model.w);
        throw e;
      }
      setLoraEnabled(model.w, (l.adapterOn = true));
      return l.adapter;
    });
  },

  /** Switches between the base model (false) and the loaded adapter (true) without reloading anything. */
  async useAdapter(on: boolean): Promise<void> {
    return exclusive(async () => {
      const l = loaded();
      if (on && !l.adapter) throw new Error("no adapter loaded: call setAdapter(files) first");
      if (l.adapterOn === on) return;
      setLoraEnabled(l.engine.model.w, (l.adapterOn = on));
      l.decoder.reset();
    });
  },

  /** What the loaded model is (and which format a request without one uses). */
  info(): ModelInfo {
    return info(loaded());
  },

  /**
   * A completion at the cursor. Requests run one after another; `onText` gets the text as it grows (pieces, in
   * order). A cancelled request resolves with stoppedBy "cancelled".
   */
  async complete(req: CompleteRequest, onText?: (piece: string) => void): Promise<CompleteResult> {
    if (requests.has(req.id)) throw new Error(`request id ${req.id} is already in use`);
    const controller = new AbortController();
    requests.set(req.id, controller);
    const { signal } = controller;
    const cancelled = (): CompleteResult => ({ id: req.id, text: "", tokens: 0, ms: 0, stoppedBy: "cancelled" });
    try {
      return await exclusive(async () => {
        const l = loaded();
        try {
          return await run(l, req, signal, onText);
        } catch (e) {
          if ((e as Error).name !== "GpuUnavailableError" || current !== l) throw e;
          current = undefined; // the weights went with the device
          (e as Error).message += ' Load the model again: backend "auto" takes a new device, or the CPU.';
          throw e;
        }
      }, signal, cancelled);
    } finally {
      requests.delete(req.id);
    }
  },

  /** For tests and diagnostics only: destroys the WebGPU device in use, as a driver reset would (false on the CPU). */
  loseDevice(): boolean {
    return current ? loseDevice(current.backend) : false;
  },

  /** Stops request `id` (running or waiting), or every request without an id. Unknown ids are ignored. */
  cancel(id?: number): void {
    if (id === undefined) for (const c of requests.values()) c.abort();
    else requests.get(id)?.abort();
  },
};

/** One completion on the loaded model, streaming its pieces; every piece reaches the page before the result. */
async function run(l: Loaded, req: CompleteRequest, signal: AbortSignal, onText?: (piece: string) => void): Promise<CompleteResult> {
  const started = performance.now();
  let tokens = 0;
  let text = "";
  const sent: Promise<unknown>[] = []; // the pieces' deliveries, not waited for until the end
  l.decoder.clear();
  const it = complete(
    { tokenizer: l.engine.checkpoint.tokenizer, generator: l.decoder, eosIds: l.engine.checkpoint.stopIds },
    {
      prefix: req.prefix, suffix: req.suffix, format: req.format ?? info(l).defaultFormat, mode: req.mode ?? "line",
      maxTokens: req.maxTokens, temperature: req.temperature, topP: req.topP, seed: req.seed, signal,
      onToken: () => {
        tokens++;
        return nextTask();
      },
    },
  );
  for (;;) {
    const r = await it.next();
    if (r.done) {
      const ms = performance.now() - started;
      await Promise.all(sent);
      const prompt = l.decoder.last; // set by complete()'s prompt(), if it got that far
      return { id: req.id, text, tokens, ms, stoppedBy: r.value, ...(prompt && { prompt }) };
    }
    text += r.value;
    sent.push(Promise.resolve(onText?.(r.value)).catch(() => {}));
  }
}

export type InferWorkerApi = typeof api;
Comlink.expose(api);
