// The CPU backend's operations that run as WebAssembly kernels: each cuts its work into one task per thread
// (row ranges; for a single row, column ranges) and hands them to the pool, or runs them here without one.
// Each method returns false when an operand is not on the heap (then the backend runs its TypeScript kernel).
// Row and column ranges may fall anywhere: the kernels compute each output the same way on any path, so every
// split gives the bits of one call (tests/unit/wasm/ checks 1 and 2 threads agree).

import { SCAN_CHUNK, type AdamWParams, type AttentionDims, type ScanDims } from "../backend.ts";
import type { Task, ThreadPool } from "../cpu/pool.ts";
import { attentionMacs, MIN_PARALLEL_MACS, ranges } from "../cpu/pool.ts";
import type { Arr } from "../cpu/types.ts";
import type { WasmHeap } from "./heap.ts";
import { ptr, type KernelName, type WasmKernels } from "./kernels.ts";
import type { QuantizedWeight } from "./quantized.ts";

const task = (fn: KernelName, args: number[]): Task => ({ kind: "wasm", fn, args });

/**
 * Below this many rows the forward matmul splits out-channels rather than rows: with a row split every thread
 * streams the whole weight from memory for a few rows each (a 32-token prefill chunk, decoding).
 */
const FEW_ROWS = 128;

/**
 * Per-thread scratch blocks of one use, on the heap, grown (never shrunk) on demand. The views are kept, so the heap
 * keeps their blocks; a block reallocated for a larger size gives the old one back.
 */
class Scratch {
  private views: Float32Array[] = [];
  constructor(private readonly heap: WasmHeap, private readonly minFloats = 0) {}

  /** `n` blocks of at least `floats` floats each, or null when the heap cannot hold them. */
  blocks(n: number, floats: number): Float32Array[] | null {
    if (this.views.length < n || this.views[0]!.length < floats) {
      this.views.forEach((v) => this.heap.free(v));
      this.views = [];
      for (let i = 0; i < n; i++) {
        const v = this.heap.f32(Math.max(floats, this.minFloats));
        if (!v) return null;
        this.views.push(v);
      }
    }
    return this.views.slice(0, n);
  }

  /** The addresses of blocks(n, floats). */
  addresses(n: number, floats: number): number[] | null {
    return this.blocks(n, floats)?.map(ptr) ?? null;
  }
}

export class WasmOps {
  /** The fused classifier's blocks (ce_scratch_bytes each), one per thread. */
  private readonly ceScratch: Scratch;
  /** Rows of attention's scores (and its backward's P and dS), and the scan's states, one per thread. */
  private readonly rows: Scratch;
  /** The quantized matmul's dequantization panels, one per thread. */
  private readonly panels: Scratch;
  /** One buffer each: attention backward's per-key-block shares of dq; a whole dequantized weight for dinp. */
  private readonly dqParts: Scratch;
  private readonly wide: Scratch;

  constructor(readonly kernels: WasmKernels, private readonly pool: ThreadPool | null) {
    const heap = kernels.heap;
    this.ceScratch = new Scratch(heap);
    this.rows = new Scratch(heap, 1024);
    this.panels = new Scratch(heap);
    this.dqParts = new Scratch(heap);
    this.wide = new Scratch(heap);
  }

  /** Threads work is split over now (1 until the pool is ready). */
  private get threads(): number {
    return this.pool?.active ? this.pool.threads : 1;
  }

  /** Runs one task per thread; a single task (or no pool) runs here. */
  private run(tasks: Task[], macs: number): void {
    if (tasks.length > 1 && macs >= MIN_PARALLEL_MACS && this.pool?.runWasm(tasks)) return;
    const k = this.kernels.k;
    const runOne = (t: Task): void => {
      if (t.kind === "wasm") (k[t.fn] as (...a: number[]) => void)(...t.args);
      else if (t.kind === "sequence") t.tasks.forEach(runOne);
    };
    tasks.forEach(runOne);
  }

