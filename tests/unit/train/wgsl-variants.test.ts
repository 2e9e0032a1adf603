// wgsl-variants.test.ts — the feature blocks of a kernel text (src/lib/train/webgpu/wgsl-variants.ts): each variant
// keeps its lines and only those, line numbers stay the file's, the enable directive comes only with a used feature,
// and malformed blocks are errors naming the line. The kernels' own variants compile and run in
// tests/e2e/webgpu-kernels.test.ts.

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { hasVariants, variantText } from "../../../src/lib/train/webgpu/wgsl-variants.ts";
import { CLASSIFIER_FORWARD_WGSL } from "../../../src/lib/train/webgpu/kernels/classifier.ts";
import { OPTIM_WGSL } from "../../../src/lib/train/webgpu/kernels/optim.ts";
import { RMSNORM_WGSL } from "../../../src/lib/train/webgpu/kernels/rmsnorm.ts";

const ON = { SUBGROUPS: true };
const OFF = { SUBGROUPS: false };
const TEXT = ["// k", "a", "#if SUBGROUPS", "b", "#else", "c", "#endif", "d"].join("\n");

describe("WGSL feature blocks", () => {
  test("each variant keeps its own lines, in place", () => {
    expect(variantText(TEXT, ON).split("\n")).toEqual(["enable subgroups; // k", "a", "", "b", "", "", "", "d"]);
    expect(variantText(TEXT, OFF).split("\n")).toEqual(["// k", "a", "", "", "", "c", "", "d"]);
  });

  test("blocks nest; a feature only inside a dropped block enables nothing", () => {
    const nested = ["x", "#if SUBGROUPS", "#if SUBGROUPS", "y", "#endif", "#else", "z", "#endif"].join("\n");
    expect(variantText(nested, ON)).toBe("enable subgroups; x\n\n\ny\n\n\n\n");
    expect(variantText(nested, OFF)).toBe("x\n\n\n\n\n\nz\n");
    expect(variantText("a\nb", ON)).toBe("a\nb");
  });

  test("malformed blocks name their line", () => {
    expect(() => variantText("a\n#if F16\nb\n#endif", ON, "k.wgsl")).toThrow(/k\.wgsl:2: #if of an unknown feature "F16"/);
    expect(() => variantText("a\n#if toString\n#endif", ON, "k.wgsl")).toThrow(/unknown feature/);
    expect(() => variantText("a\n#if SUBGROUPS\nb", ON, "k.wgsl")).toThrow(/k\.wgsl:2: #if without #endif/);
    expect(() => variantText("a\n#endif", ON, "k.wgsl")).toThrow(/k\.wgsl:2: #endif without an open #if/);
    expect(() => variantText("#if SUBGROUPS\n#else\n#else\n#endif", ON, "k.wgsl")).toThrow(/k\.wgsl:3: a second #else for the #if of line 1/);
  });

  test("the GEMV and the reductions have both variants, each without the other's lines; the kernels that reduce take them", () => {
    for (const file of ["matvec.wgsl", "reduce.wgsl"]) {
      const code = readFileSync(new URL(`../../../src/lib/train/webgpu/kernels/${file}`, import.meta.url), "utf8");
      expect(hasVariants(code), file).toBe(true);
      const on = variantText(code, ON, file);
      const off = variantText(code, OFF, file);
      expect(on.split("\n").length).toBe(code.split("\n").length);
      expect(on).toMatch(/subgroupAdd/);
      expect(on.startsWith("enable subgroups;")).toBe(true);
      const codeOnly = (t: string) => t.split("\n").map((l) => l.replace(/\/\/.*/, "")).join("\n"); // comments dropped
      expect(codeOnly(off)).not.toMatch(/subgroup/);
      expect(off).not.toMatch(/^\s*#/m);
      expect(on).not.toMatch(/^\s*#/m);
    }
    for (const [name, code] of Object.entries({ RMSNORM_WGSL, OPTIM_WGSL, CLASSIFIER_FORWARD_WGSL })) {
      expect(hasVariants(code), name).toBe(true);
      expect(variantText(code, ON, name), name).toMatch(/subgroupMax/);
    }
  });
});
