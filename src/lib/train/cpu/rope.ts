// Rotary position embedding in Hugging Face's "rotate_half" layout: dimension i pairs with i + HS/2
// (llama.cpp's GGUF export permutes Q/K rows to its interleaved layout instead).

import type { Arr, Ids } from "./types.ts";

// inp (N,NH,HS), invFreq (HS/2), pos (N) -> out (N,NH,HS); out may alias inp
export function ropeForward(out: Arr, inp: Arr, invFreq: Arr, pos: Ids, N: number, NH: number, HS: number): void {
  rotate(out, inp, invFreq, pos, N, NH, HS, 1);
}

// dout (N,NH,HS) -> dinp (N,NH,HS): the transpose of a rotation is the rotation by -angle; dinp may alias dout
export function ropeBackward(dinp: Arr, dout: Arr, invFreq: Arr, pos: Ids, N: number, NH: number, HS: number): void {
  rotate(dinp, dout, invFreq, pos, N, NH, HS, -1);
}

function rotate(out: Arr, inp: Arr, invFreq: Arr, pos: Ids, N: number, NH: number, HS: number, sign: 1 | -1): void {
  const half = HS / 2;
  for (let n = 0; n < N; n++) {
    const p = pos[n]!;
    for (let i = 0; i < half; i++) {
      // angle computed in float32 as transformers does (inv_freq float32 times position, then cos/sin)
      const ang = Math.fround(p * invFreq[i]!);
      const c = Math.cos(ang);
      const s = sign * Math.sin(ang);
      for (let h = 0; h < NH; h++) {
        const b = (n * NH + h) * HS;
        const x1 = inp[b + i]!;
        const x2 = inp[b + i + half]!;
        out[b + i] = x1 * c - x2 * s;
        out[b + i + half] = x2 * c + x1 * s;
      }
    }
  }
}
