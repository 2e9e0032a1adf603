// Optimizer kernels on the GPU (optim.wgsl), matching cpu/optim.ts: the AdamW step, and the sum of squares of many
// buffers (for the global gradient norm) as a two-stage reduction: per buffer, workgroups write partial sums into a
// scratch buffer; one workgroup then adds the partials and overwrites out[0].

import type { AdamWParams } from "../../backend.ts";
import { paramValues, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import code from "./optim.wgsl?raw";
import reduceWgsl from "./reduce.wgsl?raw";

const WG = 256; // a power of two: reduce.wgsl's tree halves it
/** Most workgroups (partial sums) per buffer; each thread then strides over the rest of the buffer. */
const MAX_PARTIALS = 256;

/** adamw's uniform fields, in order: 1 - beta and the bias corrections bc = 1 - beta^t come from here, in float64. */
export const ADAMW_PARAMS = [
  ["n", "u32"], ["lr", "f32"], ["beta1", "f32"], ["one_minus_beta1", "f32"], ["beta2", "f32"], ["one_minus_beta2", "f32"],
  ["eps", "f32"], ["weight_decay", "f32"], ["bc1", "f32"], ["bc2", "f32"],
] as const;
/** The sum_squares stages' uniform fields: n elements of the source, base its first partial slot (partial stage). */
export const SUM_PARAMS = [["n", "u32"], ["base", "u32"]] as const;
/** The shader as compiled: `struct AdamWParams` and `struct SumParams` from the tables above, the reductions, then optim.wgsl. */
export const OPTIM_WGSL = [wgslStruct("AdamWParams", ADAMW_PARAMS), wgslStruct("SumParams", SUM_PARAMS), reduceWgsl, code].join("\n");

// param, grad, m, v (n) -> param, m, v updated in place
export function adamw(ctx: GpuContext, param: Binding, grad: Binding, m: Binding, v: Binding, n: number, p: AdamWParams): void {
  if (n <= 0) return;
  const pipeline = ctx.pipeline("optim:adamw", OPTIM_WGSL, { WG }, "adamw");
  const params = paramValues(ADAMW_PARAMS, {
    n, lr: p.lr, beta1: p.beta1, one_minus_beta1: 1 - p.beta1, beta2: p.beta2, one_minus_beta2: 1 - p.beta2,
    eps: p.eps, weight_decay: p.weightDecay, bc1: 1 - Math.pow(p.beta1, p.t), bc2: 1 - Math.pow(p.beta2, p.t),
  });
  ctx.dispatch(pipeline, [param, m, v, grad], params, ctx.grid(Math.ceil(n / WG)));
}

// bufs: [buffer, n] pairs -> out (1) = sum over every buffer's first n values of x^2 (overwritten)
export function sumSquares(ctx: GpuContext, out: Binding, bufs: readonly (readonly [Binding, number])[]): void {
  const counts = bufs.map(([, n]) => Math.min(MAX_PARTIALS, Math.ceil(Math.max(0, n) / WG)));
  const total = counts.reduce((a, b) => a + b, 0);
  const partials = ctx.buffer(Math.max(1, total) * 4, "optim:sumSquares:partials");
  const partial = ctx.pipeline("optim:sum_squares_partial", OPTIM_WGSL, { WG }, "sum_squares_partial");
  let base = 0;
  bufs.forEach(([buf, n], i) => {
    if (counts[i]! === 0) return;
    ctx.dispatch(partial, [partials, buf], paramValues(SUM_PARAMS, { n, base }), [counts[i]!]);
    base += counts[i]!;
  });
  const final = ctx.pipeline("optim:sum_squares_final", OPTIM_WGSL, { WG }, "sum_squares_final");
  ctx.dispatch(final, [out, partials], paramValues(SUM_PARAMS, { n: total, base: 0 }), [1]);
  ctx.release(partials); // later kernels are encoded after these, so reusing it is safe
}
