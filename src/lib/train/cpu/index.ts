// The CPU backend: the reference implementation of Backend over Float32Array. Clarity first; every WebGPU
// kernel is tested against these. Each method forwards to one kernel file (matmul.ts, attention.ts, ...).
// `new CpuBackend("f64")` runs the very same kernels in float64, so tests can take finite differences of a
// whole model's loss; buffers are then Float64Array at run time (typed as Float32Array for the interface).
// `new CpuBackend("f32", { threads: 2 })` shares the big matmuls with worker threads (pool.ts): buffers are then
// allocated on SharedArrayBuffers, calls stay synchronous, and results are bit-identical to threads: 1.
// In float32 the buffers live on a WebAssembly heap (../wasm/heap.ts) and the hot kernels run as WebAssembly SIMD
// (../wasm/ops.ts, on every thread of the pool); the TypeScript kernels here remain the readable reference, and run
// where WebAssembly SIMD or shared memory is missing, in float64, or with { wasm: null }.

import type { AdamWParams, AttentionDims, Backend, LoraDinp, MatmulInput, MatmulOptions, ScanDims } from "../backend.ts";
import { frozenValues, type WeightFormat } from "../quant.ts";
import { attentionBackward, attentionForward } from "./attention.ts";
import { classifierBackward, classifierForward } from "./classifier.ts";
import { conv1dBackward, conv1dForward } from "./conv1d.ts";
import { embeddingBackward, embeddingForward } from "./embedding.ts";
import { matmulBackward, matmulForward } from "./matmul.ts";
import { adamw, sumSquares } from "./optim.ts";
import { ranges, ThreadPool } from "./pool.ts";
import { rmsnormBackward, rmsnormDweight, rmsnormForward } from "./rmsnorm.ts";
import { ropeBackward, ropeForward } from "./rope.ts";
import { scanBackward, scanForward } from "./scan.ts";
import { swigluBackward, swigluForward } from "./swiglu.ts";
import { requestedBuild, WasmKernels, type WasmBuild } from "../wasm/kernels.ts";
import { WasmOps } from "../wasm/ops.ts";
import { BITS, dequantizedRows, quantizedLookup, quantizedRows, type QuantizedWeight } from "../wasm/quantized.ts";

/** Channels per group in the scan's backward: the unit of its thread split and of its fixed-order dB/dC sum. */
const SCAN_GROUP = 64;

export interface CpuBackendOptions {
  /**
   * Threads for the matmuls, the calling one included (default 1: no workers). The app passes
   * os.availableParallelism() / navigator.hardwareConcurrency. Where threads cannot be used (a browser page's main
   * thread, no SharedArrayBuffer) the backend is single-threaded whatever this says.
   */
  threads?: number;
  /**
   * The WebAssembly build of the hot kernels (default: requestedBuild(), i.e. FIM_WASM or the measured default);
   * null runs the TypeScript kernels only. Ignored in float64.
   */
  wasm?: WasmBuild | null;
}

export class CpuBackend implements Backend<Float32Array, Int32Array> {
  readonly name: string;
  /** The reference makes a product's input in a kernel of its own (madeInput): fusing would only repeat it per product. */
  readonly fusedInputRows = 0;
  /** The worker pool, or null when single-threaded. */
  readonly pool: ThreadPool | null;
  private scores = new Float64Array(0);
  private scanParts: Float32Array = new Float32Array(0); // per-group dBm, dCm of the scan's backward
  private inputScratch: Float32Array = new Float32Array(0); // a product's made input (MatmulInput)
  private rstdScratch: Float32Array = new Float32Array(0);
  private readonly Ctor: Float32ArrayConstructor;
  /** The WebAssembly kernels and their heap, or null (TypeScript kernels on ordinary arrays). */
  readonly wasm: WasmKernels | null;
  private readonly ops: WasmOps | null;
  /** Frozen weights kept quantized on the heap (uploadFrozen), by the view that stands for them. */
  private readonly quantized = new WeakMap<Float32Array, QuantizedWeight>();
  /** The buffer each view (view()) is part of, kept alive while the view is: the heap frees a dropped buffer's block. */
  private readonly viewed = new WeakMap<Float32Array, Float32Array>();

