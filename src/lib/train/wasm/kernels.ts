// The CPU backend's WebAssembly kernels (wasm/kernels/*.ts, built by scripts/build-wasm.mjs into binaries.ts):
// which build this runtime gets, and one instance of it on a backend's heap.
//
// Builds: "simd" (SIMD128, multiply then add) runs everywhere this project supports; "relaxed" (relaxed-SIMD's
// fused multiply-add) only where the runtime validates it. Which one is used by default was decided by measuring
// (README, "How fast"): see DEFAULT_BUILD. FIM_WASM=simd|relaxed|off (Node) overrides it, e.g. for benchmarks
// and for the tests that run both; "off" leaves the TypeScript kernels.

import { RELAXED_WASM, SIMD_WASM } from "./binaries.ts";
import { WasmHeap } from "./heap.ts";

export type WasmBuild = "simd" | "relaxed";

/** The build used when nothing asks otherwise (measured: see the README's CPU engine table). */
export const DEFAULT_BUILD: WasmBuild = "simd";

/** The kernels' exports; pointers are byte addresses in the heap, 0 for "none". */
export interface KernelExports {
  gemm_nt(C: number, A: number, B: number, bias: number, M: number, N: number, K: number, scale: number, accumulate: number, m0: number, m1: number): void;
  gemm_nt_cols(C: number, A: number, B: number, bias: number, M: number, N: number, K: number, scale: number, accumulate: number, n0: number, n1: number): void;
  gemm_nn(C: number, A: number, B: number, M: number, N: number, K: number, sam: number, sak: number, scale: number, accumulate: number, m0: number, m1: number): void;
  ce_forward(losses: number, lse: number, h: number, wte: number, targets: number, C: number, V: number, scratch: number, m0: number, m1: number): void;
  ce_backward_dh(dh: number, h: number, wte: number, targets: number, lse: number, dloss: number, C: number, V: number, scratch: number, m0: number, m1: number): void;
  ce_backward_dw(
    dwte: number, h: number, wte: number, targets: number, lse: number, dloss: number, N: number, C: number, V: number, scratch: number, c0: number, c1: number,
  ): void;
  ce_scratch_bytes(): number;
  ce_chunk(): number;
  dequant_rows(out: number, W: number, K: number, bits: number, r0: number, r1: number): void;
  qgemm_nt(
    C: number, A: number, W: number, bias: number, M: number, N: number, K: number, bits: number, scale: number, accumulate: number,
    n0: number, n1: number, panel: number,
  ): void;
  qgemm_panel_floats(K: number): number;
  qgemv(C: number, A: number, W: number, bias: number, K: number, bits: number, scale: number, accumulate: number, n0: number, n1: number): void;
  swiglu_forward(out: number, gate: number, up: number, i0: number, i1: number): void;
  swiglu_backward(dgate: number, dup: number, dout: number, gate: number, up: number, i0: number, i1: number): void;
  rmsnorm_forward(out: number, rstd: number, inp: number, weight: number, C: number, eps: number, n0: number, n1: number): void; // eps as float64
  rmsnorm_backward(dinp: number, dout: number, inp: number, weight: number, rstd: number, C: number, n0: number, n1: number): void;
  adamw_update(
    param: number, grad: number, m: number, v: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
    bc1: number, bc2: number, i0: number, i1: number,
  ): void;
  scan_forward(
    y: number, hs: number, u: number, dt: number, Alog: number, Bm: number, Cm: number, D: number,
    B: number, T: number, DI: number, DS: number, chunk: number, state: number, scratch: number, c0: number, c1: number,
  ): void;
  scan_backward(
    du: number, ddt: number, dAlog: number, dBm: number, dCm: number, dD: number,
    dy: number, u: number, dt: number, Alog: number, Bm: number, Cm: number, D: number, hs: number,
    B: number, T: number, DI: number, DS: number, chunk: number, group: number, scratch: number, c0: number, c1: number,
  ): void;
  conv1d_forward(out: number, x: number, weight: number, bias: number, B: number, T: number, DI: number, K: number, state: number, c0: number, c1: number): void;
  conv1d_backward(
    dx: number, dweight: number, dbias: number, dout: number, x: number, weight: number, bias: number, B: number, T: number, DI: number, K: number,
    c0: number, c1: number,
  ): void;
  rope(out: number, inp: number, invFreq: number, pos: number, NH: number, HS: number, sign: number, n0: number, n1: number): void;
  attn_forward(
    out: number, lse: number, q: number, k: number, v: number,
    B: number, Tq: number, Tk: number, kvStride: number, NH: number, NKV: number, HS: number, scores: number, g0: number, g1: number,
    t0: number, t1: number,
  ): void;
  attn_backward(
    dq: number, dk: number, dv: number, dout: number, q: number, k: number, v: number, out: number, lse: number,
    B: number, Tq: number, Tk: number, kvStride: number, NH: number, NKV: number, HS: number, scratch: number, j0: number, j1: number,
  ): void;
  sum_into(dst: number, parts: number, nParts: number, stride: number, i0: number, i1: number): void;
}
export type KernelName = keyof KernelExports;

