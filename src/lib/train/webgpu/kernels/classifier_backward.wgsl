// The cross-entropy gradient of one vocabulary chunk, written over its recomputed logits.
// logits (N,w) for vocabulary rows v0..v0+w-1, lse (N), targets (N; -1 = no loss)
//   -> logits := dlogits = dloss * (exp(logit - lse) - [v0 + j == target]), 0 on rows whose target is -1
// One invocation per element (2-D grid past 65535 workgroups). `struct Params` (total = N * w, w, v0, dloss) is made
// from classifier.ts's CLASSIFIER_BACKWARD_PARAMS table, which classifier.ts puts in front of this text.

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;
@group(0) @binding(1) var<storage, read> lse: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let idx = (wg.y * nwg.x + wg.x) * WG + lid;
  if (idx >= p.total) { return; }
  let n = idx / p.w;
  let y = targets[n];
  var g = 0.0;
  if (y >= 0) {
    let onehot = select(0.0, 1.0, i32(p.v0 + idx % p.w) == y);
    g = p.dloss * (exp(logits[idx] - lse[n]) - onehot);
  }
  logits[idx] = g;
}
