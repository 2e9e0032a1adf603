// copy_columns.wgsl — a block of columns from one row-major matrix into another (driven by ssm.ts), e.g. Mamba's
// in_proj output (N, 2*DI) split into x and z, and the same copy back with `accumulate` in the backward:
//   src (N, srcStride) columns [srcCol, srcCol + width) -> dst (N, dstStride) columns [dstCol, dstCol + width)
//   dst = src, or dst += src when accumulate != 0
// One thread per copied element, on a 2-D grid of workgroups (thread index = (wid.y * nwg.x + wid.x) * WG + lid.x).
// dst and src must be different buffers (a buffer cannot be bound both writable and read-only in one dispatch).
// `struct Params` (N, width, dstStride, dstCol, srcStride, srcCol, accumulate) is made from ssm.ts's
// COPY_COLUMNS_PARAMS table, which ssm.ts puts in front of this text.

override WG: u32;

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.N * p.width) { return; }
  let r = i / p.width;
  let j = i - r * p.width;
  let o = r * p.dstStride + p.dstCol + j;
  let v = src[r * p.srcStride + p.srcCol + j];
  if (p.accumulate != 0u) {
    dst[o] = dst[o] + v;
  } else {
    dst[o] = v;
  }
}
