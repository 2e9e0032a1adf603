// worker.ts — the Export page's one export.worker.ts, started on first use and shared by the form (inspection)
// and the exporter; terminated when a cancelled export does not stop in time, and started again on next use.
import * as Comlink from "comlink";
import type { ExportWorkerApi } from "../../workers/export.worker.ts";

let worker: Worker | null = null;
let api: Comlink.Remote<ExportWorkerApi> | null = null;

export function exportWorker(): Comlink.Remote<ExportWorkerApi> {
  if (!api) {
    worker = new Worker(new URL("../../workers/export.worker.ts", import.meta.url), { type: "module", name: "export" });
    api = Comlink.wrap<ExportWorkerApi>(worker);
  }
  return api;
}

/** Stops the worker at once (whatever it is doing); the next call starts a fresh one. */
export function terminateExportWorker(): void {
  worker?.terminate();
  worker = null;
  api = null;
}
