// The WebGPU backend: the engine's Backend over GPU storage buffers, each kernel pair in WGSL (kernels/*.wgsl, driven
// by kernels/*.ts). Ids are int32 in the same kind of buffer. Kernels are encoded into one command encoder and run when
// a result is read (`read`), so a training step is one submission; only the loss and metrics come back to the CPU.
// Every kernel is tested against the CPU backend (tests/e2e/webgpu-*.test.ts). Not here: device set-up (context.ts).

import type { AdamWParams, AttentionDims, Backend, LoraDinp, MatmulOptions, ScanDims } from "../backend.ts";
import { frozenValues, packWeight, type WeightFormat } from "../quant.ts";
import { boundBytes, GpuContext, labelOf, range, type Binding } from "./context.ts";
import * as attention from "./kernels/attention.ts";
import * as classifier from "./kernels/classifier.ts";
import * as elementwise from "./kernels/elementwise.ts";
import * as embedding from "./kernels/embedding.ts";
import * as matmul from "./kernels/matmul.ts";
import * as optim from "./kernels/optim.ts";
import * as rmsnorm from "./kernels/rmsnorm.ts";
import * as rope from "./kernels/rope.ts";
import * as ssm from "./kernels/ssm.ts";

/** A tensor: a buffer, or a range of one (view). */
type B = Binding;

export class WebGpuBackend implements Backend<B, B> {
  readonly name = "webgpu";
  /** The GEMV (matvec.wgsl) makes a norm's or SwiGLU's output as it loads its input. */
  readonly fusedInputRows = matmul.MATVEC_ROWS;
  /** The format of each packed frozen weight (absent: f32). */
  private readonly formats = new WeakMap<B, WeightFormat>();
  /** The backend on a device already open (create() opens one). */
  constructor(readonly ctx: GpuContext) {}

  static async create(gpu?: GPU): Promise<WebGpuBackend> {
    return new WebGpuBackend(await GpuContext.create(gpu));
  }

  alloc(n: number, label = "buffer"): GPUBuffer {
    const b = this.ctx.buffer(n * 4, label);
    this.ctx.clear(b);
    return b;
  }
  upload(data: Float32Array, label = "upload"): GPUBuffer {
    const b = this.ctx.buffer(data.byteLength, label);
    this.ctx.write(b, data);
    return b;
  }
  uploadFrozen(data: Float32Array, OC: number, IC: number, format: WeightFormat, label = "frozen"): GPUBuffer {
    if (format === "f32") return this.upload(data, label);
    const words = packWeight(data, OC, IC, format, label);
    const b = this.ctx.buffer(words.byteLength, label);
    this.ctx.write(b, words);
    this.formats.set(b, format);
    return b;
  }
  /** The embedding kernel reads float32: the table's dequantized values (the CPU's, and its lm_head's). */
  uploadTable(data: Float32Array, V: number, C: number, format: WeightFormat, label = "table"): GPUBuffer {
    return this.upload(frozenValues(data, V, C, format, label), label);
  }
  uploadIds(data: Int32Array, label = "ids"): GPUBuffer {
    const b = this.ctx.buffer(data.byteLength, label);
    this.ctx.write(b, data);
    return b;
  }
  write(buf: B, data: Float32Array, offset = 0): void {
    this.ctx.write(buf, data, offset * 4);
  }
  writeIds(buf: B, data: Int32Array, offset = 0): void {
    this.ctx.write(buf, data, offset * 4);
  }
  async read(buf: B, n = boundBytes(buf) / 4): Promise<Float32Array> {
    return new Float32Array(await this.ctx.read(buf, n * 4));
  }
  zero(buf: B, n?: number): void {
    this.ctx.clear(buf, 0, n === undefined ? undefined : Math.ceil((n * 4) / 4) * 4);
  }
  copy(dst: B, src: B, n: number, dstOffset = 0, srcOffset = 0): void {
    this.ctx.copy(dst, src, n * 4, dstOffset * 4, srcOffset * 4);
  }
  free(buf: B): void {
    if ("buffer" in buf) return; // a view: its buffer is freed on its own
    this.formats.delete(buf); // pooled buffers come back as plain f32 ones
    this.ctx.release(buf);
  }
  /** A range of `buf`'s buffer; bound by itself, so its offset must meet minStorageBufferOffsetAlignment (VIEW_ALIGN does). */
  view(buf: B, offset: number, n: number): B {
    if (this.formats.has(buf)) throw new Error(`view: ${labelOf(buf)} is a frozen packed weight`);
    const align = this.ctx.limits.minStorageBufferOffsetAlignment;
    const r = range(buf, offset * 4, n * 4);
    if (r.offset! % align !== 0) throw new RangeError(`view: offset ${offset} (${r.offset} bytes in its buffer) is not a multiple of ${align} bytes`);
    if (offset * 4 + n * 4 > boundBytes(buf)) throw new RangeError(`view: values [${offset}, ${offset + n}) are past the buffer's ${boundBytes(buf) / 4}`);
    return r;
  }

