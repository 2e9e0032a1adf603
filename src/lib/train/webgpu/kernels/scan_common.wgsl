// scan_common.wgsl — what scan_forward.wgsl and scan_backward.wgsl share (ssm.ts puts it after its prelude, which
// declares `const DS: u32` (state size, fixed per pipeline so per-thread states are private arrays), `const CHUNK: u32`
// (SCAN_CHUNK of backend.ts) and `struct Params` (B, T, DI, nC = ceil(T / CHUNK) chunks, nG channel groups (workgroups
// along DI) of the backward, hasHs, hasState), made from ssm.ts's SCAN_PARAMS table).
// `pack` holds the small inputs one after another, so a kernel binds them once (the storage-buffer limit is 8):
//   pack = [ Alog (DI,DS) | D (DI) | Bm (B,T,DS) | Cm (B,T,DS) ]

fn packD(p: Params) -> u32 { return p.DI * DS; }
fn packB(p: Params) -> u32 { return p.DI * DS + p.DI; }
fn packC(p: Params) -> u32 { return p.DI * DS + p.DI + p.B * p.T * DS; }

// torch's softplus (x itself above 20), with log1p(e) computed accurately for small e (exp(x) tiny)
fn softplus(x: f32) -> f32 {
  if (x > 20.0) { return x; }
  let e = exp(x);
  let v = 1.0 + e;
  if (v == 1.0) { return e; }
  return log(v) * e / (v - 1.0);
}

// softplus'(x) = sigmoid(x)
fn dsoftplus(x: f32) -> f32 {
  if (x > 20.0) { return 1.0; }
  return 1.0 / (1.0 + exp(-x));
}
