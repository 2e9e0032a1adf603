// webgpu-quant-cases.ts — the matmul cases of tests/e2e/webgpu-quant.test.ts, by name: shared by the test (in Node)
// and its harness page (harness/webgpu-quant.ts), so both run exactly these. Test code only.

import { rowLayout, type WeightFormat } from "../../../src/lib/train/quant.ts";

export interface Case {
  format: Exclude<WeightFormat, "f32">;
  /** identity: the forward of the (IC, IC) identity, whose output is the dequantized W^T exactly. */
  pass: "forward" | "backward" | "identity";
  N: number; IC: number; OC: number; scale: number;
  /** forward: a bias; backward: a dbias. */
  bias: boolean;
  /** forward only: out += (else out starts as NaN). */
  accumulate?: boolean;
  /** Rows per binding range forced by a small maxStorageBufferBindingSize. */
  splitRows?: number;
}

const FORMATS = ["f16", "int8", "int4"] as const;

function casesOf(format: Case["format"]): Record<string, Case> {
  const odd = format === "f16" ? 33 : 96; // f16 takes any row; blocks need multiples of 32
  const f = { format };
  return {
    [`${format} dequantized values, bit for bit (forward of the identity)`]: { ...f, pass: "identity", N: odd, IC: odd, OC: 37, scale: 1, bias: false },
    [`${format} forward: odd sizes, bias, NaN-poisoned out`]: { ...f, pass: "forward", N: 7, IC: odd, OC: 37, scale: 1, bias: true },
    [`${format} forward: scale, accumulate, several tiles`]: { ...f, pass: "forward", N: 37, IC: odd + 32, OC: 45, scale: 0.37, bias: false, accumulate: true },
    [`${format} forward: one row (decoding)`]: { ...f, pass: "forward", N: 1, IC: 64, OC: 300, scale: 1, bias: false },
    [`${format} forward: weight split into binding ranges`]: { ...f, pass: "forward", N: 5, IC: 256, OC: 200, scale: 0.5, bias: true, splitRows: 48 },
    [`${format} backward: dinp and dbias`]: { ...f, pass: "backward", N: 7, IC: odd, OC: 37, scale: 0.7, bias: true },
    [`${format} backward: dinp, several tiles`]: { ...f, pass: "backward", N: 40, IC: odd + 32, OC: 50, scale: 1, bias: false },
    [`${format} backward: weight split into binding ranges`]: { ...f, pass: "backward", N: 5, IC: 256, OC: 200, scale: 2, bias: false, splitRows: 48 },
  };
}

export const cases: Record<string, Case> = Object.assign({}, ...FORMATS.map(casesOf));

/** The binding limit under which an (OC, IC) `format` weight splits into ranges of `rows` (see matmul.ts rowRanges). */
export function splitLimit(format: WeightFormat, IC: number, rows: number): number {
  return rows * rowLayout(format, IC).words * 4 + 100;
}
