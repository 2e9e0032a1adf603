// Elementwise kernels on the GPU (elementwise.wgsl), matching cpu/swiglu.ts and CpuBackend's addInPlace / scale: one
// thread per element.

import { paramValues, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import code from "./elementwise.wgsl?raw";

const WG = 256;

/** The uniform fields of every entry point, in order: n elements, s the factor of scale (0 for the others). */
export const ELEMENTWISE_PARAMS = [["n", "u32"], ["s", "f32"]] as const;
/** The shader as compiled: its `struct Params` from ELEMENTWISE_PARAMS, then elementwise.wgsl. */
export const ELEMENTWISE_WGSL = [wgslStruct("Params", ELEMENTWISE_PARAMS), code].join("\n");

function run(ctx: GpuContext, entry: string, buffers: Binding[], n: number, s = 0): void {
  if (n <= 0) return;
  const pipeline = ctx.pipeline(`elementwise:${entry}`, ELEMENTWISE_WGSL, { WG }, entry);
  ctx.dispatch(pipeline, buffers, paramValues(ELEMENTWISE_PARAMS, { n, s }), ctx.grid(Math.ceil(n / WG)));
}

// gate (n), up (n) -> out (n) = silu(gate) * up
export function swigluForward(ctx: GpuContext, out: Binding, gate: Binding, up: Binding, n: number): void {
  run(ctx, "swiglu_forward", [out, gate, up], n);
}

// dout (n), gate (n), up (n) -> dgate (n) +=, dup (n) +=
export function swigluBackward(ctx: GpuContext, dgate: Binding, dup: Binding, dout: Binding, gate: Binding, up: Binding, n: number): void {
  run(ctx, "swiglu_backward", [dgate, dup, dout, gate, up], n);
}

// a (n) += b (n)
export function addInPlace(ctx: GpuContext, a: Binding, b: Binding, n: number): void {
  run(ctx, "add_in_place", [a, b], n);
}

// buf (n) *= s
export function scale(ctx: GpuContext, buf: Binding, n: number, s: number): void {
  run(ctx, "scale", [buf], n, s);
}
