// Entry of the CPU backend's WebAssembly kernels (see scripts/build-wasm.mjs). Pure functions over linear memory:
// no allocation, no data segments, no globals; the caller (src/lib/train/wasm/) owns every byte.
export { gemm_nn, gemm_nt } from "./gemm";
export { ce_backward_dh, ce_backward_dw, ce_chunk, ce_forward, ce_scratch_bytes } from "./classifier";
export { attn_backward, attn_forward } from "./attention";
export { dequant_rows, qgemm_nt, qgemm_panel_floats } from "./quant";
