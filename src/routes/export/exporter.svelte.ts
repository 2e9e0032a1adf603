// exporter.svelte.ts — runs one export in export.worker.ts and holds its state for the page: status, live progress,
// the result (the GGUF as a download or as the file written, the LoRA GGUF, the Modelfile) and errors. Where the
// browser can, the GGUF streams into a file the user chose (File System Access API: showSaveFilePicker ->
// createWritable); otherwise the worker builds a Blob. A cancel or a failure leaves nothing: the writable is
// aborted (the browser drops its temporary file) and no Blob is kept.
import { Stopwatch } from "../shared/stopwatch.svelte.ts";
import * as Comlink from "comlink";
import type { ExportProgress } from "../../lib/export/gguf-export.ts";
import { modelfile } from "../../lib/export/modelfile.ts";
import type { ExportRequest, ExportResult } from "../../workers/export.worker.ts";
import { exportWorker, terminateExportWorker } from "./worker.ts";

export type ExporterStatus = "idle" | "running" | "done" | "error" | "cancelled";

/** How long a cancelled worker may take to stop by itself before it is terminated. */
const CANCEL_GRACE_MS = 1500;
/** num_ctx written in the Modelfile (the CLI's default), at most the model's context length. */
const MODELFILE_CONTEXT = 2048;

// The File System Access API is not in TypeScript's DOM library (it is Chromium-only so far).
interface SaveFilePickerOptions {
  suggestedName?: string;
  types?: { description: string; accept: Record<string, string[]> }[];
}
type SaveFilePicker = (options?: SaveFilePickerOptions) => Promise<FileSystemFileHandle>;

export interface Finished extends ExportResult {
  request: ExportRequest;
  seconds: number;
  /** The file the GGUF was written to, when it was streamed to disk. */
  savedAs?: FileSystemFileHandle;
  modelfile: string;
}

export class Exporter {
  status = $state<ExporterStatus>("idle");
  progress = $state<ExportProgress | null>(null);
  result = $state.raw<Finished | null>(null);
  error = $state<string | null>(null);
  /** A problem with the save dialog or the chosen file (shown beside the "save to disk" choice). */
  saveError = $state<string | null>(null);
  ggufUrl = $state<string | null>(null);
  loraUrl = $state<string | null>(null);
  modelfileUrl = $state<string | null>(null);
  private readonly clock = new Stopwatch();
  get elapsedMs(): number {
    return this.clock.elapsedMs;
  }

  readonly running = $derived(this.status === "running");

  private runId = 0;
  private writable: FileSystemWritableFileStream | null = null;
  private inflight: Promise<unknown> | null = null;

  /**
   * Exports `request`. With `saveToDisk` the save dialog opens first: call this straight from the click, as the
   * browser allows the dialog only during a user gesture.
   */
  async run(request: ExportRequest, saveToDisk: boolean, contextLength: number): Promise<void> {
    if (this.running) return;
    const id = ++this.runId;
    this.saveError = null;
    this.error = null;
    let handle: FileSystemFileHandle | undefined;
    if (saveToDisk) {
      try {
        const pick = (window as unknown as { showSaveFilePicker: SaveFilePicker }).showSaveFilePicker;
        handle = await pick({
          suggestedName: `${request.name}.gguf`,
          types: [{ description: "GGUF model", accept: { "application/octet-stream": [".gguf"] } }],
        });
        this.writable = await handle.createWritable();
      } catch (e) {
        if (id !== this.runId) return;
        if (e instanceof DOMException && e.name === "AbortError") return; // the user closed the dialog
        this.saveError = `Could not open a file to write (${messageOf(e)}). Choose another place, or untick “Save straight to a file” to download it instead.`;
        return;
      }
    }
    this.clearResult();
    this.progress = { tensor: "", done: 0, total: 0, bytes: 0 };
    this.status = "running";
    this.clock.start();

    const writable = this.writable;
    const write = writable
      ? Comlink.proxy(async (chunk: Uint8Array) => {
          if (id !== this.runId) throw new DOMException("Export cancelled.", "AbortError");
          await writable.write(chunk as Uint8Array<ArrayBuffer>);
        })
      : null;
    const onProgress = Comlink.proxy((p: ExportProgress) => {
      if (id === this.runId) this.progress = p;
    });
    try {
      const call = exportWorker().exportModel(request, write, onProgress);
      this.inflight = call;
      const result = await call;
      if (id !== this.runId) return;
      if (writable) await writable.close();
      this.writable = null;
      this.clock.stop();
      const text = modelfile({ gguf: `./${request.name}.gguf`, format: request.format, contextLength: Math.min(MODELFILE_CONTEXT, contextLength) });
      this.result = { ...result, request, seconds: this.elapsedMs / 1000, savedAs: handle, modelfile: text };
      if (result.blob) this.ggufUrl = URL.createObjectURL(result.blob);
      if (result.lora) this.loraUrl = URL.createObjectURL(result.lora);
      // Not text/plain: browsers would save it as "Modelfile.txt", which `ollama create -f Modelfile` does not find.
      this.modelfileUrl = URL.createObjectURL(new Blob([text], { type: "application/octet-stream" }));
      this.status = "done";
    } catch (e) {
      if (id !== this.runId) return;
      await this.dropWritable();
      this.clock.stop();
      this.error = `The export failed: ${messageOf(e)}`;
      this.status = "error";
    } finally {
      if (id === this.runId) this.inflight = null;
    }
  }

  /** Stops the export: the worker is asked to stop (and terminated if it does not), the partial file is dropped. */
  cancel(): void {
    if (!this.running) return;
    this.runId++;
    this.clock.stop();
    this.status = "cancelled";
    this.progress = null;
    void this.dropWritable();
    const inflight = this.inflight;
    this.inflight = null;
    if (!inflight) return;
    void exportWorker().cancel().catch(() => {});
    const timer = setTimeout(terminateExportWorker, CANCEL_GRACE_MS);
    const clear = () => clearTimeout(timer);
    inflight.then(clear, clear);
  }

  private async dropWritable(): Promise<void> {
    const w = this.writable;
    this.writable = null;
    await w?.abort().catch(() => {});
  }

  private clearResult(): void {
    for (const url of [this.ggufUrl, this.loraUrl, this.modelfileUrl]) if (url) URL.revokeObjectURL(url);
    this.ggufUrl = this.loraUrl = this.modelfileUrl = null;
    this.result = null;
  }

}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

export const exporter = new Exporter();
