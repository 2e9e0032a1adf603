// Entry of the CPU backend's WebAssembly kernels (see scripts/build-wasm.mjs). Pure functions over linear memory:
// no allocation, no globals; the only data segments are the standard library's constant tables (exp, log), below the
// heap's first block (heap.ts HEAP_BASE); the caller (src/lib/train/wasm/) owns every other byte.
export { gemm_nn, gemm_nt, gemm_nt_cols } from "./gemm";
export { ce_backward_dh, ce_backward_dw, ce_chunk, ce_forward, ce_scratch_bytes } from "./classifier";
export { attn_backward, attn_forward, sum_into } from "./attention";
export { dequant_rows, qgemm_nt, qgemm_panel_floats, qgemv } from "./quant";
export { adamw_update, rmsnorm_backward, rmsnorm_forward, swiglu_backward, swiglu_forward } from "./elementwise";
export { scan_backward, scan_forward } from "./scan";
export { conv1d_backward, conv1d_forward, rope } from "./conv-rope";
