// elementwise.wgsl — one thread per element (driven by elementwise.ts). Workgroups come on a 2-D grid, so n may pass
// 65535 * WG; thread index = (wid.y * nwg.x + wid.x) * WG + lid.x, and the overshoot does nothing.
//   swiglu_forward   gate (n), up (n) -> out (n) = silu(gate) * up
//   swiglu_backward  dout (n), gate (n), up (n) -> dgate (n) +=, dup (n) +=
//   add_in_place     a (n) += b (n)
//   scale            buf (n) *= s
// Each entry point has its own bindings (buffers in the driver's order, then the params). `struct Params` (n, s) is
// made from elementwise.ts's ELEMENTWISE_PARAMS table, which elementwise.ts puts in front of this text.

override WG: u32;

fn index(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

fn sigmoid(g: f32) -> f32 {
  return 1.0 / (1.0 + exp(-g));
}

// --- swiglu_forward: out, gate, up, params
@group(0) @binding(0) var<storage, read_write> sf_out: array<f32>;
@group(0) @binding(1) var<storage, read> sf_gate: array<f32>;
@group(0) @binding(2) var<storage, read> sf_up: array<f32>;
@group(0) @binding(3) var<uniform> sf_p: Params;

@compute @workgroup_size(WG)
fn swiglu_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  if (i >= sf_p.n) { return; }
  let g = sf_gate[i];
  sf_out[i] = g * sigmoid(g) * sf_up[i];
}

// --- swiglu_backward: dgate, dup, dout, gate, up, params;  silu'(g) = sigmoid(g) * (1 + g * (1 - sigmoid(g)))
@group(0) @binding(0) var<storage, read_write> sb_dgate: array<f32>;
@group(0) @binding(1) var<storage, read_write> sb_dup: array<f32>;
@group(0) @binding(2) var<storage, read> sb_dout: array<f32>;
@group(0) @binding(3) var<storage, read> sb_gate: array<f32>;
@group(0) @binding(4) var<storage, read> sb_up: array<f32>;
@group(0) @binding(5) var<uniform> sb_p: Params;

@compute @workgroup_size(WG)
fn swiglu_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  if (i >= sb_p.n) { return; }
  let g = sb_gate[i];
  let sig = sigmoid(g);
  let d = sb_dout[i];
  sb_dgate[i] = sb_dgate[i] + d * sb_up[i] * sig * (1.0 + g * (1.0 - sig));
  sb_dup[i] = sb_dup[i] + d * g * sig;
}

// --- add_in_place: a, b, params
@group(0) @binding(0) var<storage, read_write> add_a: array<f32>;
@group(0) @binding(1) var<storage, read> add_b: array<f32>;
@group(0) @binding(2) var<uniform> add_p: Params;

@compute @workgroup_size(WG)
fn add_in_place(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  if (i >= add_p.n) { return; }
  add_a[i] = add_a[i] + add_b[i];
}

// --- scale: buf, params (s)
@group(0) @binding(0) var<storage, read_write> sc_buf: array<f32>;
@group(0) @binding(1) var<uniform> sc_p: Params;

@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wid, nwg, lid);
  if (i >= sc_p.n) { return; }
  sc_buf[i] = sc_buf[i] * sc_p.s;
}
