// export.worker.ts — Web Worker that turns a picked checkpoint folder (and optionally a PEFT adapter folder) into a
// GGUF file off the main thread (exposed with Comlink). It reads the File objects itself, runs the isomorphic
// exporter of node/export (the same code as `fim export`, so both give the same bytes), and sends the file either
// to the page chunk by chunk (which writes it to a file the user chose) or back as one Blob. Also the LoRA-only
// GGUF. Not here: the page state, the save dialog, the Modelfile (the page makes it; it needs no model data).
/// <reference lib="webworker" />
import * as Comlink from "comlink";
import { droppedFiles } from "../lib/model/browser-files.ts";
import { loadCheckpoint, type Checkpoint } from "../lib/model/checkpoint.ts";
import { TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "../lib/model/tokenizer.ts";
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, baseModelMismatch, matchAdapter, readAdapter, TRAINER_STATE } from "../lib/train/adapter.ts";
import { FORMATS } from "../lib/fim/index.ts";
import { adaptableModules, exportGguf, type AdapterSource, type ExportProgress } from "../lib/export/gguf-export.ts";
import { exportLoraGguf } from "../lib/export/lora-gguf.ts";
import { EXPORT_TYPES, GGUF_ARCH, planTensors, type ExportType } from "../lib/export/plan.ts";
import { GGUF_DEFAULT_ALIGNMENT } from "../lib/gguf/constants.ts";
import { bytesFor } from "../lib/gguf/quantize.ts";
import type { ByteSink } from "../lib/gguf/writer.ts";

/** A picked or dropped file with its path relative to what was picked ("qwen/config.json"). */
export interface FolderFile {
  path: string;
  file: File;
}

/** A picked or dropped folder: its name (for messages) and its files. */
export interface PickedFolder {
  label: string;
  files: FolderFile[];
}

export interface ModelInfo {
  label: string;
  architecture: string;
  ggufArchitecture: string;
  layers: number;
  hidden: number;
  vocab: number;
  contextLength: number;
  tensors: number;
  /** Bytes of the checkpoint's weight files. */
  sourceBytes: number;
  /** Estimated GGUF size per export type: the header as written for format qwen, plus every tensor, padded. */
  sizes: Record<ExportType, number>;
  /** Tensors stored otherwise than the type asks (a row length the type cannot hold), per type. */
  fallbacks: Record<ExportType, string[]>;
}

export interface AdapterInfo {
  label: string;
  r: number;
  alpha: number;
  rslora: boolean;
  targets: string[];
  /** The FIM format of trainer_state.json, when it names a known one. */
  format?: string;
  /** Said when its base_model_name_or_path names another model than the chosen folder (shapes fit). */
  baseNote?: string;
}

/** A result or the problem, in plain words (Comlink would drop an Error's extra fields). */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Inspection {
  model: Checked<ModelInfo>;
  adapter: Checked<AdapterInfo> | null;
}

export interface ExportRequest {
  model: PickedFolder;
  adapter: PickedFolder | null;
  type: ExportType;
  name: string;
  format: string;
}

export interface ExportResult {
  bytes: number;
  tensors: number;
  /** Tensors per stored type, e.g. { Q8_0: 15, F32: 22 }. */
  types: Record<string, number>;
  warnings: string[];
  /** The GGUF, when it was not streamed to the page. */
  blob?: Blob;
  /** The adapter alone as a GGUF, when an adapter was given. */
  lora?: Blob;
}

/** Receives the GGUF chunk by chunk; the export waits for each call (backpressure). */
export type ChunkWriter = (chunk: Uint8Array) => Promise<void>;
export type ProgressCallback = (progress: ExportProgress) => void;

/** Progress reports are throttled to this interval (the last one always goes through). */
const PROGRESS_INTERVAL_MS = 100;
/** Blob parts are joined up to this size, so a big model is not thousands of tiny parts. */
const BLOB_PART_BYTES = 8 << 20;

// ---- reading the folders -------------------------------------------------------------------------------------

/** The files at the folder's top level (subfolders such as onnx/ are left out, as droppedFiles does). */
function topLevel(folder: PickedFolder): Map<string, File> {
  const depth = (p: string) => p.split("/").length;
  const top = Math.min(...folder.files.map((f) => depth(f.path)));
  const out = new Map<string, File>();
  for (const f of folder.files) if (depth(f.path) === top) out.set(f.path.split("/").pop()!, f.file);
  return out;
}

/** Files keep their File.name (the last path component), so droppedFiles sees a flat folder. */
function checkpointFiles(folder: PickedFolder) {
  if (folder.files.length === 0) throw new Error(`${folder.label} is empty: pick the folder that holds config.json`);
  return droppedFiles([...topLevel(folder).values()], folder.label);
}

const keyOf = (folder: PickedFolder | null) =>
  folder ? folder.files.map((f) => `${f.path}:${f.file.size}:${f.file.lastModified}`).join("|") : "";

