// Token embedding on the GPU (embedding.wgsl), matching cpu/embedding.ts. The backward gives each channel to one
// thread that walks the tokens in order, so repeated ids accumulate without races or atomics (parallel over C only:
// this kernel is small next to the matmuls).

import { paramValues, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import code from "./embedding.wgsl?raw";

const WG = 64;

/** The uniform fields of both entry points, in order. */
export const EMBEDDING_PARAMS = [["N", "u32"], ["C", "u32"]] as const;
/** The shader as compiled: its `struct Params` from EMBEDDING_PARAMS, then embedding.wgsl. */
export const EMBEDDING_WGSL = [wgslStruct("Params", EMBEDDING_PARAMS), code].join("\n");

// ids (N), wte (V,C) -> out (N,C)
export function forward(ctx: GpuContext, out: Binding, ids: Binding, wte: Binding, N: number, C: number): void {
  if (N * C === 0) return;
  const pipeline = ctx.pipeline("embedding:forward", EMBEDDING_WGSL, { WG }, "forward");
  ctx.dispatch(pipeline, [out, ids, wte], paramValues(EMBEDDING_PARAMS, { N, C }), ctx.grid(Math.ceil((N * C) / WG)));
}

// dout (N,C), ids (N) -> dwte (V,C) +=
export function backward(ctx: GpuContext, dwte: Binding, dout: Binding, ids: Binding, N: number, C: number): void {
  if (N * C === 0) return;
  const pipeline = ctx.pipeline("embedding:backward", EMBEDDING_WGSL, { WG }, "backward");
  ctx.dispatch(pipeline, [dwte, ids, dout], paramValues(EMBEDDING_PARAMS, { N, C }), ctx.grid(Math.ceil(C / WG)));
}
