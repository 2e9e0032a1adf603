// The linear layer on the GPU, matching cpu/matmul.ts: out = scale * inp @ weight^T + bias with the weight stored
// (OC, IC), and its backward (dinp, dweight: the same GEMM through other layouts; dbias: a column sum). One GEMM
// (matmul.wgsl, register-tiled) serves every product here and the classifier's (classifier.ts, through gemm()). A weight
// bigger than one storage binding (maxStorageBufferBindingSize: 128 MiB on some GPUs, so a large vocabulary's lm_head)
// is bound as several row ranges (out-channels) whose offsets are multiples of minStorageBufferOffsetAlignment; its
// gradient is split the same way. Other operands must fit in one binding. A frozen weight may be packed (f16, int8,
// int4: ../../quant.ts) and is then dequantized inside the kernel, in the forward and the dinp product; it has no
// dweight. A forward of at most MATVEC_ROWS rows (decoding, short prompts) runs matvec.wgsl, a GEMV that reads each
// weight word once, instead of the GEMM. Both shaders decode the formats with dequant.wgsl and take their `struct
// Params` from the field tables below (GEMM_PARAMS, MATVEC_PARAMS), all put in front of each kernel's text. A GEMM may
// add a second, float32 product to its output in the same pass (GemmPlus): a LoRA branch's up-projection rides on its
// linear's forward, and its input gradient on the linear's dinp, so a LoRA linear is 2 dispatches forward, 4 backward.

import { rowLayout, WEIGHT_FORMATS, type WeightFormat } from "../../quant.ts";
import type { LoraDinp, LoraUp, MatmulInput } from "../../backend.ts";
import { boundBytes, gcd, labelOf, paramValues, range, wgslStruct, type Binding, type GpuContext, type ParamBlock } from "../context.ts";
import dequantWgsl from "./dequant.wgsl?raw";
import matmulWgsl from "./matmul.wgsl?raw";
import matvecWgsl from "./matvec.wgsl?raw";

/** matmul.wgsl main's uniform fields, in order (see its header for what each means). */
export const GEMM_PARAMS = [
  ["M", "u32"], ["P", "u32"], ["K", "u32"],
  ["a_off", "u32"], ["lda", "u32"], ["a_t", "u32"],
  ["ldb", "u32"], ["b_scales", "u32"], ["b_t", "u32"],
  ["y_off", "u32"], ["ldy", "u32"],
  ["bias_off", "u32"], ["has_bias", "u32"], ["alpha", "f32"], ["accumulate", "u32"],
  ["K2", "u32"], ["b2_t", "u32"], ["alpha2", "f32"],
] as const;
/** matmul.wgsl colsum's uniform fields. */
export const COLSUM_PARAMS = [["N", "u32"], ["OC", "u32"]] as const;
/** matvec.wgsl's uniform fields (see its header). */
export const MATVEC_PARAMS = [
  ["IC", "u32"], ["OC", "u32"], ["y_off", "u32"], ["y_sm", "u32"], ["bias_off", "u32"],
  ["alpha", "f32"], ["accumulate", "u32"], ["has_bias", "u32"], ["w_row", "u32"], ["w_scales", "u32"],
  ["in_kind", "u32"], ["eps", "f32"],
] as const;
/** matvec.wgsl's in_kind for each MatmulInput kind (0: the input as it is). */
const MATVEC_INPUT = { rmsnorm: 1, swiglu: 2 } as const;

/** The shaders as compiled: the shared format decoding, the params structs, then the kernel. */
export const MATMUL_WGSL = [dequantWgsl, wgslStruct("Params", GEMM_PARAMS), wgslStruct("ColsumParams", COLSUM_PARAMS), matmulWgsl].join("\n");
export const MATVEC_WGSL = [dequantWgsl, wgslStruct("Params", MATVEC_PARAMS), matvecWgsl].join("\n");

/**
 * The GEMM's tile (matmul.wgsl overrides): TILE_M x TILE_N outputs per workgroup, 4 x 4 per thread, so
 * (TILE_N/4) x (TILE_M/4) = 256 threads; TILE_K along K per step: 2 x 16 x 64 x 4 bytes = 8 KiB of workgroup memory.
 */
