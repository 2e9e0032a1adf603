// Causal grouped-query attention forward, flash-attention style: each invocation owns one query row of one head and
// walks the keys it may see in tiles held in workgroup memory, keeping an online max / sum; no (T,T) scores exist.
// q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS) -> out (B,Tq,NH,HS), lse (B,NH,Tq)
// Query row t sits at position Tk - Tq + t and sees keys 0..that; head h reads kv head h / (NH/NKV).
// Workgroups: (ceil(Tq/BQ), NH, B). MAX_HS and MAX_TILE (private array sizes) are prepended by attention.ts.

override HS: u32;
override BQ: u32 = 64; // query rows per workgroup, one per invocation
override BK: u32 = 16; // keys per tile (<= MAX_TILE)

struct Params {
  Tq: u32,
  Tk: u32,
  kvStride: u32,
  NH: u32,
  NKV: u32,
  scale: f32, // 1 / sqrt(HS)
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read_write> lse: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> k: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> kt: array<f32, BK * HS>;
var<workgroup> vt: array<f32, BK * HS>;

@compute @workgroup_size(BQ)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wg.y;
  let b = wg.z;
  let kh = h / (p.NH / p.NKV);
  let off = p.Tk - p.Tq;
  let t = wg.x * BQ + lid;
  let valid = t < p.Tq;
  let last = off + t; // the last key this row sees
  let keys = off + min(wg.x * BQ + BQ, p.Tq); // keys seen by the whole workgroup (uniform)
  let qi = ((b * p.Tq + t) * p.NH + h) * HS;

  var qr: array<f32, MAX_HS>;
  var acc: array<f32, MAX_HS>;
  var s: array<f32, MAX_TILE>;
  if (valid) {
    for (var i = 0u; i < HS; i++) { qr[i] = q[qi + i] * p.scale; }
  }
  var m = -3.0e38; // running max (finite: exp(m - new) must be 0, not NaN)
  var l = 0.0; // running sum of exp(score - m)

  for (var j0 = 0u; j0 < keys; j0 += BK) {
    let n = min(BK, keys - j0);
    for (var e = lid; e < n * HS; e += BQ) {
      let g = ((b * p.kvStride + j0 + e / HS) * p.NKV + kh) * HS + e % HS;
      kt[e] = k[g];
      vt[e] = v[g];
    }
    workgroupBarrier();
    if (valid && j0 <= last) {
      let nj = min(n, last + 1u - j0);
      var mt = m;
      for (var j = 0u; j < nj; j++) {
        var qk = 0.0;
        for (var i = 0u; i < HS; i++) { qk += qr[i] * kt[j * HS + i]; }
        s[j] = qk;
        mt = max(mt, qk);
      }
      let corr = exp(m - mt);
      l *= corr;
      for (var i = 0u; i < HS; i++) { acc[i] *= corr; }
      for (var j = 0u; j < nj; j++) {
        let pj = exp(s[j] - mt);
        l += pj;
        for (var i = 0u; i < HS; i++) { acc[i] += pj * vt[j * HS + i]; }
      }
      m = mt;
    }
    workgroupBarrier();
  }

  if (valid) {
    for (var i = 0u; i < HS; i++) { out[qi + i] = acc[i] / l; }
    lse[(b * p.NH + h) * p.Tq + t] = m + log(l);
  }
}
