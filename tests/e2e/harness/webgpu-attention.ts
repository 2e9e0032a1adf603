// webgpu-attention.ts — e2e harness: runs the WebGPU rope, attention and classifier kernels (src/lib/train/webgpu/
// kernels) and the CPU reference kernels (src/lib/train/cpu, in float64) on the same seeded random inputs and returns
// the largest relative error of each output, |gpu - ref| / max(1, |ref|) (Infinity for NaN), for
// webgpu-attention.test.ts. Outputs are poisoned with NaN before forward kernels; the gradients of the accumulating
// backward kernels start from random values. Attention cases can also check the GPU's forward + backward against
// float64 finite differences, and report the kernels' plan (rows per workgroup, tile). Test code only, not part of the app.

import type { AttentionDims } from "../../../src/lib/train/backend.ts";
import { attentionBackward, attentionForward } from "../../../src/lib/train/cpu/attention.ts";
import { classifierBackward, classifierForward } from "../../../src/lib/train/cpu/classifier.ts";
import { ropeBackward, ropeForward } from "../../../src/lib/train/cpu/rope.ts";
import { GpuContext } from "../../../src/lib/train/webgpu/context.ts";
import * as attention from "../../../src/lib/train/webgpu/kernels/attention.ts";
import * as classifier from "../../../src/lib/train/webgpu/kernels/classifier.ts";
import * as rope from "../../../src/lib/train/webgpu/kernels/rope.ts";
import { dot, fdError } from "../../unit/train/fd.ts";

export interface RopeCase { N: number; NH: number; HS: number; maxPos: number; seed: number }
/** `fd`: also check the gradients of the GPU's own forward + backward against float64 finite differences. */
export interface AttentionCase extends AttentionDims { seed: number; fd?: boolean }
export interface ClassifierCase { N: number; C: number; V: number; chunk?: number; dwte: boolean; seed: number }

/** Max relative error per output, plus what else the test checks. */
export interface Report { errors: Record<string, number>; gpuErrors: string[]; chunk?: number; plan?: AttentionPlan }
export type AttentionPlan = ReturnType<typeof attention.plan>;

let ctxPromise: Promise<GpuContext> | undefined;
const gpuErrors: string[] = [];
function gpu(): Promise<GpuContext> {
  return (ctxPromise ??= GpuContext.create().then((ctx) => {
    ctx.device.addEventListener("uncapturederror", (e) => gpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
    return ctx;
  }));
}

/** mulberry32: uniform in [-scale, scale). */
function random(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1) * scale;
  }
  return out;
}
const ints = (n: number, seed: number, max: number) => Int32Array.from(random(n, seed), (x) => Math.floor(((x + 1) / 2) * max));

function upload(ctx: GpuContext, data: Float32Array | Int32Array, label: string): GPUBuffer {
  const b = ctx.buffer(data.byteLength, label);
  ctx.write(b, data);
  return b;
}
const poisoned = (ctx: GpuContext, n: number, label: string) => upload(ctx, new Float32Array(n).fill(NaN), label);
async function read(ctx: GpuContext, b: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await ctx.read(b, n * 4));
}

