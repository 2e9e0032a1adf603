// scan_backward.wgsl — Mamba-1's selective scan, backward (driven by ssm.ts after scan_common.wgsl), matching
// cpu/scan.ts:
//   dy (B,T,DI), u dt (B,T,DI), hs (B,nC,DI,DS), pack [Alog (DI,DS) | D (DI) | Bm (B,T,DS) | Cm (B,T,DS)]
//   -> du ddt (B,T,DI) +=, and through `scratch`: dBm dCm (B,T,DS) +=, dAlog (DI,DS) +=, dD (DI) +=
// The adjoint, per (b, c), walking t backwards with g = dL/dh_t (DS values) carried from the end:
//   g += dy_t * C_t;  d(delta) += g * (A * a * h_{t-1} + B_t * u_t),  dA += g * delta * a * h_{t-1},
//   dB_t += g * delta * u_t,  dC_t += dy_t * h_t,  du_t += g * delta * B_t + D * dy_t,  dD += dy_t * u_t,
//   g <- g * a  (a = exp(delta * A));  ddt = d(delta) * sigmoid(dt);  dAlog = dA * A
// main      one thread per (b, c): workgroups (nG = ceil(DI / WG), B). Chunk by chunk, last to first, the thread
//           recomputes the chunk's states from hs into scratch.h, then walks the chunk backwards. dBm and dCm sum over
//           the DI channels: at each t the workgroup adds its WG channels' terms in workgroup memory (a fixed order)
//           and writes one partial per channel group to scratch.part. dA * A and dD per (b, c) go to scratch.pp.
// dbc       scratch.part -> dBm dCm (B,T,DS) += sum over the nG groups, in order      one thread per (b,t,s)
// dalog     scratch.pp -> dAlog (DI,DS) += sum over b, in order                      one thread per (c,s)
// dd        scratch.pp -> dD (DI) += sum over b, in order                            one thread per c
// No atomics, no races: every sum has one order, so results are deterministic. scratch (one buffer, the binding limit
// is 8) = [ h (B, CHUNK, DS, DI): h_{t-1} of each step of the current chunk, channels innermost (coalesced)
//         | part (B, T, nG, 2, DS): dBm then dCm partials | pp (B, DI, DS+1): dA * A then dD ]

override WG: u32;

fn partOffset(p: Params) -> u32 { return p.B * CHUNK * DS * p.DI; }
fn ppOffset(p: Params) -> u32 { return partOffset(p) + p.B * p.T * p.nG * 2u * DS; }

