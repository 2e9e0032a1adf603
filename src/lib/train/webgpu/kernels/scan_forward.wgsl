// scan_forward.wgsl — Mamba-1's selective scan, forward (driven by ssm.ts after scan_common.wgsl), matching
// cpu/scan.ts:
//   u dt (B,T,DI), pack [Alog (DI,DS) | D (DI) | Bm (B,T,DS) | Cm (B,T,DS)] -> y (B,T,DI),
//   hs (B,nC,DI,DS) the state at the start of each chunk (when hasHs), state (DI,DS) read then overwritten (hasState, B = 1)
//     delta = softplus(dt[b,t,c]),  A = -exp(Alog[c,s])
//     h[s] = exp(delta * A[s]) * h[s] + delta * Bm[b,t,s] * u[b,t,c],   y[b,t,c] = sum_s h[s] * Cm[b,t,s] + D[c] * u[b,t,c]
// One thread per (b, c): workgroups (ceil(DI / WG), B); the thread walks t in order with its DS states in registers.
// Neighbouring threads are neighbouring channels, so u, dt, y are read and written coalesced and Bm, Cm rows are
// shared by the whole workgroup. hs and state are stand-ins when absent (flags off: never touched).

override WG: u32;

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read_write> hs: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
@group(0) @binding(4) var<storage, read> dt: array<f32>;
@group(0) @binding(5) var<storage, read> pack: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wid.x * WG + lid.x;
  let b = wid.y;
  let DI = p.DI;
  if (c >= DI) { return; }
  let oB = packB(p);
  let oC = packC(p);
  var A: array<f32, DS>;
  var h: array<f32, DS>;
  for (var s = 0u; s < DS; s++) {
    A[s] = -exp(pack[c * DS + s]);
    h[s] = 0.0;
    if (p.hasState != 0u) { h[s] = state[c * DS + s]; }
  }
  let Dc = pack[packD(p) + c];
  for (var t = 0u; t < p.T; t++) {
    if (p.hasHs != 0u && t % CHUNK == 0u) {
      let o = ((b * p.nC + t / CHUNK) * DI + c) * DS;
      for (var s = 0u; s < DS; s++) { hs[o + s] = h[s]; }
    }
    let i = (b * p.T + t) * DI + c;
    let r = (b * p.T + t) * DS;
    let delta = softplus(dt[i]);
    let ut = u[i];
    var acc = Dc * ut;
    for (var s = 0u; s < DS; s++) {
      h[s] = exp(delta * A[s]) * h[s] + delta * pack[oB + r + s] * ut;
      acc += h[s] * pack[oC + r + s];
    }
    y[i] = acc;
  }
  if (p.hasState != 0u) {
    for (var s = 0u; s < DS; s++) { state[c * DS + s] = h[s]; }
  }
}