export const GEMM_TILE = { TILE_M: 64, TILE_N: 64, TILE_K: 16 } as const;
export type GemmTile = { readonly [K in keyof typeof GEMM_TILE]: number };
/**
 * The tile of products of few rows (a short batch's tokens, the GEMV's 9 to 16): 16 x 128 outputs, 4 x 32 = 128
 * threads, 2 x 16 x 144 x 4 bytes = 9 KiB. At 16 rows the 64-row tile computes 48 rows of padding and re-reads A once
 * per 64 columns of B (25% of B's bytes); this one computes none and re-reads A once per 128 (12.5%).
 */
export const GEMM_TILE_FEW_ROWS: GemmTile = { TILE_M: 16, TILE_N: 128, TILE_K: 16 };

/** The tile a product of M rows runs with. */
export function tileFor(M: number): GemmTile {
  return M <= GEMM_TILE_FEW_ROWS.TILE_M ? GEMM_TILE_FEW_ROWS : GEMM_TILE;
}
const COLSUM_WG = 256; // threads per colsum workgroup, one column each

/** Forward products of at most this many rows run matvec.wgsl (its M override; the kernel holds up to 8). */
export const MATVEC_ROWS = 8;
const MATVEC_WG = 64; // threads per matvec workgroup (a power of two)
const MATVEC_OUT = 4; // out-channels per matvec workgroup: matvec.wgsl's ROWS

/**
 * One GEMM, a dispatch of matmul.wgsl's main: Y (M,P) (+)= alpha * A (M,K) @ B (K,P) + bias (P) [+ plus], the
 * operands row-major in their bindings. A(m,k) = a[aOff + m*lda + k], or a[aOff + k*lda + m] when aT. B is whole rows:
 * B(k,p) = b[k*P + p], or b[p*K + k] when bT (a (P,K) weight W read as W^T); stored as bFormat, a packed B is a frozen
 * weight, rows of rowLayout(bFormat, row length) words. Y(m,p) = y[yOff + m*ldy + p], bias(p) = bias[biasOff + p].
 */
export interface Gemm {
  M: number; P: number; K: number;
  a: Binding; aT: boolean; lda: number; aOff?: number;
  b: Binding; bT: boolean; bFormat?: WeightFormat;
  y: Binding; ldy: number; yOff?: number;
  bias?: Binding | null; biasOff?: number;
  alpha?: number;
  accumulate: boolean;
  plus?: GemmPlus;
}

/**
 * A second product added to the same Y in the same pass, after the first's K steps: Y += alpha * A2 (M,K) @ B2 (K,P),
 * A2 row-major a[m*K + k], B2 float32 whole rows b[k*P + p], or b[p*K + k] when bT. The LoRA branch of a linear layer:
 * its up-projection in the forward (scale * h @ B^T), its input gradient in the backward (dh @ A).
 */
export interface GemmPlus {
  a: Binding; b: Binding; K: number; bT: boolean; alpha: number;
}

/** Encodes the GEMM `q` (see Gemm), with `tile` for the pipeline's overrides. */
export function gemm(ctx: GpuContext, q: Gemm, tile: GemmTile = tileFor(q.M)): void {
  if (tile !== GEMM_TILE && tile !== GEMM_TILE_FEW_ROWS) checkTile(ctx, tile);
  if (q.M * q.P > 0) run(ctx, [gemmJob(ctx, q, tile)]);
}

/** Throws unless `t` is a tile matmul.wgsl takes: sides multiples of 4, its threads and workgroup memory within limits. */
function checkTile(ctx: GpuContext, t: GemmTile): void {
  const threads = (t.TILE_M / 4) * (t.TILE_N / 4);
  const bytes = 4 * t.TILE_K * (t.TILE_M + t.TILE_N);
  const lim = ctx.limits;
  if (![t.TILE_M, t.TILE_N, t.TILE_K].every((v) => v > 0 && v % 4 === 0) || threads > lim.maxComputeInvocationsPerWorkgroup
    || bytes > lim.maxComputeWorkgroupStorageSize) {
    throw new RangeError(
      `matmul: tile ${t.TILE_M} x ${t.TILE_N} x ${t.TILE_K} needs sides that are multiples of 4, ${threads} threads (at most ${lim.maxComputeInvocationsPerWorkgroup}) and ${bytes} bytes of workgroup memory (at most ${lim.maxComputeWorkgroupStorageSize})`,
    );
  }
}

