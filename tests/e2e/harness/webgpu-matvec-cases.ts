// webgpu-matvec-cases.ts — the GEMV cases (matmul.ts forward with N <= 8 runs matvec.wgsl) of
// tests/e2e/webgpu-kernels.test.ts, by name: shared by the test (in Node) and its harness page
// (harness/webgpu-kernels.ts), so both run exactly these. Test code only.

import { rowLayout, type WeightFormat } from "../../../src/lib/train/quant.ts";

export interface MatvecCase {
  format: WeightFormat;
  N: number; IC: number; OC: number; scale: number; seed: number;
  bias: boolean;
  /** out += (else out starts as NaN). */
  accumulate: boolean;
  /** Forced limits: a small binding limit splits the weight into row ranges; a small grid makes the grid 2-D. */
  limit?: number;
  maxGroups?: number;
  /** Binding ranges expected under `limit`. */
  ranges?: number;
  /** The kernel expected: matvec (N <= 8) or the tiled matmul (N = 9, just past it). */
  kernel: "matvec" | "matmul";
  /** The product's input made as the GEMV loads it (backend.ts MatmulInput): an RMSNorm of inp, or silu(inp) * up. */
  input?: "rmsnorm" | "swiglu";
}

const FORMATS: WeightFormat[] = ["f32", "f16", "int8", "int4"];
const ALIGN = 256; // minStorageBufferOffsetAlignment of SwiftShader (and the WebGPU default)

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The binding limit under which the (OC, IC) `format` weight splits into ranges of the fewest aligned rows, and how many. */
export function smallestSplit(format: WeightFormat, IC: number, OC: number): { limit: number; ranges: number } {
  const rowBytes = rowLayout(format, IC).words * 4;
  const step = ALIGN / gcd(rowBytes, ALIGN);
  return { limit: step * rowBytes + 100, ranges: Math.ceil(OC / step) };
}

function casesOf(format: WeightFormat, seed: number): Record<string, MatvecCase> {
  const block = format === "int8" || format === "int4";
  // IC odd for f32 / f16 (an odd f16 row ends in a half-padded word), whole 32-value blocks for int8 / int4 (3 blocks:
  // the last scale word half-padded); `wide`: more words per row than the workgroup has threads (64)
  const ic = block ? 96 : 33;
  const wide = block ? (format === "int8" ? 352 : 608) : format === "f32" ? 161 : 301;
  const f = { format, kernel: "matvec" as const };
  const split = smallestSplit(format, ic, 130);
  return {
    [`matvec ${format}: M 1, OC 1, bias, NaN-poisoned out`]: { ...f, N: 1, IC: ic, OC: 1, scale: 1, seed, bias: true, accumulate: false },
    [`matvec ${format}: M 1, OC 130, wide rows`]: { ...f, N: 1, IC: wide, OC: 130, scale: 1, seed: seed + 1, bias: false, accumulate: false },
    [`matvec ${format}: M 2, OC 37, scale, accumulate, wide rows`]: { ...f, N: 2, IC: wide, OC: 37, scale: 0.37, seed: seed + 2, bias: false, accumulate: true },
    [`matvec ${format}: M 3, OC 130, bias, scale, accumulate`]: { ...f, N: 3, IC: ic, OC: 130, scale: 1.7, seed: seed + 3, bias: true, accumulate: true },
    [`matvec ${format}: M 8, OC 37, bias, wide rows, NaN-poisoned out`]: { ...f, N: 8, IC: wide, OC: 37, scale: 1, seed: seed + 4, bias: true, accumulate: false },
    [`matvec ${format}: M 3, OC 130, weight split into binding ranges`]: {
      ...f, N: 3, IC: ic, OC: 130, scale: 0.5, seed: seed + 5, bias: true, accumulate: true, limit: split.limit, ranges: split.ranges,
    },
  };
}

export const matvecCases: Record<string, MatvecCase> = Object.assign(
  {},
  ...FORMATS.map((f, i) => casesOf(f, 100 + i * 10)),
  {
    // OC 29: 8 workgroups of 4 rows (the last with 1) in a 3 x 3 grid, one past the end
    "matvec f16: M 2, 2-D workgroup grid": { format: "f16", N: 2, IC: 33, OC: 29, scale: 1, seed: 150, bias: true, accumulate: false, maxGroups: 3, kernel: "matvec" },
    "matvec int4: M 9 is the tiled kernel's": { format: "int4", N: 9, IC: 96, OC: 37, scale: 1, seed: 151, bias: true, accumulate: false, kernel: "matmul" },
    // the input made in the GEMV's loads: a norm (its sums of squares reduced with the outputs), SwiGLU
    "matvec f32: M 1, RMSNorm input, wide rows": { format: "f32", N: 1, IC: 161, OC: 130, scale: 1, seed: 160, bias: false, accumulate: false, kernel: "matvec", input: "rmsnorm" },
    "matvec int4: M 3, RMSNorm input, bias, scale, accumulate": { format: "int4", N: 3, IC: 96, OC: 37, scale: 0.7, seed: 161, bias: true, accumulate: true, kernel: "matvec", input: "rmsnorm" },
    "matvec f16: M 8, RMSNorm input, wide rows": { format: "f16", N: 8, IC: 301, OC: 37, scale: 1, seed: 162, bias: true, accumulate: false, kernel: "matvec", input: "rmsnorm" },
    "matvec f16: M 8, SwiGLU input, wide rows": { format: "f16", N: 8, IC: 301, OC: 37, scale: 1, seed: 163, bias: false, accumulate: false, kernel: "matvec", input: "swiglu" },
    "matvec int8: M 2, SwiGLU input, weight split into binding ranges": {
      format: "int8", N: 2, IC: 96, OC: 130, scale: 1, seed: 164, bias: true, accumulate: true, kernel: "matvec", input: "swiglu",
      limit: smallestSplit("int8", 96, 130).limit, ranges: smallestSplit("int8", 96, 130).ranges,
    },
  } satisfies Record<string, MatvecCase>,
);
