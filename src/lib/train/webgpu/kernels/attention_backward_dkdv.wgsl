// Attention backward, pass 2 of 2: dk and dv. A workgroup owns BKV key rows of one kv head and walks every query row
// of every query head of its group that sees them, so each dk/dv row has one writer: no races with GQA.
// dout q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS), lse D (B,NH,Tq) -> dk dv (B,kvStride,NKV,HS) += (rows < Tk)
//   P_tj = exp(q_t . k_j * scale - lse_t), dv_j += sum_t P_tj dout_t, dk_j += sum_t P_tj (dout_t . v_j - D_t) * scale q_t
//   over the query rows t >= j - (Tk - Tq) of each head h with h / (NH/NKV) = kv head
// The workgroup is a BKV x KS grid (KS = WG / BKV): thread (c, s) takes query rows s, s + KS, ... of each tile of BQ
// rows (q, dout, lse and D in workgroup memory) for key c and keeps a partial dk and dv (2 HS); the KS partials of a
// key are summed in workgroup memory. Workgroups: (ceil(Tk/BKV), NKV, B).
// HS (a const) and struct Params (Tq, Tk, kvStride, NH, NKV, scale) are prepended by attention.ts.

override WG: u32 = 64; // threads, BKV x KS
override BKV: u32 = 8; // key rows per workgroup (divides WG)
override BQ: u32 = 32; // query rows per tile; 2 BQ HS >= WG, as the merge uses the tile as scratch

@group(0) @binding(0) var<storage, read_write> dk: array<f32>;
@group(0) @binding(1) var<storage, read_write> dv: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> lse: array<f32>;
@group(0) @binding(7) var<storage, read> D: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

var<workgroup> ks: array<f32, BKV * HS>; // the block's key rows (BKV,HS), zero past Tk
var<workgroup> vs: array<f32, BKV * HS>; // and its value rows
var<workgroup> qd: array<f32, 2 * BQ * HS>; // a tile: q rows (BQ,HS) then dout rows (BQ,HS); the merge's scratch after
var<workgroup> lt: array<f32, BQ>;
var<workgroup> Dt: array<f32, BQ>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let KS = WG / BKV;
  let c = lid / KS;
  let s = lid % KS;
  let kh = wg.y;
  let b = wg.z;
  let rep = p.NH / p.NKV;
  let off = p.Tk - p.Tq;
  let j0 = wg.x * BKV;
  let j = j0 + c;
  let valid = j < p.Tk;
  let first = select(0u, j0 - off, j0 > off); // the first query row that sees any key of the block (uniform)
  let ki = ((b * p.kvStride + j) * p.NKV + kh) * HS;

  for (var e = lid; e < BKV * HS; e += WG) {
    let jj = j0 + e / HS;
    var x = 0.0;
    var y = 0.0;
    if (jj < p.Tk) {
      let g = ((b * p.kvStride + jj) * p.NKV + kh) * HS + e % HS;
      x = k[g];
      y = v[g];
    }
    ks[e] = x;
    vs[e] = y;
  }

  var acc: array<f32, 2 * HS>; // dk (HS) then dv (HS)
  for (var h = kh * rep; h < kh * rep + rep; h++) {
    for (var t0 = first; t0 < p.Tq; t0 += BQ) {
      let n = min(BQ, p.Tq - t0);
      workgroupBarrier(); // the last tile is read (the first time: ks and vs are written)
      for (var e = lid; e < n * HS; e += WG) {
        let g = ((b * p.Tq + t0 + e / HS) * p.NH + h) * HS + e % HS;
        qd[e] = q[g];
        qd[BQ * HS + e] = dout[g];
      }
      for (var e = lid; e < n; e += WG) {
        lt[e] = lse[(b * p.NH + h) * p.Tq + t0 + e];
        Dt[e] = D[(b * p.NH + h) * p.Tq + t0 + e];
      }
      workgroupBarrier();
      if (valid) {
        for (var tt = s; tt < n; tt += KS) {
          if (off + t0 + tt < j) { continue; } // row t0 + tt does not see key j
          var qk = 0.0;
          var dP = 0.0;
          for (var i = 0u; i < HS; i++) {
            qk += qd[tt * HS + i] * ks[c * HS + i];
            dP += qd[(BQ + tt) * HS + i] * vs[c * HS + i];
          }
          let P = exp(qk * p.scale - lt[tt]);
          let dS = P * (dP - Dt[tt]) * p.scale;
          for (var i = 0u; i < HS; i++) {
            acc[i] += dS * qd[tt * HS + i];
            acc[HS + i] += P * qd[(BQ + tt) * HS + i];
          }
        }
      }
    }
  }
  workgroupBarrier(); // every thread is done with the last tile, qd is free

  // sum the KS partials of each key, CH of its 2 HS columns (dk, then dv) at a time
  let CH = 2u * BQ * HS / WG;
  for (var d0 = 0u; d0 < 2u * HS; d0 += CH) {
    let nd = min(CH, 2u * HS - d0);
    for (var i = 0u; i < nd; i++) { qd[lid * CH + i] = acc[d0 + i]; }
    workgroupBarrier();
    if (valid) {
      for (var i = s; i < nd; i += KS) {
        var x = 0.0;
        for (var u = 0u; u < KS; u++) { x += qd[(c * KS + u) * CH + i]; }
        let col = d0 + i;
        if (col < HS) { dk[ki + col] += x; } else { dv[ki + col - HS] += x; }
      }
    }
    workgroupBarrier();
  }
}
