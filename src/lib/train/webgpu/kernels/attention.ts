// Causal grouped-query attention on the GPU, matching cpu/attention.ts. The forward keeps only the log-sum-exp per
// score row, so no (NH,T,T) buffer exists (attention_forward.wgsl); the backward recomputes the probabilities from it
// in two race-free passes: one over query blocks for dq (attention_backward_dq.wgsl, which also saves D = dout . out),
// one over key blocks and kv heads for dk and dv (attention_backward_dkdv.wgsl). Query row t sits at position
// Tk - Tq + t (Tq < Tk: the KV-cache case).
// All three kernels share one mechanism: a workgroup of WG threads is a (rows x KS) grid; it owns `rows` rows (query
// rows, or key rows for dk/dv) and its KS threads per row split the other side's rows (keys, or query rows), walked in
// tiles held in workgroup memory; each thread keeps a private partial result (HS, or 2 HS for dk and dv) and the KS
// partials of a row are merged in workgroup memory at the end. Nothing is sized by the sequence length. Decoding
// (Tq = 1) gets rows = 1: the whole workgroup splits the one query's keys.

import type { AttentionDims } from "../../backend.ts";
import { paramValues, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import forwardWgsl from "./attention_forward.wgsl?raw";
import dqWgsl from "./attention_backward_dq.wgsl?raw";
import dkdvWgsl from "./attention_backward_dkdv.wgsl?raw";

/** Threads per workgroup in all three kernels: rows x KS. */
const WG = 64;
/** Most rows a workgroup owns (a power of two dividing WG): KS = WG / rows threads share each row. */
const MAX_ROWS = 8;
/** Most rows per tile (keys, or query rows in the dk/dv pass) held in workgroup memory. */
const MAX_TILE = 64;

/** The uniform fields of all three kernels, in order (scale = 1 / sqrt(HS)). */
export const ATTENTION_PARAMS = [["Tq", "u32"], ["Tk", "u32"], ["kvStride", "u32"], ["NH", "u32"], ["NKV", "u32"], ["scale", "f32"]] as const;

export type Kernel = "forward" | "dq" | "dkdv";
const CODE: Record<Kernel, string> = { forward: forwardWgsl, dq: dqWgsl, dkdv: dkdvWgsl };

/** Workgroup-memory floats of each kernel for `rows` rows and `tile` tile rows, as its .wgsl file declares them. */
const MEMORY: Record<Kernel, (rows: number, tile: number, HS: number) => number> = {
  forward: (rows, tile, HS) => rows * HS + 2 * tile * HS + 2 * WG, // qs, kv, ms + ls
  dq: (rows, tile, HS) => 2 * rows * HS + 2 * tile * HS + WG, // qs + dos, kv, red
  dkdv: (rows, tile, HS) => 2 * rows * HS + 2 * tile * HS + 2 * tile, // ks + vs, qd, lt + Dt
};

/**
 * Rows per workgroup (at most `want`, halved until the kernel fits) and rows per tile (as many as fit, up to MAX_TILE,
 * a multiple of KS where it can be, so the threads of a row get equal shares). The merge uses the tile as scratch
 * for WG partials, a chunk of columns at a time, so a tile holds at least WG floats (2 tile HS >= WG).
 */
function geometry(limits: GPUSupportedLimits, kernel: Kernel, HS: number, want: number): { rows: number; tile: number } {
  const budget = Math.floor(limits.maxComputeWorkgroupStorageSize / 4) - 4 * 4; // each of <= 4 arrays may be padded to 16 bytes
  const mem = MEMORY[kernel];
  const minTile = Math.ceil(WG / (2 * HS));
  for (let rows = want; rows >= 1; rows /= 2) {
    if (mem(rows, minTile, HS) > budget) continue;
    let tile = MAX_TILE;
    while (tile > minTile && mem(rows, tile, HS) > budget) tile--;
    const KS = WG / rows;
    if (tile - (tile % KS) >= Math.max(KS, minTile)) tile -= tile % KS;
    return { rows, tile };
  }
  throw new RangeError(`attention: head size ${HS} does not fit this GPU's workgroup memory (${limits.maxComputeWorkgroupStorageSize} bytes)`);
}

/**
 * Rows and tile of each kernel for `d`. Query rows per workgroup: the smallest power of two >= Tq, at most MAX_ROWS
 * (1 for decoding: the whole workgroup splits that row's keys); key rows: MAX_ROWS; both shrink where HS is big.
 */
export function plan(limits: GPUSupportedLimits, d: AttentionDims): Record<Kernel, { rows: number; tile: number }> {
  const queryRows = Math.min(MAX_ROWS, 2 ** Math.ceil(Math.log2(Math.max(1, d.Tq))));
  return {
    forward: geometry(limits, "forward", d.HS, queryRows),
    dq: geometry(limits, "dq", d.HS, queryRows),
    dkdv: geometry(limits, "dkdv", d.HS, MAX_ROWS),
  };
}

/** `kernel`'s WGSL as compiled for head size HS: the HS constant, `struct Params` from ATTENTION_PARAMS, the kernel file. */
export function attentionSource(kernel: Kernel, HS: number): string {
  // HS sizes private arrays, which WGSL wants as a const: it is prepended, and so part of the module's key
  return [`const HS = ${HS}u;`, wgslStruct("Params", ATTENTION_PARAMS), CODE[kernel]].join("\n");
}

function pipeline(ctx: GpuContext, kernel: Kernel, HS: number, overrides: Record<string, number>): GPUComputePipeline {
  return ctx.pipeline(`attention:${kernel}:HS=${HS}`, attentionSource(kernel, HS), { WG, ...overrides });
}

// q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS) -> out (B,Tq,NH,HS), lse (B,NH,Tq)
export function forward(ctx: GpuContext, out: Binding, lse: Binding, q: Binding, k: Binding, v: Binding, d: AttentionDims): void {
  check(d);
  if (d.B * d.Tq === 0) return;
  const g = plan(ctx.limits, d).forward;
  const pipe = pipeline(ctx, "forward", d.HS, { BQ: g.rows, BK: g.tile });
  ctx.dispatch(pipe, [out, lse, q, k, v], params(d), [Math.ceil(d.Tq / g.rows), d.NH, d.B], traffic(d, g.rows).forward);
}

// dout, q, out (B,Tq,NH,HS), k v (B,kvStride,NKV,HS), lse (B,NH,Tq) -> dq (B,Tq,NH,HS) +=, dk dv (B,kvStride,NKV,HS) +=
export function backward(
  ctx: GpuContext, dq: Binding, dk: Binding, dv: Binding, dout: Binding, q: Binding, k: Binding, v: Binding,
  out: Binding, lse: Binding, d: AttentionDims,
): void {
  check(d);
  if (d.B * d.Tq === 0) return;
  const D = ctx.buffer(d.B * d.NH * d.Tq * 4, "attention:D"); // dout . out per row, from pass 1 to pass 2
  const { dq: gq, dkdv: gk } = plan(ctx.limits, d);
  const dqPipe = pipeline(ctx, "dq", d.HS, { BQ: gq.rows, BK: gq.tile });
  ctx.dispatch(dqPipe, [dq, D, dout, q, k, v, out, lse], params(d), [Math.ceil(d.Tq / gq.rows), d.NH, d.B], traffic(d, gq.rows).dq);
  const dkdvPipe = pipeline(ctx, "dkdv", d.HS, { BKV: gk.rows, BQ: gk.tile });
  ctx.dispatch(dkdvPipe, [dk, dv, dout, q, k, v, lse, D], params(d), [Math.ceil(d.Tk / gk.rows), d.NKV, d.B], traffic(d, gk.rows).dkdv);
  ctx.release(D); // later kernels are encoded after these, so reusing it is safe
}

/**
 * Bytes each kernel reads and writes in global memory for `d` with `rows` rows a workgroup (what GpuContext counts).
 * Causal: a query block reads the keys up to its last query's position, a key block the queries from its first key's
 * position on. forward: q, out, lse of its rows, k and v of those keys. dq: q, dout, out, lse, D and dq (+=, so read
 * and written) of its rows, k and v of those keys. dkdv (per kv head): k, v, dk, dv (+=) of its key rows, and for each
 * of the group's query heads q, dout, lse and D of those queries.
 */
export function traffic(d: AttentionDims, rows: number): Record<Kernel, number> {
  const past = d.Tk - d.Tq;
  const HS = d.HS;
  let fwd = 0;
  let dq = 0;
  for (let q0 = 0; q0 < d.Tq; q0 += rows) {
    const n = Math.min(rows, d.Tq - q0);
    const keys = Math.min(d.Tk, past + q0 + n);
    fwd += n * (2 * HS + 1) + 2 * keys * HS;
    dq += n * (5 * HS + 2) + 2 * keys * HS;
  }
  let dkdv = 0;
  for (let k0 = 0; k0 < d.Tk; k0 += rows) {
    const n = Math.min(rows, d.Tk - k0);
    const queries = d.Tq - Math.min(d.Tq, Math.max(0, k0 - past));
    dkdv += 6 * n * HS + (d.NH / d.NKV) * queries * (2 * HS + 2);
  }
  const per = 4 * d.B;
  return { forward: per * d.NH * fwd, dq: per * d.NH * dq, dkdv: per * d.NKV * dkdv };
}

function params(d: AttentionDims) {
  return paramValues(ATTENTION_PARAMS, { Tq: d.Tq, Tk: d.Tk, kvStride: d.kvStride, NH: d.NH, NKV: d.NKV, scale: 1 / Math.sqrt(d.HS) });
}

function check(d: AttentionDims): void {
  const { Tq, Tk, kvStride, NH, NKV } = d;
  if (NKV === 0 || NH % NKV !== 0) throw new RangeError(`attention: ${NH} query heads do not split into ${NKV} kv groups`);
  if (Tq > Tk || Tk > kvStride) throw new RangeError(`attention: need Tq <= Tk <= kvStride, got ${Tq}, ${Tk}, ${kvStride}`);
}
