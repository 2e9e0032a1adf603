// matvec.wgsl — the linear layer's forward for a few rows (decoding: 1 row; short prompts), driven by matmul.ts
// forward when N <= 8 (larger N goes to matmul.wgsl's tiled kernel; the backward always does):
//   inp (M,IC), weight W (OC,IC) stored as FORMAT, bias (OC) -> out (M,OC) = alpha * inp @ W^T + bias  (+= accumulate)
//   with M <= 8 (the override M) and out(m,o) = y[y_off + m*y_sm + o], bias(o) = bias[bias_off + o]; W may be a row
//   range of a bigger weight (OC here = the rows bound, y_off / bias_off = the first one's index).
// A GEMV, made for memory bandwidth (every weight byte read once per call; the tiled kernel would leave 15 of 16
// threads idle at M = 1):
//   - a workgroup of WG threads owns ROWS consecutive out-channels; its threads split K: thread t takes the packed
//     u32 words t, t + WG, t + 2*WG, ... of each of its rows, so neighbouring threads read neighbouring words
//     (coalesced loads, one word = 1 f32, 2 f16, 4 int8 or 8 int4 values);
//   - for each word position a thread loads the M input rows' values there into registers once (inp is small and
//     shared by every workgroup: it stays in cache) and uses them for all ROWS rows; each weight word is loaded once,
//     dequantized once (dequant.wgsl, as matmul.wgsl; matmul.ts puts it in front of this) and used M times;
//   - the ROWS * M partial sums of the WG threads are reduced: with subgroups, each subgroup adds its lanes' sums in
//     registers (subgroupAdd), one lane of it writes them to workgroup memory, and after one barrier thread i adds
//     the subgroups' sums of partial i; without, a tree in workgroup memory (log2(WG) barriers).
// The input may be made as it is loaded (in_kind, backend.ts MatmulInput), fusing the kernel that only feeds this one:
//   1 RMSNorm: x = inp * g (aux = g, (IC)); the sums of inp^2 of the M rows ride along as ROWS + 1'th partial
//     sums and out(m,o) = alpha * rstd(m) * sum_k x(m,k) W(o,k), rstd(m) = 1 / sqrt(sum_k inp(m,k)^2 / IC + eps)
//   2 SwiGLU: x = silu(inp) * up (aux = up, (M,IC))
// Workgroups: one per ROWS out-channels, laid out as an (x, y) grid when there are more than a dimension allows
// (index = y * num_workgroups.x + x; the overshoot finds no rows). WG is a power of two, (ROWS + 1) * M <= WG.
// Bindings: inp, w, bias, y, aux, params. `struct Params` (IC, OC, y_off, y_sm, bias_off, alpha, accumulate, has_bias,
// w_row: u32 words per weight row, w_scales: the word where a row's scales start, in_kind, eps) is made from matmul.ts's
// MATVEC_PARAMS table, which matmul.ts puts in front of this text with dequant.wgsl.

override WG: u32 = 64;
override M: u32 = 1;
const ROWS = 4u; // out-channels per workgroup (also sizes the per-thread accumulators)
const SUMS = ROWS + 1u; // partial sums per input row: ROWS outputs, then the sum of squares (in_kind 1)
const MMAX = 8u; // the most input rows
const PMAX = 8u; // the most values in a word (int4)

@group(0) @binding(0) var<storage, read> inp: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>; // f32 bits when FORMAT = 0
@group(0) @binding(2) var<storage, read> bias: array<f32>; // any read-only buffer when has_bias = 0
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> aux: array<f32>; // the norm's weight, SwiGLU's up, or any read-only buffer
@group(0) @binding(5) var<uniform> p: Params;

// partial sum i = r * M + m: out(m, o0 + r) for r < ROWS, row m's sum of squares for r = ROWS
#if SUBGROUPS
override SGMAX: u32 = WG / 4u; // the most subgroups of a workgroup (WebGPU subgroups have at least 4 invocations)
var<workgroup> red: array<f32, SUMS * M * SGMAX>; // red[i * SGMAX + s]: subgroup s's sum of partial i
#else
var<workgroup> red: array<f32, WG * SUMS * M>; // red[i * WG + t]: thread t's partial sum i
#endif