interface Job {
  pipeline: GPUComputePipeline;
  bindings: Binding[];
  params: ParamBlock;
  groups: [number, number];
  /** Bytes the dispatch reads and writes, where the kernel knows them (GpuContext.dispatch). */
  traffic?: number;
}

// inp (N,IC), weight (OC,IC) stored as `format`, bias (OC) -> out (N,OC) = scale * inp @ weight^T + bias  (+= when accumulate)
//   [+ lora.scale * lora.h (N,R) @ lora.B (OC,R)^T: the GEMM's second product, or a product of its own where the GEMM
//   does not run as one job (the GEMV's few rows, a weight split into row ranges)]
//   With `input` (at most MATVEC_ROWS rows: the GEMV makes it as it loads; the backend makes it first for more rows),
//   inp is the input of the kernel that makes the product's (backend.ts MatmulInput).
export function forward(
  ctx: GpuContext, out: Binding, inp: Binding, weight: Binding, bias: Binding | null,
  N: number, IC: number, OC: number, scale: number, accumulate: boolean, format: WeightFormat = "f32", lora?: LoraUp<Binding>,
  input?: MatmulInput<Binding>,
): void {
  if (N * OC === 0) return;
  if (input && N > MATVEC_ROWS) throw new Error(`matmul: a made input (${input.kind}) is fused for at most ${MATVEC_ROWS} rows, not ${N}`);
  checkWhole(ctx, { out, inp, bias });
  const rowBytes = rowLayout(format, IC).words * 4;
  const ranges = rowRanges(ctx, [weight], OC, rowBytes);
  const plus: GemmPlus | undefined = lora && N > MATVEC_ROWS && ranges.length === 1
    ? { a: lora.h, b: lora.B, K: lora.R, bT: true, alpha: lora.scale }
    : undefined;
  if (N <= MATVEC_ROWS) {
    run(ctx, ranges.map(([o0, o1]) => matvec(ctx, inp, rows(weight, o0, o1, rowBytes, OC), bias, out, N, IC, OC, o0, o1, scale, accumulate, format, input)));
  } else {
    // out[:, o0:o1] (+)= scale * inp @ weight[o0:o1]^T + bias[o0:o1]
    run(ctx, ranges.map(([o0, o1]) => gemmJob(ctx, {
      M: N, P: o1 - o0, K: IC,
      a: inp, aT: false, lda: IC,
      b: rows(weight, o0, o1, rowBytes, OC), bT: true, bFormat: format,
      y: out, yOff: o0, ldy: OC,
      bias, biasOff: o0, alpha: scale, accumulate,
      plus,
    })));
  }
  if (lora && !plus) forward(ctx, out, lora.h, lora.B, null, N, lora.R, OC, lora.scale, true);
}

