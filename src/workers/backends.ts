// Choosing the engine's backend inside a worker: WebGPU when it is there (and asked for), else the CPU backend on
// every core the page may use (threads need cross-origin isolation), with the reason for the choice.

import type { WeightFormat } from "../lib/train/quant.ts";
import type { Backend } from "../lib/train/backend.ts";
import { CpuBackend } from "../lib/train/cpu/index.ts";
import { adapterFacts, describeAdapter } from "../lib/train/webgpu/adapter-info.ts";
import type { WebGpuBackend } from "../lib/train/webgpu/backend.ts";

export type BackendChoice = "auto" | "webgpu" | "cpu";

export interface ChosenBackend {
  be: Backend<unknown, unknown>;
  kind: "webgpu" | "cpu";
  /** Why, in plain words (shown to the user when WebGPU was wanted but is not used). */
  note: string;
}

export async function createBackend(choice: BackendChoice): Promise<ChosenBackend> {
  if (choice !== "cpu") {
    try {
      const { WebGpuBackend } = await import("../lib/train/webgpu/backend.ts");
      const be = await WebGpuBackend.create();
      const f16 = be.ctx.hasF16 ? "with shader-f16" : "without shader-f16";
      const adapter = describeAdapter(adapterFacts(be.ctx.adapter));
      const what = `${adapter.name}${adapter.software ? ", software" : ""}, ${f16}`;
      return { be: be as unknown as Backend<unknown, unknown>, kind: "webgpu", note: `WebGPU (${what})` };
    } catch (e) {
      if (choice === "webgpu") throw e;
      const why = (e as { reason?: string }).reason ?? (e as Error).message;
      return cpu(`WebGPU is not available here (${why}); running on the CPU instead`);
    }
  }
  return cpu("the CPU backend was chosen");
}

async function cpu(note: string): Promise<ChosenBackend> {
  const threads = globalThis.crossOriginIsolated ? Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1) : 1;
  const be = new CpuBackend("f32", { threads });
  await be.ready();
  const kernels = be.wasm ? "WebAssembly SIMD" : "TypeScript kernels";
  return { be: be as unknown as Backend<unknown, unknown>, kind: "cpu", note: `${note} (${kernels}, ${be.threads} thread${be.threads === 1 ? "" : "s"})` };
}

/**
 * For tests and diagnostics only: destroys the backend's WebGPU device, as a driver reset or a GPU process crash
 * would lose it. Work in flight then fails with GpuUnavailableError. Returns false for the CPU backend.
 */
export function loseDevice(chosen: ChosenBackend): boolean {
  if (chosen.kind !== "webgpu") return false;
  (chosen.be as unknown as WebGpuBackend).ctx.device.destroy();
  return true;
}

/** Frees what the backend holds: the GPU device, or the CPU backend's thread pool. */
export async function disposeBackend(chosen: ChosenBackend): Promise<void> {
  if (chosen.kind === "webgpu") (chosen.be as unknown as WebGpuBackend).ctx.destroy();
  else await (chosen.be as unknown as CpuBackend).dispose();
}

/**
 * How to store the frozen block linears when the job does not say: f16 on a GPU with shader-f16 (half the memory, an
 * error well under LoRA's noise: webgpu-quant.test.ts), else f32. int8 and int4 are the user's choice.
 */
export function defaultWeights(chosen: ChosenBackend, asked?: WeightFormat | "auto"): WeightFormat {
  if (asked && asked !== "auto") return asked;
  const ctx = (chosen.be as { ctx?: { hasF16?: boolean } }).ctx;
  return chosen.kind === "webgpu" && ctx?.hasF16 ? "f16" : "f32";
}