  // inp (N,IC), weight (OC,IC), bias (OC) -> out (N,OC) = scale * inp @ weight^T + bias  [+= out when accumulate]
  matmulForward(out: Arr, inp: Arr, weight: Arr, bias: Arr | null, N: number, IC: number, OC: number, scale: number, accumulate: boolean): boolean {
    if (!this.kernels.has(out, inp, weight, bias)) return false;
    const acc = accumulate ? 1 : 0;
    const [o, i, w, b] = [ptr(out), ptr(inp), ptr(weight), ptr(bias)];
    const t = this.threads;
    const tasks = N < FEW_ROWS && t > 1
      // few rows (decoding, a prefill chunk): out-channel ranges, so each thread reads only its share of the weight
      ? ranges(OC, t, 4).map(([a, z]) => task("gemm_nt_cols", [o, i, w, b, N, OC, IC, scale, acc, a, z]))
      : ranges(N, Math.min(t, N), 1).map(([m0, m1]) => task("gemm_nt", [o, i, w, b, N, OC, IC, scale, acc, m0, m1]));
    this.run(tasks, N * IC * OC);
    return true;
  }

  // dout (N,OC), inp (N,IC), weight (OC,IC) -> dinp (N,IC) +=, dweight (OC,IC) +=, dbias (OC) +=
  // dinp = scale * dout @ weight (gemm_nn, rows of dinp split); dweight = scale * dout^T @ inp (gemm_nn reading dout
  // transposed, rows = out-channels split); dbias here (N * OC adds).
  matmulBackward(
    dinp: Arr | null, dweight: Arr | null, dbias: Arr | null, dout: Arr, inp: Arr, weight: Arr, N: number, IC: number, OC: number, scale: number,
  ): boolean {
    if (!this.kernels.has(dinp, dweight, dout, inp, weight)) return false;
    const t = this.threads;
    const rows = ranges(N, t, 1), ocs = ranges(OC, t, 1);
    const tasks: Task[] = rows.map(([m0, m1], j) => {
      const seq: Task[] = [];
      if (dinp && m1 > m0) seq.push(task("gemm_nn", [ptr(dinp), ptr(dout), ptr(weight), N, IC, OC, OC, 1, scale, 1, m0, m1]));
      const [o0, o1] = ocs[j]!;
      if (dweight && o1 > o0) seq.push(task("gemm_nn", [ptr(dweight), ptr(dout), ptr(inp), OC, IC, N, 1, OC, scale, 1, o0, o1]));
      return { kind: "sequence", tasks: seq };
    });
    this.run(tasks, N * IC * OC * ((dinp ? 1 : 0) + (dweight ? 1 : 0)));
    if (dbias) for (let n = 0; n < N; n++) for (let o = 0; o < OC; o++) dbias[o] = dbias[o]! + dout[n * OC + o]!;
    return true;
  }

  // h (N,C), wte (V,C), targets (N) -> losses (N), lse (N): rows split among the threads
  classifierForward(losses: Arr, lse: Arr, h: Arr, wte: Arr, targets: Int32Array, N: number, C: number, V: number): boolean {
    const rows = ranges(N, Math.min(this.threads, N), 1);
    const scratch = this.kernels.has(losses, lse, h, wte, targets) && this.ceScratch.addresses(rows.length, this.kernels.k.ce_scratch_bytes() / 4);
    if (!scratch) return false;
    const [l, z, hp, w, y] = [ptr(losses), ptr(lse), ptr(h), ptr(wte), ptr(targets)];
    this.run(rows.map(([m0, m1], j) => task("ce_forward", [l, z, hp, w, y, C, V, scratch[j]!, m0, m1])), N * C * V);
    return true;
  }

