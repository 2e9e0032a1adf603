// webgpu-gemm-cases.ts — the GEMM cases (matmul.wgsl main, through matmul.ts forward / backward / gemm) of
// tests/e2e/webgpu-kernels.test.ts, by name: shared by the test (in Node) and its harness page
// (harness/webgpu-kernels.ts), so both run exactly these. Sizes that are not multiples of 4 (scalar loads at the edges)
// next to aligned ones (vec4 loads), several workgroup tiles and K steps, each of the three products, accumulation,
// every packed weight format, weights split into binding ranges (ranges starting off a 4-float boundary too), and a
// non-default tile through the pipeline overrides. Test code only.

import type { WeightFormat } from "../../../src/lib/train/quant.ts";
import { type GemmTile, tileFor } from "../../../src/lib/train/webgpu/kernels/matmul.ts";
import { splitLimit } from "./webgpu-quant-cases.ts";

export interface GemmCase {
  /** forward: out (+)= scale * inp @ W^T + bias; dinp, dweight: that gradient alone (+=); backward: dinp, dweight, dbias. */
  product: "forward" | "dinp" | "dweight" | "backward";
  format: WeightFormat;
  N: number; IC: number; OC: number; scale: number; seed: number;
  /** forward: with a bias. */
  bias?: boolean;
  /** forward: out += (else out starts as NaN). */
  accumulate?: boolean;
  /** A forced small binding limit splits the weight into row ranges, this many. */
  limit?: number;
  ranges?: number;
  /** Tile overrides: the case calls matmul.ts gemm() itself with them (matmul.ts's forward / backward use tileFor(M)). */
  tile?: GemmTile;
}

/** The outputs a case compares. */
export function gemmOutputs(c: GemmCase): string[] {
  return c.product === "backward" ? ["dinp", "dweight", "dbias"] : [c.product === "forward" ? "out" : c.product];
}

/** The prefix of every pipeline label a case dispatches: the GEMM with its tile (or the column sum of dbias). */
export function gemmKernel(c: GemmCase): string {
  const t = c.tile ?? tileFor(c.product === "dweight" ? c.OC : c.N);
  return c.product === "backward" ? "matmul:" : `matmul:TILE_M=${t.TILE_M},TILE_N=${t.TILE_N},TILE_K=${t.TILE_K},`;
}

const odd = { N: 37, IC: 29, OC: 53 }; // no multiple of 4 or of a tile
const SMALL_TILE = { TILE_M: 8, TILE_N: 32, TILE_K: 32 }; // 16 threads, each loading 5 of the 80 blocks of a K step

function packed(format: Exclude<WeightFormat, "f32">, seed: number): Record<string, GemmCase> {
  // f16 rows of odd length (the last word half padding); int8 / int4 rows of whole 32-value blocks (3: the last scale
  // word half padding)
  const IC = format === "f16" ? 29 : 96;
  const f = { format, N: 37, IC, OC: 53 };
  // ranges of 64 rows; N 9 (just past the GEMV) keeps the input and output within the forced limit
  const limit = splitLimit(format, IC, 64);
  return {
    [`gemm ${format} forward: N 37, OC 53, bias, scale, accumulate`]: { ...f, product: "forward", scale: 0.37, seed, bias: true, accumulate: true },
    [`gemm ${format} dinp: N 37, OC 53`]: { ...f, product: "dinp", scale: 1.3, seed: seed + 1 },
    [`gemm ${format} forward: weight split into binding ranges, NaN-poisoned out`]: {
      ...f, product: "forward", N: 9, OC: 100, scale: 1, seed: seed + 2, bias: true, limit, ranges: 2,
    },
  };
}

export const gemmCases: Record<string, GemmCase> = {
  "gemm f32 forward: M 37, K 29, N 53, bias, NaN-poisoned out": { ...odd, product: "forward", format: "f32", scale: 1, seed: 200, bias: true },
  "gemm f32 forward: scale, accumulate, no bias": { ...odd, product: "forward", format: "f32", scale: 0.37, seed: 201, accumulate: true },
  "gemm f32 forward: aligned sizes (vec4 loads), bias, accumulate": {
    product: "forward", format: "f32", N: 36, IC: 64, OC: 68, scale: 1.7, seed: 202, bias: true, accumulate: true,
  },
  "gemm f32 forward: 3 x 2 workgroup tiles, 3 K steps": { product: "forward", format: "f32", N: 130, IC: 45, OC: 70, scale: 1, seed: 203, bias: true },
  "gemm f32 dinp: M 37, K 53, N 29": { ...odd, product: "dinp", format: "f32", scale: 0.7, seed: 204 },
  "gemm f32 dweight: M 53, K 37, N 29": { ...odd, product: "dweight", format: "f32", scale: 0.7, seed: 205 },
  "gemm f32 backward: odd sizes": { ...odd, product: "backward", format: "f32", scale: 1.3, seed: 206 },
  "gemm f32 backward: aligned sizes, several tiles": { product: "backward", format: "f32", N: 68, IC: 72, OC: 132, scale: 1, seed: 207 },
  // ranges of 6 rows (a multiple of 2 for 256-byte aligned offsets of 128-byte rows): dout's columns o0 = 6, 18, 30
  // start off a 4-float boundary (scalar loads of A); 6 ranges for dinp, 6 for dweight
  "gemm f32 backward: weight split into ranges of 6 rows": {
    product: "backward", format: "f32", N: 6, IC: 32, OC: 36, scale: 2, seed: 208, limit: splitLimit("f32", 32, 6), ranges: 12,
  },
  "gemm f32 forward, tile 8 x 32 x 32 (overrides)": { ...odd, product: "forward", format: "f32", scale: 0.5, seed: 209, bias: true, accumulate: true, tile: SMALL_TILE },
  "gemm f32 dinp, tile 8 x 32 x 32 (overrides)": { ...odd, product: "dinp", format: "f32", scale: 0.5, seed: 210, tile: SMALL_TILE },
  "gemm f32 dweight, tile 8 x 32 x 32 (overrides)": { ...odd, product: "dweight", format: "f32", scale: 0.5, seed: 211, tile: SMALL_TILE },
  // products of at most 16 rows run the few-rows tile (16 x 128): several column tiles, odd sizes, each product
  "gemm f32 forward: 16 rows, the few-rows tile, 3 column tiles": { product: "forward", format: "f32", N: 16, IC: 45, OC: 300, scale: 0.8, seed: 213, bias: true, accumulate: true },
  "gemm f32 backward: 13 rows (few-rows tile for dinp), OC 270": { product: "backward", format: "f32", N: 13, IC: 131, OC: 270, scale: 1.1, seed: 214 },
  "gemm f32 dweight: OC 11 (few-rows tile)": { product: "dweight", format: "f32", N: 37, IC: 150, OC: 11, scale: 0.9, seed: 215 },
  "gemm int4 forward: 12 rows, the few-rows tile": { product: "forward", format: "int4", N: 12, IC: 96, OC: 140, scale: 1, seed: 216, bias: true },
  "gemm int8 forward, tile 8 x 32 x 32 (overrides)": {
    product: "forward", format: "int8", N: 37, IC: 96, OC: 53, scale: 1, seed: 212, bias: true, tile: SMALL_TILE,
  },
  ...packed("f16", 220),
  ...packed("int8", 230),
  ...packed("int4", 240),
};
