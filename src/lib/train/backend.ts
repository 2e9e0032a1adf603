// The engine's Backend: explicit forward/backward kernel pairs, llm.c style. The model code (model.ts,
// lora.ts) is written once against this interface; the CPU backend (cpu/) is the reference, the WebGPU
// backend must match it kernel by kernel.
//
// Shape legend (every kernel comment uses it):
//   B batch, T time (sequence), N = B*T tokens, C channels (hidden), V vocab, H MLP hidden (intermediate),
//   NH query heads, NKV key/value heads, HS head size, L layers, IC/OC in/out channels, R LoRA rank;
//   Mamba: DI inner channels, DS state size per inner channel, K conv width.
// Conventions:
//   - Buffers are flat, row-major, float32 (`T`), or int32 ids (`I`).
//   - Forward kernels overwrite `out` unless `accumulate` is set.
//   - Backward kernels take gradients first and ADD into them (+=); the caller zeroes them.
//   - Kernels are enqueued synchronously; only `read` (and the scalars it returns) is asynchronous.
//   - A frozen weight (uploadFrozen) is only ever the `weight` of matmulForward / matmulBackward (with dweight null).
//   - A frozen table (uploadTable) is only ever the `wte` of embeddingForward and logits (inference).

import type { WeightFormat } from "./quant.ts";

export interface MatmulOptions<T = unknown> {
  /** Multiplies inp @ weight^T (not the bias). */
  scale?: number;
  /** out += result instead of out = result. */
  accumulate?: boolean;
  /** LoRA's up-projection, added in the same pass: out += lora.scale * lora.h (N,R) @ lora.B (OC,R)^T. */
  lora?: LoraUp<T>;
  /** What the product's input is made of (see MatmulInput): `inp` is that kernel's input, not the product's. */
  input?: MatmulInput<T>;
}

/**
 * The kernel that makes a product's input, when it feeds only that product (decoding: the norm before q/k/v, the
 * SwiGLU before down_proj), so a backend may fuse it into the product's loads (the GPU's GEMV does) instead of writing
 * its output and reading it back:
 *   rmsnorm  inp (N,IC), weight (IC) -> inp * rstd * weight, rstd = 1 / sqrt(mean(inp^2) + eps)  (rmsnormForward)
 *   swiglu   inp (N,IC) the gate, up (N,IC) -> silu(inp) * up  (swigluForward)
 * Not applied to the lora option's h. Inference only: nothing is kept for a backward.
 */
export type MatmulInput<T> = { kind: "rmsnorm"; weight: T; eps: number } | { kind: "swiglu"; up: T };

/** LoRA's up-projection of hidden h by B, scaled by α/r (linear.ts), as matmulForward adds it. */
export interface LoraUp<T> {
  h: T; // (N,R)
  B: T; // (OC,R)
  R: number;
  scale: number;
}

/** LoRA's input gradient as matmulBackward adds it to dinp: dinp += dh (N,R) @ A (R,IC). */
export interface LoraDinp<T> {
  dh: T; // (N,R), the gradient of LoRA's hidden, α/r already in it
  A: T; // (R,IC)
  R: number;
}

/**
 * Values a view's offset is a multiple of: 64 float32 values, 256 bytes, the largest minStorageBufferOffsetAlignment
 * WebGPU allows, so any view can be bound by itself.
 */
export const VIEW_ALIGN = 64;

export interface AdamWParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step, for bias correction. */
  t: number;
}

export interface AttentionDims {
  B: number;
  /** Query rows per sequence. */
  Tq: number;
  /** Key/value rows per sequence in use; query row t sits at position Tk - Tq + t and sees keys 0..that. */
  Tk: number;
  /** Rows allocated per sequence in k and v (Tk <= kvStride); = Tk in training, the cache size in inference. */
  kvStride: number;
  NH: number;
  NKV: number;
  HS: number;
}

/** Shapes of the selective scan (Mamba-1). */
export interface ScanDims {
  B: number;
  T: number;
  DI: number; // inner channels, scanned independently
  DS: number; // state size per channel
}

/**
 * Time steps between the scan's saved states: the forward pass keeps h at the start of every chunk, the backward pass
 * recomputes the states inside one chunk at a time, so memory is (B, ceil(T / SCAN_CHUNK), DI, DS), not (B, T, DI, DS).
 */
export const SCAN_CHUNK = 64;
export const scanChunks = (T: number): number => Math.ceil(T / SCAN_CHUNK);

