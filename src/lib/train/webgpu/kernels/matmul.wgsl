// matmul.wgsl — the GEMM: every matrix product of the linear layer and of the classifier in one register-tiled kernel,
// the operands' layouts (transposes, leading dimensions, offsets) given as parameters (driven by matmul.ts gemm):
//   forward     inp (N,IC), weight (OC,IC), bias (OC) -> out (N,OC) = scale * inp @ weight^T + bias   (or +=)
//   dinp        dout (N,OC), weight (OC,IC) -> dinp (N,IC) += scale * dout @ weight
//   dweight     dout (N,OC), inp (N,IC) -> dweight (OC,IC) += scale * dout^T @ inp
//   classifier  h (N,C), a vocabulary chunk Wc (w,C), G (N,w) -> logits (N,w) = h @ Wc^T; dh (N,C) += G @ Wc;
//               dWc (w,C) += G^T @ h   (classifier.ts)
// main:  Y (M,P) (+)= alpha * A (M,K) @ B (K,P) + bias (P), where
//        A(m,k) = a[a_off + m*lda + k], or a[a_off + k*lda + m] when a_t;
//        B(k,p) = b[k*ldb + p], or b[p*ldb + k] when b_t (a (P,K) weight read as its transpose);
//        Y(m,p) = y[y_off + m*ldy + p], bias(p) = bias[bias_off + p].
//        With K2 > 0 a second product follows in the same pass: Y += alpha2 * A2 (M,K2) @ B2 (K2,P), A2(m,k) =
//        a2[m*K2 + k], B2 float32, B2(k,p) = b2[k*P + p], or b2[p*K2 + k] when b2_t (matmul.ts GemmPlus: a LoRA
//        branch's up-projection, or its input gradient, added to its linear's product). Its K steps run after the
//        first's through the same tiles; A2's values are scaled by alpha2 as they are staged, the first product's sum
//        by alpha before them.
//        A workgroup of (TILE_N/4, TILE_M/4) threads computes a TILE_M x TILE_N block of Y, each thread a 4 x 4 block
//        of it in registers: rows m0 + 4*ty .. +3, columns p0 + 4*tx .. +3. Per step of TILE_K along K the workgroup
//        stages A's TILE_M x TILE_K tile and B's TILE_K x TILE_N tile in workgroup memory, k-major as vec4s along m
//        and along p, so a thread reads one vec4 of each per k for 16 multiply-adds. The tiles are loaded in 4 x 4
//        blocks, one per thread at a time: 4 rows of the operand as stored, 4 consecutive values of each (a vec4 load
//        when the 4 lie inside the matrix and start 16-byte aligned, else 4 scalar loads, zero past the edges), put in
//        place as they are or transposed in registers, so each thread writes whole vec4s.
//        With FORMAT != 0, B is a frozen weight W packed as src/lib/train/quant.ts lays it out: its stored rows are
//        W's rows (ldb u32 words each, the scales from word b_scales of a row), dequantized as the tile is loaded (4
//        values a word for int8, 8 for int4, 2 for f16). FORMAT: quant.ts WEIGHT_FORMATS ids, 0 f32, 1 f16, 2 int8,
//        3 int4; the decoding (FORMAT, wq_per, wq_scale, wq_value) is dequant.wgsl's, and `struct Params` is made from
//        matmul.ts's GEMM_PARAMS table: matmul.ts puts both in front of this text.
//        Forward products of N <= 8 rows go to matvec.wgsl instead.
// colsum: dout (N,OC) -> dbias (OC) += sum_n dout[n]   (one thread per column, rows in order: no races)
// The two entry points have their own bindings (buffers in the driver's order, then the params).

override TILE_M: u32 = 64; // rows of Y per workgroup (a multiple of 4)
override TILE_N: u32 = 64; // columns of Y per workgroup (a multiple of 4)
override TILE_K: u32 = 16; // the K step (a multiple of 4)

// --- main: a, b, bias, y, a2, b2, params

@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4u>; // f32 bits when FORMAT = 0, else packed words
@group(0) @binding(2) var<storage, read> bias: array<f32>; // any read-only buffer when has_bias = 0
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> a2: array<vec4f>; // any read-only buffer when K2 = 0
@group(0) @binding(5) var<storage, read> b2: array<vec4f>; // any read-only buffer when K2 = 0
@group(0) @binding(6) var<uniform> p: Params;

