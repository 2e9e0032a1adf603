// Rotary position embedding, HF "rotate_half" layout (dimension i pairs with i + HS/2), applied in place.
// x (N,NH,HS), invFreq (HS/2), pos (N) -> x (N,NH,HS) rotated by sign * pos * invFreq (sign -1: backward)
// One invocation per (n, h, i < HS/2); the dispatch may be 2-D when there are more than 65535 workgroups.
// `struct Params` (total = N * NH * HS/2, NH, HS, sign) is made from rope.ts's ROPE_PARAMS table, which rope.ts puts
// in front of this text.

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> invFreq: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<i32>;
@group(0) @binding(3) var<uniform> p: Params;

// pi/2 split in three (Cody-Waite, Cephes' constants): P1 and P2 have few significant bits, so k * P1 and k * P2
// are exact for the quadrant counts positions give.
const TWO_OVER_PI = 0.63661977236758134;
const P1 = 1.5703125;
const P2 = 4.837512969970703125e-4;
const P3 = 7.54978995489188216e-8;

// sin and cos of a float32 angle to about one ulp on every GPU: reduced to [-pi/4, pi/4] and Cephes' sinf/cosf
// polynomials. The WGSL builtins promise only 2^-11 absolute on [-pi, pi] (SwiftShader gives about that), which is
// too coarse to match the CPU kernel, and nothing past it.
fn sincos(x: f32) -> vec2f {
  let k = round(x * TWO_OVER_PI);
  let r = ((x - k * P1) - k * P2) - k * P3;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  switch (i32(k) & 3) {
    case 0: { return vec2f(s, c); }
    case 1: { return vec2f(c, -s); }
    case 2: { return vec2f(-s, -c); }
    default: { return vec2f(-c, s); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let idx = (wg.y * nwg.x + wg.x) * WG + lid;
  if (idx >= p.total) { return; }
  let half = p.HS / 2u;
  let i = idx % half;
  let row = idx / half; // n * NH + h
  let n = row / p.NH;
  // the angle in float32, as transformers computes it (positions run into the thousands)
  let sc = sincos(f32(pos[n]) * invFreq[i]);
  let c = sc.y;
  let s = p.sign * sc.x;
  let b = row * p.HS + i;
  let x1 = x[b];
  let x2 = x[b + half];
  x[b] = x1 * c - x2 * s;
  x[b + half] = x2 * c + x1 * s;
}