// The input's value as the product takes it, from inp's value v at (m, k) (in_kind 0: v itself).
fn input_value(v: f32, m: u32, k: u32) -> f32 {
  if (p.in_kind == 1u) { return v * aux[k]; }
  if (p.in_kind == 2u) { return v / (1.0 + exp(-v)) * aux[m * p.IC + k]; }
  return v;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32,
#if SUBGROUPS
  @builtin(subgroup_id) sg: u32, @builtin(num_subgroups) nsg: u32,
#endif
) {
  let o0 = (wid.y * nwg.x + wid.x) * ROWS;
  let per = wq_per();
  let words = (p.IC + per - 1u) / per; // quant words of a row
  var acc: array<f32, SUMS * MMAX>; // acc[r * MMAX + m], zero-initialized; r = ROWS: row m's sum of squares
  for (var wi = t; wi < words; wi += WG) {
    let k0 = wi * per;
    // the M input rows' values at columns k0 .. k0 + per - 1 (past IC: the padding half of an odd f16 row, 0)
    var x: array<f32, MMAX * PMAX>; // x[m * PMAX + j]
    for (var m = 0u; m < M; m++) {
      for (var j = 0u; j < per; j++) {
        if (k0 + j < p.IC) {
          let v = inp[m * p.IC + k0 + j];
          x[m * PMAX + j] = input_value(v, m, k0 + j);
          if (p.in_kind == 1u) { acc[ROWS * MMAX + m] += v * v; }
        }
      }
    }
    let blk = k0 / 32u;
    for (var r = 0u; r < ROWS; r++) {
      let o = o0 + r;
      if (o < p.OC) {
        let row = o * p.w_row;
        let word = w[row + wi];
        var d = 0.0;
        if (FORMAT >= 2u) { d = wq_scale(w[row + p.w_scales + blk / 2u], blk); }
        for (var j = 0u; j < per; j++) {
          let v = wq_value(word, j, d);
          for (var m = 0u; m < M; m++) { acc[r * MMAX + m] += v * x[m * PMAX + j]; }
        }
      }
    }
  }
  let sums = select(ROWS, SUMS, p.in_kind == 1u) * M; // partial sums to reduce
#if SUBGROUPS
  for (var i = 0u; i < sums; i++) {
    let s = subgroupAdd(acc[(i / M) * MMAX + i % M]);
    if (subgroupElect()) { red[i * SGMAX + sg] = s; }
  }
  workgroupBarrier();
  var total = 0.0; // thread t < ROWS * M: out(t % M, o0 + t / M)
  var ss = 0.0; // and its input row's sum of squares (in_kind 1)
  if (t < ROWS * M) {
    for (var s = 0u; s < nsg; s++) { total += red[t * SGMAX + s]; }
    if (p.in_kind == 1u) {
      for (var s = 0u; s < nsg; s++) { ss += red[(ROWS * M + t % M) * SGMAX + s]; }
    }
  }
#else
  for (var i = 0u; i < sums; i++) { red[i * WG + t] = acc[(i / M) * MMAX + i % M]; }
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      for (var i = 0u; i < sums; i++) { red[i * WG + t] += red[i * WG + t + s]; }
    }
    workgroupBarrier();
  }
  let total = red[min(t, ROWS * M - 1u) * WG]; // thread t < ROWS * M: out(t % M, o0 + t / M)
  let ss = red[(ROWS * M + t % M) * WG]; // and its input row's sum of squares (in_kind 1)
#endif
  if (t < ROWS * M) {
    let o = o0 + t / M;
    let m = t % M;
    if (o < p.OC) {
      var v = p.alpha * total;
      if (p.in_kind == 1u) { v *= 1.0 / sqrt(ss / f32(p.IC) + p.eps); }
      if (p.has_bias != 0u) { v += bias[p.bias_off + o]; }
      let i = p.y_off + m * p.y_sm + o;
      if (p.accumulate != 0u) { v = y[i] + v; }
      y[i] = v;
    }
  }
}
