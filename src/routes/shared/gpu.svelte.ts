// gpu.svelte.ts — what this browser offers for the engine: WebGPU or not (and why), the adapter's name (and whether it
// is a software rasterizer such as SwiftShader), shader-f16, and its largest buffer. Asked once, on first use; pages
// show it next to the model choice.

import { adapterFacts, describeAdapter } from "../../lib/train/webgpu/adapter-info.ts";

export type GpuStatus = "checking" | "ready" | "absent";

export class GpuInfo {
  status = $state<GpuStatus>("checking");
  /** The adapter's name, "(software)" after it for a software rasterizer. */
  adapter = $state("");
  /** A software rasterizer (SwiftShader, llvmpipe, WARP, a fallback adapter): WebGPU there is slower than the CPU. */
  software = $state(false);
  f16 = $state(false);
  maxBufferBytes = $state(0);
  /** Why WebGPU cannot be used, in plain words (status "absent"). */
  reason = $state("");
  private asked: Promise<void> | undefined;

  /** Starts the check (once); resolves when it is done. */
  check(): Promise<void> {
    return (this.asked ??= this.probe());
  }

  private async probe(): Promise<void> {
    const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return this.absent("this browser has no WebGPU (try a recent Chrome or Edge, or enable WebGPU)");
    try {
      const a = await gpu.requestAdapter({ powerPreference: "high-performance" }); // as the engine asks (webgpu/context.ts)
      if (!a) return this.absent("WebGPU is there but offered no adapter (a blocklisted GPU or driver?)");
      const d = describeAdapter(adapterFacts(a));
      this.adapter = d.label;
      this.software = d.software;
      this.f16 = a.features.has("shader-f16");
      this.maxBufferBytes = a.limits.maxBufferSize;
      this.status = "ready";
    } catch (e) {
      this.absent(`WebGPU failed to start (${(e as Error).message})`);
    }
  }

  private absent(reason: string): void {
    this.reason = reason;
    this.status = "absent";
  }
}

export const gpuInfo = new GpuInfo();
