// Cross-entropy over one vocabulary chunk, folded into a running (max, sum of exp, target logit) per row; the last
// chunk turns it into the log-sum-exp and the loss. One workgroup per row (2-D grid past 65535 rows).
// logits (N,w) for vocabulary rows v0..v0+w-1, targets (N; -1 = no loss), state (N,3) -> state (N,3);
// on the last chunk -> lse (N), losses (N) = lse - logit[target] (0 where target < 0)
// `struct Params` (N, w, v0, first, last) is made from classifier.ts's CLASSIFIER_FORWARD_PARAMS table, which
// classifier.ts puts in front of this text with reduce.wgsl (reduce_max, reduce_sum).

override WG: u32 = 64; // a power of two (reduce.wgsl's tree halves it)

@group(0) @binding(0) var<storage, read_write> losses: array<f32>;
@group(0) @binding(1) var<storage, read_write> lse: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<i32>;
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32, ids: ReduceIds) {
  reduce_init(ids);
  let n = wg.y * nwg.x + wg.x;
  if (n >= p.N) { return; }
  let row = n * p.w;

  var mx = -3.0e38;
  for (var j = lid; j < p.w; j += WG) { mx = max(mx, logits[row + j]); }
  let cm = reduce_max(lid, mx);

  var sum = 0.0;
  for (var j = lid; j < p.w; j += WG) { sum += exp(logits[row + j] - cm); }
  let chunk_sum = reduce_sum(lid, sum);

  if (lid == 0u) {
    var m = -3.0e38;
    var se = 0.0;
    var tl = 0.0;
    if (p.first == 0u) {
      m = state[n * 3u];
      se = state[n * 3u + 1u];
      tl = state[n * 3u + 2u];
    }
    let nm = max(m, cm);
    se = se * exp(m - nm) + chunk_sum * exp(cm - nm);
    let y = targets[n];
    if (y >= i32(p.v0) && y < i32(p.v0 + p.w)) { tl = logits[row + u32(y) - p.v0]; }
    if (p.last != 0u) {
      let L = nm + log(se);
      lse[n] = L;
      losses[n] = select(0.0, L - tl, y >= 0);
    } else {
      state[n * 3u] = nm;
      state[n * 3u + 1u] = se;
      state[n * 3u + 2u] = tl;
    }
  }
}
