// matmul.wgsl — the linear layer's products, one tiled kernel for all of them through strides (driven by matmul.ts):
//   forward   inp (N,IC), weight (OC,IC), bias (OC) -> out (N,OC) = scale * inp @ weight^T + bias   (or +=)
//   dinp      dout (N,OC), weight (OC,IC) -> dinp (N,IC) += scale * dout @ weight
//   dweight   dout (N,OC), inp (N,IC) -> dweight (OC,IC) += scale * dout^T @ inp
// main:  Y (M,P) (+)= alpha * A (M,K) @ B (K,P) + bias (P), where
//        A(m,k) = a[a_off + m*a_sm + k*a_sk], B(k,p) = b[k*b_sk + p*b_sp], Y(m,p) = y[y_off + m*y_sm + p].
//        A TILE x TILE workgroup computes one TILE x TILE block of Y, one element per thread, staging TILE columns
//        of A and rows of B at a time in workgroup memory; neighbouring threads load along the unit stride.
//        With FORMAT != 0, B is a frozen weight W (OC,IC) packed as src/lib/train/quant.ts lays it out (rows of b_row
//        u32 words, scales from word b_scales of a row) and dequantized as it is staged: B(k,p) = W(p,k) when b_wt
//        (forward) else W(k,p) (dinp). FORMAT: quant.ts WEIGHT_FORMATS ids, 0 f32, 1 f16, 2 int8, 3 int4. The
//        decoding (FORMAT, half_to_f32, wq_scale, wq_value) is dequant.wgsl's, which matmul.ts puts in front of this.
//        Forward products of N <= 8 rows go to matvec.wgsl instead.
// colsum: dout (N,OC) -> dbias (OC) += sum_n dout[n]   (one thread per column, rows in order: no races)
// The two entry points have their own bindings (buffers in the driver's order, then the params).

override TILE: u32;

// --- main: a, b, bias, y, params
struct Params {
  M: u32,
  P: u32,
  K: u32,
  a_off: u32,
  a_sm: u32,
  a_sk: u32,
  b_sk: u32,
  b_sp: u32,
  y_off: u32,
  y_sm: u32,
  bias_off: u32,
  alpha: f32,
  accumulate: u32,
  has_bias: u32,
  b_row: u32,
  b_scales: u32,
  b_wt: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<u32>; // f32 bits when FORMAT = 0
@group(0) @binding(2) var<storage, read> bias: array<f32>; // any read-only buffer when has_bias = 0
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> ta: array<f32, TILE * TILE>; // ta[m * TILE + k]
var<workgroup> tb: array<f32, TILE * TILE>; // tb[k * TILE + p]

// B(k,p): the f32 operand through its strides, or the frozen weight's element dequantized
fn load_b(k: u32, p_: u32) -> f32 {
  if (FORMAT == 0u) { return bitcast<f32>(b[k * p.b_sk + p_ * p.b_sp]); }
  let o = select(k, p_, p.b_wt != 0u);
  let i = select(p_, k, p.b_wt != 0u);
  let row = o * p.b_row;
  let word = b[row + i / wq_per()];
  if (FORMAT == 1u) { return wq_value(word, i, 0.0); }
  let blk = i / 32u;
  return wq_value(word, i, wq_scale(b[row + p.b_scales + blk / 2u], blk));
}

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = wid.y * TILE;
  let p0 = wid.x * TILE;
  // The tile element this thread loads, (m, k) of A and (k, p) of B: lid.x runs along whichever index is contiguous.
  let la = select(lid.xy, lid.yx, p.a_sk == 1u);
  let lb = select(lid.xy, lid.yx, p.b_sp == 1u);
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.K; k0 += TILE) {
    let am = m0 + la.x;
    let ak = k0 + la.y;
    var va = 0.0;
    if (am < p.M && ak < p.K) { va = a[p.a_off + am * p.a_sm + ak * p.a_sk]; }
    ta[la.x * TILE + la.y] = va;
    let bk = k0 + lb.x;
    let bp = p0 + lb.y;
    var vb = 0.0;
    if (bk < p.K && bp < p.P) { vb = load_b(bk, bp); }
    tb[lb.x * TILE + lb.y] = vb;
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) {
      acc += ta[lid.y * TILE + k] * tb[k * TILE + lid.x];
    }
    workgroupBarrier();
  }
  let m = m0 + lid.y;
  let n = p0 + lid.x;
  if (m < p.M && n < p.P) {
    var v = p.alpha * acc;
    if (p.has_bias != 0u) { v += bias[p.bias_off + n]; }
    let i = p.y_off + m * p.y_sm + n;
    if (p.accumulate != 0u) { v = y[i] + v; }
    y[i] = v;
  }
}

// --- colsum: dbias, dout, params
struct ColsumParams {
  N: u32,
  OC: u32,
}

@group(0) @binding(0) var<storage, read_write> cs_dbias: array<f32>;
@group(0) @binding(1) var<storage, read> cs_dout: array<f32>;
@group(0) @binding(2) var<uniform> cs_p: ColsumParams;

@compute @workgroup_size(TILE * TILE)
fn colsum(@builtin(global_invocation_id) gid: vec3u) {
  let o = gid.x;
  if (o >= cs_p.OC) { return; }
  var s = 0.0;
  for (var n = 0u; n < cs_p.N; n++) { s += cs_dout[n * cs_p.OC + o]; }
  cs_dbias[o] = cs_dbias[o] + s;
}
