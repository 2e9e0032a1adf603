// Token embedding on the GPU (embedding.wgsl), matching cpu/embedding.ts. The backward gives each channel to one
// thread that walks the tokens in order, so repeated ids accumulate without races or atomics (parallel over C only:
// this kernel is small next to the matmuls).

import type { GpuContext } from "../context.ts";
import code from "./embedding.wgsl?raw";

const WG = 64;

// ids (N), wte (V,C) -> out (N,C)
export function forward(ctx: GpuContext, out: GPUBuffer, ids: GPUBuffer, wte: GPUBuffer, N: number, C: number): void {
  if (N * C === 0) return;
  const pipeline = ctx.pipeline("embedding:forward", code, { WG }, "forward");
  ctx.dispatch(pipeline, [out, ids, wte], [["u32", N], ["u32", C]], ctx.grid(Math.ceil((N * C) / WG)));
}

// dout (N,C), ids (N) -> dwte (V,C) +=
export function backward(ctx: GpuContext, dwte: GPUBuffer, dout: GPUBuffer, ids: GPUBuffer, N: number, C: number): void {
  if (N * C === 0) return;
  const pipeline = ctx.pipeline("embedding:backward", code, { WG }, "backward");
  ctx.dispatch(pipeline, [dwte, ids, dout], [["u32", N], ["u32", C]], ctx.grid(Math.ceil(C / WG)));
}
