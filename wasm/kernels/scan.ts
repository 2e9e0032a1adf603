// Mamba-1's selective scan (src/lib/train/cpu/scan.ts is the reference, with the recurrences written out), a
// channel's DS state entries as DS/4 vectors (DS a multiple of 4; the caller checks), float32 with the SIMD exp:
//   delta_t = softplus(dt_t);  h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t;  y_t = h_t . C_t + D u_t
// The forward saves h at the start of every `chunk` steps; the backward walks the chunks last to first, recomputes
// the chunk's states into scratch, and runs the adjoint. Channels [c0, c1): the pool splits channels; the backward's
// dBm / dCm are sums over channels, so each call adds into the partial the caller gives it (summed in a fixed order).
// scratch: forward 2 DS floats (A, h); backward (chunk + 4) DS floats (A, dA, g, then the chunk's states).

import { expv, hsum, madd, ZERO } from "./simd";

@inline function softplus(x: f64): f64 {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}
@inline function dsoftplus(x: f64): f64 {
  return x > 20 ? 1 : 1 / (1 + Math.exp(-x));
}

// A = -exp(Alog[c]) for a channel, DS floats at `A`
@inline function channelA(A: usize, Alog: usize, c: i32, DS: i32): void {
  const src = Alog + (<usize>(c * DS) << 2);
  for (let s = 0; s < DS; s++) store<f32>(A + (<usize>s << 2), <f32>-Math.exp(<f64>load<f32>(src + (<usize>s << 2))));
}

// u dt (B,T,DI), Alog (DI,DS), Bm Cm (B,T,DS), D (DI) -> y (B,T,DI), hs (B,nChunks,DI,DS) (0: none); state (DI,DS) (0: none)
export function scan_forward(
  y: usize, hs: usize, u: usize, dt: usize, Alog: usize, Bm: usize, Cm: usize, D: usize,
  B: i32, T: i32, DI: i32, DS: i32, chunk: i32, state: usize, scratch: usize, c0: i32, c1: i32,
): void {
  const nC = (T + chunk - 1) / chunk;
  const sb = <usize>DS << 2;
  const A = scratch, h = scratch + sb;
  for (let b = 0; b < B; b++) {
    for (let c = c0; c < c1; c++) {
      channelA(A, Alog, c, DS);
      if (state) memory.copy(h, state + <usize>c * sb, sb);
      else memory.fill(h, 0, sb);
      const Dc = load<f32>(D + (<usize>c << 2));
      for (let t = 0; t < T; t++) {
        if (hs && t % chunk == 0) memory.copy(hs + <usize>((b * nC + t / chunk) * DI + c) * sb, h, sb);
        const i = <usize>((b * T + t) * DI + c) << 2;
        const r = <usize>(b * T + t) * sb;
        const delta = <f32>softplus(<f64>load<f32>(dt + i));
        const ut = load<f32>(u + i);
        const dv = f32x4.splat(delta), du = f32x4.splat(delta * ut);
        let acc = ZERO;
        for (let s: usize = 0; s < sb; s += 16) {
          const hv = madd(expv(f32x4.mul(dv, v128.load(A + s))), v128.load(h + s), f32x4.mul(du, v128.load(Bm + r + s)));
          v128.store(h + s, hv);
          acc = madd(hv, v128.load(Cm + r + s), acc);
        }
        store<f32>(y + i, hsum(acc) + Dc * ut);
      }
      if (state) memory.copy(state + <usize>c * sb, h, sb);
    }
  }
}