/** Every kernel's name, in a fixed order: the thread pool's mailbox names a kernel by its index here. */
export const KERNEL_NAMES: readonly KernelName[] = [
  "gemm_nt", "gemm_nn", "ce_forward", "ce_backward_dh", "ce_backward_dw", "ce_scratch_bytes", "ce_chunk", "dequant_rows", "qgemm_nt",
  "qgemm_panel_floats", "swiglu_forward", "swiglu_backward", "rmsnorm_forward", "rmsnorm_backward", "adamw_update", "attn_forward",
  "attn_backward", "gemm_nt_cols", "qgemv", "scan_forward", "scan_backward", "sum_into", "conv1d_forward", "conv1d_backward", "rope",
];

const modules = new Map<WasmBuild, WebAssembly.Module | null>();

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === "function") return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Uint8Array(Buffer.from(base64, "base64"));
}

/** The build asked for by FIM_WASM, or the default; null when turned off. */
export function requestedBuild(): WasmBuild | null {
  const env = typeof process !== "undefined" ? process.env?.FIM_WASM : undefined;
  if (env === "off") return null;
  if (env === "simd" || env === "relaxed") return env;
  return DEFAULT_BUILD;
}

/** The compiled module of `build`, or null where the runtime cannot run it (no SIMD / relaxed SIMD, or no WebAssembly). */
export function kernelModule(build: WasmBuild): WebAssembly.Module | null {
  if (!modules.has(build)) {
    let mod: WebAssembly.Module | null = null;
    try {
      const bytes = bytesOf(build === "simd" ? SIMD_WASM : RELAXED_WASM);
      if (WebAssembly.validate(bytes)) mod = new WebAssembly.Module(bytes);
    } catch {
      mod = null; // e.g. a browser page's main thread refusing a synchronous compile
    }
    modules.set(build, mod);
  }
  return modules.get(build)!;
}

/** A heap and the kernels instantiated on it: what one CpuBackend (and each of its pool's threads) uses. */
export class WasmKernels {
  private constructor(
    readonly build: WasmBuild,
    readonly module: WebAssembly.Module,
    readonly heap: WasmHeap,
    readonly k: KernelExports,
  ) {}

  /** Kernels of `build` (default: requestedBuild()) on a new heap, or null where they cannot run (then: TypeScript). */
  static create(build: WasmBuild | null = requestedBuild()): WasmKernels | null {
    if (build === null) return null;
    let used = build;
    let module = kernelModule(build);
    if (!module && build === "relaxed") [used, module] = ["simd", kernelModule("simd")];
    const heap = module && WasmHeap.create();
    if (!module || !heap) return null;
    return new WasmKernels(used, module, heap, instantiate(module, heap.memory));
  }

  /** Are all these views on the heap (null counts as yes)? Then the kernels can take their addresses. */
  has(...arrs: (ArrayBufferView | null)[]): boolean {
    return arrs.every((a) => a === null || this.heap.owns(a));
  }
}

/** The kernels on `memory` (a pool thread calls this with the backend's module and memory). */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
}

/** The address of a heap view (0 for none): its byte offset, since every view is on the memory's buffer from 0. */
export const ptr = (a: ArrayBufferView | null): number => (a === null ? 0 : a.byteOffset);
