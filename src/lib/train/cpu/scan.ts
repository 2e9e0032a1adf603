// Mamba-1's selective scan (the "S6" recurrence), one (batch, inner channel) pair at a time, the DS state entries of
// a channel side by side:
//   delta_t = softplus(dt_t)                      (torch's softplus: x itself above 20)
//   h_t[s]  = exp(delta_t * A[s]) * h_{t-1}[s] + delta_t * B_t[s] * u_t,     A = -exp(A_log)
//   y_t     = sum_s h_t[s] * C_t[s] + D * u_t
// The forward pass saves h at the start of every SCAN_CHUNK steps; the backward pass walks the chunks last to first,
// recomputes the chunk's states from the saved one, and runs the recurrence's adjoint:
//   g = dL/dh_t:  g += dy_t * C_t;  then d(delta) += g * (A * a * h_{t-1} + B_t * u_t),  dA += g * delta * a * h_{t-1},
//   dB_t += g * delta * u_t,  du_t += g * delta * B_t,  g <- g * a  (dL/dh_{t-1});  ddt = d(delta) * sigmoid(dt).
// Both take a channel range [c0, c1) so the CPU backend can split channels between threads (index.ts, pool.ts).

import { SCAN_CHUNK, type ScanDims } from "../backend.ts";
import type { Arr } from "./types.ts";

const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));
const dsoftplus = (x: number) => (x > 20 ? 1 : 1 / (1 + Math.exp(-x)));

// u dt (B,T,DI), Alog (DI,DS), Bm Cm (B,T,DS), D (DI) -> y (B,T,DI), hs (B,nChunks,DI,DS); state (DI,DS) when B = 1
export function scanForward(
  y: Arr, hs: Arr | null, u: Arr, dt: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, d: ScanDims, state: Arr | null,
  c0 = 0, c1 = d.DI,
): void {
  const { B, T, DI, DS } = d;
  if (state && B !== 1) throw new Error(`scanForward: a state needs B = 1, got B = ${B}`);
  const nC = Math.ceil(T / SCAN_CHUNK);
  const h = new Float64Array(DS);
  const A = new Float64Array(DS);
  for (let b = 0; b < B; b++) {
    for (let c = c0; c < c1; c++) {
      for (let s = 0; s < DS; s++) {
        A[s] = -Math.exp(Alog[c * DS + s]!);
        h[s] = state ? state[c * DS + s]! : 0;
      }
      for (let t = 0; t < T; t++) {
        if (hs && t % SCAN_CHUNK === 0) {
          const o = ((b * nC + t / SCAN_CHUNK) * DI + c) * DS;
          for (let s = 0; s < DS; s++) hs[o + s] = h[s]!;
        }
        const i = (b * T + t) * DI + c;
        const r = (b * T + t) * DS;
        const delta = softplus(dt[i]!);
        const ut = u[i]!;
        let acc = D[c]! * ut;
        for (let s = 0; s < DS; s++) {
          h[s] = Math.exp(delta * A[s]!) * h[s]! + delta * Bm[r + s]! * ut;
          acc += h[s]! * Cm[r + s]!;
        }
        y[i] = acc;
      }
      if (state) for (let s = 0; s < DS; s++) state[c * DS + s] = h[s]!;
    }
  }
}

// dy (B,T,DI) -> du ddt (B,T,DI) +=, dAlog (DI,DS) +=, dBm dCm (B,T,DS) +=, dD (DI) +=
export function scanBackward(
  du: Arr, ddt: Arr, dAlog: Arr | null, dBm: Arr, dCm: Arr, dD: Arr | null,
  dy: Arr, u: Arr, dt: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, hs: Arr, d: ScanDims,
  c0 = 0, c1 = d.DI,
): void {
  const { B, T, DI, DS } = d;
  const nC = Math.ceil(T / SCAN_CHUNK);
  const A = new Float64Array(DS);
  const dA = new Float64Array(DS);
  const g = new Float64Array(DS);
  const hbuf = new Float64Array((SCAN_CHUNK + 1) * DS); // row i: the state after i steps of the chunk
  for (let b = 0; b < B; b++) {
    for (let c = c0; c < c1; c++) {
      for (let s = 0; s < DS; s++) {
        A[s] = -Math.exp(Alog[c * DS + s]!);
        dA[s] = 0;
        g[s] = 0;
      }
      let dDc = 0;
      for (let k = nC - 1; k >= 0; k--) {
        const t0 = k * SCAN_CHUNK;
        const t1 = Math.min(T, t0 + SCAN_CHUNK);
        const o = ((b * nC + k) * DI + c) * DS;
        for (let s = 0; s < DS; s++) hbuf[s] = hs[o + s]!;
        for (let t = t0; t < t1; t++) {
          const i = (b * T + t) * DI + c;
          const r = (b * T + t) * DS;
          const delta = softplus(dt[i]!);
          const p = (t - t0) * DS;
          for (let s = 0; s < DS; s++) hbuf[p + DS + s] = Math.exp(delta * A[s]!) * hbuf[p + s]! + delta * Bm[r + s]! * u[i]!;
        }
        for (let t = t1 - 1; t >= t0; t--) {
          const i = (b * T + t) * DI + c;
          const r = (b * T + t) * DS;
          const delta = softplus(dt[i]!);
          const ut = u[i]!;
          const dyt = dy[i]!;
          const p = (t - t0) * DS; // h_{t-1} at p, h_t at p + DS
          let ddelta = 0;
          let dut = D[c]! * dyt;
          dDc += dyt * ut;
          for (let s = 0; s < DS; s++) {
            const hPrev = hbuf[p + s]!;
            dCm[r + s] = dCm[r + s]! + dyt * hbuf[p + DS + s]!;
            const gs = g[s]! + dyt * Cm[r + s]!;
            const a = Math.exp(delta * A[s]!);
            ddelta += gs * (A[s]! * a * hPrev + Bm[r + s]! * ut);
            dA[s] = dA[s]! + gs * delta * a * hPrev;
            dBm[r + s] = dBm[r + s]! + gs * delta * ut;
            dut += gs * delta * Bm[r + s]!;
            g[s] = gs * a;
          }
          du[i] = du[i]! + dut;
          ddt[i] = ddt[i]! + ddelta * dsoftplus(dt[i]!);
        }
      }
      if (dAlog) for (let s = 0; s < DS; s++) dAlog[c * DS + s] = dAlog[c * DS + s]! + dA[s]! * A[s]!; // dA/dAlog = A
      if (dD) dD[c] = dD[c]! + dDc;
    }
  }
}
