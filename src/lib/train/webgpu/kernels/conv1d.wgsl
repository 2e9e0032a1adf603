// conv1d.wgsl — Mamba's causal depthwise conv with a fused SiLU (driven by ssm.ts), matching cpu/conv1d.ts:
//   pre[b,t,c] = bias[c] + sum_k weight[c,k] * x[b, t-K+1+k, c],   out = silu(pre)
//   forward   x (B,T,DI), weight (DI,K), bias (DI), state (K-1,DI) -> out (B,T,DI)     one thread per element of out
//             inputs before t = 0 are 0, or the rows of state when hasState (B = 1: inference)
//   state     x (1,T,DI) -> state (K-1,DI) = the last K-1 rows of (state ++ x), oldest first
//             one thread per channel, rows in ascending order: row j reads row T + j > j, not yet overwritten
//   dpre      dout (B,T,DI), x, weight, bias -> dpre (B,T,DI) = dout * silu'(pre) (scratch; pre recomputed, no state)
//   dx        dpre (B,T,DI), weight (DI,K) -> dx (B,T,DI) += sum_k dpre[b, tau+K-1-k, c] * weight[c,k]
//             one thread per element of dx, gathering the K outputs its input reached
//   dweight   dpre, x (B,T,DI) -> dweight (DI,K) += sum_{b,t} dpre[b,t,c] * x[b, t-K+1+k, c]   one thread per (c,k)
//   dbias     dpre (B,T,DI) -> dbias (DI) += sum_{b,t} dpre[b,t,c]                             one thread per c
// The reductions walk (b,t) in order inside one thread: no races, no atomics. Threads come on a 2-D grid of
// workgroups (index = (wid.y * nwg.x + wid.x) * WG + lid.x). Each entry point has its own bindings (buffers in the
// driver's order, then the params). silu'(p) = s(p) * (1 + p * (1 - s(p))), s = sigmoid.
// `struct Params` (B, T, DI, K, hasBias, hasState) is made from ssm.ts's CONV1D_PARAMS table, which ssm.ts puts in
// front of this text.

override WG: u32;

fn index(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

fn sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}

// --- forward: out, x, weight, bias, state, params (bias and state are stand-ins when absent: not read)
@group(0) @binding(0) var<storage, read_write> f_out: array<f32>;
@group(0) @binding(1) var<storage, read> f_x: array<f32>;
@group(0) @binding(2) var<storage, read> f_weight: array<f32>;
@group(0) @binding(3) var<storage, read> f_bias: array<f32>;
@group(0) @binding(4) var<storage, read> f_state: array<f32>;
@group(0) @binding(5) var<uniform> f_p: Params;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  let DI = f_p.DI;
  if (i >= f_p.B * f_p.T * DI) { return; }
  let c = i % DI;
  let bt = i / DI;
  let t = i32(bt % f_p.T);
  let xb = (bt - u32(t)) * DI; // start of this sequence
  let K = i32(f_p.K);
  var pre = 0.0;
  if (f_p.hasBias != 0u) { pre = f_bias[c]; }
  for (var k = 0; k < K; k++) {
    let tau = t - K + 1 + k;
    var v = 0.0;
    if (tau >= 0) {
      v = f_x[xb + u32(tau) * DI + c];
    } else if (f_p.hasState != 0u) {
      v = f_state[u32(K - 1 + tau) * DI + c];
    }
    pre += f_weight[c * f_p.K + u32(k)] * v;
  }
  f_out[i] = pre * sigmoid(pre);
}

// --- state: state, x, params (B = 1)
@group(0) @binding(0) var<storage, read_write> s_state: array<f32>;
@group(0) @binding(1) var<storage, read> s_x: array<f32>;
@group(0) @binding(2) var<uniform> s_p: Params;

@compute @workgroup_size(WG)
fn state(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = index(wid, nwg, lid);
  let DI = s_p.DI;
  if (c >= DI) { return; }
  let keep = i32(s_p.K) - 1;
  let T = i32(s_p.T);
  for (var j = 0; j < keep; j++) {
    let tau = T - keep + j; // this row's time relative to the call's first input
    if (tau >= 0) {
      s_state[u32(j) * DI + c] = s_x[u32(tau) * DI + c];
    } else {
      s_state[u32(j) * DI + c] = s_state[u32(keep + tau) * DI + c];
    }
  }
}

