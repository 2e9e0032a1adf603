// runner.svelte.ts — the Benchmark page's state: what this browser offers (asked of bench.worker.ts once), the run
// in progress (which backend, which stage), its reports, and the JSON to download or copy. A run goes through the
// chosen backends one after the other in one worker; Cancel terminates the worker (a kernel cannot be interrupted).
import * as Comlink from "comlink";
import { WorkerHandle } from "../shared/workerHandle.ts";
import type { PresetName } from "../../lib/bench/presets.ts";
import type { BenchReport, SuiteProgress } from "../../lib/bench/suite.ts";
import type { BenchBackend, BenchEnvironment, BenchWorkerApi } from "../../workers/bench.worker.ts";
import { benchFile, benchFileName } from "./report.ts";

export type RunStatus = "idle" | "running" | "done" | "error" | "cancelled";

export class BenchRunner {
  env = $state.raw<BenchEnvironment | null>(null);
  envError = $state<string | null>(null);
  status = $state<RunStatus>("idle");
  /** The backend running now and its last progress report. */
  backend = $state<BenchBackend | null>(null);
  progress = $state.raw<SuiteProgress | null>(null);
  reports = $state.raw<BenchReport[]>([]);
  error = $state<string | null>(null);
  /** The reports as the file that is downloaded and copied, its object URL and name. */
  json = $state("");
  jsonUrl = $state<string | null>(null);
  jsonName = $state("");

  readonly running = $derived(this.status === "running");

  private readonly worker = new WorkerHandle<BenchWorkerApi>(
    () => new Worker(new URL("../../workers/bench.worker.ts", import.meta.url), { type: "module", name: "bench" }),
  );
  private runId = 0;

  /** Asks the worker what this browser offers (once; the page calls it on mount). */
  async probe(): Promise<void> {
    if (this.env) return;
    try {
      this.env = await this.remote().environment();
    } catch (e) {
      this.envError = messageOf(e);
    }
  }

  async run(preset: PresetName, backends: BenchBackend[]): Promise<void> {
    if (this.running || backends.length === 0) return;
    const id = ++this.runId;
    this.clear();
    this.status = "running";
    const reports: BenchReport[] = [];
    try {
      for (const backend of backends) {
        this.backend = backend;
        this.progress = null;
        const onProgress = Comlink.proxy((p: SuiteProgress) => {
          if (id === this.runId) this.progress = p;
        });
        const report = await this.remote().run(preset, backend, onProgress);
        if (id !== this.runId) return;
        reports.push(report);
        this.reports = [...reports];
      }
      this.finish(reports);
      this.status = "done";
    } catch (e) {
      if (id !== this.runId) return;
      this.error = `The ${this.backend === "webgpu" ? "WebGPU" : "CPU"} run failed: ${messageOf(e)}`;
      if (reports.length > 0) this.finish(reports);
      this.status = "error";
    } finally {
      if (id === this.runId) this.backend = null;
    }
  }

  /** Stops the run at once: the worker is terminated (the next run starts a fresh one); finished reports stay. */
  cancel(): void {
    if (!this.running) return;
    this.runId++;
    this.worker.terminate();
    if (this.reports.length > 0) this.finish(this.reports);
    this.backend = null;
    this.progress = null;
    this.status = "cancelled";
  }

  private finish(reports: BenchReport[]): void {
    const file = benchFile(reports, this.env?.userAgent ?? navigator.userAgent, this.env?.crossOriginIsolated ?? globalThis.crossOriginIsolated);
    this.json = JSON.stringify(file, null, 2);
    this.jsonName = benchFileName(file);
    if (this.jsonUrl) URL.revokeObjectURL(this.jsonUrl);
    this.jsonUrl = URL.createObjectURL(new Blob([this.json], { type: "application/json" }));
  }

  private clear(): void {
    if (this.jsonUrl) URL.revokeObjectURL(this.jsonUrl);
    this.jsonUrl = null;
    this.json = "";
    this.reports = [];
    this.error = null;
    this.progress = null;
  }

  private remote(): Comlink.Remote<BenchWorkerApi> {
    return this.worker.remote;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

export const benchRunner = new BenchRunner();
