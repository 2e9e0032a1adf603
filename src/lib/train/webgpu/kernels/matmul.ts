// The linear layer on the GPU (matmul.wgsl), matching cpu/matmul.ts: out = scale * inp @ weight^T + bias with the
// weight stored (OC, IC), and its backward (dinp, dweight: the same tiled kernel through other strides; dbias: a
// column sum). A weight bigger than one storage binding (maxStorageBufferBindingSize: 128 MiB on some GPUs, so a large
// vocabulary's lm_head) is bound as several row ranges (out-channels) whose offsets are multiples of
// minStorageBufferOffsetAlignment; its gradient is split the same way. Other operands must fit in one binding.
// A frozen weight may be packed (f16, int8, int4: ../../quant.ts) and is then dequantized inside the kernel, in the
// forward and the dinp product; it has no dweight. A forward of at most MATVEC_ROWS rows (decoding, short prompts)
// runs matvec.wgsl, a GEMV that reads each weight word once, instead of the tiled kernel. Both shaders decode the
// formats with dequant.wgsl, put in front of each. Not here: the fused lm_head + cross-entropy (classifier.ts).

import { rowLayout, WEIGHT_FORMATS, type WeightFormat } from "../../quant.ts";
import { gcd, type Binding, type GpuContext, type Params } from "../context.ts";
import dequantWgsl from "./dequant.wgsl?raw";
import matmulWgsl from "./matmul.wgsl?raw";
import matvecWgsl from "./matvec.wgsl?raw";

/** The shaders as compiled: each kernel after the shared format decoding. */
export const MATMUL_WGSL = `${dequantWgsl}\n${matmulWgsl}`;
export const MATVEC_WGSL = `${dequantWgsl}\n${matvecWgsl}`;
const code = MATMUL_WGSL;

const TILE = 16;
/** Forward products of at most this many rows run matvec.wgsl (its M override; the kernel holds up to 8). */
export const MATVEC_ROWS = 8;
const MATVEC_WG = 64; // threads per matvec workgroup (a power of two)
const MATVEC_OUT = 4; // out-channels per matvec workgroup: matvec.wgsl's ROWS

/** One dispatch of matmul.wgsl's main: Y (M,P) (+)= alpha * A (M,K) @ B (K,P) + bias (see the .wgsl header). */
interface Product {
  M: number; P: number; K: number;
  a: GPUBuffer; aOff: number; aSm: number; aSk: number;
  b: Binding; bSk: number; bSp: number;
  /** How b is stored: "f32" through the strides, else a packed (OC, IC) weight read as W^T when bWt, else W. */
  bFormat: WeightFormat; bIC: number; bWt: boolean;
  y: Binding; yOff: number; ySm: number;
  bias: GPUBuffer | null; biasOff: number;
  alpha: number;
  accumulate: boolean;
}

interface Job {
  pipeline: GPUComputePipeline;
  bindings: Binding[];
  params: Params;
  groups: [number, number];
  /** Bytes the dispatch reads and writes, where the kernel knows them (GpuContext.dispatch). */
  traffic?: number;
}

// inp (N,IC), weight (OC,IC) stored as `format`, bias (OC) -> out (N,OC) = scale * inp @ weight^T + bias  (+= when accumulate)
export function forward(
  ctx: GpuContext, out: GPUBuffer, inp: GPUBuffer, weight: GPUBuffer, bias: GPUBuffer | null,
  N: number, IC: number, OC: number, scale: number, accumulate: boolean, format: WeightFormat = "f32",
): void {
  if (N * OC === 0) return;
  checkWhole(ctx, { out, inp, bias });
  const rowBytes = rowLayout(format, IC).words * 4;
  const ranges = rowRanges(ctx, [weight], OC, rowBytes);
  if (N <= MATVEC_ROWS) {
    run(ctx, ranges.map(([o0, o1]) => matvec(ctx, inp, rows(weight, o0, o1, rowBytes, OC), bias, out, N, IC, OC, o0, o1, scale, accumulate, format)));
    return;
  }
  run(ctx, ranges.map(([o0, o1]) => product(ctx, {
    M: N, P: o1 - o0, K: IC,
    a: inp, aOff: 0, aSm: IC, aSk: 1,
    b: rows(weight, o0, o1, rowBytes, OC), bSk: 1, bSp: IC, bFormat: format, bIC: IC, bWt: true,
    y: out, yOff: o0, ySm: OC,
    bias, biasOff: o0, alpha: scale, accumulate,
  })));
}