// dout (N,OC), inp (N,IC), weight (OC,IC) stored as `format` -> dinp (N,IC) +=, dweight (OC,IC) +=, dbias (OC) +=
// (each when given; a packed weight is frozen: no dweight). dinp and dweight are scaled by `scale`, dbias is not (as in
// cpu/matmul.ts). With `lora`, dinp += lora.dh (N,R) @ lora.A (R,IC) too: the second product of dinp's first GEMM.
export function backward(
  ctx: GpuContext, dinp: Binding | null, dweight: Binding | null, dbias: Binding | null, dout: Binding,
  inp: Binding, weight: Binding, N: number, IC: number, OC: number, scale: number, format: WeightFormat = "f32",
  lora?: LoraDinp<Binding>,
): void {
  if (dweight && format !== "f32") throw new Error(`matmul: a ${format} weight is frozen and has no gradient (dweight must be null)`);
  if (N * OC === 0) return;
  checkWhole(ctx, { dinp, dbias, dout, inp });
  const jobs: Job[] = [];
  // weight and dweight have one shape: split both at the same rows when either is too big for one binding
  const rowBytes = rowLayout(format, IC).words * 4;
  const ranges = rowRanges(ctx, dweight ? [weight, dweight] : [weight], OC, rowBytes);
  if (dinp && IC > 0) {
    // dinp (N,IC) += scale * dout[:, o0:o1] @ weight[o0:o1, :], one range after the other (the first adds lora's)
    for (const [o0, o1] of ranges) {
      jobs.push(gemmJob(ctx, {
        M: N, P: IC, K: o1 - o0,
        a: dout, aT: false, lda: OC, aOff: o0,
        b: rows(weight, o0, o1, rowBytes, OC), bT: false, bFormat: format,
        y: dinp, ldy: IC,
        alpha: scale, accumulate: true,
        plus: lora && o0 === 0 ? { a: lora.dh, b: lora.A, K: lora.R, bT: false, alpha: 1 } : undefined,
      }));
    }
  }
  if (dweight && IC > 0) {
    // dweight[o0:o1, :] += scale * dout[:, o0:o1]^T @ inp
    for (const [o0, o1] of ranges) {
      jobs.push(gemmJob(ctx, {
        M: o1 - o0, P: IC, K: N,
        a: dout, aT: true, lda: OC, aOff: o0,
        b: inp, bT: false,
        y: rows(dweight, o0, o1, rowBytes, OC), ldy: IC,
        alpha: scale, accumulate: true,
      }));
    }
  }
  if (dbias) {
    const pipeline = ctx.pipeline("matmul:colsum", MATMUL_WGSL, { COLSUM_WG }, "colsum");
    const params = paramValues(COLSUM_PARAMS, { N, OC });
    jobs.push({ pipeline, bindings: [dbias, dout], params, groups: [Math.ceil(OC / COLSUM_WG), 1], traffic: 4 * (N * OC + 2 * OC) });
  }
  run(ctx, jobs);
}

function gemmJob(ctx: GpuContext, q: Gemm, tile: GemmTile = tileFor(q.M)): Job {
  const format = q.bFormat ?? "f32";
  const pipeline = ctx.pipeline("matmul", MATMUL_WGSL, { ...tile, FORMAT: WEIGHT_FORMATS[format].id });
  const lay = rowLayout(format, q.bT ? q.K : q.P); // B's stored rows (for f32: words = values)
  const params = paramValues(GEMM_PARAMS, {
    M: q.M, P: q.P, K: q.K,
    a_off: q.aOff ?? 0, lda: q.lda, a_t: q.aT,
    ldb: lay.words, b_scales: lay.quantWords, b_t: q.bT,
    y_off: q.yOff ?? 0, ldy: q.ldy,
    bias_off: q.biasOff ?? 0, has_bias: !!q.bias, alpha: q.alpha ?? 1, accumulate: q.accumulate,
    K2: q.plus?.K ?? 0, b2_t: q.plus?.bT ?? false, alpha2: q.plus?.alpha ?? 1,
  });
  // Without a bias or a second product, A stands in for them (bound read-only again, which WebGPU allows; the kernel
  // never reads it there).
  const bindings = [vec4s(q.a), vec4s(q.b), q.bias ?? q.a, q.y, vec4s(q.plus?.a ?? q.a), vec4s(q.plus?.b ?? q.a)];
  const groups: [number, number] = [Math.ceil(q.P / tile.TILE_N), Math.ceil(q.M / tile.TILE_M)];
  return { pipeline, bindings, params, groups, traffic: gemmTraffic(q, (q.bT ? q.P : q.K) * lay.words * 4, groups) };
}

/**
 * Bytes a GEMM dispatch reads and writes in global memory: each workgroup column re-reads A's rows and each
 * workgroup row re-reads B (as stored: packed formats count their packed bytes) and the bias; Y is written once, and
 * read first when adding to it; the second product's operands like A and B.
 */
export function gemmTraffic(q: Pick<Gemm, "M" | "P" | "K" | "bias" | "accumulate" | "plus">, bBytes: number, [cols, rows]: [number, number]): number {
  const K2 = q.plus?.K ?? 0;
  return 4 * (q.M * (q.K + K2) * cols + (q.bias ? q.P * rows : 0) + q.M * q.P * (q.accumulate ? 2 : 1)) + (bBytes + 4 * K2 * q.P) * rows;
}

/**
 * A binding the kernel reads as array<vec4>: a range's size rounded up to whole 16 bytes (pool buffers are whole
 * 16-byte units, and rowRanges leaves room under the binding limit), so its last values stay in reach.
 */