var<workgroup> ta: array<vec4f, TILE_K * TILE_M / 4u>; // ta[k * TILE_M/4 + m/4][m % 4] = A(m0 + m, k0 + k)
var<workgroup> tb: array<vec4f, TILE_K * TILE_N / 4u>; // tb[k * TILE_N/4 + n/4][n % 4] = B(k0 + k, p0 + n)

// 4 values of A as stored, row r (a row of A, or a column when a_t) from column c (a multiple of 4) on; zero outside
// the rows x cols stored. Of A2 (times alpha2) in the second product (seg 1).
fn load_a(seg: u32, r: u32, c: u32, rows: u32, cols: u32) -> vec4f {
  var v = vec4f(0.0);
  if (r >= rows) { return v; }
  if (seg == 1u) {
    let e2 = r * p.K2 + c;
    if (c + 4u <= cols && (e2 & 3u) == 0u) { return p.alpha2 * a2[e2 >> 2u]; }
    for (var j = 0u; j < 4u; j++) {
      if (c + j < cols) { v[j] = a2[(e2 + j) >> 2u][(e2 + j) & 3u]; }
    }
    return p.alpha2 * v;
  }
  let e = p.a_off + r * p.lda + c;
  if (c + 4u <= cols && (e & 3u) == 0u) { return a[e >> 2u]; }
  for (var j = 0u; j < 4u; j++) {
    if (c + j < cols) { v[j] = a[(e + j) >> 2u][(e + j) & 3u]; }
  }
  return v;
}

fn b_word(i: u32) -> u32 {
  return b[i >> 2u][i & 3u];
}

// 4 values of B as stored, row r (of B, or of W when b_t) from column c (a multiple of 4) on; zero outside rows x cols.
// Of B2 (float32 rows of P values, or of K2 when b2_t) in the second product (seg 1).
fn load_b(seg: u32, r: u32, c: u32, rows: u32, cols: u32) -> vec4f {
  var v = vec4f(0.0);
  if (r >= rows) { return v; }
  if (seg == 1u) {
    let e2 = r * select(p.P, p.K2, p.b2_t != 0u) + c;
    if (c + 4u <= cols && (e2 & 3u) == 0u) { return b2[e2 >> 2u]; }
    for (var j = 0u; j < 4u; j++) {
      if (c + j < cols) { v[j] = b2[(e2 + j) >> 2u][(e2 + j) & 3u]; }
    }
    return v;
  }
  if (FORMAT == 0u) {
    let e = r * p.ldb + c;
    if (c + 4u <= cols && (e & 3u) == 0u) { return bitcast<vec4f>(b[e >> 2u]); }
    for (var j = 0u; j < 4u; j++) {
      if (c + j < cols) { v[j] = bitcast<f32>(b_word(e + j)); }
    }
    return v;
  }
  // packed: c % 4 == 0, so the 4 values share a 32-value block and lie in one word (int8, int4) or two (f16)
  let row = r * p.ldb;
  let w0 = b_word(row + c / wq_per());
  var w1 = w0;
  if (FORMAT == 1u && c + 2u < cols) { w1 = b_word(row + c / 2u + 1u); }
  var d = 0.0;
  if (FORMAT >= 2u) { d = wq_scale(b_word(row + p.b_scales + c / 64u), c / 32u); }
  for (var j = 0u; j < 4u; j++) {
    if (c + j < cols) { v[j] = wq_value(select(w0, w1, j >= 2u), c + j, d); }
  }
  return v;
}

