// optim.wgsl — optimizer kernels (driven by optim.ts):
//   adamw                param, grad, m, v (n) -> param, m, v updated in place (one AdamW step, decoupled decay)
//   sum_squares_partial  x (n) -> partials[base + w] = sum of x^2 over workgroup w's grid-stride share
//   sum_squares_final    partials (n) -> out (1) = their sum (one workgroup)
// The two sum_squares stages share their bindings (dst read_write, src, params). adamw takes the bias corrections and
// 1 - beta from the driver, computed in float64 there as cpu/optim.ts does. `struct AdamWParams` (n, lr, beta1,
// one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, bc1 = 1 - beta1^t, bc2 = 1 - beta2^t) and
// `struct SumParams` (n, base) are made from optim.ts's ADAMW_PARAMS and SUM_PARAMS tables, which optim.ts puts in
// front of this text with reduce.wgsl (reduce_sum).

override WG: u32; // a power of two (reduce.wgsl's tree halves it)

// --- adamw: param, m, v, grad, params

@group(0) @binding(0) var<storage, read_write> a_param: array<f32>;
@group(0) @binding(1) var<storage, read_write> a_m: array<f32>;
@group(0) @binding(2) var<storage, read_write> a_v: array<f32>;
@group(0) @binding(3) var<storage, read> a_grad: array<f32>;
@group(0) @binding(4) var<uniform> a_p: AdamWParams;

@compute @workgroup_size(WG)
fn adamw(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= a_p.n) { return; }
  let g = a_grad[i];
  let m = a_p.beta1 * a_m[i] + a_p.one_minus_beta1 * g;
  let v = a_p.beta2 * a_v[i] + a_p.one_minus_beta2 * g * g;
  a_m[i] = m;
  a_v[i] = v;
  let update = m / a_p.bc1 / (sqrt(v / a_p.bc2) + a_p.eps);
  let w = a_param[i];
  a_param[i] = w - a_p.lr * (update + a_p.weight_decay * w);
}

// --- sum_squares_partial and sum_squares_final: dst, src, params (n: elements of src; base: first partial slot of
// this buffer, partial stage)

@group(0) @binding(0) var<storage, read_write> s_dst: array<f32>;
@group(0) @binding(1) var<storage, read> s_src: array<f32>;
@group(0) @binding(2) var<uniform> s_p: SumParams;

@compute @workgroup_size(WG)
fn sum_squares_partial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u, ids: ReduceIds) {
  reduce_init(ids);
  var s = 0.0;
  for (var i = wid.x * WG + lid.x; i < s_p.n; i += nwg.x * WG) {
    let x = s_src[i];
    s += x * x;
  }
  let total = reduce_sum(lid.x, s);
  if (lid.x == 0u) { s_dst[s_p.base + wid.x] = total; }
}

@compute @workgroup_size(WG)
fn sum_squares_final(@builtin(local_invocation_id) lid: vec3u, ids: ReduceIds) {
  reduce_init(ids);
  var s = 0.0;
  for (var i = lid.x; i < s_p.n; i += WG) { s += s_src[i]; }
  let total = reduce_sum(lid.x, s);
  if (lid.x == 0u) { s_dst[0] = total; }
}
