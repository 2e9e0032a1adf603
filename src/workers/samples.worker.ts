// samples.worker.ts — Web Worker that builds FIM datasets off the main thread (exposed with Comlink).
// It reads the File/Blob objects itself, runs the library's buildDataset, and returns the statistics,
// a short preview and the train/eval JSONL as Blobs. All dataset logic lives in src/lib/fim/.
/// <reference lib="webworker" />
import * as Comlink from "comlink";
import {
  buildDataset,
  memorySource,
  type DatasetOptions,
  type DatasetProgress,
  type DatasetStats,
  type FileSource,
  type SampleRecord,
} from "../lib/fim/index.ts";
import { builtinSource } from "../lib/fim/builtin.ts";

/** One input file: pasted text, or a File/Blob the worker reads when the builder asks for it. */
export interface InputFile {
  path: string;
  text?: string;
  blob?: Blob;
}

export interface GenerateInput {
  files: InputFile[];
  /** Also use the library's built-in corpus. */
  builtin: boolean;
}

export interface GenerateResult {
  stats: DatasetStats;
  /** The first PREVIEW_SIZE records, in the order they were made (both splits). */
  preview: SampleRecord[];
  /** JSONL: one JSON.stringify(record) + "\n" per sample. */
  train: Blob;
  eval: Blob;
}

export type ProgressCallback = (progress: DatasetProgress) => void;

export const PREVIEW_SIZE = 20;
/** Progress reports are throttled to this interval (phase changes and the final state always go through). */
const PROGRESS_INTERVAL_MS = 100;
/** Lines are joined into strings of about this many characters before becoming Blob parts. */
const CHUNK_CHARS = 1 << 20;

/** Collects JSONL lines into a Blob without keeping one string per record alive. */
class JsonlWriter {
  private chunks: string[] = [];
  private pending: string[] = [];
  private pendingChars = 0;

  add(record: SampleRecord): void {
    const line = JSON.stringify(record) + "\n";
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= CHUNK_CHARS) this.flush();
  }

  toBlob(): Blob {
    this.flush();
    return new Blob(this.chunks, { type: "application/x-ndjson" });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(this.pending.join(""));
    this.pending = [];
    this.pendingChars = 0;
  }
}

/** Several sources, one after the other. */
function concatSources(sources: FileSource[]): FileSource {
  return {
    async *files() {
      for (const source of sources) yield* source.files();
    },
  };
}

let running: AbortController | null = null;

const api = {
  async generate(
    input: GenerateInput,
    options: Partial<DatasetOptions>,
    onProgress?: ProgressCallback,
  ): Promise<GenerateResult> {
    running?.abort();
    const controller = new AbortController();
    running = controller;

    const sources: FileSource[] = [];
    if (input.files.length > 0) sources.push(memorySource(input.files));
    if (input.builtin) sources.push(builtinSource());
    if (sources.length === 0) {
      throw new Error("Nothing to generate from: paste some code, add files or a folder, or use the built-in corpus.");
    }

    const train = new JsonlWriter();
    const evalOut = new JsonlWriter();
    const preview: SampleRecord[] = [];
    let lastReport = 0;
    let lastPhase = "";
    const report = (p: DatasetProgress, force = false): void => {
      const now = performance.now();
      if (!force && p.phase === lastPhase && now - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = now;
      lastPhase = p.phase;
      // Fire and forget: a slow page must not slow the builder down.
      void Promise.resolve(onProgress?.({ ...p })).catch(() => {});
    };
    let latest: DatasetProgress | undefined;

    try {
      const stats = await buildDataset(
        sources.length === 1 ? sources[0]! : concatSources(sources),
        options,
        (record) => {
          (record.split === "eval" ? evalOut : train).add(record);
          if (preview.length < PREVIEW_SIZE) preview.push(record);
        },
        (p) => {
          latest = p;
          report(p);
        },
        controller.signal,
      );
      if (latest) report(latest, true);
      return { stats, preview, train: train.toBlob(), eval: evalOut.toBlob() };
    } finally {
      if (running === controller) running = null;
    }
  },

  /** Stops the generation in progress (its generate() call rejects with an AbortError). */
  cancel(): void {
    running?.abort();
  },
};

export type SamplesWorkerApi = typeof api;

Comlink.expose(api);
