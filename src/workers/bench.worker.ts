// bench.worker.ts — the benchmark suite (src/lib/bench/suite.ts) off the main thread (Comlink), so the Benchmark page
// stays responsive while kernels run. Each run gets a fresh backend (WebGPU or CPU, src/workers/backends.ts) that
// is released afterwards. Also reports what this browser offers (WebGPU adapter, shader-f16, CPU threads).
// Not here: the page state (src/routes/benchmark/runner.svelte.ts), the suite itself.
/// <reference lib="webworker" />
import * as Comlink from "comlink";
import type { PresetName } from "../lib/bench/presets.ts";
import { backendInfo, runSuite, type BackendInfo, type BenchReport, type SuiteProgress } from "../lib/bench/suite.ts";
import { createBackend, disposeBackend } from "./backends.ts";

export type BenchBackend = "webgpu" | "cpu";

export interface BenchEnvironment {
  /** The WebGPU adapter, or null with the reason when there is none. */
  webgpu: BackendInfo | null;
  webgpuProblem: string | null;
  cpu: BackendInfo;
  crossOriginIsolated: boolean;
  userAgent: string;
}

const api = {
  async environment(): Promise<BenchEnvironment> {
    let webgpu: BackendInfo | null = null;
    let webgpuProblem: string | null = null;
    try {
      const gpu = await createBackend("webgpu");
      webgpu = backendInfo(gpu.be);
      await disposeBackend(gpu);
    } catch (e) {
      webgpuProblem = e instanceof Error ? e.message : String(e);
    }
    const chosen = await createBackend("cpu");
    const cpu = backendInfo(chosen.be);
    await disposeBackend(chosen);
    return { webgpu, webgpuProblem, cpu, crossOriginIsolated: globalThis.crossOriginIsolated, userAgent: navigator.userAgent };
  },

  async run(preset: PresetName, backend: BenchBackend, onProgress: (p: SuiteProgress) => void): Promise<BenchReport> {
    const chosen = await createBackend(backend);
    try {
      return await runSuite(chosen.be, preset, (p) => void Promise.resolve(onProgress(p)).catch(() => {}));
    } finally {
      await disposeBackend(chosen);
    }
  },
};

export type BenchWorkerApi = typeof api;

Comlink.expose(api);