  constructor(readonly precision: "f32" | "f64" = "f32", opts: CpuBackendOptions = {}) {
    this.name = precision === "f32" ? "cpu" : "cpu-f64";
    this.Ctor = (precision === "f32" ? Float32Array : Float64Array) as unknown as Float32ArrayConstructor;
    this.wasm = precision === "f32" ? WasmKernels.create(opts.wasm === undefined ? requestedBuild() : opts.wasm) : null;
    const w = this.wasm;
    this.pool = ThreadPool.create(opts.threads ?? 1, w && { module: w.module, memory: w.heap.memory, k: w.k });
    this.ops = w && new WasmOps(w, this.pool);
  }

  /** Threads the matmuls run on now (1 until the workers are ready, and after dispose). */
  get threads(): number {
    return this.pool?.active ? this.pool.threads : 1;
  }
  /** Resolves once the workers can take work (at once without a pool). Calls made before run single-threaded. */
  async ready(): Promise<void> {
    await this.pool?.ready();
  }
  /** Terminates the workers; the backend keeps working on one thread. */
  async dispose(): Promise<void> {
    await this.pool?.dispose();
  }

  alloc(n: number): Float32Array {
    const onHeap = this.wasm?.heap.f32(n);
    if (onHeap) return onHeap;
    // workers can only see memory that is shared
    return this.pool ? new this.Ctor(new SharedArrayBuffer(n * this.Ctor.BYTES_PER_ELEMENT)) : new this.Ctor(n);
  }
  upload(data: ArrayLike<number>): Float32Array {
    const buf = this.alloc(data.length);
    buf.set(data);
    return buf;
  }
  /**
   * int8 / int4 with the WebAssembly kernels: the blocks themselves, on the heap (wasm/quantized.ts; 1.125 and 0.625
   * bytes a value), multiplied without a float32 copy. Otherwise the dequantized values (quant.ts frozenValues). Either
   * way the matmuls multiply by exactly what the GPU's packed weight holds.
   */
  uploadFrozen(data: Float32Array, OC: number, IC: number, format: WeightFormat, label?: string): Float32Array {
    if ((format === "int8" || format === "int4") && this.ops) {
      const rows = quantizedRows(data, OC, IC, format, label);
      const view = this.wasm!.heap.f32(rows.length / 4);
      if (view) {
        new Uint8Array(view.buffer, view.byteOffset, rows.length).set(rows);
        this.quantized.set(view, { format, bits: BITS[format], N: OC, K: IC });
        return view;
      }
    }
    return this.upload(frozenValues(data, OC, IC, format, label));
  }
  uploadTable(data: Float32Array, V: number, C: number, format: WeightFormat, label?: string): Float32Array {
    return this.uploadFrozen(data, V, C, format, label);
  }
  /** A quantized table is for inference (Backend.uploadTable): training through it is a caller's bug. */
  private notTable(wte: Float32Array, kernel: string): void {
    if (this.quantized.has(wte)) throw new Error(`${kernel}: the lm_head is a quantized inference table (uploadTable); load the model with an f32 table to train or score`);
  }
  /** The float32 values of a quantized weight, made for a call the kernels could not take (the heap was full). */
  private dequantized(weight: Float32Array, q: QuantizedWeight): Float32Array {
    return dequantizedRows(new Uint8Array(weight.buffer, weight.byteOffset, weight.byteLength), q.N, q.K, q.format);
  }
  uploadIds(data: Int32Array): Int32Array {
    const onHeap = this.wasm?.heap.i32(data.length);
    if (onHeap) {
      onHeap.set(data);
      return onHeap;
    }
    if (!this.pool) return data.slice();
    const ids = new Int32Array(new SharedArrayBuffer(data.byteLength));
    ids.set(data);
    return ids;
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
  free(buf: Float32Array): void {
    if (this.viewed.has(buf)) return; // a view: its buffer is freed on its own
    this.wasm?.heap.free(buf);
  }
  view(buf: Float32Array, offset: number, n: number): Float32Array {
    if (offset + n > buf.length) throw new RangeError(`view: values [${offset}, ${offset + n}) are past the buffer's ${buf.length}`);
    const v = buf.subarray(offset, offset + n);
    this.viewed.set(v, this.viewed.get(buf) ?? buf);
    return v;
  }

  embeddingForward(out: Float32Array, ids: Int32Array, wte: Float32Array, N: number, C: number): void {
    const q = this.quantized.get(wte);
    if (q) return quantizedLookup(out, ids, new Uint8Array(wte.buffer, wte.byteOffset, wte.byteLength), q, N);
    embeddingForward(out, ids, wte, N, C);
  }
  embeddingBackward(dwte: Float32Array, dout: Float32Array, ids: Int32Array, N: number, C: number): void {
    embeddingBackward(dwte, dout, ids, N, C);
  }
  rmsnormForward(out: Float32Array, rstd: Float32Array, inp: Float32Array, weight: Float32Array, N: number, C: number, eps: number): void {
    if (this.ops?.rmsnormForward(out, rstd, inp, weight, N, C, eps)) return;
    rmsnormForward(out, rstd, inp, weight, N, C, eps);
  }
  rmsnormBackward(
    dinp: Float32Array, dweight: Float32Array | null, dout: Float32Array, inp: Float32Array, weight: Float32Array,
    rstd: Float32Array, N: number, C: number,
  ): void {
    if (this.ops?.rmsnormBackward(dinp, dout, inp, weight, rstd, N, C)) {
      if (dweight) rmsnormDweight(dweight, dout, inp, rstd, N, C);
      return;
    }
    rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
  }
  matmulForward(
    out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null, N: number, IC: number, OC: number,
    opts: MatmulOptions<Float32Array> = {},
  ): void {
    if (opts.input) inp = this.madeInput(inp, opts.input, N, IC);
    this.product(out, inp, weight, bias, N, IC, OC, opts.scale ?? 1, opts.accumulate ?? false);
    const l = opts.lora;
    if (l) this.product(out, l.h, l.B, null, N, l.R, OC, l.scale, true); // the GPU's second term, here a second product
  }
  /** The product's input (N,IC) made by its kernel (MatmulInput) into a scratch buffer: the reference, unfused. */
  private madeInput(inp: Float32Array, how: MatmulInput<Float32Array>, N: number, IC: number): Float32Array {
    if (this.inputScratch.length < N * IC) {
      this.free(this.inputScratch);
      this.inputScratch = this.alloc(N * IC);
    }
    const x = this.inputScratch.subarray(0, N * IC);
    if (how.kind === "swiglu") {
      this.swigluForward(x, inp, how.up, N * IC);
      return x;
    }
    if (this.rstdScratch.length < N) {
      this.free(this.rstdScratch);
      this.rstdScratch = this.alloc(N);
    }
    this.rmsnormForward(x, this.rstdScratch.subarray(0, N), inp, how.weight, N, IC, how.eps);
    return x;
  }
  private product(
    out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null, N: number, IC: number, OC: number,
    scale: number, accumulate: boolean,
  ): void {
    const q = this.quantized.get(weight);
    if (q) {
      if (this.ops!.quantizedForward(out, inp, weight, q, bias, N, scale, accumulate)) return;
      weight = this.dequantized(weight, q);
    }
    if (this.ops?.matmulForward(out, inp, weight, bias, N, IC, OC, scale, accumulate)) return;
    if (this.pool?.matmulForward(out, inp, weight, bias, N, IC, OC, scale, accumulate)) return;
    matmulForward(out, inp, weight, bias, N, IC, OC, scale, accumulate);
  }
  matmulBackward(
    dinp: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
    inp: Float32Array, weight: Float32Array, N: number, IC: number, OC: number, scale = 1, lora?: LoraDinp<Float32Array>,
  ): void {
    this.gradients(dinp, dweight, dbias, dout, inp, weight, N, IC, OC, scale);
    if (lora && dinp) this.gradients(dinp, null, null, lora.dh, inp, lora.A, N, IC, lora.R, 1);
  }
  private gradients(
    dinp: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array,
    inp: Float32Array, weight: Float32Array, N: number, IC: number, OC: number, scale: number,
  ): void {
    const q = this.quantized.get(weight);
    if (q) {
      // a frozen weight: dinp (and dbias, which does not read the weight), never dweight (Backend contract)
      if (dinp && !dweight && this.ops!.quantizedBackward(dinp, dbias, dout, weight, q, N, scale)) return;
      weight = this.dequantized(weight, q);
    }
    if (this.ops?.matmulBackward(dinp, dweight, dbias, dout, inp, weight, N, IC, OC, scale)) return;
    if (this.pool?.matmulBackward(dinp, dweight, dbias, dout, inp, weight, N, IC, OC, scale)) return;
    matmulBackward(dinp, dweight, dbias, dout, inp, weight, N, IC, OC, scale);
  }
  ropeForward(out: Float32Array, inp: Float32Array, invFreq: Float32Array, pos: Int32Array, N: number, NH: number, HS: number): void {
    if (this.ops?.rope(out, inp, invFreq, pos, N, NH, HS, 1)) return;
    ropeForward(out, inp, invFreq, pos, N, NH, HS);
  }
  ropeBackward(dinp: Float32Array, dout: Float32Array, invFreq: Float32Array, pos: Int32Array, N: number, NH: number, HS: number): void {
    if (this.ops?.rope(dinp, dout, invFreq, pos, N, NH, HS, -1)) return;
    ropeBackward(dinp, dout, invFreq, pos, N, NH, HS);
  }
  attentionForward(out: Float32Array, lse: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, d: AttentionDims): void {
    if (this.ops?.attentionForward(out, lse, q, k, v, d)) return;
    if (this.pool?.attentionForward(out, lse, q, k, v, d)) return;
    if (this.scores.length < d.Tk) this.scores = new Float64Array(d.Tk);
    attentionForward(out, lse, q, k, v, d, this.scores);
  }
  attentionBackward(
    dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array, q: Float32Array, k: Float32Array,
    v: Float32Array, out: Float32Array, lse: Float32Array, d: AttentionDims,
  ): void {
    if (this.ops?.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, d)) return;
    if (this.pool?.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, d)) return;
    attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, d);
  }
  swigluForward(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
    if (this.ops?.swigluForward(out, gate, up, n)) return;
    swigluForward(out, gate, up, n);
  }
  swigluBackward(dgate: Float32Array, dup: Float32Array, dout: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
    if (this.ops?.swigluBackward(dgate, dup, dout, gate, up, n)) return;
    swigluBackward(dgate, dup, dout, gate, up, n);
  }
  copyColumns(
    dst: Float32Array, src: Float32Array, N: number, width: number, dstStride: number, dstCol: number, srcStride: number, srcCol: number,
    accumulate = false,
  ): void {
    for (let r = 0; r < N; r++) {
      const o = r * dstStride + dstCol;
      const i = r * srcStride + srcCol;
      if (accumulate) for (let j = 0; j < width; j++) dst[o + j] = dst[o + j]! + src[i + j]!;
      else dst.set(src.subarray(i, i + width), o);
    }
  }
  conv1dForward(
    out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array | null, B: number, T: number, DI: number, K: number,
    state: Float32Array | null = null,
  ): void {
    if (this.ops?.conv1dForward(out, x, weight, bias, B, T, DI, K, state)) return;
    conv1dForward(out, x, weight, bias, B, T, DI, K, state);
  }
  conv1dBackward(
    dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, dout: Float32Array, x: Float32Array,
    weight: Float32Array, bias: Float32Array | null, B: number, T: number, DI: number, K: number,
  ): void {
    if (this.ops?.conv1dBackward(dx, dweight, dbias, dout, x, weight, bias, B, T, DI, K)) return;
    conv1dBackward(dx, dweight, dbias, dout, x, weight, bias, B, T, DI, K);
  }
  scanForward(
    y: Float32Array, hs: Float32Array | null, u: Float32Array, dt: Float32Array, Alog: Float32Array, Bm: Float32Array, Cm: Float32Array,
    D: Float32Array, d: ScanDims, state: Float32Array | null = null,
  ): void {
    if (this.ops?.scanForward(y, hs, u, dt, Alog, Bm, Cm, D, d, state)) return;
    if (this.pool?.scanForward(y, hs, u, dt, Alog, Bm, Cm, D, d, state)) return;
    scanForward(y, hs, u, dt, Alog, Bm, Cm, D, d, state);
  }
  scanBackward(
    du: Float32Array, ddt: Float32Array, dAlog: Float32Array | null, dBm: Float32Array, dCm: Float32Array, dD: Float32Array | null,
    dy: Float32Array, u: Float32Array, dt: Float32Array, Alog: Float32Array, Bm: Float32Array, Cm: Float32Array, D: Float32Array,
    hs: Float32Array, d: ScanDims,
  ): void {
    // dBm and dCm are sums over channels: each group of SCAN_GROUP channels sums into its own partial, and the
    // partials are added in group order, so one thread and many give the same bits
    const groups = Math.ceil(d.DI / SCAN_GROUP);
    const n = d.B * d.T * d.DS;
    if (this.scanParts.length < groups * n) this.scanParts = this.alloc(groups * n * 2);
    const partB = this.scanParts.subarray(0, groups * n);
    const partC = this.scanParts.subarray(groups * n, 2 * groups * n);
    partB.fill(0);
    partC.fill(0);
    const split = ranges(groups, this.threads, 1).map(([g0, g1]) => ({ g0, g1 }));
    if (
      !this.ops?.scanBackwardGroups(split, SCAN_GROUP, partB, partC, du, ddt, dAlog, dD, dy, u, dt, Alog, Bm, Cm, D, hs, d) &&
      !this.pool?.scanBackwardGroups(split, SCAN_GROUP, partB, partC, du, ddt, dAlog, dD, dy, u, dt, Alog, Bm, Cm, D, hs, d)
    ) {
      for (let g = 0; g < groups; g++) {
        scanBackward(du, ddt, dAlog, partB.subarray(g * n, (g + 1) * n), partC.subarray(g * n, (g + 1) * n), dD,
          dy, u, dt, Alog, Bm, Cm, D, hs, d, g * SCAN_GROUP, Math.min(d.DI, (g + 1) * SCAN_GROUP));
      }
    }
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < n; i++) {
        dBm[i] = dBm[i]! + partB[g * n + i]!;
        dCm[i] = dCm[i]! + partC[g * n + i]!;
      }
    }
  }
  addInPlace(a: Float32Array, b: Float32Array, n: number): void {
    for (let i = 0; i < n; i++) a[i] = a[i]! + b[i]!;
  }
  classifierForward(
    losses: Float32Array, lse: Float32Array, h: Float32Array, wte: Float32Array, targets: Int32Array, N: number, C: number, V: number,
  ): void {
    this.notTable(wte, "classifierForward");
    if (this.ops?.classifierForward(losses, lse, h, wte, targets, N, C, V)) return;
    if (this.pool?.classifierForward(losses, lse, h, wte, targets, N, C, V)) return;
    classifierForward(losses, lse, h, wte, targets, N, C, V);
  }
  classifierBackward(
    dh: Float32Array, dwte: Float32Array | null, h: Float32Array, wte: Float32Array, targets: Int32Array, lse: Float32Array,
    dloss: number, N: number, C: number, V: number,
  ): void {
    this.notTable(wte, "classifierBackward");
    if (this.ops?.classifierBackward(dh, dwte, h, wte, targets, lse, dloss, N, C, V)) return;
    if (this.pool?.classifierBackward(dh, dwte, h, wte, targets, lse, dloss, N, C, V)) return;
    classifierBackward(dh, dwte, h, wte, targets, lse, dloss, N, C, V);
  }
  logits(out: Float32Array, h: Float32Array, wte: Float32Array, N: number, C: number, V: number): void {
    this.product(out, h, wte, null, N, C, V, 1, false);
  }
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, p: AdamWParams): void {
    if (this.ops?.adamw(param, grad, m, v, n, p)) return;
    adamw(param, grad, m, v, n, p);
  }
  sumSquares(out: Float32Array, bufs: readonly (readonly [Float32Array, number])[]): void {
    out[0] = sumSquares(bufs);
  }
  scale(buf: Float32Array, n: number, s: number): void {
    for (let i = 0; i < n; i++) buf[i] = buf[i]! * s;
  }
}
