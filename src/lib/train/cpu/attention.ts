// Causal grouped-query attention. Forward keeps only the log-sum-exp of each score row (B,NH,Tq); backward
// recomputes the probabilities from it, so no (T,T) buffer is ever stored (flash-attention's bookkeeping,
// computed row by row). Query head h reads key/value head h / (NH/NKV), as transformers' repeat_kv does.

import type { AttentionDims } from "../backend.ts";
import type { Arr } from "./types.ts";

// Both kernels walk (sequence b, key/value head kh) groups, g = b * NKV + kh; a group writes only its own rows of
// out/lse/dq (its query heads) and of dk/dv, so the pool (pool.ts) hands threads disjoint ranges [gStart, gEnd)
// and each element is summed in the same order as in one call.

// q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS) -> out (B,Tq,NH,HS), lse (B,NH,Tq)
export function attentionForward(
  out: Arr, lse: Arr, q: Arr, k: Arr, v: Arr, d: AttentionDims, scores?: Float64Array, gStart = 0, gEnd = d.B * d.NKV,
): void {
  const { Tq, Tk, kvStride, NH, NKV, HS } = d;
  const rep = NH / NKV;
  const sc = 1 / Math.sqrt(HS);
  const s = scores && scores.length >= Tk ? scores : new Float64Array(Tk);
  for (let g = gStart; g < gEnd; g++) {
    const b = Math.floor(g / NKV), kh = g % NKV;
    for (let t = 0; t < Tq; t++) {
      const last = Tk - Tq + t; // sees keys 0..last
      for (let h = kh * rep; h < (kh + 1) * rep; h++) {
        const qi = ((b * Tq + t) * NH + h) * HS;
        let max = -Infinity;
        for (let j = 0; j <= last; j++) {
          const ki = ((b * kvStride + j) * NKV + kh) * HS;
          let dot = 0;
          for (let i = 0; i < HS; i++) dot += q[qi + i]! * k[ki + i]!;
          s[j] = dot * sc;
          if (s[j]! > max) max = s[j]!;
        }
        let sum = 0;
        for (let j = 0; j <= last; j++) {
          s[j] = Math.exp(s[j]! - max);
          sum += s[j]!;
        }
        lse[(b * NH + h) * Tq + t] = max + Math.log(sum);
        for (let i = 0; i < HS; i++) out[qi + i] = 0;
        for (let j = 0; j <= last; j++) {
          const p = s[j]! / sum;
          const vi = ((b * kvStride + j) * NKV + kh) * HS;
          for (let i = 0; i < HS; i++) out[qi + i] = out[qi + i]! + p * v[vi + i]!;
        }
      }
    }
  }
}

// dout, q, k, v, out, lse -> dq +=, dk +=, dv +=
//   P_j = exp(s_j - lse), dP_j = dout . v_j, D = dout . out, dS_j = P_j (dP_j - D)
//   dq += sc * sum_j dS_j k_j,  dk_j += sc * dS_j q,  dv_j += P_j dout
export function attentionBackward(
  dq: Arr, dk: Arr, dv: Arr, dout: Arr, q: Arr, k: Arr, v: Arr, out: Arr, lse: Arr, d: AttentionDims, gStart = 0, gEnd = d.B * d.NKV,
): void {
  const { Tq, Tk, kvStride, NH, NKV, HS } = d;
  const rep = NH / NKV;
  const sc = 1 / Math.sqrt(HS);
  for (let g = gStart; g < gEnd; g++) {
    const b = Math.floor(g / NKV), kh = g % NKV;
    for (let t = 0; t < Tq; t++) {
      const last = Tk - Tq + t;
      for (let h = kh * rep; h < (kh + 1) * rep; h++) {
        const qi = ((b * Tq + t) * NH + h) * HS;
        const l = lse[(b * NH + h) * Tq + t]!;
        let D = 0;
        for (let i = 0; i < HS; i++) D += dout[qi + i]! * out[qi + i]!;
        for (let j = 0; j <= last; j++) {
          const ki = ((b * kvStride + j) * NKV + kh) * HS;
          let dot = 0;
          let dP = 0;
          for (let i = 0; i < HS; i++) {
            dot += q[qi + i]! * k[ki + i]!;
            dP += dout[qi + i]! * v[ki + i]!;
          }
          const P = Math.exp(dot * sc - l);
          const dS = P * (dP - D) * sc;
          for (let i = 0; i < HS; i++) {
            dq[qi + i] = dq[qi + i]! + dS * k[ki + i]!;
            dk[ki + i] = dk[ki + i]! + dS * q[qi + i]!;
            dv[ki + i] = dv[ki + i]! + P * dout[qi + i]!;
          }
        }
      }
    }
  }
}
