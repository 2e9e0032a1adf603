// RMSNorm on the GPU (rmsnorm.wgsl), matching cpu/rmsnorm.ts: a workgroup per row for the forward and for dinp, and
// the weight gradient in a second pass, one thread per channel summing over the rows (no races, no atomics).

import { paramValues, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import reduceWgsl from "./reduce.wgsl?raw";
import code from "./rmsnorm.wgsl?raw";

const WG = 128; // a power of two: reduce.wgsl's tree halves it

/** The uniform fields of all three entry points, in order (eps: the forward's only). */
export const RMSNORM_PARAMS = [["N", "u32"], ["C", "u32"], ["eps", "f32"]] as const;
/** The shader as compiled: its `struct Params` from RMSNORM_PARAMS, the reductions, then rmsnorm.wgsl. */
export const RMSNORM_WGSL = [wgslStruct("Params", RMSNORM_PARAMS), reduceWgsl, code].join("\n");

function pipeline(ctx: GpuContext, entry: "forward" | "backward" | "dweight"): GPUComputePipeline {
  return ctx.pipeline(`rmsnorm:${entry}`, RMSNORM_WGSL, { WG }, entry);
}

// inp (N,C), weight (C) -> out (N,C), rstd (N)
export function forward(ctx: GpuContext, out: Binding, rstd: Binding, inp: Binding, weight: Binding, N: number, C: number, eps: number): void {
  if (N * C === 0) return;
  const params = paramValues(RMSNORM_PARAMS, { N, C, eps });
  ctx.dispatch(pipeline(ctx, "forward"), [out, rstd, inp, weight], params, ctx.grid(N));
}

// dout (N,C), inp (N,C), weight (C), rstd (N) -> dinp (N,C) +=, dweight (C) += (when given)
export function backward(
  ctx: GpuContext, dinp: Binding, dweight: Binding | null, dout: Binding, inp: Binding, weight: Binding, rstd: Binding,
  N: number, C: number,
): void {
  if (N * C === 0) return;
  const params = paramValues(RMSNORM_PARAMS, { N, C, eps: 0 });
  ctx.dispatch(pipeline(ctx, "backward"), [dinp, dout, inp, weight, rstd], params, ctx.grid(N));
  if (dweight) ctx.dispatch(pipeline(ctx, "dweight"), [dweight, dout, inp, rstd], params, ctx.grid(Math.ceil(C / WG)));
}
