// Mamba's kernels on the GPU, matching CpuBackend's copyColumns, cpu/conv1d.ts and cpu/scan.ts:
//   copy_columns.wgsl   a column block from one matrix into another (the in_proj split, and its backward)
//   conv1d.wgsl         the causal depthwise conv + SiLU, forward (with the inference state) and backward
//   scan_forward.wgsl   the selective scan, one thread per (b, channel) walking t, saving h at each chunk start
//   scan_backward.wgsl  its adjoint, chunk by chunk from the saved states, then race-free reductions for the
//                       gradients that sum over channels (dBm, dCm) or over the batch (dAlog, dD)
// The scan kernels are compiled per state size DS (a prelude declares it and SCAN_CHUNK as WGSL constants), so each
// thread keeps its DS states in a private array. Each shader's `struct Params` is made from its field table below
// (COPY_COLUMNS_PARAMS, CONV1D_PARAMS, SCAN_PARAMS) and put in front of its text. Scratch buffers come from the
// context's pool (keyed by size) and go back to it once encoded: later kernels are encoded after these, so reusing
// them is safe.

import { SCAN_CHUNK, scanChunks, type ScanDims } from "../../backend.ts";
import { labelOf, paramValues, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import conv1dWgsl from "./conv1d.wgsl?raw";
import copyColumnsWgsl from "./copy_columns.wgsl?raw";
import scanBackwardWgsl from "./scan_backward.wgsl?raw";
import scanCommonWgsl from "./scan_common.wgsl?raw";
import scanForwardWgsl from "./scan_forward.wgsl?raw";

const WG = 64;
/** Most channels per workgroup of the scan. */
const SCAN_WG = 64;

/** copy_columns.wgsl's uniform fields, in order (accumulate: 1 adds into dst, 0 overwrites). */
export const COPY_COLUMNS_PARAMS = [
  ["N", "u32"], ["width", "u32"], ["dstStride", "u32"], ["dstCol", "u32"], ["srcStride", "u32"], ["srcCol", "u32"], ["accumulate", "u32"],
] as const;
/** The uniform fields of every conv1d.wgsl entry point, in order (hasBias, hasState: flags). */
export const CONV1D_PARAMS = [["B", "u32"], ["T", "u32"], ["DI", "u32"], ["K", "u32"], ["hasBias", "u32"], ["hasState", "u32"]] as const;
/**
 * The uniform fields of both scan kernels and all their entry points, in order: nC = scanChunks(T), the chunks; nG the
 * channel groups (workgroups along DI) of the backward, 0 in the forward; hasHs, hasState: flags.
 */
export const SCAN_PARAMS = [
  ["B", "u32"], ["T", "u32"], ["DI", "u32"], ["nC", "u32"], ["nG", "u32"], ["hasHs", "u32"], ["hasState", "u32"],
] as const;

/** The shaders as compiled: each one's `struct Params` from its table, then its .wgsl file. */
export const COPY_COLUMNS_WGSL = [wgslStruct("Params", COPY_COLUMNS_PARAMS), copyColumnsWgsl].join("\n");
export const CONV1D_WGSL = [wgslStruct("Params", CONV1D_PARAMS), conv1dWgsl].join("\n");

/** The scan's WGSL as compiled for state size DS: the constants, `struct Params`, the shared helpers, the kernel file. */
export function scanSources(DS: number): { forward: string; backward: string } {
  const prelude = `const DS: u32 = ${DS}u;\nconst CHUNK: u32 = ${SCAN_CHUNK}u;\n${wgslStruct("Params", SCAN_PARAMS)}\n${scanCommonWgsl}\n`;
  return { forward: prelude + scanForwardWgsl, backward: prelude + scanBackwardWgsl };
}

/** Channels per scan workgroup: a power of two whose backward sums, (2 * DS, WG) floats, fit the workgroup memory. */
export function scanWorkgroup(limits: GPUSupportedLimits, DS: number): number {
  let wg = Math.min(SCAN_WG, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  while (wg > 1 && 2 * DS * wg * 4 > limits.maxComputeWorkgroupStorageSize) wg /= 2;
  return wg;
}

// src (N, srcStride) columns [srcCol, srcCol + width) -> dst (N, dstStride) columns [dstCol, dstCol + width); = or +=
export function copyColumns(
  ctx: GpuContext, dst: Binding, src: Binding, N: number, width: number, dstStride: number, dstCol: number,
  srcStride: number, srcCol: number, accumulate: boolean,
): void {
  if (N * width === 0) return;
  if (dst === src) throw new Error(`copyColumns: ${labelOf(dst)} is both source and destination; the GPU needs two buffers`);
  const params = paramValues(COPY_COLUMNS_PARAMS, { N, width, dstStride, dstCol, srcStride, srcCol, accumulate });
  ctx.dispatch(ctx.pipeline("ssm:copy_columns", COPY_COLUMNS_WGSL, { WG }), [dst, src], params, ctx.grid(Math.ceil((N * width) / WG)));
}

function conv1dPipeline(ctx: GpuContext, entry: "forward" | "state" | "dpre" | "dx" | "dweight" | "dbias"): GPUComputePipeline {
  return ctx.pipeline(`ssm:conv1d:${entry}`, CONV1D_WGSL, { WG }, entry);
}

const conv1dParams = (B: number, T: number, DI: number, K: number, bias: boolean, state: boolean) =>
  paramValues(CONV1D_PARAMS, { B, T, DI, K, hasBias: bias, hasState: state });

// x (B,T,DI), weight (DI,K), bias (DI) -> out (B,T,DI); state (K-1,DI) read, then overwritten with the last K-1 inputs
export function conv1dForward(
  ctx: GpuContext, out: Binding, x: Binding, weight: Binding, bias: Binding | null,
  B: number, T: number, DI: number, K: number, state: Binding | null,
): void {
  if (state && B !== 1) throw new Error(`conv1dForward: a state needs B = 1, got B = ${B}`);
  const n = B * T * DI;
  if (n === 0) return;
  const params = conv1dParams(B, T, DI, K, bias !== null, state !== null);
  // absent bias and state: weight and x stand in (read-only bindings may share a buffer), never read
  ctx.dispatch(conv1dPipeline(ctx, "forward"), [out, x, weight, bias ?? weight, state ?? x], params, ctx.grid(Math.ceil(n / WG)));
  if (state && K > 1) ctx.dispatch(conv1dPipeline(ctx, "state"), [state, x], params, ctx.grid(Math.ceil(DI / WG)));
}

// dout (B,T,DI) -> dx (B,T,DI) +=, dweight (DI,K) +=, dbias (DI) += (each optional)
export function conv1dBackward(
  ctx: GpuContext, dx: Binding | null, dweight: Binding | null, dbias: Binding | null, dout: Binding, x: Binding,
  weight: Binding, bias: Binding | null, B: number, T: number, DI: number, K: number,
): void {
  const n = B * T * DI;
  if (n === 0 || (!dx && !dweight && !dbias)) return;
  const params = conv1dParams(B, T, DI, K, bias !== null, false);
  const dpre = ctx.buffer(n * 4, "ssm:conv1d:dpre"); // dL/d(pre-activation), from the first pass to the others
  ctx.dispatch(conv1dPipeline(ctx, "dpre"), [dpre, dout, x, weight, bias ?? weight], params, ctx.grid(Math.ceil(n / WG)));
  if (dx) ctx.dispatch(conv1dPipeline(ctx, "dx"), [dx, dpre, weight], params, ctx.grid(Math.ceil(n / WG)));
  if (dweight) ctx.dispatch(conv1dPipeline(ctx, "dweight"), [dweight, dpre, x], params, ctx.grid(Math.ceil((DI * K) / WG)));
  if (dbias) ctx.dispatch(conv1dPipeline(ctx, "dbias"), [dbias, dpre], params, ctx.grid(Math.ceil(DI / WG)));
  ctx.release(dpre);
}

/** [Alog (DI,DS) | D (DI) | Bm (B,T,DS) | Cm (B,T,DS)] in one scratch buffer: the scan kernels' `pack`. */
function pack(ctx: GpuContext, Alog: Binding, D: Binding, Bm: Binding, Cm: Binding, d: ScanDims): GPUBuffer {
  const { B, T, DI, DS } = d;
  const parts: [Binding, number][] = [[Alog, DI * DS], [D, DI], [Bm, B * T * DS], [Cm, B * T * DS]];
  const buf = ctx.buffer(parts.reduce((a, [, n]) => a + n, 0) * 4, "ssm:scan:pack");
  let at = 0;
  for (const [src, n] of parts) {
    if (n > 0) ctx.copy(buf, src, n * 4, at * 4);
    at += n;
  }
  return buf;
}

function scanParams(d: ScanDims, nG: number, hs: boolean, state: boolean) {
  return paramValues(SCAN_PARAMS, { B: d.B, T: d.T, DI: d.DI, nC: scanChunks(d.T), nG, hasHs: hs, hasState: state });
}

function scanPipeline(ctx: GpuContext, kind: "forward" | "backward", entry: string, DS: number): GPUComputePipeline {
  const wg = scanWorkgroup(ctx.limits, DS);
  return ctx.pipeline(`ssm:scan_${kind}:${entry}:DS${DS}`, scanSources(DS)[kind], { WG: wg }, entry);
}

// u dt (B,T,DI), Alog (DI,DS), Bm Cm (B,T,DS), D (DI) -> y (B,T,DI), hs (B,nChunks,DI,DS); state (DI,DS) when B = 1
export function scanForward(
  ctx: GpuContext, y: Binding, hs: Binding | null, u: Binding, dt: Binding, Alog: Binding, Bm: Binding,
  Cm: Binding, D: Binding, d: ScanDims, state: Binding | null,
): void {
  const { B, T, DI, DS } = d;
  if (state && B !== 1) throw new Error(`scanForward: a state needs B = 1, got B = ${B}`);
  if (B * T * DI * DS === 0) return;
  const wg = scanWorkgroup(ctx.limits, DS);
  const p = pack(ctx, Alog, D, Bm, Cm, d);
  // absent hs and state: two distinct small stand-ins (writable bindings may not share a buffer), never touched
  const noHs = hs ? null : ctx.buffer(16, "ssm:scan:no-hs");
  const noState = state ? null : ctx.buffer(16, "ssm:scan:no-state");
  ctx.dispatch(scanPipeline(ctx, "forward", "main", DS), [y, (hs ?? noHs)!, (state ?? noState)!, u, dt, p], scanParams(d, 0, hs !== null, state !== null), [
    Math.ceil(DI / wg), B,
  ]);
  for (const b of [p, noHs, noState]) if (b) ctx.release(b);
}

// dy (B,T,DI) -> du ddt (B,T,DI) +=, dBm dCm (B,T,DS) +=, dAlog (DI,DS) +=, dD (DI) += (dAlog, dD optional)
export function scanBackward(
  ctx: GpuContext, du: Binding, ddt: Binding, dAlog: Binding | null, dBm: Binding, dCm: Binding, dD: Binding | null,
  dy: Binding, u: Binding, dt: Binding, Alog: Binding, Bm: Binding, Cm: Binding, D: Binding, hs: Binding,
  d: ScanDims,
): void {
  const { B, T, DI, DS } = d;
  if (B * T * DI * DS === 0) return;
  const wg = scanWorkgroup(ctx.limits, DS);
  const nG = Math.ceil(DI / wg);
  // scratch = [h (B, SCAN_CHUNK, DS, DI) | part (B, T, nG, 2, DS) | pp (B, DI, DS+1)], as scan_backward.wgsl reads it
  const floats = B * SCAN_CHUNK * DS * DI + B * T * nG * 2 * DS + B * DI * (DS + 1);
  if (floats * 4 > ctx.limits.maxStorageBufferBindingSize) {
    throw new RangeError(
      `scanBackward: its scratch (${floats * 4} bytes for B ${B}, T ${T}, DI ${DI}, DS ${DS}) exceeds this GPU's ` +
        `maxStorageBufferBindingSize (${ctx.limits.maxStorageBufferBindingSize}); use a smaller batch`,
    );
  }
  const scratch = ctx.buffer(floats * 4, "ssm:scan:scratch");
  const p = pack(ctx, Alog, D, Bm, Cm, d);
  const params = scanParams(d, nG, true, false);
  ctx.dispatch(scanPipeline(ctx, "backward", "main", DS), [du, ddt, scratch, dy, u, dt, hs, p], params, [nG, B]);
  ctx.dispatch(scanPipeline(ctx, "backward", "dbc", DS), [dBm, dCm, scratch], params, ctx.grid(Math.ceil((B * T * DS) / wg)));
  if (dAlog) ctx.dispatch(scanPipeline(ctx, "backward", "dalog", DS), [dAlog, scratch], params, ctx.grid(Math.ceil((DI * DS) / wg)));
  if (dD) ctx.dispatch(scanPipeline(ctx, "backward", "dd", DS), [dD, scratch], params, ctx.grid(Math.ceil(DI / wg)));
  ctx.release(scratch);
  ctx.release(p);
}
