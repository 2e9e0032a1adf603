// Token embedding lookup.

import type { Arr, Ids } from "./types.ts";

// ids (N), wte (V,C) -> out (N,C)
export function embeddingForward(out: Arr, ids: Ids, wte: Arr, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const row = ids[n]! * C;
    for (let i = 0; i < C; i++) out[n * C + i] = wte[row + i]!;
  }
}

// dout (N,C), ids (N) -> dwte (V,C) +=
export function embeddingBackward(dwte: Arr, dout: Arr, ids: Ids, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const row = ids[n]! * C;
    for (let i = 0; i < C; i++) dwte[row + i] = dwte[row + i]! + dout[n * C + i]!;
  }
}
