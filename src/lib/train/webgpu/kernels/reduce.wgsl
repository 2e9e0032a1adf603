// reduce.wgsl — the sum and the max over a workgroup of WG invocations (one value each), returned to every
// invocation. Put in front of the kernels that reduce (rmsnorm.wgsl, optim.wgsl, classifier_forward.wgsl) by their
// drivers. With subgroups, each subgroup reduces its lanes' values in registers (subgroupAdd / subgroupMax), one lane
// of it writes the result, and after one barrier every invocation combines the subgroups' results; without, a tree in
// workgroup memory (log2(WG) barriers). Each call ends with a barrier, so the next may reuse `red`. Call from uniform
// control flow. An entry point that reduces takes a ReduceIds as its last parameter and calls reduce_init with it first.

#if SUBGROUPS
override SGMAX: u32 = WG / 4u; // the most subgroups of a workgroup (WebGPU subgroups have at least 4 invocations)
var<workgroup> red: array<f32, SGMAX>;
var<private> sg_id: u32; // this invocation's subgroup, and how many the workgroup has (reduce_init)
var<private> sg_count: u32;

// The entry point's subgroup and how many the workgroup has.
struct ReduceIds {
  @builtin(subgroup_id) sg: u32,
  @builtin(num_subgroups) count: u32,
}

fn reduce_init(ids: ReduceIds) {
  sg_id = ids.sg;
  sg_count = ids.count;
}

fn reduce_sum(lid: u32, v: f32) -> f32 {
  let s = subgroupAdd(v);
  if (subgroupElect()) { red[sg_id] = s; }
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < sg_count; i++) { total += red[i]; }
  workgroupBarrier();
  return total;
}

fn reduce_max(lid: u32, v: f32) -> f32 {
  let s = subgroupMax(v);
  if (subgroupElect()) { red[sg_id] = s; }
  workgroupBarrier();
  var total = -3.0e38;
  for (var i = 0u; i < sg_count; i++) { total = max(total, red[i]); }
  workgroupBarrier();
  return total;
}
#else
var<workgroup> red: array<f32, WG>;

// The tree needs nothing from the entry point: a builtin no reducing kernel names itself stands in, so that every
// entry point reads the same in both variants.
struct ReduceIds {
  @builtin(global_invocation_id) unused: vec3u,
}

fn reduce_init(ids: ReduceIds) {}

fn reduce_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

fn reduce_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
#endif
