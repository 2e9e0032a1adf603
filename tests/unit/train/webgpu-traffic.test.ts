// The bytes the WebGPU GEMM and attention kernels say they read and write (GpuContext's traffic counter, which
// `npm run bench -- webgpu` reports), against closed forms worked out by hand for shapes that divide evenly.

import { describe, expect, it } from "vitest";
import { traffic } from "../../../src/lib/train/webgpu/kernels/attention.ts";
import { GEMM_TILE, GEMM_TILE_FEW_ROWS, gemmTraffic, tileFor } from "../../../src/lib/train/webgpu/kernels/matmul.ts";

describe("attention traffic", () => {
  const HS = 16;
  it("training (Tq = Tk = 32, 8 rows a workgroup): causal blocks read 8, 16, 24, 32 keys; key blocks see 32, 24, 16, 8 queries", () => {
    const d = { B: 2, Tq: 32, Tk: 32, kvStride: 32, NH: 4, NKV: 2, HS };
    const t = traffic(d, 8);
    const sum = 8 + 16 + 24 + 32; // keys read by the four query blocks, queries seen by the four key blocks
    expect(t.forward).toBe(4 * 2 * 4 * (32 * (2 * HS + 1) + 2 * HS * sum));
    expect(t.dq).toBe(4 * 2 * 4 * (32 * (5 * HS + 2) + 2 * HS * sum));
    expect(t.dkdv).toBe(4 * 2 * 2 * (6 * 32 * HS + 2 * sum * (2 * HS + 2)));
  });

  it("decoding (one query after 99 cached positions): every key read once", () => {
    const d = { B: 1, Tq: 1, Tk: 100, kvStride: 128, NH: 4, NKV: 2, HS };
    expect(traffic(d, 1).forward).toBe(4 * 4 * (2 * HS + 1 + 2 * 100 * HS));
  });
});

describe("GEMM traffic", () => {
  it("A re-read by each workgroup column, B by each workgroup row, Y read and written when adding", () => {
    // M 100, P 130, K 70 with 64 x 64 tiles: 3 columns x 2 rows of workgroups; B (P,K) f32 = 130*70*4 bytes
    const q = { M: 100, P: 130, K: 70, bias: {} as never, accumulate: true };
    expect(gemmTraffic(q, 130 * 70 * 4, [3, 2])).toBe(4 * (100 * 70 * 3 + 130 * 2 + 100 * 130 * 2) + 130 * 70 * 4 * 2);
    // a second product (K2 = 8): its A (M,K2) with A's re-reads, its B (K2,P) with B's
    expect(gemmTraffic({ ...q, bias: null, accumulate: false, plus: { K: 8 } as never }, 130 * 70 * 4, [3, 2]))
      .toBe(4 * (100 * 78 * 3 + 100 * 130) + (130 * 70 * 4 + 4 * 8 * 130) * 2);
  });
});

describe("GEMM tile by rows", () => {
  it("products of at most 16 rows take the 16 x 128 tile, within WebGPU's default limits; more rows the 64 x 64", () => {
    expect(tileFor(1)).toBe(GEMM_TILE_FEW_ROWS);
    expect(tileFor(16)).toBe(GEMM_TILE_FEW_ROWS);
    expect(tileFor(17)).toBe(GEMM_TILE);
    const t = GEMM_TILE_FEW_ROWS;
    expect((t.TILE_M / 4) * (t.TILE_N / 4)).toBeLessThanOrEqual(256); // maxComputeInvocationsPerWorkgroup
    expect(4 * t.TILE_K * (t.TILE_M + t.TILE_N)).toBeLessThanOrEqual(16384); // maxComputeWorkgroupStorageSize
    // at 16 rows and P 576: A re-read 5 times (128-wide columns) instead of 9 (64-wide)
    const q = { M: 16, P: 576, K: 576, bias: null, accumulate: false };
    const few = gemmTraffic(q, 576 * 576 * 4, [Math.ceil(576 / t.TILE_N), 1]);
    const big = gemmTraffic(q, 576 * 576 * 4, [Math.ceil(576 / GEMM_TILE.TILE_N), 1]);
    expect(big - few).toBe(4 * 16 * 576 * 4);
  });
});
