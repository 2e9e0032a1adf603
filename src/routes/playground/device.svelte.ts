// device.svelte.ts — the Playground's device as page state: the choice and the measured times (device.ts) kept in
// localStorage, the GPU adapter from gpu.svelte.ts, and the backend the inference worker is asked for.

import { gpuInfo } from "../shared/gpu.svelte.ts";
import type { BackendChoice } from "../../workers/backends.ts";
import { cpuReason, deviceFor, forAdapter, loadMemory, median, saveMemory, withSample, type Device, type DeviceMemory } from "./device.ts";

export class PlaygroundDevice {
  private memory = $state.raw(loadMemory());

  /** Whether WebGPU has been asked yet (until then the device is not known). */
  readonly settled = $derived(gpuInfo.status !== "checking");
  private readonly gpu = $derived({ ready: gpuInfo.status === "ready", software: gpuInfo.software });
  private readonly mine = $derived(forAdapter(this.memory, gpuInfo.adapter));
  /** Where the model runs now. */
  readonly device: Device = $derived(deviceFor(this.gpu, this.mine));
  /** The user's own choice, or null while the default decides. */
  readonly chosen = $derived(this.mine.chosen);
  /** Why the default is the CPU ("no-gpu", "software", "slower"), or null. */
  readonly cpuReason = $derived(cpuReason(this.gpu, this.mine));
  /** Median milliseconds per suggestion and how many were measured, per device (median undefined until enough). */
  readonly measured = $derived({
    cpu: { median: median(this.mine.ms.cpu), count: this.mine.ms.cpu.length },
    gpu: { median: median(this.mine.ms.gpu), count: this.mine.ms.gpu.length },
  });
  /** What the inference worker is asked for: "auto" for the GPU (the CPU, and why, if WebGPU fails to start). */
  readonly backend: BackendChoice = $derived(this.device === "gpu" ? "auto" : "cpu");

  choose(d: Device): void {
    this.update({ ...this.mine, chosen: d });
  }

  /** One suggestion's time on the backend that ran it. */
  record(backend: "webgpu" | "cpu", ms: number): void {
    this.update(withSample(this.mine, backend === "webgpu" ? "gpu" : "cpu", ms));
  }

  private update(m: DeviceMemory): void {
    this.memory = m;
    saveMemory(m);
  }
}

export const playgroundDevice = new PlaygroundDevice();
