// Attention backward, pass 1 of 2: dq, one invocation per query row of one head (the forward's layout), walking the
// keys it sees in tiles; probabilities are recomputed from the saved log-sum-exp.
// dout q out (B,Tq,NH,HS), k v (B,kvStride,NKV,HS), lse (B,NH,Tq) -> dq (B,Tq,NH,HS) +=, D (B,NH,Tq) = dout . out
//   P_j = exp(s_j - lse), dS_j = P_j (dout . v_j - D) * scale, dq += sum_j dS_j k_j
// D is kept for pass 2 (attention_backward_dkdv.wgsl). Workgroups: (ceil(Tq/BQ), NH, B).
// MAX_HS (private array size) is prepended by attention.ts.

override HS: u32;
override BQ: u32 = 64; // query rows per workgroup, one per invocation
override BK: u32 = 16; // keys per tile

struct Params {
  Tq: u32,
  Tk: u32,
  kvStride: u32,
  NH: u32,
  NKV: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read_write> dq: array<f32>;
@group(0) @binding(1) var<storage, read_write> D: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> out: array<f32>;
@group(0) @binding(7) var<storage, read> lse: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

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
  let last = off + t;
  let keys = off + min(wg.x * BQ + BQ, p.Tq);
  let qi = ((b * p.Tq + t) * p.NH + h) * HS;
  let li = (b * p.NH + h) * p.Tq + t;

  var qr: array<f32, MAX_HS>;
  var dor: array<f32, MAX_HS>;
  var acc: array<f32, MAX_HS>;
  var Dr = 0.0;
  var lr = 0.0;
  if (valid) {
    for (var i = 0u; i < HS; i++) {
      qr[i] = q[qi + i];
      dor[i] = dout[qi + i];
      Dr += dor[i] * out[qi + i];
    }
    lr = lse[li];
    D[li] = Dr;
  }

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
      for (var j = 0u; j < nj; j++) {
        var qk = 0.0;
        var dP = 0.0;
        for (var i = 0u; i < HS; i++) {
          qk += qr[i] * kt[j * HS + i];
          dP += dor[i] * vt[j * HS + i];
        }
        let P = exp(qk * p.scale - lr);
        let dS = P * (dP - Dr) * p.scale;
        for (var i = 0u; i < HS; i++) { acc[i] += dS * kt[j * HS + i]; }
      }
    }
    workgroupBarrier();
  }

  if (valid) {
    for (var i = 0u; i < HS; i++) { dq[qi + i] += acc[i]; }
  }
}
