// completer.ts — completions from one of web-llm's prebuilt models (fast inference of larger models when online):
// the FIM prompt is built by src/lib/fim exactly as for our engine, sent to web-llm's raw completion API (the
// OpenAI-style `completions.create`, not chat), and cut at the format's stop strings. The engine is anything with
// web-llm's interface, so tests pass a fake one; createWebLlmEngine makes the real one in its own worker.

import { completionPlan, cutAtStop, getFormat } from "../fim/index.ts";

/** The part of web-llm's MLCEngineInterface used here. */
export interface WebLlmEngine {
  completions: {
    create(req: {
      prompt: string;
      max_tokens: number;
      temperature: number;
      stop?: string[];
      stream?: false;
    }): Promise<{ choices: { text: string; finish_reason: string | null }[] }>;
  };
  interruptGenerate(): void;
  unload(): Promise<void>;
}

export interface WebLlmRequest {
  prefix: string;
  suffix: string;
  mode: "line" | "multiline";
  /** A FIM format of src/lib/fim (web-llm's Qwen2.5-Coder builds know "qwen"). */
  format?: string;
  maxTokens?: number;
  /** Prompt budget in characters (there is no tokenizer here; ~3 characters a token for code). */
  promptChars?: number;
}

export interface WebLlmResult {
  text: string;
  ms: number;
  stoppedBy: string;
}

/** One completion; `signal` interrupts the engine's generation (the result is then discarded by the caller). */
export async function webLlmComplete(engine: WebLlmEngine, req: WebLlmRequest, signal?: AbortSignal): Promise<WebLlmResult> {
  const f = getFormat(req.format ?? "qwen");
  const plan = completionPlan({
    format: f.name, document: req.prefix + req.suffix, cursor: req.prefix.length, mode: req.mode,
    budget: { max: req.promptChars ?? 6000, measure: (s) => s.length },
  });
  const stop = plan.stopStrings;
  const t0 = performance.now();
  const onAbort = () => engine.interruptGenerate();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const r = await engine.completions.create({ prompt: plan.prompt, max_tokens: req.maxTokens ?? (plan.singleLine ? 48 : 128), temperature: 0, stop });
    // engines differ on whether a stop string is included: cut at the first one either way
    const text = cutAtStop(r.choices[0]?.text ?? "", stop).text;
    return { text, ms: performance.now() - t0, stoppedBy: r.choices[0]?.finish_reason ?? "stop" };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

export interface WebLlmProgress {
  /** 0..1 */
  progress: number;
  text: string;
}

/** Test hook: a page may set globalThis.__fimWebLlmFactory to replace the real engine (offline tests do). */
type Factory = (modelId: string, onProgress: (p: WebLlmProgress) => void) => Promise<WebLlmEngine>;

/** The real engine, in a worker of its own (web-llm downloads and caches the model itself). */
export async function createWebLlmEngine(modelId: string, onProgress: (p: WebLlmProgress) => void): Promise<WebLlmEngine> {
  const fake = (globalThis as { __fimWebLlmFactory?: Factory }).__fimWebLlmFactory;
  if (fake) return fake(modelId, onProgress);
  const webllm = await import("@mlc-ai/web-llm");
  const worker = new Worker(new URL("../../workers/webllm.worker.ts", import.meta.url), { type: "module" });
  const engine = await webllm.CreateWebWorkerMLCEngine(worker, modelId, {
    initProgressCallback: (r) => onProgress({ progress: r.progress, text: r.text }),
  });
  return engine as unknown as WebLlmEngine;
}