  // -> dh (N,C) += with rows split; then, in full training, dwte (V,C) += with vocabulary chunks split (each thread
  // recomputes its chunks' logits for every row)
  classifierBackward(
    dh: Arr, dwte: Arr | null, h: Arr, wte: Arr, targets: Int32Array, lse: Arr, dloss: number, N: number, C: number, V: number,
  ): boolean {
    const rows = ranges(N, Math.min(this.threads, N), 1);
    const chunks = ranges(Math.ceil(V / this.kernels.k.ce_chunk()), this.threads, 1);
    const scratch = this.kernels.has(dh, dwte, h, wte, targets, lse) && this.ceScratch.addresses(Math.max(rows.length, chunks.length), this.kernels.k.ce_scratch_bytes() / 4);
    if (!scratch) return false;
    const [hp, w, y, z] = [ptr(h), ptr(wte), ptr(targets), ptr(lse)];
    this.run(rows.map(([m0, m1], j) => task("ce_backward_dh", [ptr(dh), hp, w, y, z, dloss, C, V, scratch[j]!, m0, m1])), N * C * V);
    if (dwte) this.run(chunks.map(([c0, c1], j) => task("ce_backward_dw", [ptr(dwte), hp, w, y, z, dloss, N, C, V, scratch[j]!, c0, c1])), N * C * V);
    return true;
  }

  // causal GQA attention forward: threads take ranges of query rows (every group), cut so that each has about the
  // same share of the causal triangle; the rows are independent, so any cut gives the bits of one call
  // (decoding's single query row splits groups instead)
  attentionForward(out: Arr, lse: Arr, q: Arr, k: Arr, v: Arr, d: AttentionDims): boolean {
    const G = d.B * d.NKV;
    const split: [number, number, number, number][] = d.Tq < 2 * this.threads
      ? ranges(G, Math.min(this.threads, G), 1).map(([g0, g1]) => [g0, g1, 0, d.Tq])
      : causalRanges(d.Tq, d.Tk, this.threads).map(([t0, t1]) => [0, G, t0, t1]);
    const scores = d.HS % 4 === 0 && this.kernels.has(out, lse, q, k, v) && this.rows.addresses(split.length, d.Tk);
    if (!scores) return false;
    const dims = [d.B, d.Tq, d.Tk, d.kvStride, d.NH, d.NKV, d.HS];
    this.run(split.map((r, j) => task("attn_forward", [ptr(out), ptr(lse), ptr(q), ptr(k), ptr(v), ...dims, scores[j]!, ...r])), attentionMacs(d));
    return true;
  }

  // -> dq +=, dk +=, dv +=: keys in blocks of keyBlock(Tk) (the same blocks whatever the threads), blocks dealt to the
  // threads by their causal work; each block's share of dq in its own partial, then summed into dq in block order
  attentionBackward(dq: Arr, dk: Arr, dv: Arr, dout: Arr, q: Arr, k: Arr, v: Arr, out: Arr, lse: Arr, d: AttentionDims): boolean {
    const nq = d.B * d.Tq * d.NH * d.HS;
    const kb = keyBlock(d.Tk), blocks = Math.ceil(d.Tk / kb);
    const deal = dealBlocks(d.Tq, d.Tk, kb, this.threads);
    const scratch = d.HS % 4 === 0 && this.kernels.has(dq, dk, dv, dout, q, k, v, out, lse) && this.rows.addresses(deal.length, 2 * kb);
    if (!scratch) return false;
    const partsBlock = this.dqParts.addresses(1, blocks * nq);
    if (!partsBlock) return false;
    const parts = partsBlock[0]!;
    const dims = [d.B, d.Tq, d.Tk, d.kvStride, d.NH, d.NKV, d.HS];
    const rest = [ptr(dk), ptr(dv), ptr(dout), ptr(q), ptr(k), ptr(v), ptr(out), ptr(lse), ...dims];
    this.run(deal.map((mine, j) => ({
      kind: "sequence",
      tasks: mine.map((blk) => task("attn_backward", [parts + 4 * blk * nq, ...rest, scratch[j]!, blk * kb, Math.min(d.Tk, (blk + 1) * kb)])),
    })), 2 * attentionMacs(d));
    this.run(ranges(nq, this.threads, 4).filter(([a, z]) => z > a).map(([a, z]) => task("sum_into", [ptr(dq), parts, blocks, nq, a, z])), nq * blocks);
    return true;
  }