// dout (N,OC), inp (N,IC), weight (OC,IC) stored as `format` -> dinp (N,IC) +=, dweight (OC,IC) +=, dbias (OC) +=
// (each when given; a packed weight is frozen: no dweight). dinp and dweight are scaled by `scale`, dbias is not (as in
// cpu/matmul.ts).
export function backward(
  ctx: GpuContext, dinp: GPUBuffer | null, dweight: GPUBuffer | null, dbias: GPUBuffer | null, dout: GPUBuffer,
  inp: GPUBuffer, weight: GPUBuffer, N: number, IC: number, OC: number, scale: number, format: WeightFormat = "f32",
): void {
  if (dweight && format !== "f32") throw new Error(`matmul: a ${format} weight is frozen and has no gradient (dweight must be null)`);
  if (N * OC === 0) return;
  checkWhole(ctx, { dinp, dbias, dout, inp });
  const jobs: Job[] = [];
  // weight and dweight have one shape: split both at the same rows when either is too big for one binding
  const rowBytes = rowLayout(format, IC).words * 4;
  const ranges = rowRanges(ctx, dweight ? [weight, dweight] : [weight], OC, rowBytes);
  if (dinp && IC > 0) {
    // dinp (N,IC) += scale * dout[:, o0:o1] @ weight[o0:o1, :], one range after the other
    for (const [o0, o1] of ranges) {
      jobs.push(product(ctx, {
        M: N, P: IC, K: o1 - o0,
        a: dout, aOff: o0, aSm: OC, aSk: 1,
        b: rows(weight, o0, o1, rowBytes, OC), bSk: IC, bSp: 1, bFormat: format, bIC: IC, bWt: false,
        y: dinp, yOff: 0, ySm: IC,
        bias: null, biasOff: 0, alpha: scale, accumulate: true,
      }));
    }
  }
  if (dweight && IC > 0) {
    // dweight[o0:o1, :] += scale * dout[:, o0:o1]^T @ inp
    for (const [o0, o1] of ranges) {
      jobs.push(product(ctx, {
        M: o1 - o0, P: IC, K: N,
        a: dout, aOff: o0, aSm: 1, aSk: OC,
        b: inp, bSk: IC, bSp: 1, bFormat: "f32", bIC: IC, bWt: false,
        y: rows(dweight, o0, o1, rowBytes, OC), yOff: 0, ySm: IC,
        bias: null, biasOff: 0, alpha: scale, accumulate: true,
      }));
    }
  }
  if (dbias) {
    const pipeline = ctx.pipeline("matmul:colsum", code, { TILE }, "colsum");
    jobs.push({ pipeline, bindings: [dbias, dout], params: [["u32", N], ["u32", OC]], groups: [Math.ceil(OC / (TILE * TILE)), 1] });
  }
  run(ctx, jobs);
}

function product(ctx: GpuContext, q: Product): Job {
  const pipeline = ctx.pipeline("matmul", code, { TILE, FORMAT: WEIGHT_FORMATS[q.bFormat].id });
  const lay = rowLayout(q.bFormat, q.bIC);
  const params: Params = [
    ["u32", q.M], ["u32", q.P], ["u32", q.K],
    ["u32", q.aOff], ["u32", q.aSm], ["u32", q.aSk],
    ["u32", q.bSk], ["u32", q.bSp],
    ["u32", q.yOff], ["u32", q.ySm],
    ["u32", q.biasOff], ["f32", q.alpha], ["u32", q.accumulate ? 1 : 0], ["u32", q.bias ? 1 : 0],
    ["u32", lay.words], ["u32", lay.quantWords], ["u32", q.bWt ? 1 : 0],
  ];
  // Without a bias, A stands in for it (bound read-only twice, which WebGPU allows; the kernel never reads it).
  return { pipeline, bindings: [q.a, q.b, q.bias ?? q.a, q.y], params, groups: [Math.ceil(q.P / TILE), Math.ceil(q.M / TILE)] };
}