fn index(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// --- main: du, ddt, scratch, dy, u, dt, hs, pack, params
@group(0) @binding(0) var<storage, read_write> du: array<f32>;
@group(0) @binding(1) var<storage, read_write> ddt: array<f32>;
@group(0) @binding(2) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> u: array<f32>;
@group(0) @binding(5) var<storage, read> dt: array<f32>;
@group(0) @binding(6) var<storage, read> hs: array<f32>;
@group(0) @binding(7) var<storage, read> pack: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

// this step's dBm terms (rows 0..DS-1) and dCm terms (rows DS..2DS-1) of the workgroup's channels: (2*DS, WG)
var<workgroup> red: array<f32, 2u * DS * WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let DI = p.DI;
  let T = p.T;
  let b = wid.y;
  let c = wid.x * WG + lid.x;
  let valid = c < DI; // threads past DI only add zeros to the workgroup sums (they must reach its barriers)
  let oB = packB(p);
  let oC = packC(p);
  let oPart = partOffset(p);
  let hb = b * CHUNK * DS * DI + c; // scratch.h[b, i, s, c] = scratch[hb + (i * DS + s) * DI]
  var A: array<f32, DS>;
  var g: array<f32, DS>; // dL/dh_t
  var dA: array<f32, DS>;
  var h: array<f32, DS>; // recomputed state; then h_t during the walk
  var Dc = 0.0;
  var dDc = 0.0;
  if (valid) {
    for (var s = 0u; s < DS; s++) { A[s] = -exp(pack[c * DS + s]); }
    Dc = pack[packD(p) + c];
  }
  for (var s = 0u; s < DS; s++) {
    g[s] = 0.0;
    dA[s] = 0.0;
  }
  for (var kk = 0u; kk < p.nC; kk++) {
    let k = p.nC - 1u - kk;
    let t0 = k * CHUNK;
    let t1 = min(T, t0 + CHUNK);
    if (valid) {
      // recompute: scratch.h row i = the state before step t0 + i; h ends as the state after step t1 - 1
      let o = ((b * p.nC + k) * DI + c) * DS;
      for (var s = 0u; s < DS; s++) { h[s] = hs[o + s]; }
      for (var t = t0; t < t1; t++) {
        let i = (b * T + t) * DI + c;
        let r = (b * T + t) * DS;
        let delta = softplus(dt[i]);
        let ut = u[i];
        for (var s = 0u; s < DS; s++) {
          scratch[hb + ((t - t0) * DS + s) * DI] = h[s];
          h[s] = exp(delta * A[s]) * h[s] + delta * pack[oB + r + s] * ut;
        }
      }
    }
    for (var tt = t1; tt > t0; tt--) {
      let t = tt - 1u;
      if (valid) {
        let i = (b * T + t) * DI + c;
        let r = (b * T + t) * DS;
        let dtv = dt[i];
        let delta = softplus(dtv);
        let ut = u[i];
        let dyt = dy[i];
        var ddelta = 0.0;
        var dut = Dc * dyt;
        dDc += dyt * ut;
        for (var s = 0u; s < DS; s++) {
          let hPrev = scratch[hb + ((t - t0) * DS + s) * DI];
          let Bs = pack[oB + r + s];
          let gs = g[s] + dyt * pack[oC + r + s];
          let a = exp(delta * A[s]);
          ddelta += gs * (A[s] * a * hPrev + Bs * ut);
          dA[s] += gs * delta * a * hPrev;
          dut += gs * delta * Bs;
          red[s * WG + lid.x] = gs * delta * ut;
          red[(DS + s) * WG + lid.x] = dyt * h[s];
          g[s] = gs * a;
          h[s] = hPrev;
        }
        du[i] = du[i] + dut;
        ddt[i] = ddt[i] + ddelta * dsoftplus(dtv);
      } else {
        for (var s = 0u; s < 2u * DS; s++) { red[s * WG + lid.x] = 0.0; }
      }
      workgroupBarrier();
      for (var j = lid.x; j < 2u * DS; j += WG) {
        var sum = 0.0;
        for (var l = 0u; l < WG; l++) { sum += red[j * WG + l]; }
        scratch[oPart + ((b * T + t) * p.nG + wid.x) * 2u * DS + j] = sum;
      }
      workgroupBarrier(); // red is written again next step
    }
  }
  if (valid) {
    let o = ppOffset(p) + (b * DI + c) * (DS + 1u);
    for (var s = 0u; s < DS; s++) { scratch[o + s] = dA[s] * A[s]; } // dA/dAlog = A
    scratch[o + DS] = dDc;
  }
}

// --- dbc: dBm, dCm, scratch, params
@group(0) @binding(0) var<storage, read_write> q_dBm: array<f32>;
@group(0) @binding(1) var<storage, read_write> q_dCm: array<f32>;
@group(0) @binding(2) var<storage, read> q_scratch: array<f32>;
@group(0) @binding(3) var<uniform> q_p: Params;

@compute @workgroup_size(WG)
fn dbc(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  if (i >= q_p.B * q_p.T * DS) { return; }
  let bt = i / DS;
  let s = i - bt * DS;
  let o = partOffset(q_p) + bt * q_p.nG * 2u * DS + s;
  var sB = 0.0;
  var sC = 0.0;
  for (var grp = 0u; grp < q_p.nG; grp++) {
    sB += q_scratch[o + grp * 2u * DS];
    sC += q_scratch[o + grp * 2u * DS + DS];
  }
  q_dBm[i] = q_dBm[i] + sB;
  q_dCm[i] = q_dCm[i] + sC;
}

// --- dalog and dd: dst (dAlog or dD), scratch, params
@group(0) @binding(0) var<storage, read_write> r_dst: array<f32>;
@group(0) @binding(1) var<storage, read> r_scratch: array<f32>;
@group(0) @binding(2) var<uniform> r_p: Params;

@compute @workgroup_size(WG)
fn dalog(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  if (i >= r_p.DI * DS) { return; }
  let c = i / DS;
  let s = i - c * DS;
  var sum = 0.0;
  for (var b = 0u; b < r_p.B; b++) { sum += r_scratch[ppOffset(r_p) + (b * r_p.DI + c) * (DS + 1u) + s]; }
  r_dst[i] = r_dst[i] + sum;
}

@compute @workgroup_size(WG)
fn dd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = index(wid, nwg, lid);
  if (c >= r_p.DI) { return; }
  var sum = 0.0;
  for (var b = 0u; b < r_p.B; b++) { sum += r_scratch[ppOffset(r_p) + (b * r_p.DI + c) * (DS + 1u) + DS]; }
  r_dst[c] = r_dst[c] + sum;
}
