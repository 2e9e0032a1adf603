// Causal grouped-query attention on the GPU, matching cpu/attention.ts: the forward keeps only the log-sum-exp per
// score row and walks the keys in tiles with an online softmax (attention_forward.wgsl), so no (NH,T,T) buffer exists;
// the backward recomputes the probabilities from it in two race-free passes: one parallel over query rows for dq
// (attention_backward_dq.wgsl, which also saves D = dout . out), one parallel over key rows and kv heads for dk and dv
// (attention_backward_dkdv.wgsl). Query row t sits at position Tk - Tq + t (Tq < Tk: the KV-cache case).

import type { AttentionDims } from "../../backend.ts";
import type { GpuContext } from "../context.ts";
import forwardWgsl from "./attention_forward.wgsl?raw";
import dqWgsl from "./attention_backward_dq.wgsl?raw";
import dkdvWgsl from "./attention_backward_dkdv.wgsl?raw";

/** Largest head size: each invocation keeps a few head-size rows in private arrays of this length. */
export const MAX_HS = 256;
/** Largest tile (keys, or queries in the dk/dv pass) held in workgroup memory. */
const MAX_TILE = 32;
/** Rows (query or key) per workgroup, one per invocation. */
const ROWS = 64;

// Private array sizes must be constants in WGSL: declared once here, prepended to each kernel.
const prelude = `const MAX_HS = ${MAX_HS}u;\nconst MAX_TILE = ${MAX_TILE}u;\n`;
const code = { forward: prelude + forwardWgsl, dq: prelude + dqWgsl, dkdv: prelude + dkdvWgsl };

// q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS) -> out (B,Tq,NH,HS), lse (B,NH,Tq)
export function forward(ctx: GpuContext, out: GPUBuffer, lse: GPUBuffer, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer, d: AttentionDims): void {
  check(d);
  if (d.B * d.Tq === 0) return;
  const pipeline = ctx.pipeline("attention:forward", code.forward, { HS: d.HS, BQ: ROWS, BK: tile(ctx, d.HS) });
  ctx.dispatch(pipeline, [out, lse, q, k, v], params(d), [Math.ceil(d.Tq / ROWS), d.NH, d.B]);
}

// dout, q, out (B,Tq,NH,HS), k v (B,kvStride,NKV,HS), lse (B,NH,Tq) -> dq (B,Tq,NH,HS) +=, dk dv (B,kvStride,NKV,HS) +=
export function backward(
  ctx: GpuContext, dq: GPUBuffer, dk: GPUBuffer, dv: GPUBuffer, dout: GPUBuffer, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer,
  out: GPUBuffer, lse: GPUBuffer, d: AttentionDims,
): void {
  check(d);
  if (d.B * d.Tq === 0) return;
  const T = tile(ctx, d.HS);
  const D = ctx.buffer(d.B * d.NH * d.Tq * 4, "attention:D"); // dout . out per row, from pass 1 to pass 2
  const dqPipe = ctx.pipeline("attention:backward_dq", code.dq, { HS: d.HS, BQ: ROWS, BK: T });
  ctx.dispatch(dqPipe, [dq, D, dout, q, k, v, out, lse], params(d), [Math.ceil(d.Tq / ROWS), d.NH, d.B]);
  const dkdvPipe = ctx.pipeline("attention:backward_dkdv", code.dkdv, { HS: d.HS, BKV: ROWS, BQ: T });
  ctx.dispatch(dkdvPipe, [dk, dv, dout, q, k, v, lse, D], params(d), [Math.ceil(d.Tk / ROWS), d.NKV, d.B]);
  ctx.release(D); // later kernels are encoded after these, so reusing it is safe
}

function params(d: AttentionDims) {
  return [
    ["u32", d.Tq], ["u32", d.Tk], ["u32", d.kvStride], ["u32", d.NH], ["u32", d.NKV], ["f32", 1 / Math.sqrt(d.HS)],
  ] as const;
}

/** Rows per tile: two (tile, HS) float arrays plus two (tile) ones must fit the workgroup memory. */
function tile(ctx: GpuContext, HS: number): number {
  return Math.max(1, Math.min(MAX_TILE, Math.floor(ctx.limits.maxComputeWorkgroupStorageSize / (8 * (HS + 1)))));
}

function check(d: AttentionDims): void {
  const { Tq, Tk, kvStride, NH, NKV, HS } = d;
  if (HS > MAX_HS) throw new RangeError(`attention: head size ${HS} exceeds the WebGPU kernels' maximum ${MAX_HS}`);
  if (NKV === 0 || NH % NKV !== 0) throw new RangeError(`attention: ${NH} query heads do not split into ${NKV} kv groups`);
  if (Tq > Tk || Tk > kvStride) throw new RangeError(`attention: need Tq <= Tk <= kvStride, got ${Tq}, ${Tk}, ${kvStride}`);
}
