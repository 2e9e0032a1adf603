// Rotary position embedding on the GPU (rope.wgsl), matching cpu/rope.ts: HF "rotate_half" pairs (i, i + HS/2),
// the angle fround(pos * invFreq). The kernel rotates one buffer in place; out-of-place calls copy first, since one
// dispatch may not bind the same buffer as both read-only and writable storage.

import { paramValues, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import code from "./rope.wgsl?raw";

const WG = 64;

/** rope.wgsl's uniform fields, in order: total = N * NH * HS/2 rotated pairs, sign 1 (forward) or -1 (backward). */
export const ROPE_PARAMS = [["total", "u32"], ["NH", "u32"], ["HS", "u32"], ["sign", "f32"]] as const;
/** The shader as compiled: its `struct Params` from ROPE_PARAMS, then rope.wgsl. */
export const ROPE_WGSL = [wgslStruct("Params", ROPE_PARAMS), code].join("\n");

// inp (N,NH,HS), invFreq (HS/2), pos (N, int32) -> out (N,NH,HS); out may be inp
export function forward(ctx: GpuContext, out: Binding, inp: Binding, invFreq: Binding, pos: Binding, N: number, NH: number, HS: number): void {
  rotate(ctx, out, inp, invFreq, pos, N, NH, HS, 1);
}

// dout (N,NH,HS) -> dinp (N,NH,HS) = rotation by -angle (overwrites; dinp may be dout)
export function backward(ctx: GpuContext, dinp: Binding, dout: Binding, invFreq: Binding, pos: Binding, N: number, NH: number, HS: number): void {
  rotate(ctx, dinp, dout, invFreq, pos, N, NH, HS, -1);
}

function rotate(
  ctx: GpuContext, out: Binding, inp: Binding, invFreq: Binding, pos: Binding, N: number, NH: number, HS: number, sign: 1 | -1,
): void {
  if (HS % 2 !== 0) throw new RangeError(`rope: head size ${HS} is odd; rotate_half needs pairs`);
  const total = N * NH * (HS / 2);
  if (total === 0) return;
  if (out !== inp) ctx.copy(out, inp, N * NH * HS * 4);
  const pipeline = ctx.pipeline("rope", ROPE_WGSL, { WG });
  ctx.dispatch(pipeline, [out, invFreq, pos], paramValues(ROPE_PARAMS, { total, NH, HS, sign }), ctx.grid(Math.ceil(total / WG)));
}