function maxRel(got: Float32Array, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

async function report(ctx: GpuContext, errors: Record<string, number>, extra: Partial<Report> = {}): Promise<Report> {
  await ctx.device.queue.onSubmittedWorkDone(); // uncaptured errors arrive by then
  return { errors, gpuErrors: gpuErrors.splice(0), ...extra };
}

async function ropeCase({ N, NH, HS, maxPos, seed }: RopeCase): Promise<Report> {
  const ctx = await gpu();
  const n = N * NH * HS;
  const inp = random(n, seed);
  const dout = random(n, seed + 1);
  const pos = ints(N, seed + 2, maxPos);
  const invFreq = Float32Array.from({ length: HS / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / HS));
  const ref = new Float64Array(n);
  const dref = new Float64Array(n);
  ropeForward(ref, Float64Array.from(inp), invFreq, pos, N, NH, HS);
  ropeBackward(dref, Float64Array.from(dout), invFreq, pos, N, NH, HS);

  const [f, p, x, out, d, dinp] = [upload(ctx, invFreq, "invFreq"), upload(ctx, pos, "pos"), upload(ctx, inp, "x"),
    poisoned(ctx, n, "out"), upload(ctx, dout, "dout"), poisoned(ctx, n, "dinp")];
  rope.forward(ctx, out, x, f, p, N, NH, HS);
  rope.backward(ctx, dinp, d, f, p, N, NH, HS);
  const errors: Record<string, number> = {
    forward: maxRel(await read(ctx, out, n), ref),
    inputKept: maxRel(await read(ctx, x, n), inp),
    backward: maxRel(await read(ctx, dinp, n), dref),
  };
  rope.forward(ctx, x, x, f, p, N, NH, HS);
  rope.backward(ctx, d, d, f, p, N, NH, HS);
  errors.forwardInPlace = maxRel(await read(ctx, x, n), ref);
  errors.backwardInPlace = maxRel(await read(ctx, d, n), dref);
  for (const b of [f, p, x, out, d, dinp]) ctx.release(b);
  return report(ctx, errors);
}

async function attentionCase(c: AttentionCase): Promise<Report> {
  const ctx = await gpu();
  const { B, Tq, Tk, kvStride, NH, NKV, HS, seed } = c;
  const nq = B * Tq * NH * HS;
  const nkv = B * kvStride * NKV * HS;
  const q = random(nq, seed);
  const dout = random(nq, seed + 1);
  // k and v rows past Tk (the unused KV-cache tail) are NaN: reading them would show
  const [k, v] = [random(nkv, seed + 2), random(nkv, seed + 3)];
  for (let i = 0; i < nkv; i++) if (Math.floor(i / (NKV * HS)) % kvStride >= Tk) k[i] = v[i] = NaN;
  const [dq0, dk0, dv0] = [random(nq, seed + 4), random(nkv, seed + 5), random(nkv, seed + 6)];

  const outRef = new Float64Array(nq);
  const lseRef = new Float64Array(B * NH * Tq);
  attentionForward(outRef, lseRef, Float64Array.from(q), Float64Array.from(k), Float64Array.from(v), c);
  // backward from the float32 forward results, the same on both sides
  const out32 = Float32Array.from(outRef);
  const lse32 = Float32Array.from(lseRef);
  const [dqRef, dkRef, dvRef] = [Float64Array.from(dq0), Float64Array.from(dk0), Float64Array.from(dv0)];
  attentionBackward(dqRef, dkRef, dvRef, Float64Array.from(dout), Float64Array.from(q), Float64Array.from(k),
    Float64Array.from(v), Float64Array.from(out32), Float64Array.from(lse32), c);

  const bufs = {
    q: upload(ctx, q, "q"), k: upload(ctx, k, "k"), v: upload(ctx, v, "v"), dout: upload(ctx, dout, "dout"),
    out: poisoned(ctx, nq, "out"), lse: poisoned(ctx, B * NH * Tq, "lse"),
    out32: upload(ctx, out32, "out32"), lse32: upload(ctx, lse32, "lse32"),
    dq: upload(ctx, dq0, "dq"), dk: upload(ctx, dk0, "dk"), dv: upload(ctx, dv0, "dv"),
  };
  attention.forward(ctx, bufs.out, bufs.lse, bufs.q, bufs.k, bufs.v, c);
  attention.backward(ctx, bufs.dq, bufs.dk, bufs.dv, bufs.dout, bufs.q, bufs.k, bufs.v, bufs.out32, bufs.lse32, c);
  const errors: Record<string, number> = {
    out: maxRel(await read(ctx, bufs.out, nq), outRef),
    lse: maxRel(await read(ctx, bufs.lse, B * NH * Tq), lseRef),
    dq: maxRel(await read(ctx, bufs.dq, nq), dqRef),
    dk: maxRel(await read(ctx, bufs.dk, nkv), dkRef), // rows past Tk must come back as they went in
    dv: maxRel(await read(ctx, bufs.dv, nkv), dvRef),
  };
  if (c.fd) {
    // the GPU's backward from its own forward (out, lse), gradients from zero, against central differences of
    // L = sum(out * dout) through the float64 CPU forward; rows past Tk must get 0 (the loss does not read them)
    for (const g of [bufs.dq, bufs.dk, bufs.dv]) ctx.clear(g);
    attention.backward(ctx, bufs.dq, bufs.dk, bufs.dv, bufs.dout, bufs.q, bufs.k, bufs.v, bufs.out, bufs.lse, c);
    const [q64, k64, v64, dout64] = [Float64Array.from(q), Float64Array.from(k), Float64Array.from(v), Float64Array.from(dout)];
    const [o64, l64] = [new Float64Array(nq), new Float64Array(B * NH * Tq)];
    const L = () => (attentionForward(o64, l64, q64, k64, v64, c), dot(o64, dout64));
    const grad = async (b: GPUBuffer, n: number) => Float64Array.from(await read(ctx, b, n));
    errors.fdDq = fdError(q64, await grad(bufs.dq, nq), L, 1e-4);
    errors.fdDk = fdError(k64, await grad(bufs.dk, nkv), L, 1e-4);
    errors.fdDv = fdError(v64, await grad(bufs.dv, nkv), L, 1e-4);
  }
  for (const b of Object.values(bufs)) ctx.release(b);
  return report(ctx, errors, { plan: attention.plan(ctx.limits, c) });
}

async function classifierCase({ N, C, V, chunk, dwte, seed }: ClassifierCase): Promise<Report> {
  const ctx = await gpu();
  const h = random(N * C, seed);
  const wte = random(V * C, seed + 1, 0.5);
  const targets = ints(N, seed + 2, V);
  for (let n = 0; n < N; n += 4) targets[n] = -1; // no loss on every fourth row
  targets[1] = 0;
  targets[2] = V - 1; // the first and the last vocabulary row (the last chunk's remainder)
  const valid = targets.filter((t) => t >= 0).length;
  const dloss = 1 / valid;

  const lossRef = new Float64Array(N);
  const lseRef = new Float64Array(N);
  const [h64, wte64] = [Float64Array.from(h), Float64Array.from(wte)];
  classifierForward(lossRef, lseRef, h64, wte64, targets, N, C, V);
  const lse32 = Float32Array.from(lseRef);
  const [dh0, dwte0] = [random(N * C, seed + 3), random(V * C, seed + 4)];
  const [dhRef, dwteRef] = [Float64Array.from(dh0), Float64Array.from(dwte0)];
  classifierBackward(dhRef, dwte ? dwteRef : null, h64, wte64, targets, Float64Array.from(lse32), dloss, N, C, V);

  const bufs = {
    h: upload(ctx, h, "h"), wte: upload(ctx, wte, "wte"), targets: upload(ctx, targets, "targets"),
    losses: poisoned(ctx, N, "losses"), lse: poisoned(ctx, N, "lse"), lse32: upload(ctx, lse32, "lse32"),
    dh: upload(ctx, dh0, "dh"), dwte: upload(ctx, dwte0, "dwte"),
  };
  classifier.forward(ctx, bufs.losses, bufs.lse, bufs.h, bufs.wte, bufs.targets, N, C, V, chunk);
  classifier.backward(ctx, bufs.dh, dwte ? bufs.dwte : null, bufs.h, bufs.wte, bufs.targets, bufs.lse32, dloss, N, C, V, chunk);
  const errors = {
    losses: maxRel(await read(ctx, bufs.losses, N), lossRef),
    lse: maxRel(await read(ctx, bufs.lse, N), lseRef),
    dh: maxRel(await read(ctx, bufs.dh, N * C), dhRef),
    dwte: maxRel(await read(ctx, bufs.dwte, V * C), dwteRef), // untouched when dwte is not asked for
  };
  for (const b of Object.values(bufs)) ctx.release(b);
  return report(ctx, errors, { chunk: classifier.chunkRows(ctx.limits, N, C, V, chunk) });
}

const api = { rope: ropeCase, attention: attentionCase, classifier: classifierCase };

declare global {
  interface Window {
    webgpuKernels: typeof api;
  }
}
window.webgpuKernels = api;