export interface Backend<T, I = T> {
  readonly name: string;
  /**
   * Products of at most this many rows take MatmulOptions.input in their loads (fused, no kernel of its own); the
   * models make the input themselves for more rows (0: this backend fuses none; it still takes the option, unfused).
   */
  readonly fusedInputRows: number;

  // --- memory ---
  alloc(n: number, label?: string): T;
  upload(data: Float32Array, label?: string): T;
  /**
   * A frozen (OC,IC) weight stored as `format` (quant.ts): packed on the GPU and dequantized inside the matmul, the
   * same dequantized float32 values on the CPU. Only for the `weight` operand of the matmuls, never read back or
   * trained. Throws WeightFormatError (naming `label`) when IC does not fill whole blocks.
   */
  uploadFrozen(data: Float32Array, OC: number, IC: number, format: WeightFormat, label?: string): T;
  /**
   * A frozen (V,C) embedding / lm_head table holding the values of `format`, for inference: only the `wte` of
   * embeddingForward and logits, never trained or read back. The CPU keeps int8 / int4 blocks (a lookup dequantizes
   * its rows, logits multiplies like a frozen weight); the GPU keeps their float32 values. Throws like uploadFrozen.
   */
  uploadTable(data: Float32Array, V: number, C: number, format: WeightFormat, label?: string): T;
  uploadIds(data: Int32Array, label?: string): I;
  write(buf: T, data: Float32Array, offset?: number): void;
  writeIds(buf: I, data: Int32Array, offset?: number): void;
  read(buf: T, n?: number): Promise<Float32Array>;
  zero(buf: T, n?: number): void;
  copy(dst: T, src: T, n: number, dstOffset?: number, srcOffset?: number): void;
  /** Gives a buffer back. A view frees nothing: free the buffer it views, once its views are no longer used. */
  free(buf: T | I): void;
  /**
   * Values [offset, offset + n) of `buf` as a buffer of their own, sharing its storage (offset: a multiple of
   * VIEW_ALIGN). Many small tensors kept as views of one buffer can also be handled as that one buffer: the LoRA
   * adapters and their gradients (lora.ts), which the optimizer steps as one tensor (trainer.ts).
   */
  view(buf: T, offset: number, n: number): T;

  // --- kernels ---
  /** ids (N), wte (V,C) -> out (N,C) */
  embeddingForward(out: T, ids: I, wte: T, N: number, C: number): void;
  /** dout (N,C), ids (N) -> dwte (V,C) += */
  embeddingBackward(dwte: T, dout: T, ids: I, N: number, C: number): void;

  /** inp (N,C), weight (C) -> out (N,C), rstd (N) */
  rmsnormForward(out: T, rstd: T, inp: T, weight: T, N: number, C: number, eps: number): void;
  /** dout (N,C), inp (N,C), weight (C), rstd (N) -> dinp (N,C) +=, dweight (C) += */
  rmsnormBackward(dinp: T, dweight: T | null, dout: T, inp: T, weight: T, rstd: T, N: number, C: number): void;

  /**
   * inp (N,IC), weight (OC,IC), bias (OC) -> out (N,OC) = scale * inp @ weight^T + bias [+ opts.lora's product];
   * with opts.input, inp is first made into the product's input (MatmulInput)
   */
  matmulForward(out: T, inp: T, weight: T, bias: T | null, N: number, IC: number, OC: number, opts?: MatmulOptions<T>): void;
  /**
   * dout (N,OC), inp (N,IC), weight (OC,IC) -> dinp (N,IC) +=, dweight (OC,IC) +=, dbias (OC) += (each optional);
   * with `lora` (and dinp), dinp += lora.dh @ lora.A as well, in the same pass
   */
  matmulBackward(
    dinp: T | null, dweight: T | null, dbias: T | null, dout: T, inp: T, weight: T,
    N: number, IC: number, OC: number, scale?: number, lora?: LoraDinp<T>,
  ): void;

  /** inp (N,NH,HS), invFreq (HS/2), pos (N) -> out (N,NH,HS); HF "rotate_half" pairs (i, i + HS/2). out may be inp. */
  ropeForward(out: T, inp: T, invFreq: T, pos: I, N: number, NH: number, HS: number): void;
  /** dout (N,NH,HS) -> dinp (N,NH,HS) = rotation by -angle (overwrites; dinp may be dout) */
  ropeBackward(dinp: T, dout: T, invFreq: T, pos: I, N: number, NH: number, HS: number): void;

  /** q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS) -> out (B,Tq,NH,HS), lse (B,NH,Tq); causal, grouped-query */
  attentionForward(out: T, lse: T, q: T, k: T, v: T, d: AttentionDims): void;
  /** dout, q, k, v, out, lse -> dq +=, dk +=, dv += (probabilities recomputed from lse: no (T,T) buffer kept) */
  attentionBackward(dq: T, dk: T, dv: T, dout: T, q: T, k: T, v: T, out: T, lse: T, d: AttentionDims): void;

