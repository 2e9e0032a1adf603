// The relaxed-SIMD build (fused multiply-add) where the runtime has it: Node 20 validates it only behind
// --experimental-wasm-relaxed-simd, so a child Node runs relaxed-run.ts with that flag; there the backend picks the
// relaxed build when asked, its matmul matches float64, and its fused rounding gives other bits than the plain
// build's (so the relaxed path really ran). Where the runtime lacks it the backend falls back to the plain build
// (tested here, in this Node).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { kernelModule } from "../../../src/lib/train/wasm/kernels.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("relaxed-SIMD build", () => {
  it("with the runtime's relaxed SIMD: chosen when asked, matches float64, differs from the plain build's bits", () => {
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", "tests/unit/wasm/relaxed-run.ts"], { cwd: root });
    const r = JSON.parse(out.toString().trim().split("\n").pop()!);
    expect(r.relaxedBuild).toBe("relaxed");
    expect(r.simdBuild).toBe("simd");
    expect(r.maxRelErr).toBeLessThan(1e-5);
    expect(r.differFromSimd).toBeGreaterThan(0);
  }, 60_000);

  it("without it: asking for relaxed falls back to the plain SIMD build", () => {
    if (kernelModule("relaxed")) return; // this runtime has relaxed SIMD: nothing to fall back from
    expect(new CpuBackend("f32", { wasm: "relaxed" }).wasm?.build).toBe("simd");
  });
});
