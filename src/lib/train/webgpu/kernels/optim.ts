// Optimizer kernels on the GPU (optim.wgsl), matching cpu/optim.ts: the AdamW step, and the sum of squares of many
// buffers (for the global gradient norm) as a two-stage reduction: per buffer, workgroups write partial sums into a
// scratch buffer; one workgroup then adds the partials and overwrites out[0].

import type { AdamWParams } from "../../backend.ts";
import type { GpuContext } from "../context.ts";
import code from "./optim.wgsl?raw";

const WG = 256; // a power of two: the tree reduction halves it
/** Most workgroups (partial sums) per buffer; each thread then strides over the rest of the buffer. */
const MAX_PARTIALS = 256;

// param, grad, m, v (n) -> param, m, v updated in place
export function adamw(ctx: GpuContext, param: GPUBuffer, grad: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, p: AdamWParams): void {
  if (n <= 0) return;
  const pipeline = ctx.pipeline("optim:adamw", code, { WG }, "adamw");
  ctx.dispatch(
    pipeline,
    [param, m, v, grad],
    [
      ["u32", n], ["f32", p.lr], ["f32", p.beta1], ["f32", 1 - p.beta1], ["f32", p.beta2], ["f32", 1 - p.beta2],
      ["f32", p.eps], ["f32", p.weightDecay], ["f32", 1 - Math.pow(p.beta1, p.t)], ["f32", 1 - Math.pow(p.beta2, p.t)],
    ],
    ctx.grid(Math.ceil(n / WG)),
  );
}

// bufs: [buffer, n] pairs -> out (1) = sum over every buffer's first n values of x^2 (overwritten)
export function sumSquares(ctx: GpuContext, out: GPUBuffer, bufs: readonly (readonly [GPUBuffer, number])[]): void {
  const counts = bufs.map(([, n]) => Math.min(MAX_PARTIALS, Math.ceil(Math.max(0, n) / WG)));
  const total = counts.reduce((a, b) => a + b, 0);
  const partials = ctx.buffer(Math.max(1, total) * 4, "optim:sumSquares:partials");
  const partial = ctx.pipeline("optim:sum_squares_partial", code, { WG }, "sum_squares_partial");
  let base = 0;
  bufs.forEach(([buf, n], i) => {
    if (counts[i]! === 0) return;
    ctx.dispatch(partial, [partials, buf], [["u32", n], ["u32", base]], [counts[i]!]);
    base += counts[i]!;
  });
  const final = ctx.pipeline("optim:sum_squares_final", code, { WG }, "sum_squares_final");
  ctx.dispatch(final, [out, partials], [["u32", total], ["u32", 0]], [1]);
  ctx.release(partials); // later kernels are encoded after these, so reusing it is safe
}
