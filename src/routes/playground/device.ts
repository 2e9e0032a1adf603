// device.ts — where the Playground's model runs, CPU or GPU: the user's choice (kept in localStorage), each device's
// measured time per suggestion, and the default without a choice: the CPU when there is no WebGPU, when the adapter is
// a software rasterizer (SwiftShader: seconds per suggestion), or when the GPU has measured slower than the CPU here.

import { readStored, writeStored, type Store } from "../shared/stored.ts";

export type Device = "cpu" | "gpu";
export const DEVICES: readonly Device[] = ["cpu", "gpu"];

/** Suggestions a device must have answered before its median is shown and compared. */
export const MIN_SAMPLES = 3;
/** The most recent times kept per device. */
export const KEEP_SAMPLES = 25;
export const DEVICE_KEY = "fim-studio.playground-device";

export interface DeviceMemory {
  /** What the user picked; null: the default decides. */
  chosen: Device | null;
  /** The GPU adapter the GPU's times were measured on (times on another adapter do not count). */
  adapter: string;
  /** Milliseconds per suggestion (the model's time in the worker), the latest last. */
  ms: Record<Device, number[]>;
}

export const emptyMemory = (): DeviceMemory => ({ chosen: null, adapter: "", ms: { cpu: [], gpu: [] } });

/** The memory in `raw` (parsed JSON); anything that does not fit falls back to nothing chosen, nothing measured. */
export function parseMemory(raw: unknown): DeviceMemory {
  const out = emptyMemory();
  if (typeof raw !== "object" || raw === null) return out;
  const r = raw as Partial<Record<keyof DeviceMemory, unknown>>;
  if (DEVICES.includes(r.chosen as Device)) out.chosen = r.chosen as Device;
  if (typeof r.adapter === "string") out.adapter = r.adapter;
  const ms = (typeof r.ms === "object" && r.ms !== null ? r.ms : {}) as Record<string, unknown>;
  for (const d of DEVICES) {
    const xs = ms[d];
    if (Array.isArray(xs)) out.ms[d] = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0).slice(-KEEP_SAMPLES);
  }
  return out;
}

/** The memory with one more time for `device`. */
export function withSample(m: DeviceMemory, device: Device, ms: number): DeviceMemory {
  return { ...m, ms: { ...m.ms, [device]: [...m.ms[device], ms].slice(-KEEP_SAMPLES) } };
}

/** The memory for GPU adapter `adapter`: the GPU's times are dropped when they were measured on another one. */
export function forAdapter(m: DeviceMemory, adapter: string): DeviceMemory {
  return m.adapter === adapter ? m : { ...m, adapter, ms: { ...m.ms, gpu: [] } };
}

/** The median of `xs`, or undefined with fewer than MIN_SAMPLES of them. */
export function median(xs: readonly number[]): number | undefined {
  if (xs.length < MIN_SAMPLES) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

export interface GpuFacts {
  /** WebGPU offered an adapter. */
  ready: boolean;
  /** It is a software rasterizer. */
  software: boolean;
}

/** Why the default is the CPU, or null when it is the GPU. */
export function cpuReason(gpu: GpuFacts, m: DeviceMemory): "no-gpu" | "software" | "slower" | null {
  if (!gpu.ready) return "no-gpu";
  if (gpu.software) return "software";
  const [cpu, gpuMs] = [median(m.ms.cpu), median(m.ms.gpu)];
  return cpu !== undefined && gpuMs !== undefined && gpuMs > cpu ? "slower" : null;
}

/** The device to run on: the user's choice (the GPU only when there is one), else the default. */
export function deviceFor(gpu: GpuFacts, m: DeviceMemory): Device {
  if (m.chosen === "cpu" || (m.chosen === "gpu" && gpu.ready)) return m.chosen;
  return cpuReason(gpu, m) === null ? "gpu" : "cpu";
}

export function loadMemory(store?: Store): DeviceMemory {
  return readStored(DEVICE_KEY, parseMemory, store);
}

export function saveMemory(m: DeviceMemory, store?: Store): void {
  writeStored(DEVICE_KEY, m, store);
}
