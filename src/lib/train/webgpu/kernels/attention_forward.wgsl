// Causal grouped-query attention forward (flash attention: no (T,T) scores exist), driven by attention.ts.
// q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS) -> out (B,Tq,NH,HS), lse (B,NH,Tq)
//   x_tj = q_t . k_j * scale, out_t = sum_j exp(x_tj - lse_t) v_j, lse_t = log sum_j exp(x_tj), over keys j <= Tk - Tq + t
// A workgroup takes BQ query rows of one head as a BQ x KS grid of threads (KS = WG / BQ). Keys come in tiles of BK
// rows (k and v in workgroup memory, shared by the BQ rows); thread (r, s) takes keys s, s + KS, s + 2 KS, ... of
// each tile for row r and keeps an online-softmax state over their scores x: running max m, l = sum exp(x - m) and
// the partial output o (HS) = sum exp(x - m) v. The KS states of a row are then merged in workgroup memory:
//   M = max m, L = sum l exp(m - M), out = sum o exp(m - M) / L, lse = M + log L
// Decoding (Tq = 1) runs with BQ = 1: the whole workgroup splits the one row's keys.
// Head h reads kv head h / (NH/NKV); k and v rows >= Tk (the unused cache) are never read.
// Workgroups: (ceil(Tq/BQ), NH, B). HS (a const: a private array needs a const size) and
// struct Params (Tq, Tk, kvStride, NH, NKV, scale = 1/sqrt(HS)) are prepended by attention.ts.

override WG: u32 = 64; // threads, BQ x KS
override BQ: u32 = 8; // query rows per workgroup (divides WG)
override BK: u32 = 32; // keys per tile; 2 BK HS >= WG, as the merge uses the tile as scratch

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read_write> lse: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> k: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> qs: array<f32, BQ * HS>; // the block's query rows (BQ,HS), zero past Tq
var<workgroup> kv: array<f32, 2 * BK * HS>; // a tile: keys (BK,HS) then values (BK,HS); the merge's scratch after
var<workgroup> ms: array<f32, WG>; // per thread: m
var<workgroup> ls: array<f32, WG>; // per thread: l

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
  let last = off + t; // the last key row t sees
  let keys = off + min(t0 + BQ, p.Tq); // keys seen by the whole block (uniform)
  let qi = ((b * p.Tq + t) * p.NH + h) * HS;

  for (var e = lid; e < BQ * HS; e += WG) {
    let tt = t0 + e / HS;
    var x = 0.0;
    if (tt < p.Tq) { x = q[((b * p.Tq + tt) * p.NH + h) * HS + e % HS]; }
    qs[e] = x;
  }

  var m = -3.0e38; // running max (finite: exp(m - x) must be 0, not NaN)
  var l = 0.0;
  var o: array<f32, HS>;
  for (var j0 = 0u; j0 < keys; j0 += BK) {
    let n = min(BK, keys - j0);
    workgroupBarrier(); // the last tile is read (the first time: qs is written)
    for (var e = lid; e < n * HS; e += WG) {
      let g = ((b * p.kvStride + j0 + e / HS) * p.NKV + kh) * HS + e % HS;
      kv[e] = k[g];
      kv[BK * HS + e] = v[g];
    }
    workgroupBarrier();
    if (valid) {
      for (var jj = s; jj < n && j0 + jj <= last; jj += KS) {
        var dot = 0.0;
        for (var i = 0u; i < HS; i++) { dot += qs[r * HS + i] * kv[jj * HS + i]; }
        let x = dot * p.scale;
        if (x > m) { // rescale only when the max grows
          let c = exp(m - x);
          l *= c;
          for (var i = 0u; i < HS; i++) { o[i] *= c; }
          m = x;
        }
        let pj = exp(x - m);
        l += pj;
        for (var i = 0u; i < HS; i++) { o[i] += pj * kv[(BK + jj) * HS + i]; }
      }
    }
  }

  // merge the KS states of each row; a thread that saw no keys has l = 0 and weight exp(-3e38 - M) = 0
  ms[lid] = m;
  ls[lid] = l;
  workgroupBarrier(); // also: every thread is done with the last tile, kv is free
  var M = -3.0e38;
  for (var u = 0u; u < KS; u++) { M = max(M, ms[r * KS + u]); }
  var L = 0.0;
  for (var u = 0u; u < KS; u++) { L += ls[r * KS + u] * exp(ms[r * KS + u] - M); }
  let f = select(0.0, exp(m - M) / L, valid);
  // the partial outputs, CH columns at a time: thread (r, s) writes its CH, then sums columns s, s + KS, ... of row r
  let CH = 2u * BK * HS / WG;
  for (var d0 = 0u; d0 < HS; d0 += CH) {
    let nd = min(CH, HS - d0);
    for (var i = 0u; i < nd; i++) { kv[lid * CH + i] = o[d0 + i] * f; }
    workgroupBarrier();
    if (valid) {
      for (var i = s; i < nd; i += KS) {
        var x = 0.0;
        for (var u = 0u; u < KS; u++) { x += kv[(r * KS + u) * CH + i]; }
        out[qi + d0 + i] = x;
      }
    }
    workgroupBarrier();
  }
  if (valid && s == 0u) { lse[(b * p.NH + h) * p.Tq + t] = M + log(L); }
}
