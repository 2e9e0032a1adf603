// The lm_head and cross-entropy fused on the GPU, matching cpu/classifier.ts: logits are made for one vocabulary chunk
// at a time into a reused (N, chunk) scratch buffer and folded into a running max / sum per row, so (N, V) logits never
// exist; backward recomputes each chunk from the saved log-sum-exp. Each chunk binds only its rows of wte (and dwte)
// with a binding offset, so a 1 GiB embedding works where one storage binding may hold 128 MiB: the chunk is a
// multiple of rows whose byte size is a multiple of minStorageBufferOffsetAlignment (the last chunk takes the rest).

import { gcd, type GpuContext, type Params } from "../context.ts";
import matmulWgsl from "./classifier_matmul.wgsl?raw";
import forwardWgsl from "./classifier_forward.wgsl?raw";
import backwardWgsl from "./classifier_backward.wgsl?raw";

/** Vocabulary rows per chunk, before the limits below and the binding alignment cut it down. */
export const VOCAB_CHUNK = 8192;
/** Most bytes the (N, chunk) logits scratch may take. */
const SCRATCH_BYTES = 64 << 20;
const TILE = 16; // classifier_matmul.wgsl: TILE x TILE outputs per workgroup
const WG = 64; // row and elementwise kernels

/**
 * Vocabulary rows per chunk: at most `want`, with chunk·C·4 a multiple of the storage offset alignment and both the
 * chunk of wte and the (N, chunk) scratch within one storage binding. V itself when it fits in one chunk.
 */
export function chunkRows(limits: GPUSupportedLimits, N: number, C: number, V: number, want = VOCAB_CHUNK): number {
  const rowBytes = C * 4;
  const align = limits.minStorageBufferOffsetAlignment;
  const unit = align / gcd(rowBytes, align);
  const maxBinding = limits.maxStorageBufferBindingSize;
  const cap = Math.min(want, Math.floor(maxBinding / rowBytes), Math.floor(Math.min(maxBinding, SCRATCH_BYTES) / (N * 4)));
  if (V <= cap) return V;
  if (unit * rowBytes > maxBinding || N * unit * 4 > maxBinding) {
    throw new RangeError(`classifier: ${unit} vocabulary rows of ${C} channels do not fit one storage binding (${maxBinding} bytes)`);
  }
  return Math.max(unit, Math.floor(cap / unit) * unit);
}

// h (N,C), wte (V,C), targets (N; -1 = no loss) -> losses (N), lse (N).  chunk: rows per chunk wanted (tests)
export function forward(
  ctx: GpuContext, losses: GPUBuffer, lse: GPUBuffer, h: GPUBuffer, wte: GPUBuffer, targets: GPUBuffer,
  N: number, C: number, V: number, chunk = VOCAB_CHUNK,
): void {
  if (N === 0 || V === 0) return;
  const CH = chunkRows(ctx.limits, N, C, V, chunk);
  const logits = ctx.buffer(N * CH * 4, "classifier:logits");
  const state = ctx.buffer(N * 3 * 4, "classifier:state");
  const mm = ctx.pipeline("classifier:matmul", matmulWgsl, { TILE });
  const fold = ctx.pipeline("classifier:forward", forwardWgsl, { WG });
  for (let v0 = 0; v0 < V; v0 += CH) {
    const w = Math.min(CH, V - v0);
    const wc = { buffer: wte, offset: v0 * C * 4, size: w * C * 4 };
    ctx.dispatch(mm, [logits, h, wc], matmulParams(N, w, C, [C, 1], [C, 1], false), [Math.ceil(w / TILE), Math.ceil(N / TILE)]);
    const flags = [["u32", v0 === 0 ? 1 : 0], ["u32", v0 + w >= V ? 1 : 0]] as const;
    ctx.dispatch(fold, [losses, lse, state, logits, targets], [["u32", N], ["u32", w], ["u32", v0], ...flags], ctx.grid(N));
  }
  ctx.release(logits);
  ctx.release(state);
}

// d(sum_n dloss * losses_n) -> dh (N,C) +=, dwte (V,C) += (optional);  dlogit = dloss * (softmax - onehot)
export function backward(
  ctx: GpuContext, dh: GPUBuffer, dwte: GPUBuffer | null, h: GPUBuffer, wte: GPUBuffer, targets: GPUBuffer, lse: GPUBuffer,
  dloss: number, N: number, C: number, V: number, chunk = VOCAB_CHUNK,
): void {
  if (N === 0 || V === 0) return;
  const CH = chunkRows(ctx.limits, N, C, V, chunk);
  const logits = ctx.buffer(N * CH * 4, "classifier:dlogits");
  const mm = ctx.pipeline("classifier:matmul", matmulWgsl, { TILE });
  const grad = ctx.pipeline("classifier:backward", backwardWgsl, { WG });
  for (let v0 = 0; v0 < V; v0 += CH) {
    const w = Math.min(CH, V - v0);
    const range = { offset: v0 * C * 4, size: w * C * 4 };
    const wc = { buffer: wte, ...range };
    ctx.dispatch(mm, [logits, h, wc], matmulParams(N, w, C, [C, 1], [C, 1], false), [Math.ceil(w / TILE), Math.ceil(N / TILE)]);
    ctx.dispatch(grad, [logits, lse, targets], [["u32", N * w], ["u32", w], ["u32", v0], ["f32", dloss]], ctx.grid(Math.ceil((N * w) / WG)));
    // dh (N,C) += G (N,w) . Wc (w,C): B[c, j] = Wc[j*C + c]
    ctx.dispatch(mm, [dh, logits, wc], matmulParams(N, C, w, [w, 1], [1, C], true), [Math.ceil(C / TILE), Math.ceil(N / TILE)]);
    // dWc (w,C) += G^T . h: A[j, n] = G[n*w + j], B[c, n] = h[n*C + c]
    if (dwte) {
      const dwc = { buffer: dwte, ...range };
      ctx.dispatch(mm, [dwc, logits, h], matmulParams(w, C, N, [1, w], [1, C], true), [Math.ceil(C / TILE), Math.ceil(w / TILE)]);
    }
  }
  ctx.release(logits);
}

/** out (M,NO) (+)= A (M,K) . B (NO,K)^T with A[m,k] = a[m*sa[0] + k*sa[1]], B[n,k] = b[n*sb[0] + k*sb[1]] */
function matmulParams(M: number, NO: number, K: number, sa: [number, number], sb: [number, number], accumulate: boolean): Params {
  return [M, NO, K, ...sa, ...sb, accumulate ? 1 : 0].map((v) => ["u32", v] as const);
}
