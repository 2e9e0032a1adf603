// llama.cpp's row order for Q and K of the `llama` architecture. Hugging Face stores each head's rotary pairs as
// (i, i + HS/2) ("rotate_half"); llama.cpp's llama graph pairs adjacent rows (2i, 2i+1). convert_hf_to_gguf.py
// therefore permutes the rows of q_proj and k_proj (and their biases, and a LoRA B) per head:
//   new row h*HS + 2i + j  <-  old row h*HS + j*HS/2 + i      (i < HS/2, j in {0, 1})
// `qwen2` uses the HF (neox) order natively and is never permuted.

/** Rows (OC = heads*HS) of a (OC, cols) row-major matrix, permuted to llama.cpp's order. */
export function permuteRowsForLlama(src: Float32Array, heads: number, cols: number): Float32Array {
  const rows = src.length / cols;
  if (!Number.isInteger(rows) || rows % heads !== 0 || (rows / heads) % 2 !== 0) {
    throw new Error(`cannot permute ${src.length} values as ${heads} heads of ${cols} columns (need an even head size)`);
  }
  const HS = rows / heads;
  const half = HS / 2;
  const out = new Float32Array(src.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = h * HS + j * half + i;
        const to = h * HS + 2 * i + j;
        out.set(src.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}