interface LoadedModel {
  key: string;
  cp: Checkpoint;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  sourceBytes: number;
}

interface LoadedAdapter {
  key: string;
  source: AdapterSource;
  format?: string;
  /** base_model_name_or_path of its adapter_config.json. */
  baseModel: string | null;
  info: AdapterInfo;
}

let model: LoadedModel | null = null;
let adapter: LoadedAdapter | null = null;

async function jsonOf(file: File | undefined, name: string): Promise<Record<string, unknown>> {
  if (!file) return {};
  try {
    return JSON.parse(await file.text()) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${name} is not valid JSON (${(e as Error).message}): download it again`);
  }
}

async function loadModel(folder: PickedFolder): Promise<LoadedModel> {
  const key = keyOf(folder);
  if (model?.key === key) return model;
  const files = checkpointFiles(folder);
  const cp = await loadCheckpoint(files);
  if (!GGUF_ARCH[cp.config.architecture]) throw new Error(`config.json: ${cp.config.architecture} has no GGUF export yet (Llama, Qwen2 and Mamba do)`);
  const top = topLevel(folder);
  const sourceBytes = [...top].filter(([n]) => n.endsWith(".safetensors")).reduce((s, [, f]) => s + f.size, 0);
  model = {
    key,
    cp,
    tokenizerJson: await jsonOf(top.get(TOKENIZER_FILE), TOKENIZER_FILE),
    tokenizerConfig: await jsonOf(top.get(TOKENIZER_CONFIG_FILE), TOKENIZER_CONFIG_FILE),
    sourceBytes,
  };
  return model;
}

async function loadAdapter(folder: PickedFolder): Promise<LoadedAdapter> {
  const key = keyOf(folder);
  if (adapter?.key === key) return adapter;
  const top = topLevel(folder);
  if (!top.get(ADAPTER_CONFIG)) throw new Error(`${ADAPTER_CONFIG} not found in ${folder.label}: pick the folder the training wrote (it holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS})`);
  if (!top.get(ADAPTER_WEIGHTS)) throw new Error(`${ADAPTER_WEIGHTS} not found in ${folder.label}: pick the folder the training wrote`);
  const files = new Map<string, Uint8Array>();
  for (const name of [ADAPTER_CONFIG, ADAPTER_WEIGHTS, TRAINER_STATE]) {
    const f = top.get(name);
    if (f) files.set(name, new Uint8Array(await f.arrayBuffer()));
  }
  const source = await readAdapter(files, folder.label);
  const { lora } = source;
  const format = source.format && FORMATS[source.format] ? source.format : undefined;
  const info: AdapterInfo = { label: folder.label, r: lora.r, alpha: lora.alpha, rslora: lora.rslora, targets: [...lora.targets], format };
  adapter = { key, source, format, baseModel: source.baseModel, info };
  return adapter;
}

/** The adapter fits the model (every target, tensor and shape): else it is for another base, and nothing is exported. */
function checkAdapterFits(m: LoadedModel, a: LoadedAdapter): void {
  matchAdapter(a.source, adaptableModules(planTensors(m.cp.config, m.cp.tensors, "f32")));
}

// ---- sizes -----------------------------------------------------------------------------------------------------

const padded = (n: number) => Math.ceil(n / GGUF_DEFAULT_ALIGNMENT) * GGUF_DEFAULT_ALIGNMENT;

/** Thrown by the sink below to stop exportGguf once it has written the header. */
const HEADER_WRITTEN = new Error("header written");

/** The header's size (metadata + tensor infos + padding), measured by running exportGguf up to its first write. */
async function headerBytes(m: LoadedModel, type: ExportType, format: string, name: string): Promise<number> {
  let n = 0;
  const sink: ByteSink = {
    write: async (b) => {
      n = b.length;
      throw HEADER_WRITTEN;
    },
  };
  try {
    await exportGguf(m.cp, m.tokenizerJson, m.tokenizerConfig, sink, { type, name, format });
  } catch (e) {
    if (e !== HEADER_WRITTEN) throw e;
  }
  return n;
}

async function modelInfo(m: LoadedModel, label: string): Promise<ModelInfo> {
  const c = m.cp.config;
  const sizes = {} as Record<ExportType, number>;
  const fallbacks = {} as Record<ExportType, string[]>;
  // The type changes values in the header, not its length (file_type is a UINT32, a tensor's type too).
  const header = await headerBytes(m, "f32", "qwen", label);
  for (const type of EXPORT_TYPES) {
    const plan = planTensors(c, m.cp.tensors, type);
    const data = plan.reduce((s, t) => s + padded(bytesFor(t.type, t.shape.reduce((a, b) => a * b, 1))), 0);
    sizes[type] = header + data;
    fallbacks[type] = plan.flatMap((t) => (t.fallback ? [t.fallback] : []));
  }
  return {
    label,
    architecture: c.architecture,
    ggufArchitecture: GGUF_ARCH[c.architecture]!,
    layers: c.num_hidden_layers,
    hidden: c.hidden_size,
    vocab: c.vocab_size,
    contextLength: c.max_position_embeddings,
    tensors: planTensors(c, m.cp.tensors, "f32").length,
    sourceBytes: m.sourceBytes,
    sizes,
    fallbacks,
  };
}

// ---- sinks -----------------------------------------------------------------------------------------------------

class Cancelled extends Error {
  constructor() {
    super("Export cancelled.");
    this.name = "AbortError";
  }
}

/** Collects the bytes as Blob parts (each chunk is copied into a part, so the writer may reuse nothing). */
class BlobSink implements ByteSink {
  private parts: Blob[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(private readonly signal: AbortSignal) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.signal.aborted) throw new Cancelled();
    this.pending.push(bytes.slice());
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= BLOB_PART_BYTES) this.flush();
  }

  toBlob(): Blob {
    this.flush();
    return new Blob(this.parts, { type: "application/octet-stream" });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(new Blob(this.pending as BlobPart[]));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/**
 * Sends each chunk to the page and waits until the page has written it. The chunk is copied and the copy moved: the
 * writer still reads the chunk's length after write() returns, so the original must not be detached.
 */
class PageSink implements ByteSink {
  constructor(
    private readonly send: ChunkWriter,
    private readonly signal: AbortSignal,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.signal.aborted) throw new Cancelled();
    const copy = bytes.slice();
    await this.send(Comlink.transfer(copy, [copy.buffer]));
    if (this.signal.aborted) throw new Cancelled();
  }
}

// ---- the API ---------------------------------------------------------------------------------------------------

let running: AbortController | null = null;

const problem = (e: unknown) => (e instanceof Error ? e.message || e.name : String(e));

const api = {
  /** Reads the model's JSON files and safetensors headers (and the adapter), and estimates the GGUF sizes. */
  async inspect(modelFolder: PickedFolder | null, adapterFolder: PickedFolder | null): Promise<Inspection> {
    let m: LoadedModel | null = null;
    let modelResult: Checked<ModelInfo>;
    if (!modelFolder) modelResult = { ok: false, error: "Choose the model folder first." };
    else {
      try {
        m = await loadModel(modelFolder);
        modelResult = { ok: true, value: await modelInfo(m, modelFolder.label) };
      } catch (e) {
        modelResult = { ok: false, error: problem(e) };
      }
    }
    if (!adapterFolder) return { model: modelResult, adapter: null };
    try {
      const a = await loadAdapter(adapterFolder);
      if (!m) return { model: modelResult, adapter: { ok: true, value: a.info } };
      checkAdapterFits(m, a);
      const baseNote = baseModelMismatch(a.baseModel, { name: modelFolder!.label, nameOrPath: m.cp.config.raw._name_or_path });
      return { model: modelResult, adapter: { ok: true, value: { ...a.info, ...(baseNote ? { baseNote } : {}) } } };
    } catch (e) {
      return { model: modelResult, adapter: { ok: false, error: problem(e) } };
    }
  },

  /**
   * Writes the GGUF (adapter merged) to `write` chunk by chunk, or, without it, into a Blob that is returned; then
   * the LoRA-only GGUF when there is an adapter.
   */
  async exportModel(req: ExportRequest, write: ChunkWriter | null, onProgress?: ProgressCallback): Promise<ExportResult> {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    try {
      const m = await loadModel(req.model);
      const a = req.adapter ? await loadAdapter(req.adapter) : null;
      if (a) checkAdapterFits(m, a);
      const blobSink = write ? null : new BlobSink(controller.signal);
      const sink = write ? new PageSink(write, controller.signal) : blobSink!;
      let last = 0;
      const summary = await exportGguf(m.cp, m.tokenizerJson, m.tokenizerConfig, sink, {
        type: req.type,
        name: req.name,
        format: req.format,
        adapter: a?.source,
        onProgress: (p) => {
          const now = performance.now();
          if (p.done < p.total && now - last < PROGRESS_INTERVAL_MS) return;
          last = now;
          void Promise.resolve(onProgress?.({ ...p })).catch(() => {});
        },
      });
      let lora: Blob | undefined;
      if (a) {
        const loraSink = new BlobSink(controller.signal);
        await exportLoraGguf(m.cp.config, a.source, loraSink, `${req.name}-lora`);
        lora = loraSink.toBlob();
      }
      const types: Record<string, number> = {};
      for (const t of summary.tensors) types[t.type] = (types[t.type] ?? 0) + 1;
      return { bytes: summary.bytes, tensors: summary.tensors.length, types, warnings: summary.warnings, blob: blobSink?.toBlob(), lora };
    } finally {
      if (running === controller) running = null;
    }
  },

  /** Stops the export in progress (its exportModel() call rejects with an AbortError). */
  cancel(): void {
    running?.abort();
  },
};

export type ExportWorkerApi = typeof api;

Comlink.expose(api);