// --- dpre: dpre, dout, x, weight, bias, params (bias a stand-in when absent)
@group(0) @binding(0) var<storage, read_write> p_dpre: array<f32>;
@group(0) @binding(1) var<storage, read> p_dout: array<f32>;
@group(0) @binding(2) var<storage, read> p_x: array<f32>;
@group(0) @binding(3) var<storage, read> p_weight: array<f32>;
@group(0) @binding(4) var<storage, read> p_bias: array<f32>;
@group(0) @binding(5) var<uniform> p_p: Params;

@compute @workgroup_size(WG)
fn dpre(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  let DI = p_p.DI;
  if (i >= p_p.B * p_p.T * DI) { return; }
  let c = i % DI;
  let bt = i / DI;
  let t = i32(bt % p_p.T);
  let xb = (bt - u32(t)) * DI;
  let K = i32(p_p.K);
  var pre = 0.0;
  if (p_p.hasBias != 0u) { pre = p_bias[c]; }
  for (var k = max(0, K - 1 - t); k < K; k++) {
    pre += p_weight[c * p_p.K + u32(k)] * p_x[xb + u32(t - K + 1 + k) * DI + c];
  }
  let s = sigmoid(pre);
  p_dpre[i] = p_dout[i] * s * (1.0 + pre * (1.0 - s));
}

// --- dx: dx, dpre, weight, params
@group(0) @binding(0) var<storage, read_write> x_dx: array<f32>;
@group(0) @binding(1) var<storage, read> x_dpre: array<f32>;
@group(0) @binding(2) var<storage, read> x_weight: array<f32>;
@group(0) @binding(3) var<uniform> x_p: Params;

@compute @workgroup_size(WG)
fn dx(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  let DI = x_p.DI;
  if (i >= x_p.B * x_p.T * DI) { return; }
  let c = i % DI;
  let bt = i / DI;
  let tau = bt % x_p.T;
  let xb = (bt - tau) * DI;
  var acc = 0.0;
  for (var k = 0u; k < x_p.K; k++) {
    let t = tau + x_p.K - 1u - k; // the output that saw this input through weight[c,k]
    if (t < x_p.T) { acc += x_dpre[xb + t * DI + c] * x_weight[c * x_p.K + k]; }
  }
  x_dx[i] = x_dx[i] + acc;
}

// --- dweight: dweight, dpre, x, params
@group(0) @binding(0) var<storage, read_write> w_dweight: array<f32>;
@group(0) @binding(1) var<storage, read> w_dpre: array<f32>;
@group(0) @binding(2) var<storage, read> w_x: array<f32>;
@group(0) @binding(3) var<uniform> w_p: Params;

@compute @workgroup_size(WG)
fn dweight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  let DI = w_p.DI;
  let K = w_p.K;
  if (i >= DI * K) { return; }
  let c = i / K;
  let k = i - c * K;
  var acc = 0.0;
  for (var b = 0u; b < w_p.B; b++) {
    let xb = b * w_p.T * DI;
    for (var t = K - 1u - k; t < w_p.T; t++) { // tau = t - (K-1-k) >= 0
      acc += w_dpre[xb + t * DI + c] * w_x[xb + (t + k + 1u - K) * DI + c];
    }
  }
  w_dweight[i] = w_dweight[i] + acc;
}

// --- dbias: dbias, dpre, params
@group(0) @binding(0) var<storage, read_write> b_dbias: array<f32>;
@group(0) @binding(1) var<storage, read> b_dpre: array<f32>;
@group(0) @binding(2) var<uniform> b_p: Params;

@compute @workgroup_size(WG)
fn dbias(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = index(wid, nwg, lid);
  let DI = b_p.DI;
  if (c >= DI) { return; }
  var acc = 0.0;
  for (var n = 0u; n < b_p.B * b_p.T; n++) {
    acc += b_dpre[n * DI + c];
  }
  b_dbias[c] = b_dbias[c] + acc;
}