function vec4s(b: Binding): Binding {
  if (!("buffer" in b) || b.size === undefined) return b;
  return { ...b, size: Math.min(Math.ceil(b.size / 16) * 16, b.buffer.size - (b.offset ?? 0)) };
}

/** The most bytes a range bound for the GEMM may hold, maxStorageBufferBindingSize rounded down to 16 (see vec4s). */
export function bindable(limits: GPUSupportedLimits): number {
  return Math.floor(limits.maxStorageBufferBindingSize / 16) * 16;
}

/**
 * One dispatch of matvec.wgsl: out[:, o0:o1] (+)= scale * x (N,IC) @ W[o0:o1]^T + bias[o0:o1], `w` bound to those
 * rows; x is inp, or made from it as it is loaded (`input`).
 */
function matvec(
  ctx: GpuContext, inp: Binding, w: Binding, bias: Binding | null, out: Binding, N: number, IC: number, OC: number,
  o0: number, o1: number, scale: number, accumulate: boolean, format: WeightFormat, input?: MatmulInput<Binding>,
): Job {
  const pipeline = ctx.pipeline("matvec", MATVEC_WGSL, { WG: MATVEC_WG, M: N, FORMAT: WEIGHT_FORMATS[format].id });
  const lay = rowLayout(format, IC);
  const params = paramValues(MATVEC_PARAMS, {
    IC, OC: o1 - o0, y_off: o0, y_sm: OC, bias_off: o0,
    alpha: scale, accumulate, has_bias: !!bias, w_row: lay.words, w_scales: lay.quantWords,
    in_kind: input ? MATVEC_INPUT[input.kind] : 0, eps: input?.kind === "rmsnorm" ? input.eps : 0,
  });
  const aux = input ? (input.kind === "rmsnorm" ? input.weight : input.up) : null;
  // what it touches: its weight rows once, the input rows (and the norm's weight or SwiGLU's up), the bias and output
  // columns (the output read too when adding)
  const rows = o1 - o0;
  const auxBytes = input ? (input.kind === "rmsnorm" ? IC : N * IC) * 4 : 0;
  const traffic = rows * lay.words * 4 + N * IC * 4 + auxBytes + (bias ? rows * 4 : 0) + N * rows * 4 * (accumulate ? 2 : 1);
  // one workgroup per MATVEC_OUT rows, as a 2-D grid past the per-dimension limit (the kernel skips the overshoot);
  // without a bias or a made input, inp stands in for them (never read there)
  return { pipeline, bindings: [inp, w, bias ?? inp, out, aux ?? inp], params, groups: ctx.grid(Math.ceil(rows / MATVEC_OUT)), traffic };
}

/**
 * [o0, o1) row ranges of (OC, IC) matrices `bufs` (rows of `rowBytes`) such that each range fits one storage binding
 * and starts at an offset aligned to minStorageBufferOffsetAlignment: [[0, OC]] when the whole buffers fit.
 */
function rowRanges(ctx: GpuContext, bufs: readonly Binding[], OC: number, rowBytes: number): [number, number][] {
  const limit = bindable(ctx.limits);
  if (bufs.every((b) => boundBytes(b) <= limit)) return [[0, OC]];
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

/** Rows [o0, o1) of an (OC, IC) matrix: the binding itself when that is all of it, else a range of it. */
function rows(buf: Binding, o0: number, o1: number, rowBytes: number, OC: number): Binding {
  return o0 === 0 && o1 === OC ? buf : range(buf, o0 * rowBytes, (o1 - o0) * rowBytes);
}

function checkWhole(ctx: GpuContext, bufs: Record<string, Binding | null>): void {
  const limit = ctx.limits.maxStorageBufferBindingSize;
  for (const [name, b] of Object.entries(bufs)) {
    if (b && boundBytes(b) > limit) {
      throw new RangeError(
        `matmul: ${name} (${labelOf(b)}, ${boundBytes(b)} bytes) exceeds this GPU's maxStorageBufferBindingSize (${limit}); only the weight is split`,
      );
    }
  }
}

function run(ctx: GpuContext, jobs: Job[]): void {
  for (const j of jobs) ctx.dispatch(j.pipeline, j.bindings, j.params, j.groups, j.traffic);
}
