// Attention backward, pass 2 of 2: dk and dv, one invocation per key row of one kv head, walking (in tiles held in
// workgroup memory) every query row of every query head of its group that sees it. Each dk/dv row has one writer,
// so there are no races with GQA or across query rows.
// dout q (B,Tq,NH,HS), k v (B,kvStride,NKV,HS), lse D (B,NH,Tq) -> dk dv (B,kvStride,NKV,HS) += (rows < Tk)
//   P = exp(q . k_j * scale - lse), dv_j += P dout, dk_j += P (dout . v_j - D) * scale * q
// Workgroups: (ceil(Tk/BKV), NKV, B). MAX_HS (private array size) is prepended by attention.ts.

override HS: u32;
override BKV: u32 = 64; // key rows per workgroup, one per invocation
override BQ: u32 = 16; // query rows per tile

struct Params {
  Tq: u32,
  Tk: u32,
  kvStride: u32,
  NH: u32,
  NKV: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read_write> dk: array<f32>;
@group(0) @binding(1) var<storage, read_write> dv: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> lse: array<f32>;
@group(0) @binding(7) var<storage, read> D: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

var<workgroup> qt: array<f32, BQ * HS>;
var<workgroup> dOt: array<f32, BQ * HS>;
var<workgroup> lt: array<f32, BQ>;
var<workgroup> Dt: array<f32, BQ>;

@compute @workgroup_size(BKV)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let kh = wg.y;
  let b = wg.z;
  let rep = p.NH / p.NKV;
  let off = p.Tk - p.Tq;
  let j = wg.x * BKV + lid;
  let valid = j < p.Tk;
  let first = select(0u, wg.x * BKV - off, wg.x * BKV > off); // first query row that sees any key of this workgroup
  let ki = ((b * p.kvStride + j) * p.NKV + kh) * HS;

  var kr: array<f32, MAX_HS>;
  var vr: array<f32, MAX_HS>;
  var dkr: array<f32, MAX_HS>;
  var dvr: array<f32, MAX_HS>;
  if (valid) {
    for (var i = 0u; i < HS; i++) {
      kr[i] = k[ki + i];
      vr[i] = v[ki + i];
    }
  }

  for (var h = kh * rep; h < kh * rep + rep; h++) {
    for (var t0 = first; t0 < p.Tq; t0 += BQ) {
      let n = min(BQ, p.Tq - t0);
      for (var e = lid; e < n * HS; e += BKV) {
        let g = ((b * p.Tq + t0 + e / HS) * p.NH + h) * HS + e % HS;
        qt[e] = q[g];
        dOt[e] = dout[g];
      }
      for (var e = lid; e < n; e += BKV) {
        lt[e] = lse[(b * p.NH + h) * p.Tq + t0 + e];
        Dt[e] = D[(b * p.NH + h) * p.Tq + t0 + e];
      }
      workgroupBarrier();
      if (valid) {
        // rows t with off + t >= j see this key
        let tt0 = select(0u, j - off - t0, j > off + t0);
        for (var tt = tt0; tt < n; tt++) {
          var s = 0.0;
          var dP = 0.0;
          for (var i = 0u; i < HS; i++) {
            s += qt[tt * HS + i] * kr[i];
            dP += dOt[tt * HS + i] * vr[i];
          }
          let P = exp(s * p.scale - lt[tt]);
          let dS = P * (dP - Dt[tt]) * p.scale;
          for (var i = 0u; i < HS; i++) {
            dvr[i] += P * dOt[tt * HS + i];
            dkr[i] += dS * qt[tt * HS + i];
          }
        }
      }
      workgroupBarrier();
    }
  }

  if (valid) {
    for (var i = 0u; i < HS; i++) {
      dk[ki + i] += dkr[i];
      dv[ki + i] += dvr[i];
    }
  }
}