  /** gate (n), up (n) -> out (n) = silu(gate) * up */
  swigluForward(out: T, gate: T, up: T, n: number): void;
  /** dout (n) -> dgate (n) +=, dup (n) += */
  swigluBackward(dgate: T, dup: T, dout: T, gate: T, up: T, n: number): void;

  /**
   * src (N, srcStride) columns [srcCol, srcCol + width) -> dst (N, dstStride) columns [dstCol, dstCol + width);
   * overwrites, or adds with `accumulate` (a column split's backward is the copy back with accumulate).
   */
  copyColumns(dst: T, src: T, N: number, width: number, dstStride: number, dstCol: number, srcStride: number, srcCol: number, accumulate?: boolean): void;

  /**
   * Mamba's causal depthwise conv with SiLU: x (B,T,DI), weight (DI,K), bias (DI) ->
   * out[b,t,c] = silu(bias[c] + sum_k weight[c,k] * x[b, t-K+1+k, c]), inputs before t = 0 being 0, or, with `state`
   * (B = 1 only: inference), the K-1 previous inputs state (K-1,DI), which is then overwritten with the last K-1 inputs.
   */
  conv1dForward(out: T, x: T, weight: T, bias: T | null, B: number, T: number, DI: number, K: number, state?: T | null): void;
  /** dout (B,T,DI) -> dx (B,T,DI) +=, dweight (DI,K) +=, dbias (DI) += (each optional; the pre-activation is recomputed) */
  conv1dBackward(dx: T | null, dweight: T | null, dbias: T | null, dout: T, x: T, weight: T, bias: T | null, B: number, T: number, DI: number, K: number): void;

  /**
   * Mamba-1's selective scan, sequential over t, independent over (b, c, s):
   *   delta = softplus(dt[b,t,c]), A = -exp(Alog[c,s]),
   *   h[s] = exp(delta * A) * h[s] + delta * Bm[b,t,s] * u[b,t,c],   y[b,t,c] = sum_s h[s] * Cm[b,t,s] + D[c] * u[b,t,c]
   * u dt (B,T,DI), Alog (DI,DS), Bm Cm (B,T,DS), D (DI) -> y (B,T,DI), hs (B, scanChunks(T), DI, DS) the state at the
   * start of each chunk (training; null in inference). h starts at 0, or (B = 1) at `state` (DI,DS), which then
   * receives the final h.
   */
  scanForward(y: T, hs: T | null, u: T, dt: T, Alog: T, Bm: T, Cm: T, D: T, d: ScanDims, state?: T | null): void;
  /** dy (B,T,DI) -> du ddt (B,T,DI) +=, dBm dCm (B,T,DS) +=, dAlog (DI,DS) +=, dD (DI) += (dAlog, dD optional) */
  scanBackward(
    du: T, ddt: T, dAlog: T | null, dBm: T, dCm: T, dD: T | null,
    dy: T, u: T, dt: T, Alog: T, Bm: T, Cm: T, D: T, hs: T, d: ScanDims,
  ): void;

  /** a (n) += b (n)  (residual add; its backward is the identity on both branches) */
  addInPlace(a: T, b: T, n: number): void;

  /**
   * Fused lm_head + cross-entropy, walking the vocabulary in chunks so (N,V) logits never exist.
   * h (N,C), wte (V,C), targets (N; -1 = no loss) -> losses (N), lse (N)
   */
  classifierForward(losses: T, lse: T, h: T, wte: T, targets: I, N: number, C: number, V: number): void;
  /** d(sum of losses * dloss)/dh -> dh (N,C) +=, dwte (V,C) += (optional) */
  classifierBackward(
    dh: T, dwte: T | null, h: T, wte: T, targets: I, lse: T, dloss: number, N: number, C: number, V: number,
  ): void;
  /** h (N,C), wte (V,C) -> logits (N,V) (inference only: N is small there) */
  logits(out: T, h: T, wte: T, N: number, C: number, V: number): void;

  /** param, grad, m, v (n): one AdamW step (decoupled weight decay) */
  adamw(param: T, grad: T, m: T, v: T, n: number, p: AdamWParams): void;
  /** sum of squares of every buffer -> out (1) */
  sumSquares(out: T, bufs: readonly (readonly [T, number])[]): void;
  /** buf (n) *= s */
  scale(buf: T, n: number, s: number): void;
}
