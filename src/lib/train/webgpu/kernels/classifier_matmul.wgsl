// The classifier's three products in one strided, tiled kernel: out (M,NO) = A (M,K) . B (NO,K)^T, or += (accumulate).
//   logits (N,w) = h (N,C) . Wc (w,C)^T;  dh (N,C) += G (N,w) . Wc;  dWc (w,C) += G^T . h   (Wc: a vocabulary chunk)
// A[m,k] = a[m*sam + k*sak], B[n,k] = b[n*sbn + k*sbk]. Workgroups: (ceil(NO/TILE), ceil(M/TILE)).

override TILE: u32 = 16;

struct Params {
  M: u32,
  NO: u32,
  K: u32,
  sam: u32,
  sak: u32,
  sbn: u32,
  sbk: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> at: array<f32, TILE * TILE>; // [m][k]
var<workgroup> bt: array<f32, TILE * TILE>; // [k][n]

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = wg.y * TILE;
  let n0 = wg.x * TILE;
  // Which invocation loads tile element (r, c): neighbouring invocations (lid.x) read neighbouring addresses.
  let ta = p.sak != 1u;
  let ar = select(lid.y, lid.x, ta);
  let ac = select(lid.x, lid.y, ta);
  let tb = p.sbk != 1u;
  let br = select(lid.y, lid.x, tb);
  let bc = select(lid.x, lid.y, tb);
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.K; k0 += TILE) {
    var av = 0.0;
    if (m0 + ar < p.M && k0 + ac < p.K) { av = a[(m0 + ar) * p.sam + (k0 + ac) * p.sak]; }
    at[ar * TILE + ac] = av;
    var bv = 0.0;
    if (n0 + br < p.NO && k0 + bc < p.K) { bv = b[(n0 + br) * p.sbn + (k0 + bc) * p.sbk]; }
    bt[bc * TILE + br] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) { acc += at[lid.y * TILE + kk] * bt[kk * TILE + lid.x]; }
    workgroupBarrier();
  }
  let m = m0 + lid.y;
  let n = n0 + lid.x;
  if (m < p.M && n < p.NO) {
    let o = m * p.NO + n;
    if (p.accumulate != 0u) { out[o] += acc; } else { out[o] = acc; }
  }
}
