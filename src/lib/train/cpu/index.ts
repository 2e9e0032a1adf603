// The CPU backend: the reference implementation of Backend over Float32Array. Clarity first; every WebGPU
// kernel is tested against these. Each method forwards to one kernel file (matmul.ts, attention.ts, ...).
// `new CpuBackend("f64")` runs the very same kernels in float64, so tests can take finite differences of a
// whole model's loss; buffers are then Float64Array at run time (typed as Float32Array for the interface).

import type { AdamWParams, AttentionDims, Backend, MatmulOptions } from "../backend.ts";
import { attentionBackward, attentionForward } from "./attention.ts";
import { classifierBackward, classifierForward } from "./classifier.ts";
import { embeddingBackward, embeddingForward } from "./embedding.ts";
import { matmulBackward, matmulForward } from "./matmul.ts";
import { adamw, sumSquares } from "./optim.ts";
import { rmsnormBackward, rmsnormForward } from "./rmsnorm.ts";
import { ropeBackward, ropeForward } from "./rope.ts";
import { swigluBackward, swigluForward } from "./swiglu.ts";

export class CpuBackend implements Backend<Float32Array, Int32Array> {
  readonly name: string;
  private scores = new Float64Array(0);
  private readonly Ctor: Float32ArrayConstructor;

  constructor(readonly precision: "f32" | "f64" = "f32") {
    this.name = precision === "f32" ? "cpu" : "cpu-f64";
    this.Ctor = (precision === "f32" ? Float32Array : Float64Array) as unknown as Float32ArrayConstructor;
  }

  alloc(n: number): Float32Array {
    return new this.Ctor(n);
  }
  upload(data: ArrayLike<number>): Float32Array {
    return this.Ctor.from(data);
  }
  uploadIds(data: Int32Array): Int32Array {
    return data.slice();
  }
  write(buf: Float32Array, data: Float32Array, offset = 0): void {
    buf.set(data, offset);
  }
  writeIds(buf: Int32Array, data: Int32Array, offset = 0): void {
    buf.set(data, offset);
  }
  async read(buf: Float32Array, n = buf.length): Promise<Float32Array> {
    return Float32Array.from(buf.subarray(0, n));
  }
  zero(buf: Float32Array, n = buf.length): void {
    buf.fill(0, 0, n);
  }
  copy(dst: Float32Array, src: Float32Array, n: number, dstOffset = 0, srcOffset = 0): void {
    dst.set(src.subarray(srcOffset, srcOffset + n), dstOffset);
  }
  free(): void {}

  embeddingForward(out: Float32Array, ids: Int32Array, wte: Float32Array, N: number, C: number): void {
    embeddingForward(out, ids, wte, N, C);
  }
  embeddingBackward(dwte: Float32Array, dout: Float32Array, ids: Int32Array, N: number, C: number): void {
    embeddingBackward(dwte, dout, ids, N, C);
  }
  rmsnormForward(out: Float32Array, rstd: Float32Array, inp: Float32Array, weight: Float32Array, N: number, C: number, eps: number): void {
    rmsnormForward(out, rstd, inp, weight, N, C, eps);
  }
  rmsnormBackward(
    dinp: Float32Array, dweight: Float32Array | null, dout: Float32Array, inp: Float32Array, weight: Float32Array,
    rstd: Float32Array, N: number, C: number,
  ): void {
    rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
  }
  matmulForward(
    out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null, N: number, IC: number, OC: number,
    opts: MatmulOptions = {},
  ): void {
    matmulForward(out, inp, weight, bias, N, IC, OC, opts.scale ?? 1, opts.accumulate ?? false);
  }
  matmulBackward(
    dinp: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
    inp: Float32Array, weight: Float32Array, N: number, IC: number, OC: number, scale = 1,
  ): void {
    matmulBackward(dinp, dweight, dbias, dout, inp, weight, N, IC, OC, scale);
  }
  ropeForward(out: Float32Array, inp: Float32Array, invFreq: Float32Array, pos: Int32Array, N: number, NH: number, HS: number): void {
    ropeForward(out, inp, invFreq, pos, N, NH, HS);
  }
  ropeBackward(dinp: Float32Array, dout: Float32Array, invFreq: Float32Array, pos: Int32Array, N: number, NH: number, HS: number): void {
    ropeBackward(dinp, dout, invFreq, pos, N, NH, HS);
  }
  attentionForward(out: Float32Array, lse: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, d: AttentionDims): void {
    if (this.scores.length < d.Tk) this.scores = new Float64Array(d.Tk);
    attentionForward(out, lse, q, k, v, d, this.scores);
  }
  attentionBackward(
    dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array, q: Float32Array, k: Float32Array,
    v: Float32Array, out: Float32Array, lse: Float32Array, d: AttentionDims,
  ): void {
    attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, d);
  }
  swigluForward(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
    swigluForward(out, gate, up, n);
  }
  swigluBackward(dgate: Float32Array, dup: Float32Array, dout: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
    swigluBackward(dgate, dup, dout, gate, up, n);
  }
  addInPlace(a: Float32Array, b: Float32Array, n: number): void {
    for (let i = 0; i < n; i++) a[i] = a[i]! + b[i]!;
  }
  classifierForward(
    losses: Float32Array, lse: Float32Array, h: Float32Array, wte: Float32Array, targets: Int32Array, N: number, C: number, V: number,
  ): void {
    classifierForward(losses, lse, h, wte, targets, N, C, V);
  }
  classifierBackward(
    dh: Float32Array, dwte: Float32Array | null, h: Float32Array, wte: Float32Array, targets: Int32Array, lse: Float32Array,
    dloss: number, N: number, C: number, V: number,
  ): void {
    classifierBackward(dh, dwte, h, wte, targets, lse, dloss, N, C, V);
  }
  logits(out: Float32Array, h: Float32Array, wte: Float32Array, N: number, C: number, V: number): void {
    matmulForward(out, h, wte, null, N, C, V);
  }
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, p: AdamWParams): void {
    adamw(param, grad, m, v, n, p);
  }
  sumSquares(out: Float32Array, bufs: readonly (readonly [Float32Array, number])[]): void {
    out[0] = sumSquares(bufs);
  }
  scale(buf: Float32Array, n: number, s: number): void {
    for (let i = 0; i < n; i++) buf[i] = buf[i]! * s;
  }
}
