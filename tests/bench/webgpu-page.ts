// Harness for tests/bench/webgpu-run.ts: runs the benchmark suite (src/lib/bench/suite.ts) on a fresh WebGPU backend
// or on the CPU backend (this page's main thread: one thread), logging each stage to the console; and the dispatch and
// byte counts of webgpu-counts.ts.

import type { PresetName } from "../../src/lib/bench/presets.ts";
import { runSuite, type BenchReport } from "../../src/lib/bench/suite.ts";
import type { Backend } from "../../src/lib/train/backend.ts";
import { CpuBackend } from "../../src/lib/train/cpu/index.ts";
import { WebGpuBackend } from "../../src/lib/train/webgpu/backend.ts";
import { countSmolLm } from "./webgpu-counts.ts";

async function run(preset: PresetName, backend: "webgpu" | "cpu"): Promise<BenchReport> {
  const gpu = backend === "webgpu" ? await WebGpuBackend.create() : null;
  const be = (gpu ?? new CpuBackend()) as unknown as Backend<unknown, unknown>;
  try {
    return await runSuite(be, preset, (p) => console.log(`${backend} ${p.done}/${p.total} ${p.stage}`));
  } finally {
    gpu?.ctx.destroy();
  }
}

Object.assign(window, { benchHarness: { run, counts: () => countSmolLm((s) => console.log(s)) } });