  // inp (N,IC), W quantized (OC,IC) -> out (N,OC) = scale * inp @ W^T + bias: out-channel ranges (whole 64-column
  // panels) split among the threads, each dequantizing its panels once for all rows
  quantizedForward(out: Arr, inp: Arr, weight: Arr, q: QuantizedWeight, bias: Arr | null, N: number, scale: number, accumulate: boolean): boolean {
    const { N: OC, K: IC, bits } = q;
    if (N === 1) {
      // decoding: each weight row dequantized in registers as it is read, out-channel ranges split
      if (!this.kernels.has(out, inp, weight, bias)) return false;
      const args = [ptr(out), ptr(inp), ptr(weight), ptr(bias), IC, bits, scale, accumulate ? 1 : 0];
      this.run(ranges(OC, this.threads, 4).filter(([a, z]) => z > a).map(([a, z]) => task("qgemv", [...args, a, z])), IC * OC);
      return true;
    }
    const cols = ranges(OC, Math.min(this.threads, Math.ceil(OC / 64)), 64).filter(([a, z]) => z > a);
    const panels = this.kernels.has(out, inp, weight, bias) && this.panels.addresses(cols.length, this.kernels.k.qgemm_panel_floats(IC));
    if (!panels) return false;
    const acc = accumulate ? 1 : 0;
    this.run(cols.map(([n0, n1], j) => task("qgemm_nt", [ptr(out), ptr(inp), ptr(weight), ptr(bias), N, OC, IC, bits, scale, acc, n0, n1, panels[j]!])),
      N * IC * OC);
    return true;
  }

  // dout (N,OC), W quantized (OC,IC) -> dinp (N,IC) +=, dbias (OC) +=: W dequantized into one scratch matrix (rows split among the
  // threads; the largest weight's size, reused), then the float32 dinp kernel
  quantizedBackward(dinp: Arr, dbias: Arr | null, dout: Arr, weight: Arr, q: QuantizedWeight, N: number, scale: number): boolean {
    const { N: OC, K: IC, bits } = q;
    if (!this.kernels.has(dinp, dout, weight)) return false;
    const wideBlock = this.wide.blocks(1, OC * IC);
    if (!wideBlock) return false;
    const wide = wideBlock[0]!.subarray(0, OC * IC);
    const rows = ranges(OC, this.threads, 1);
    this.run(rows.map(([r0, r1]) => task("dequant_rows", [ptr(wide) + 4 * r0 * IC, ptr(weight), IC, bits, r0, r1])), OC * IC * 8);
    return this.matmulBackward(dinp, null, dbias, dout, dinp /* unused without dweight */, wide, N, IC, OC, scale);
  }

  // Elementwise kernels: element (or row) ranges split among the threads; `work` counts ~operations for the threshold.
  private split(n: number, align: number): [number, number][] {
    return ranges(n, Math.min(this.threads, Math.max(1, Math.floor(n / align))), align).filter(([a, z]) => z > a);
  }

  // gate (n), up (n) -> out (n) = silu(gate) * up
  swigluForward(out: Arr, gate: Arr, up: Arr, n: number): boolean {
    if (!this.kernels.has(out, gate, up)) return false;
    this.run(this.split(n, 16).map(([a, z]) => task("swiglu_forward", [ptr(out), ptr(gate), ptr(up), a, z])), n * 20);
    return true;
  }

  swigluBackward(dgate: Arr, dup: Arr, dout: Arr, gate: Arr, up: Arr, n: number): boolean {
    if (!this.kernels.has(dgate, dup, dout, gate, up)) return false;
    this.run(this.split(n, 16).map(([a, z]) => task("swiglu_backward", [ptr(dgate), ptr(dup), ptr(dout), ptr(gate), ptr(up), a, z])), n * 25);
    return true;
  }