@compute @workgroup_size(TILE_N / 4u, TILE_M / 4u)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) t: u32) {
  let m0 = wid.y * TILE_M;
  let p0 = wid.x * TILE_N;
  let threads = TILE_M * TILE_N / 16u;
  let blocks_a = TILE_M * TILE_K / 16u; // 4 x 4 blocks per tile
  let blocks_b = TILE_K * TILE_N / 16u;
  var acc: array<vec4f, 4>; // acc[i][j]: Y(m0 + 4*lid.y + i, p0 + 4*lid.x + j), zero-initialized
  // seg 0: A @ B over K, then acc *= alpha; seg 1: A2 @ B2 over K2 (A2 staged times alpha2; no steps when K2 = 0)
  for (var seg = 0u; seg < 2u; seg++) {
    let K = select(p.K, p.K2, seg == 1u);
    let a_t = seg == 0u && p.a_t != 0u; // A2 is never transposed
    let b_t = select(p.b_t, p.b2_t, seg == 1u) != 0u;
    for (var k0 = 0u; k0 < K; k0 += TILE_K) {
      for (var g = t; g < blocks_a + blocks_b; g += threads) {
        var v: array<vec4f, 4>; // the block: v[i] = 4 values of stored row i
        if (g < blocks_a) {
          if (a_t) { // stored rows k, contiguous m: in place
            let k = (g / (TILE_M / 4u)) * 4u;
            let m4 = g % (TILE_M / 4u);
            for (var i = 0u; i < 4u; i++) { ta[(k + i) * (TILE_M / 4u) + m4] = load_a(seg, k0 + k + i, m0 + m4 * 4u, K, p.M); }
          } else { // stored rows m, contiguous k: transposed
            let m = (g / (TILE_K / 4u)) * 4u;
            let k = (g % (TILE_K / 4u)) * 4u;
            for (var i = 0u; i < 4u; i++) { v[i] = load_a(seg, m0 + m + i, k0 + k, p.M, K); }
            for (var j = 0u; j < 4u; j++) { ta[(k + j) * (TILE_M / 4u) + m / 4u] = vec4f(v[0][j], v[1][j], v[2][j], v[3][j]); }
          }
        } else {
          let h = g - blocks_a;
          if (!b_t) { // stored rows k, contiguous p: in place
            let k = (h / (TILE_N / 4u)) * 4u;
            let n4 = h % (TILE_N / 4u);
            for (var i = 0u; i < 4u; i++) { tb[(k + i) * (TILE_N / 4u) + n4] = load_b(seg, k0 + k + i, p0 + n4 * 4u, K, p.P); }
          } else { // stored rows p, contiguous k: transposed
            let n = (h / (TILE_K / 4u)) * 4u;
            let k = (h % (TILE_K / 4u)) * 4u;
            for (var i = 0u; i < 4u; i++) { v[i] = load_b(seg, p0 + n + i, k0 + k, p.P, K); }
            for (var j = 0u; j < 4u; j++) { tb[(k + j) * (TILE_N / 4u) + n / 4u] = vec4f(v[0][j], v[1][j], v[2][j], v[3][j]); }
          }
        }
      }
      workgroupBarrier();
      for (var k = 0u; k < TILE_K; k++) {
        let av = ta[k * (TILE_M / 4u) + lid.y];
        let bv = tb[k * (TILE_N / 4u) + lid.x];
        acc[0] += av.x * bv;
        acc[1] += av.y * bv;
        acc[2] += av.z * bv;
        acc[3] += av.w * bv;
      }
      workgroupBarrier();
    }
    if (seg == 0u) {
      for (var i = 0u; i < 4u; i++) { acc[i] = p.alpha * acc[i]; }
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let n = p0 + lid.x * 4u + j;
      if (m < p.M && n < p.P) {
        var v = acc[i][j];
        if (p.has_bias != 0u) { v += bias[p.bias_off + n]; }
        let e = p.y_off + m * p.ldy + n;
        if (p.accumulate != 0u) { v = y[e] + v; }
        y[e] = v;
      }
    }
  }
}

// --- colsum: dbias, dout, params

override COLSUM_WG: u32 = 256;

@group(0) @binding(0) var<storage, read_write> cs_dbias: array<f32>;
@group(0) @binding(1) var<storage, read> cs_dout: array<f32>;
@group(0) @binding(2) var<uniform> cs_p: ColsumParams;

@compute @workgroup_size(COLSUM_WG)
fn colsum(@builtin(global_invocation_id) gid: vec3u) {
  let o = gid.x;
  if (o >= cs_p.OC) { return; }
  var s = 0.0;
  for (var n = 0u; n < cs_p.N; n++) { s += cs_dout[n * cs_p.OC + o]; }
  cs_dbias[o] = cs_dbias[o] + s;
}