// dy (B,T,DI) -> du ddt (B,T,DI) +=, dAlog (DI,DS) += (0: none), dD (DI) += (0: none), and dBm dCm (B,T,DS) += into
// partials: channel c adds into partial c / group of each (partials of B*T*DS floats, back to back)
//   g = dL/dh_t:  g += dy_t C_t;  d(delta) += g . (A a h_{t-1} + B_t u_t),  dA += g delta a h_{t-1},
//   dB_t += g delta u_t,  du_t += g . delta B_t,  g <- g a;  ddt = d(delta) * sigmoid(dt)
export function scan_backward(
  du: usize, ddt: usize, dAlog: usize, dBm: usize, dCm: usize, dD: usize,
  dy: usize, u: usize, dt: usize, Alog: usize, Bm: usize, Cm: usize, D: usize, hs: usize,
  B: i32, T: i32, DI: i32, DS: i32, chunk: i32, group: i32, scratch: usize, c0: i32, c1: i32,
): void {
  const nC = (T + chunk - 1) / chunk;
  const sb = <usize>DS << 2;
  const part = <usize>(B * T) * sb; // bytes of one partial
  const A = scratch, dA = scratch + sb, g = dA + sb, hbuf = g + sb; // hbuf row i: the state after i steps of the chunk
  const dBm0 = dBm, dCm0 = dCm;
  for (let b = 0; b < B; b++) {
    for (let c = c0; c < c1; c++) {
      dBm = dBm0 + <usize>(c / group) * part;
      dCm = dCm0 + <usize>(c / group) * part;
      channelA(A, Alog, c, DS);
      memory.fill(dA, 0, sb);
      memory.fill(g, 0, sb);
      const Dc = load<f32>(D + (<usize>c << 2));
      let dDc: f32 = 0;
      for (let k = nC - 1; k >= 0; k--) {
        const t0 = k * chunk, t1 = min(T, t0 + chunk);
        memory.copy(hbuf, hs + <usize>((b * nC + k) * DI + c) * sb, sb);
        for (let t = t0; t < t1; t++) {
          const i = <usize>((b * T + t) * DI + c) << 2;
          const r = <usize>(b * T + t) * sb;
          const delta = <f32>softplus(<f64>load<f32>(dt + i));
          const dv = f32x4.splat(delta), dbu = f32x4.splat(delta * load<f32>(u + i));
          const p = hbuf + <usize>(t - t0) * sb;
          for (let s: usize = 0; s < sb; s += 16) {
            v128.store(p + sb + s, madd(expv(f32x4.mul(dv, v128.load(A + s))), v128.load(p + s), f32x4.mul(dbu, v128.load(Bm + r + s))));
          }
        }
        for (let t = t1 - 1; t >= t0; t--) {
          const i = <usize>((b * T + t) * DI + c) << 2;
          const r = <usize>(b * T + t) * sb;
          const dtv = <f64>load<f32>(dt + i);
          const delta = <f32>softplus(dtv);
          const ut = load<f32>(u + i), dyt = load<f32>(dy + i);
          const p = hbuf + <usize>(t - t0) * sb; // h_{t-1} at p, h_t at p + sb
          dDc += dyt * ut;
          const dv = f32x4.splat(delta), uv = f32x4.splat(ut), dyv = f32x4.splat(dyt), dut = f32x4.splat(delta * ut);
          let ddelta = ZERO, dus = ZERO;
          for (let s: usize = 0; s < sb; s += 16) {
            const hPrev = v128.load(p + s), Bv = v128.load(Bm + r + s), Av = v128.load(A + s);
            v128.store(dCm + r + s, madd(dyv, v128.load(p + sb + s), v128.load(dCm + r + s)));
            const gs = madd(dyv, v128.load(Cm + r + s), v128.load(g + s));
            const a = expv(f32x4.mul(dv, Av));
            const aH = f32x4.mul(a, hPrev);
            ddelta = madd(gs, madd(Av, aH, f32x4.mul(Bv, uv)), ddelta);
            v128.store(dA + s, madd(f32x4.mul(gs, dv), aH, v128.load(dA + s)));
            v128.store(dBm + r + s, madd(gs, dut, v128.load(dBm + r + s)));
            dus = madd(f32x4.mul(gs, dv), Bv, dus);
            v128.store(g + s, f32x4.mul(gs, a));
          }
          store<f32>(du + i, load<f32>(du + i) + Dc * dyt + hsum(dus));
          store<f32>(ddt + i, load<f32>(ddt + i) + <f32>(<f64>hsum(ddelta) * dsoftplus(dtv)));
        }
      }
      if (dAlog) {
        const o = dAlog + <usize>c * sb;
        for (let s: usize = 0; s < sb; s += 16) v128.store(o + s, madd(v128.load(dA + s), v128.load(A + s), v128.load(o + s))); // dA/dAlog = A
      }
      if (dD) store<f32>(dD + (<usize>c << 2), load<f32>(dD + (<usize>c << 2)) + dDc);
    }
  }
}
