// embedding.wgsl — token embedding lookup and its gradient (driven by embedding.ts).
//   forward   ids (N), wte (V,C) -> out (N,C) = wte[ids[n]]        one thread per element of out
//   backward  dout (N,C), ids (N) -> dwte (V,C) += dout[n] at row ids[n]
// The backward runs one thread per channel c, walking the rows n in order: a repeated id adds into the same dwte
// element from one thread only, so there are no races and no atomics, and the sum order is the CPU's.
// Both entry points bind (dst read_write, ids, src, params): forward (out, ids, wte), backward (dwte, ids, dout).
// `struct Params` (N, C) is made from embedding.ts's EMBEDDING_PARAMS table, which embedding.ts puts in front of this.

override WG: u32;

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i - n * p.C;
  dst[i] = src[u32(ids[n]) * p.C + c];
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (c >= p.C) { return; }
  for (var n = 0u; n < p.N; n++) {
    let j = u32(ids[n]) * p.C + c;
    dst[j] = dst[j] + src[n * p.C + c];
  }
}