  // inp (N,C), weight (C) -> out (N,C), rstd (N): rows split
  rmsnormForward(out: Arr, rstd: Arr, inp: Arr, weight: Arr, N: number, C: number, eps: number): boolean {
    if (!this.kernels.has(out, rstd, inp, weight)) return false;
    this.run(this.split(N, 1).map(([a, z]) => task("rmsnorm_forward", [ptr(out), ptr(rstd), ptr(inp), ptr(weight), C, eps, a, z])), N * C * 3);
    return true;
  }

  // -> dinp (N,C) +=: rows split (dweight, a sum over rows, stays with the caller)
  rmsnormBackward(dinp: Arr, dout: Arr, inp: Arr, weight: Arr, rstd: Arr, N: number, C: number): boolean {
    if (!this.kernels.has(dinp, dout, inp, weight, rstd)) return false;
    this.run(this.split(N, 1).map(([a, z]) => task("rmsnorm_backward", [ptr(dinp), ptr(dout), ptr(inp), ptr(weight), ptr(rstd), C, a, z])), N * C * 5);
    return true;
  }

  adamw(param: Arr, grad: Arr, m: Arr, v: Arr, n: number, p: AdamWParams): boolean {
    if (!this.kernels.has(param, grad, m, v)) return false;
    const bc1 = 1 - Math.pow(p.beta1, p.t), bc2 = 1 - Math.pow(p.beta2, p.t);
    const args = [p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, bc1, bc2];
    this.run(this.split(n, 16).map(([a, z]) => task("adamw_update", [ptr(param), ptr(grad), ptr(m), ptr(v), ...args, a, z])), n * 20);
    return true;
  }

  // Mamba's scan: channel ranges split among the threads (a channel's states are its own)
  scanForward(y: Arr, hs: Arr | null, u: Arr, dt: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, d: ScanDims, state: Arr | null): boolean {
    if (d.DS % 4 !== 0 || (state && d.B !== 1) || !this.kernels.has(y, hs, u, dt, Alog, Bm, Cm, D, state)) return false;
    const parts = ranges(d.DI, Math.min(this.threads, d.DI), 1);
    const scratch = this.rows.addresses(parts.length, 2 * d.DS);
    if (!scratch) return false;
    const args = [ptr(y), ptr(hs), ptr(u), ptr(dt), ptr(Alog), ptr(Bm), ptr(Cm), ptr(D), d.B, d.T, d.DI, d.DS, SCAN_CHUNK, ptr(state)];
    this.run(parts.map(([c0, c1], j) => task("scan_forward", [...args, scratch[j]!, c0, c1])), d.B * d.T * d.DI * d.DS * 4);
    return true;
  }

  // the scan's backward over channel groups [g0, g1) per thread; each group's dBm / dCm into its own partial
  scanBackwardGroups(
    split: { g0: number; g1: number }[], group: number, partB: Arr, partC: Arr, du: Arr, ddt: Arr, dAlog: Arr | null, dD: Arr | null,
    dy: Arr, u: Arr, dt: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, hs: Arr, d: ScanDims,
  ): boolean {
    if (d.DS % 4 !== 0 || !this.kernels.has(partB, partC, du, ddt, dAlog, dD, dy, u, dt, Alog, Bm, Cm, D, hs)) return false;
    const scratch = this.rows.addresses(split.length, (SCAN_CHUNK + 4) * d.DS);
    if (!scratch) return false;
    const args = [ptr(du), ptr(ddt), ptr(dAlog), ptr(partB), ptr(partC), ptr(dD), ptr(dy), ptr(u), ptr(dt), ptr(Alog), ptr(Bm), ptr(Cm), ptr(D), ptr(hs),
      d.B, d.T, d.DI, d.DS, SCAN_CHUNK, group];
    this.run(split.map(({ g0, g1 }, j) => task("scan_backward", [...args, scratch[j]!, g0 * group, Math.min(d.DI, g1 * group)])),
      d.B * d.T * d.DI * d.DS * 12);
    return true;
  }

