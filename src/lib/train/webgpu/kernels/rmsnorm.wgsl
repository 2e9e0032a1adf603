// rmsnorm.wgsl — RMSNorm as Llama/Qwen2 compute it (driven by rmsnorm.ts):
//   forward   inp (N,C), weight (C) -> out (N,C) = inp * rstd * weight, rstd (N) = 1 / sqrt(mean(inp^2) + eps)
//   backward  dout (N,C), inp (N,C), weight (C), rstd (N) -> dinp (N,C) +=
//             dinp_j += r * w_j * dout_j - (r^3 / C) * x_j * sum_i dout_i * w_i * x_i
//   dweight   dout (N,C), inp (N,C), rstd (N) -> dweight (C) += sum_n dout * inp * rstd
// forward and backward: one workgroup per row (2-D grid of rows), WG threads striding over C, the row's sum reduced
// with subgroup adds where the device has subgroups, else by a tree in workgroup memory. dweight: one thread per
// channel walking the rows in order, so no two threads write one element.
// Each entry point has its own bindings (buffers in the driver's order, then the params). `struct Params` (N, C, eps)
// is made from rmsnorm.ts's RMSNORM_PARAMS table, which rmsnorm.ts puts in front of this text with reduce.wgsl
// (reduce_sum).

override WG: u32; // a power of two (reduce.wgsl's tree halves it)


// --- forward: out, rstd, inp, weight, params
@group(0) @binding(0) var<storage, read_write> f_out: array<f32>;
@group(0) @binding(1) var<storage, read_write> f_rstd: array<f32>;
@group(0) @binding(2) var<storage, read> f_inp: array<f32>;
@group(0) @binding(3) var<storage, read> f_weight: array<f32>;
@group(0) @binding(4) var<uniform> f_p: Params;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u, ids: ReduceIds) {
  reduce_init(ids);
  let row = wid.y * nwg.x + wid.x;
  if (row >= f_p.N) { return; } // the whole workgroup: still uniform
  let x = row * f_p.C;
  var ss = 0.0;
  for (var i = lid.x; i < f_p.C; i += WG) {
    let v = f_inp[x + i];
    ss += v * v;
  }
  let r = 1.0 / sqrt(reduce_sum(lid.x, ss) / f32(f_p.C) + f_p.eps);
  if (lid.x == 0u) { f_rstd[row] = r; }
  for (var i = lid.x; i < f_p.C; i += WG) {
    f_out[x + i] = f_inp[x + i] * r * f_weight[i];
  }
}

// --- backward: dinp, dout, inp, weight, rstd, params
@group(0) @binding(0) var<storage, read_write> b_dinp: array<f32>;
@group(0) @binding(1) var<storage, read> b_dout: array<f32>;
@group(0) @binding(2) var<storage, read> b_inp: array<f32>;
@group(0) @binding(3) var<storage, read> b_weight: array<f32>;
@group(0) @binding(4) var<storage, read> b_rstd: array<f32>;
@group(0) @binding(5) var<uniform> b_p: Params;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u, ids: ReduceIds) {
  reduce_init(ids);
  let row = wid.y * nwg.x + wid.x;
  if (row >= b_p.N) { return; }
  let x = row * b_p.C;
  var dot = 0.0;
  for (var i = lid.x; i < b_p.C; i += WG) {
    dot += b_dout[x + i] * b_weight[i] * b_inp[x + i];
  }
  let r = b_rstd[row];
  let k = r * r * r * reduce_sum(lid.x, dot) / f32(b_p.C);
  for (var i = lid.x; i < b_p.C; i += WG) {
    b_dinp[x + i] = b_dinp[x + i] + r * b_weight[i] * b_dout[x + i] - k * b_inp[x + i];
  }
}

// --- dweight: dweight, dout, inp, rstd, params
@group(0) @binding(0) var<storage, read_write> w_dweight: array<f32>;
@group(0) @binding(1) var<storage, read> w_dout: array<f32>;
@group(0) @binding(2) var<storage, read> w_inp: array<f32>;
@group(0) @binding(3) var<storage, read> w_rstd: array<f32>;
@group(0) @binding(4) var<uniform> w_p: Params;

@compute @workgroup_size(WG)
fn dweight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (c >= w_p.C) { return; }
  var s = 0.0;
  for (var n = 0u; n < w_p.N; n++) {
    let j = n * w_p.C + c;
    s += w_dout[j] * w_inp[j] * w_rstd[n];
  }
  w_dweight[c] = w_dweight[c] + s;
}