  embeddingForward(out: B, ids: B, wte: B, N: number, C: number): void {
    this.formatOf(wte, "embeddingForward");
    embedding.forward(this.ctx, out, ids, wte, N, C);
  }
  embeddingBackward(dwte: B, dout: B, ids: B, N: number, C: number): void {
    embedding.backward(this.ctx, dwte, dout, ids, N, C);
  }
  rmsnormForward(out: B, rstd: B, inp: B, weight: B, N: number, C: number, eps: number): void {
    rmsnorm.forward(this.ctx, out, rstd, inp, weight, N, C, eps);
  }
  rmsnormBackward(dinp: B, dweight: B | null, dout: B, inp: B, weight: B, rstd: B, N: number, C: number): void {
    rmsnorm.backward(this.ctx, dinp, dweight, dout, inp, weight, rstd, N, C);
  }
  matmulForward(out: B, inp: B, weight: B, bias: B | null, N: number, IC: number, OC: number, opts: MatmulOptions<B> = {}): void {
    const { input } = opts;
    if (input && N > matmul.MATVEC_ROWS) {
      // the GEMM takes its input as it is: make it first, in a pooled buffer that goes back once encoded (kernels run
      // in the order encoded, so a later user of the buffer cannot overwrite it before this product reads it)
      const made = this.ctx.buffer(N * IC * 4, "matmul:input");
      if (input.kind === "rmsnorm") {
        const rstd = this.ctx.buffer(N * 4, "matmul:input-rstd");
        rmsnorm.forward(this.ctx, made, rstd, inp, input.weight, N, IC, input.eps);
        this.ctx.release(rstd);
      } else {
        elementwise.swigluForward(this.ctx, made, inp, input.up, N * IC);
      }
      this.matmulForward(out, made, weight, bias, N, IC, OC, { ...opts, input: undefined });
      this.ctx.release(made);
      return;
    }
    matmul.forward(this.ctx, out, inp, weight, bias, N, IC, OC, opts.scale ?? 1, opts.accumulate ?? false, this.formatOf(weight), opts.lora, input);
  }
  matmulBackward(
    dinp: B | null, dweight: B | null, dbias: B | null, dout: B, inp: B, weight: B, N: number, IC: number, OC: number, scale = 1, lora?: LoraDinp<B>,
  ): void {
    matmul.backward(this.ctx, dinp, dweight, dbias, dout, inp, weight, N, IC, OC, scale, this.formatOf(weight), lora);
  }
  ropeForward(out: B, inp: B, invFreq: B, pos: B, N: number, NH: number, HS: number): void {
    rope.forward(this.ctx, out, inp, invFreq, pos, N, NH, HS);
  }
  ropeBackward(dinp: B, dout: B, invFreq: B, pos: B, N: number, NH: number, HS: number): void {
    rope.backward(this.ctx, dinp, dout, invFreq, pos, N, NH, HS);
  }
  attentionForward(out: B, lse: B, q: B, k: B, v: B, d: AttentionDims): void {
    attention.forward(this.ctx, out, lse, q, k, v, d);
  }
  attentionBackward(dq: B, dk: B, dv: B, dout: B, q: B, k: B, v: B, out: B, lse: B, d: AttentionDims): void {
    attention.backward(this.ctx, dq, dk, dv, dout, q, k, v, out, lse, d);
  }
  swigluForward(out: B, gate: B, up: B, n: number): void {
    elementwise.swigluForward(this.ctx, out, gate, up, n);
  }
  swigluBackward(dgate: B, dup: B, dout: B, gate: B, up: B, n: number): void {
    elementwise.swigluBackward(this.ctx, dgate, dup, dout, gate, up, n);
  }
  copyColumns(dst: B, src: B, N: number, width: number, dstStride: number, dstCol: number, srcStride: number, srcCol: number, accumulate = false): void {
    ssm.copyColumns(this.ctx, dst, src, N, width, dstStride, dstCol, srcStride, srcCol, accumulate);
  }
  conv1dForward(out: B, x: B, weight: B, bias: B | null, B: number, T: number, DI: number, K: number, state: B | null = null): void {
    ssm.conv1dForward(this.ctx, out, x, weight, bias, B, T, DI, K, state);
  }
  conv1dBackward(dx: B | null, dweight: B | null, dbias: B | null, dout: B, x: B, weight: B, bias: B | null, B: number, T: number, DI: number, K: number): void {
    ssm.conv1dBackward(this.ctx, dx, dweight, dbias, dout, x, weight, bias, B, T, DI, K);
  }
  scanForward(y: B, hs: B | null, u: B, dt: B, Alog: B, Bm: B, Cm: B, D: B, d: ScanDims, state: B | null = null): void {
    ssm.scanForward(this.ctx, y, hs, u, dt, Alog, Bm, Cm, D, d, state);
  }
  scanBackward(
    du: B, ddt: B, dAlog: B | null, dBm: B, dCm: B, dD: B | null, dy: B, u: B, dt: B, Alog: B, Bm: B, Cm: B, D: B, hs: B, d: ScanDims,
  ): void {
    ssm.scanBackward(this.ctx, du, ddt, dAlog, dBm, dCm, dD, dy, u, dt, Alog, Bm, Cm, D, hs, d);
  }
  addInPlace(a: B, b: B, n: number): void {
    elementwise.addInPlace(this.ctx, a, b, n);
  }
  classifierForward(losses: B, lse: B, h: B, wte: B, targets: B, N: number, C: number, V: number): void {
    this.formatOf(wte, "classifierForward");
    classifier.forward(this.ctx, losses, lse, h, wte, targets, N, C, V);
  }
  classifierBackward(dh: B, dwte: B | null, h: B, wte: B, targets: B, lse: B, dloss: number, N: number, C: number, V: number): void {
    this.formatOf(wte, "classifierBackward");
    classifier.backward(this.ctx, dh, dwte, h, wte, targets, lse, dloss, N, C, V);
  }
  logits(out: B, h: B, wte: B, N: number, C: number, V: number): void {
    matmul.forward(this.ctx, out, h, wte, null, N, C, V, 1, false, this.formatOf(wte));
  }
  adamw(param: B, grad: B, m: B, v: B, n: number, p: AdamWParams): void {
    optim.adamw(this.ctx, param, grad, m, v, n, p);
  }
  sumSquares(out: B, bufs: readonly (readonly [B, number])[]): void {
    optim.sumSquares(this.ctx, out, bufs);
  }
  scale(buf: B, n: number, s: number): void {
    elementwise.scale(this.ctx, buf, n, s);
  }

  /** The storage format of `buf`; with `f32Only`, throws (naming that kernel) unless it is a plain f32 buffer. */
  private formatOf(buf: B, f32Only?: string): WeightFormat {
    const f = this.formats.get(buf) ?? "f32";
    if (f32Only && f !== "f32") throw new Error(`${f32Only}: ${labelOf(buf)} is a frozen ${f} weight; only the matmuls read those`);
    return f;
  }
}