  // Mamba's conv1d (channels split: a channel's outputs, state column and weight gradients are its own)
  conv1dForward(out: Arr, x: Arr, weight: Arr, bias: Arr | null, B: number, T: number, DI: number, K: number, state: Arr | null): boolean {
    if ((state && B !== 1) || !this.kernels.has(out, x, weight, bias, state)) return false;
    const args = [ptr(out), ptr(x), ptr(weight), ptr(bias), B, T, DI, K, ptr(state)];
    this.run(this.split(DI, 4).map(([a, z]) => task("conv1d_forward", [...args, a, z])), B * T * DI * (K + 20));
    return true;
  }

  conv1dBackward(
    dx: Arr | null, dweight: Arr | null, dbias: Arr | null, dout: Arr, x: Arr, weight: Arr, bias: Arr | null, B: number, T: number, DI: number, K: number,
  ): boolean {
    if (!this.kernels.has(dx, dweight, dbias, dout, x, weight, bias)) return false;
    const args = [ptr(dx), ptr(dweight), ptr(dbias), ptr(dout), ptr(x), ptr(weight), ptr(bias), B, T, DI, K];
    this.run(this.split(DI, 4).map(([a, z]) => task("conv1d_backward", [...args, a, z])), B * T * DI * (3 * K + 20));
    return true;
  }

  // RoPE on rows [n0, n1) split among the threads; sign -1 rotates back (the backward)
  rope(out: Arr, inp: Arr, invFreq: Arr, pos: Int32Array, N: number, NH: number, HS: number, sign: 1 | -1): boolean {
    if (!this.kernels.has(out, inp, invFreq, pos)) return false;
    const args = [ptr(out), ptr(inp), ptr(invFreq), ptr(pos), NH, HS, sign];
    this.run(this.split(N, 1).map(([a, z]) => task("rope", [...args, a, z])), N * HS * (NH * 3 + 20));
    return true;
  }
}

/**
 * Keys per block of attention's backward: a function of Tk alone, so the blocks and the order their shares of dq are
 * summed in are the same for any thread count. At least 4 blocks up to Tk = 1024 (work for every thread), at most 8
 * beyond (each block keeps a partial dq of the whole query side).
 */
export function keyBlock(Tk: number): number {
  return Tk <= 512 ? 64 : Tk <= 1024 ? 128 : Math.ceil(Tk / 8 / 64) * 64;
}

/**
 * Key blocks of `kb` keys dealt to `threads` lists, largest causal work first, each to the least loaded (block b's
 * work: the query rows that see each of its keys); every block goes to exactly one list.
 */
export function dealBlocks(Tq: number, Tk: number, kb: number, threads: number): number[][] {
  const blocks = Math.ceil(Tk / kb);
  const work = (b: number) => {
    let w = 0;
    for (let j = b * kb; j < Math.min(Tk, (b + 1) * kb); j++) w += Math.max(0, Math.min(Tq, Tk - j));
    return w;
  };
  const order = Array.from({ length: blocks }, (_, b) => [b, work(b)] as const).sort((x, y) => y[1] - x[1] || x[0] - y[0]);
  const lists: number[][] = Array.from({ length: Math.min(threads, blocks) }, () => []);
  const load = lists.map(() => 0);
  for (const [b, w] of order) {
    const i = load.indexOf(Math.min(...load));
    lists[i]!.push(b);
    load[i]! += w;
  }
  return lists;
}

/** [0, Tq) cut into at most `parts` ranges of about equal causal work (row t sees Tk - Tq + t + 1 keys). */
export function causalRanges(Tq: number, Tk: number, parts: number): [number, number][] {
  const cost = (t: number) => Tk - Tq + t + 1;
  let total = 0;
  for (let t = 0; t < Tq; t++) total += cost(t);
  const out: [number, number][] = [];
  let start = 0, acc = 0;
  for (let t = 0; t < Tq && out.length < parts - 1; t++) {
    acc += cost(t);
    if (acc >= (total * (out.length + 1)) / parts) {
      out.push([start, t + 1]);
      start = t + 1;
    }
  }
  if (start < Tq || out.length === 0) out.push([start, Tq]);
  return out;
}
