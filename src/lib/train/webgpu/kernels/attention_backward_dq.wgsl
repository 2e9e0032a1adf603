// Attention backward, pass 1 of 2: dq, laid out as the forward (attention_forward.wgsl); probabilities are recomputed
// from the saved log-sum-exp.
// dout q out (B,Tq,NH,HS), k v (B,kvStride,NKV,HS), lse (B,NH,Tq) -> dq (B,Tq,NH,HS) +=, D (B,NH,Tq) = dout . out
//   P_tj = exp(q_t . k_j * scale - lse_t), dS_tj = P_tj (dout_t . v_j - D_t) * scale, dq_t += sum_j dS_tj k_j
// A workgroup takes BQ query rows of one head as a BQ x KS grid (KS = WG / BQ); thread (r, s) sums over keys s,
// s + KS, ... of each tile of BK keys (k and v in workgroup memory) into a partial dq (HS); the KS partials of a row
// are summed in workgroup memory. D (also summed over the KS threads) is kept for pass 2 (attention_backward_dkdv.wgsl).
// Workgroups: (ceil(Tq/BQ), NH, B).
// HS (a const) and struct Params (Tq, Tk, kvStride, NH, NKV, scale) are prepended by attention.ts.

override WG: u32 = 64; // threads, BQ x KS
override BQ: u32 = 8; // query rows per workgroup (divides WG)
override BK: u32 = 32; // keys per tile; 2 BK HS >= WG

@group(0) @binding(0) var<storage, read_write> dq: array<f32>;
@group(0) @binding(1) var<storage, read_write> D: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> out: array<f32>;
@group(0) @binding(7) var<storage, read> lse: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

var<workgroup> qs: array<f32, BQ * HS>; // the block's q rows (BQ,HS), zero past Tq
var<workgroup> dos: array<f32, BQ * HS>; // and its dout rows
var<workgroup> kv: array<f32, 2 * BK * HS>; // a tile: keys (BK,HS) then values (BK,HS); the merge's scratch after
var<workgroup> red: array<f32, WG>; // per thread: its part of D

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let KS = WG / BQ;
  let r = lid / KS;
  let s = lid % KS;
  let h = wg.y;
  let b = wg.z;
  let kh = h / (p.NH / p.NKV);
  let off = p.Tk - p.Tq;
  let t0 = wg.x * BQ;
  let t = t0 + r;
  let valid = t < p.Tq;
  let last = off + t;
  let keys = off + min(t0 + BQ, p.Tq);
  let qi = ((b * p.Tq + t) * p.NH + h) * HS;
  let li = (b * p.NH + h) * p.Tq + t;

  for (var e = lid; e < BQ * HS; e += WG) {
    let tt = t0 + e / HS;
    var x = 0.0;
    var y = 0.0;
    if (tt < p.Tq) {
      let g = ((b * p.Tq + tt) * p.NH + h) * HS + e % HS;
      x = q[g];
      y = dout[g];
    }
    qs[e] = x;
    dos[e] = y;
  }
  workgroupBarrier();

  // D_t = dout_t . out_t: thread (r, s) takes columns s, s + KS, ...
  var part = 0.0;
  if (valid) {
    for (var i = s; i < HS; i += KS) { part += dos[r * HS + i] * out[qi + i]; }
  }
  red[lid] = part;
  workgroupBarrier();
  var Dr = 0.0;
  for (var u = 0u; u < KS; u++) { Dr += red[r * KS + u]; }
  var lr = 0.0;
  if (valid) {
    lr = lse[li];
    if (s == 0u) { D[li] = Dr; }
  }

  var acc: array<f32, HS>;
  for (var j0 = 0u; j0 < keys; j0 += BK) {
    let n = min(BK, keys - j0);
    workgroupBarrier(); // the last tile is read
    for (var e = lid; e < n * HS; e += WG) {
      let g = ((b * p.kvStride + j0 + e / HS) * p.NKV + kh) * HS + e % HS;
      kv[e] = k[g];
      kv[BK * HS + e] = v[g];
    }
    workgroupBarrier();
    if (valid) {
      for (var jj = s; jj < n && j0 + jj <= last; jj += KS) {
        var qk = 0.0;
        var dP = 0.0;
        for (var i = 0u; i < HS; i++) {
          qk += qs[r * HS + i] * kv[jj * HS + i];
          dP += dos[r * HS + i] * kv[(BK + jj) * HS + i];
        }
        let dS = exp(qk * p.scale - lr) * (dP - Dr) * p.scale;
        for (var i = 0u; i < HS; i++) { acc[i] += dS * kv[jj * HS + i]; }
      }
    }
  }
  workgroupBarrier(); // every thread is done with the last tile, kv is free

  // sum the KS partials of each row, CH columns at a time (as the forward's merge)
  let CH = 2u * BK * HS / WG;
  for (var d0 = 0u; d0 < HS; d0 += CH) {
    let nd = min(CH, HS - d0);
    for (var i = 0u; i < nd; i++) { kv[lid * CH + i] = acc[d0 + i]; }
    workgroupBarrier();
    if (valid) {
      for (var i = s; i < nd; i += KS) {
        var x = 0.0;
        for (var u = 0u; u < KS; u++) { x += kv[(r * KS + u) * CH + i]; }
        dq[qi + d0 + i] += x;
      }
    }
    workgroupBarrier();
  }
}
