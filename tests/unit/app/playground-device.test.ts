// The Playground's device: a software WebGPU adapter (SwiftShader) is named as such, and without a choice the CPU is
// the default on it, without WebGPU, or once the GPU has measured slower; the choice and the times survive a reload.
import { describe, expect, test } from "vitest";
import { describeAdapter } from "../../../src/lib/train/webgpu/adapter-info.ts";
import {
  cpuReason, deviceFor, DEVICE_KEY, emptyMemory, forAdapter, KEEP_SAMPLES, loadMemory, median, MIN_SAMPLES, parseMemory, saveMemory, withSample,
  type DeviceMemory,
} from "../../../src/routes/playground/device.ts";

describe("describeAdapter", () => {
  test("SwiftShader as headless Chromium reports it (no description, fallback adapter) is named, and software", () => {
    expect(describeAdapter({ vendor: "google", architecture: "swiftshader", device: "", description: "", isFallbackAdapter: true }))
      .toEqual({ name: "SwiftShader", software: true, label: "SwiftShader (software)" });
  });
  test("other software rasterizers, by name or by the fallback flag alone", () => {
    expect(describeAdapter({ vendor: "mesa", architecture: "", description: "llvmpipe (LLVM 15.0.6, 256 bits)" }).software).toBe(true);
    expect(describeAdapter({ vendor: "microsoft", description: "Microsoft Basic Render Driver" }).label).toBe("Microsoft Basic Render Driver (software)");
    expect(describeAdapter({ vendor: "acme", architecture: "x1", isFallbackAdapter: true })).toEqual({ name: "acme x1", software: true, label: "acme x1 (software)" });
  });
  test("a hardware GPU keeps its name and is not software", () => {
    expect(describeAdapter({ vendor: "nvidia", architecture: "ada", description: "NVIDIA GeForce RTX 4070", isFallbackAdapter: false }))
      .toEqual({ name: "NVIDIA GeForce RTX 4070", software: false, label: "NVIDIA GeForce RTX 4070" });
    expect(describeAdapter({ vendor: "apple", architecture: "metal-3" }).label).toBe("apple metal-3");
    expect(describeAdapter({}).label).toBe("WebGPU adapter");
  });
});

const HARDWARE = { ready: true, software: false };
const times = (m: DeviceMemory, device: "cpu" | "gpu", ...ms: number[]) => ms.reduce((acc, x) => withSample(acc, device, x), m);

describe("the default device", () => {
  test("the CPU without WebGPU and on a software adapter; the GPU on a hardware one", () => {
    expect(deviceFor({ ready: false, software: false }, emptyMemory())).toBe("cpu");
    expect(cpuReason({ ready: false, software: false }, emptyMemory())).toBe("no-gpu");
    expect(deviceFor({ ready: true, software: true }, emptyMemory())).toBe("cpu");
    expect(cpuReason({ ready: true, software: true }, emptyMemory())).toBe("software");
    expect(deviceFor(HARDWARE, emptyMemory())).toBe("gpu");
    expect(cpuReason(HARDWARE, emptyMemory())).toBeNull();
  });
  test("the CPU once the GPU's median is measured slower than the CPU's (after MIN_SAMPLES each)", () => {
    let m = times(emptyMemory(), "gpu", 90, 80, 85);
    m = times(m, "cpu", 40, 50);
    expect(deviceFor(HARDWARE, m)).toBe("gpu"); // the CPU has too few times yet
    m = times(m, "cpu", 45);
    expect(deviceFor(HARDWARE, m)).toBe("cpu");
    expect(cpuReason(HARDWARE, m)).toBe("slower");
    expect(deviceFor(HARDWARE, times(emptyMemory(), "cpu", 90, 80, 85, 100))).toBe("gpu"); // only the CPU measured
  });
  test("the user's choice wins, but not the GPU where there is none", () => {
    expect(deviceFor({ ready: true, software: true }, { ...emptyMemory(), chosen: "gpu" })).toBe("gpu");
    expect(deviceFor(HARDWARE, { ...emptyMemory(), chosen: "cpu" })).toBe("cpu");
    expect(deviceFor({ ready: false, software: false }, { ...emptyMemory(), chosen: "gpu" })).toBe("cpu");
  });
});

describe("measured times", () => {
  test("the median needs MIN_SAMPLES times; odd and even counts", () => {
    expect(MIN_SAMPLES).toBe(3);
    expect(median([5, 1])).toBeUndefined();
    expect(median([30, 10, 20])).toBe(20);
    expect(median([40, 10, 30, 20])).toBe(25);
  });
  test("only the latest KEEP_SAMPLES are kept; the GPU's are dropped for another adapter", () => {
    const m = times(emptyMemory(), "cpu", ...Array.from({ length: KEEP_SAMPLES + 5 }, (_, i) => i));
    expect(m.ms.cpu).toHaveLength(KEEP_SAMPLES);
    expect(m.ms.cpu.at(-1)).toBe(KEEP_SAMPLES + 4);
    const onA = times(forAdapter(emptyMemory(), "A"), "gpu", 1, 2, 3);
    expect(forAdapter(onA, "A")).toBe(onA);
    expect(forAdapter(onA, "B").ms.gpu).toEqual([]);
  });
});

describe("kept across reloads", () => {
  test("saved and read back; garbled or foreign values fall back to nothing chosen", () => {
    const data = new Map<string, string>();
    const store = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
    expect(loadMemory(store)).toEqual(emptyMemory());
    const m = times({ ...forAdapter(emptyMemory(), "SwiftShader (software)"), chosen: "gpu" }, "gpu", 2000, 2100, 1900);
    saveMemory(m, store);
    expect(data.has(DEVICE_KEY)).toBe(true);
    expect(loadMemory(store)).toEqual(m);
    data.set(DEVICE_KEY, "{not json");
    expect(loadMemory(store)).toEqual(emptyMemory());
    expect(parseMemory({ chosen: "tpu", adapter: 3, ms: { cpu: [1, "x", -1, NaN, 2], gpu: "no" } })).toEqual({ chosen: null, adapter: "", ms: { cpu: [1, 2], gpu: [] } });
  });
});
