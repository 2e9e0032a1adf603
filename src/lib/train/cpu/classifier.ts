// The lm_head and cross-entropy fused: logits are made for a chunk of the vocabulary at a time (N, CHUNK) and
// folded into a running max / sum-exp per row, so the (N, V) logits never exist. Backward recomputes each chunk
// from the saved log-sum-exp.

import { matmulBackward, matmulForward } from "./matmul.ts";
import type { Arr, Ids } from "./types.ts";

export const VOCAB_CHUNK = 512;

// h (N,C), wte (V,C), targets (N; -1 = no loss) -> losses (N), lse (N)
export function classifierForward(losses: Arr, lse: Arr, h: Arr, wte: Arr, targets: Ids, N: number, C: number, V: number): void {
  const chunk = new Float64Array(N * VOCAB_CHUNK);
  const logits = new Float64Array(chunk.buffer); // (N, w) view, w <= VOCAB_CHUNK
  const max = new Float64Array(N).fill(-Infinity);
  const sum = new Float64Array(N);
  const target = new Float64Array(N);
  for (let v0 = 0; v0 < V; v0 += VOCAB_CHUNK) {
    const w = Math.min(VOCAB_CHUNK, V - v0);
    matmulForward(logits, h, wte.subarray(v0 * C, (v0 + w) * C), null, N, C, w);
    for (let n = 0; n < N; n++) {
      const row = n * w;
      let m = max[n]!;
      for (let j = 0; j < w; j++) if (logits[row + j]! > m) m = logits[row + j]!;
      let s = sum[n]! * Math.exp(max[n]! - m);
      for (let j = 0; j < w; j++) s += Math.exp(logits[row + j]! - m);
      max[n] = m;
      sum[n] = s;
      const y = targets[n]!;
      if (y >= v0 && y < v0 + w) target[n] = logits[row + y - v0]!;
    }
  }
  for (let n = 0; n < N; n++) {
    lse[n] = max[n]! + Math.log(sum[n]!);
    losses[n] = targets[n]! >= 0 ? lse[n]! - target[n]! : 0;
  }
}

// d(sum_n dloss * losses_n) -> dh (N,C) +=, dwte (V,C) +=;  dlogit_v = dloss * (softmax_v - [v == y])
// Per vocabulary chunk: recompute the logits (N,w), turn them into dlogits in place, then one matmulBackward gives
// dh += dlogits @ wte_chunk and dwte_chunk += dlogits^T @ h. The pool (pool.ts) splits the same work two ways,
// rows for dh and chunks for dwte, with the same arithmetic per element, so its result has these bits.
export function classifierBackward(
  dh: Arr | null, dwte: Arr | null, h: Arr, wte: Arr, targets: Ids, lse: Arr, dloss: number, N: number, C: number, V: number,
  chunkStart = 0, chunkEnd = Math.ceil(V / VOCAB_CHUNK),
): void {
  const dlogits = new Float64Array(N * VOCAB_CHUNK);
  for (let c = chunkStart; c < chunkEnd; c++) {
    const v0 = c * VOCAB_CHUNK;
    const w = Math.min(VOCAB_CHUNK, V - v0);
    const wc = wte.subarray(v0 * C, (v0 + w) * C);
    matmulForward(dlogits, h, wc, null, N, C, w);
    for (let n = 0; n < N; n++) {
      const y = targets[n]!;
      const row = n * w;
      if (y < 0) {
        dlogits.fill(0, row, row + w);
        continue;
      }
      const l = lse[n]!;
      for (let j = 0; j < w; j++) dlogits[row + j] = dloss * (Math.exp(dlogits[row + j]! - l) - (v0 + j === y ? 1 : 0));
    }
    matmulBackward(dh, dwte ? dwte.subarray(v0 * C, (v0 + w) * C) : null, null, dlogits, h, wc, N, C, w);
  }
}
