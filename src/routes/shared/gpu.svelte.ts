// gpu.svelte.ts — what this browser offers for the engine: WebGPU or not (and why), the adapter's name, shader-f16,
// and its largest buffer. Asked once, on first use; pages show it next to the model choice.

export type GpuStatus = "checking" | "ready" | "absent";

export class GpuInfo {
  status = $state<GpuStatus>("checking");
  adapter = $state("");
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
      const a = await gpu.requestAdapter();
      if (!a) return this.absent("WebGPU is there but offered no adapter (a blocklisted GPU or driver?)");
      this.adapter = a.info?.description || a.info?.vendor || "WebGPU adapter";
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