/** One dispatch of matvec.wgsl: out[:, o0:o1] (+)= scale * inp (N,IC) @ W[o0:o1]^T + bias[o0:o1], `w` bound to those rows. */
function matvec(
  ctx: GpuContext, inp: GPUBuffer, w: Binding, bias: GPUBuffer | null, out: GPUBuffer, N: number, IC: number, OC: number,
  o0: number, o1: number, scale: number, accumulate: boolean, format: WeightFormat,
): Job {
  const pipeline = ctx.pipeline("matvec", MATVEC_WGSL, { WG: MATVEC_WG, M: N, FORMAT: WEIGHT_FORMATS[format].id });
  const lay = rowLayout(format, IC);
  const params: Params = [
    ["u32", IC], ["u32", o1 - o0], ["u32", o0], ["u32", OC], ["u32", o0],
    ["f32", scale], ["u32", accumulate ? 1 : 0], ["u32", bias ? 1 : 0],
    ["u32", lay.words], ["u32", lay.quantWords],
  ];
  // what it touches: its weight rows once, the input rows, the bias and output columns (the output read too when adding)
  const rows = o1 - o0;
  const traffic = rows * lay.words * 4 + N * IC * 4 + (bias ? rows * 4 : 0) + N * rows * 4 * (accumulate ? 2 : 1);
  // one workgroup per MATVEC_OUT rows, as a 2-D grid past the per-dimension limit (the kernel skips the overshoot)
  return { pipeline, bindings: [inp, w, bias ?? inp, out], params, groups: ctx.grid(Math.ceil(rows / MATVEC_OUT)), traffic };
}

/**
 * [o0, o1) row ranges of (OC, IC) matrices `bufs` (rows of `rowBytes`) such that each range fits one storage binding
 * and starts at an offset aligned to minStorageBufferOffsetAlignment: [[0, OC]] when the whole buffers fit.
 */
function rowRanges(ctx: GpuContext, bufs: readonly GPUBuffer[], OC: number, rowBytes: number): [number, number][] {
  const limit = ctx.limits.maxStorageBufferBindingSize;
  if (bufs.every((b) => b.size <= limit)) return [[0, OC]];
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const step = align / gcd(rowBytes, align); // rows whose offset o0 * rowBytes is a multiple of align
  const per = Math.floor(limit / rowBytes / step) * step;
  if (per === 0) {
    throw new RangeError(
      `matmul: a weight row of ${rowBytes} bytes, in ranges of ${step} rows, exceeds this GPU's maxStorageBufferBindingSize (${limit})`,
    );
  }
  const out: [number, number][] = [];
  for (let o0 = 0; o0 < OC; o0 += per) out.push([o0, Math.min(OC, o0 + per)]);
  return out;
}

/** Rows [o0, o1) of an (OC, IC) matrix: the buffer itself when that is all of it, else a binding range. */
function rows(buf: GPUBuffer, o0: number, o1: number, rowBytes: number, OC: number): Binding {
  return o0 === 0 && o1 === OC ? buf : { buffer: buf, offset: o0 * rowBytes, size: (o1 - o0) * rowBytes };
}

function checkWhole(ctx: GpuContext, bufs: Record<string, GPUBuffer | null>): void {
  const limit = ctx.limits.maxStorageBufferBindingSize;
  for (const [name, b] of Object.entries(bufs)) {
    if (b && b.size > limit) {
      throw new RangeError(
        `matmul: ${name} (${b.size} bytes) exceeds this GPU's maxStorageBufferBindingSize (${limit}); only the weight is split`,
      );
    }
  }
}

function run(ctx: GpuContext, jobs: Job[]): void {
  for (const j of jobs) ctx.dispatch(j.pipeline, j.bindings, j.params, j.groups, j.traffic);
}
