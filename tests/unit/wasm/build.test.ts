// The committed WebAssembly (src/lib/train/wasm/binaries.ts) is exactly what scripts/build-wasm.mjs makes from
// wasm/kernels/*.ts with the AssemblyScript compiler from npm; and the heap's allocator reuses what it frees.

import { describe, expect, it } from "vitest";
import { HEAP_BASE, WasmHeap, sizeClass } from "../../../src/lib/train/wasm/heap.ts";
import { RELAXED_WASM, SIMD_WASM } from "../../../src/lib/train/wasm/binaries.ts";

describe("WebAssembly kernels build", () => {
  it("rebuilds to the committed bytes", async () => {
    const { render } = await import("../../../scripts/build-wasm.mjs");
    const fresh: string = await render();
    const { readFileSync } = await import("node:fs");
    expect(fresh === readFileSync(new URL("../../../src/lib/train/wasm/binaries.ts", import.meta.url), "utf8")).toBe(true);
  }, 60_000);

  it("each build only imports the memory, and instantiating it again (each thread does) leaves the heap's blocks alone", () => {
    for (const b64 of [SIMD_WASM, RELAXED_WASM]) {
      if (!WebAssembly.validate(Buffer.from(b64, "base64"))) continue; // relaxed SIMD: Node 20 only behind a flag
      const mod = new WebAssembly.Module(Buffer.from(b64, "base64"));
      expect(WebAssembly.Module.imports(mod)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
      expect(WebAssembly.Module.exports(mod).map((e) => e.name)).toContain("gemm_nt");
      // its constant tables (exp, log) are data segments below HEAP_BASE, written again by every instantiation
      const heap = WasmHeap.create(1 << 20)!;
      const block = heap.f32(HEAP_BASE / 4)!;
      expect(block.byteOffset).toBe(HEAP_BASE);
      block.fill(-7);
      new WebAssembly.Instance(mod, { env: { memory: heap.memory } });
      expect(block.every((x) => x === -7)).toBe(true);
      expect(new Uint8Array(heap.memory.buffer, 0, HEAP_BASE).some((x) => x !== 0)).toBe(true);
    }
  });
});

describe("WasmHeap", () => {
  it("size classes waste at most an eighth", () => {
    for (const b of [1, 64, 65, 4096, 4097, 100_000, 3_538_944]) {
      const c = sizeClass(b);
      expect(c).toBeGreaterThanOrEqual(b);
      expect(c % 64).toBe(0);
      if (b > 4096) expect(c / b).toBeLessThanOrEqual(1.125 + 1e-9);
    }
  });

  it("hands out aligned, disjoint views; a freed block is reused by its class; growth keeps old views valid", () => {
    const heap = WasmHeap.create(1 << 16)!;
    const a = heap.f32(100)!, b = heap.f32(100)!;
    expect(a.byteOffset % 64).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 400);
    a.fill(1);
    const big = heap.f32(1 << 20)!; // grows the memory
    big.fill(2);
    expect(a[99]).toBe(1);
    expect(heap.owns(a) && heap.owns(big) && heap.owns(a.subarray(3))).toBe(true);
    expect(heap.owns(new Float32Array(4))).toBe(false);
    const at = a.byteOffset;
    heap.free(a);
    expect(heap.f32(110)!.byteOffset).toBe(at); // 440 bytes: the same class as 400
  });
});
