// The lm_head and cross-entropy fused on the GPU, matching cpu/classifier.ts: logits are made for one vocabulary chunk
// at a time into a reused (N, chunk) scratch buffer and folded into a running max / sum per row, so (N, V) logits never
// exist; backward recomputes each chunk from the saved log-sum-exp. Each chunk binds only its rows of wte (and dwte)
// with a binding offset, so a 1 GiB embedding works where one storage binding may hold 128 MiB: the chunk is a
// multiple of rows whose byte size is a multiple of minStorageBufferOffsetAlignment (the last chunk takes the rest). The
// chunk's three products run the linear layer's GEMM (matmul.ts gemm); the folds are classifier_forward / _backward.wgsl.

import { gcd, paramValues, range, wgslStruct, type Binding, type GpuContext } from "../context.ts";
import { bindable, gemm } from "./matmul.ts";
import forwardWgsl from "./classifier_forward.wgsl?raw";
import reduceWgsl from "./reduce.wgsl?raw";
import backwardWgsl from "./classifier_backward.wgsl?raw";

/**
 * Vocabulary rows per chunk, before the limits below and the binding alignment cut it down. Each chunk is a dispatch
 * of each of its kernels (2 forward, 3 backward); the scratch limit is what bounds the work of one, so a short batch
 * (N = 16 rows: 3 MiB of logits) takes a whole 49k vocabulary in one chunk, and N = 4096 rows take 4096 per chunk.
 */
export const VOCAB_CHUNK = 65536;
/** Most bytes the (N, chunk) logits scratch may take. */
const SCRATCH_BYTES = 64 << 20;
const WG = 64; // row and elementwise kernels

/** classifier_forward.wgsl's uniform fields, in order: the chunk is vocabulary rows v0..v0+w-1; first, last: flags. */
export const CLASSIFIER_FORWARD_PARAMS = [["N", "u32"], ["w", "u32"], ["v0", "u32"], ["first", "u32"], ["last", "u32"]] as const;
/** classifier_backward.wgsl's uniform fields, in order (total = N * w). */
export const CLASSIFIER_BACKWARD_PARAMS = [["total", "u32"], ["w", "u32"], ["v0", "u32"], ["dloss", "f32"]] as const;
/** The fold shaders as compiled: each one's `struct Params` from its table, then its .wgsl file. */
export const CLASSIFIER_FORWARD_WGSL = [wgslStruct("Params", CLASSIFIER_FORWARD_PARAMS), reduceWgsl, forwardWgsl].join("\n");
export const CLASSIFIER_BACKWARD_WGSL = [wgslStruct("Params", CLASSIFIER_BACKWARD_PARAMS), backwardWgsl].join("\n");

/**
 * Vocabulary rows per chunk: at most `want`, with chunk·C·4 a multiple of the storage offset alignment and both the
 * chunk of wte and the (N, chunk) scratch within one storage binding. V itself when it fits in one chunk.
 */
export function chunkRows(limits: GPUSupportedLimits, N: number, C: number, V: number, want = VOCAB_CHUNK): number {
  const rowBytes = C * 4;
  const align = limits.minStorageBufferOffsetAlignment;
  const unit = align / gcd(rowBytes, align);
  const maxBinding = bindable(limits); // the GEMM binds a chunk rounded up to 16 bytes
  const cap = Math.min(want, Math.floor(maxBinding / rowBytes), Math.floor(Math.min(maxBinding, SCRATCH_BYTES) / (N * 4)));
  if (V <= cap) return V;
  if (unit * rowBytes > maxBinding || N * unit * 4 > maxBinding) {
    throw new RangeError(`classifier: ${unit} vocabulary rows of ${C} channels do not fit one storage binding (${maxBinding} bytes)`);
  }
  return Math.max(unit, Math.floor(cap / unit) * unit);
}

// h (N,C), wte (V,C), targets (N; -1 = no loss) -> losses (N), lse (N).  chunk: rows per chunk wanted (tests)
export function forward(
  ctx: GpuContext, losses: Binding, lse: Binding, h: Binding, wte: Binding, targets: Binding,
  N: number, C: number, V: number, chunk = VOCAB_CHUNK,
): void {
  if (N === 0 || V === 0) return;
  const CH = chunkRows(ctx.limits, N, C, V, chunk);
  const logits = ctx.buffer(N * CH * 4, "classifier:logits");
  const state = ctx.buffer(N * 3 * 4, "classifier:state");
  const fold = ctx.pipeline("classifier:forward", CLASSIFIER_FORWARD_WGSL, { WG });
  for (let v0 = 0; v0 < V; v0 += CH) {
    const w = Math.min(CH, V - v0);
    const wc = range(wte, v0 * C * 4, w * C * 4);
    logitsOf(ctx, logits, h, wc, N, C, w);
    const params = paramValues(CLASSIFIER_FORWARD_PARAMS, { N, w, v0, first: v0 === 0, last: v0 + w >= V });
    ctx.dispatch(fold, [losses, lse, state, logits, targets], params, ctx.grid(N));
  }
  ctx.release(logits);
  ctx.release(state);
}

// d(sum_n dloss * losses_n) -> dh (N,C) +=, dwte (V,C) += (optional);  dlogit = dloss * (softmax - onehot)
export function backward(
  ctx: GpuContext, dh: Binding, dwte: Binding | null, h: Binding, wte: Binding, targets: Binding, lse: Binding,
  dloss: number, N: number, C: number, V: number, chunk = VOCAB_CHUNK,
): void {
  if (N === 0 || V === 0) return;
  const CH = chunkRows(ctx.limits, N, C, V, chunk);
  const logits = ctx.buffer(N * CH * 4, "classifier:dlogits");
  const grad = ctx.pipeline("classifier:backward", CLASSIFIER_BACKWARD_WGSL, { WG });
  for (let v0 = 0; v0 < V; v0 += CH) {
    const w = Math.min(CH, V - v0);
    const wc = range(wte, v0 * C * 4, w * C * 4);
    logitsOf(ctx, logits, h, wc, N, C, w);
    const params = paramValues(CLASSIFIER_BACKWARD_PARAMS, { total: N * w, w, v0, dloss });
    ctx.dispatch(grad, [logits, lse, targets], params, ctx.grid(Math.ceil((N * w) / WG)));
    // dh (N,C) += G (N,w) @ Wc (w,C)
    gemm(ctx, { M: N, P: C, K: w, a: logits, aT: false, lda: w, b: wc, bT: false, y: dh, ldy: C, accumulate: true });
    // dWc (w,C) += G^T @ h: A(j,n) = G[n*w + j]
    if (dwte) {
      const dwc = range(dwte, v0 * C * 4, w * C * 4);
      gemm(ctx, { M: w, P: C, K: N, a: logits, aT: true, lda: w, b: h, bT: false, y: dwc, ldy: C, accumulate: true });
    }
  }
  ctx.release(logits);
}

// h (N,C), Wc (w,C) -> logits (N,w) = h @ Wc^T
function logitsOf(ctx: GpuContext, logits: Binding, h: Binding, wc: GPUBufferBinding, N: number, C: number, w: number): void {
  gemm(ctx, { M: N, P: w, K: C, a: h, aT: false, lda: C, b: wc, bT: true, y: logits, ldy: w, accumulate: false });
}
