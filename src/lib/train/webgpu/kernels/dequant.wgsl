// dequant.wgsl — the frozen weight formats of src/lib/train/quant.ts as WGSL functions, shared by matmul.wgsl and
// matvec.wgsl: matmul.ts puts this text in front of each (dequant.wgsl + kernel, one module), so both decode the very
// same values. A packed (OC, IC) weight is rows of u32 words: [ quants: element i at bits (i % per) * bits of word
// i / per, per = 32 / bits ][ scales: block i / 32 in half (i / 32) % 2 of word (i / 32) / 2 ].
// FORMAT: quant.ts WEIGHT_FORMATS ids, 0 f32 (one f32's bits a word), 1 f16, 2 int8 (Q8_0), 3 int4 (Q4_0).

override FORMAT: u32 = 0;

// IEEE half bits (the low 16 of h) -> f32, exact for subnormals (unpack2x16float may flush those to zero)
fn half_to_f32(h: u32) -> f32 {
  let mag = h & 0x7fffu;
  var v = f32(mag) * 5.9604645e-8; // subnormal: mag * 2^-24
  if (mag >= 0x7c00u) { v = bitcast<f32>(0x7f800000u | (mag << 13u)); } // inf, NaN
  else if (mag >= 0x400u) { v = bitcast<f32>((mag << 13u) + 0x38000000u); } // normal: exponent bias 15 -> 127
  return select(v, -v, (h & 0x8000u) != 0u);
}

// values per u32 word of FORMAT
fn wq_per() -> u32 {
  return select(select(select(1u, 2u, FORMAT == 1u), 4u, FORMAT == 2u), 8u, FORMAT == 3u);
}

// the scale of block blk (int8, int4) from the word holding it (word blk / 2 of the row's scales)
fn wq_scale(scale_word: u32, blk: u32) -> f32 {
  return half_to_f32(scale_word >> ((blk & 1u) * 16u));
}

// value j (0 <= j < wq_per()) of a packed word, times the block's scale d for int8 / int4 (d unused otherwise)
fn wq_value(word: u32, j: u32, d: f32) -> f32 {
  if (FORMAT == 0u) { return bitcast<f32>(word); }
  if (FORMAT == 1u) { return half_to_f32(word >> ((j & 1u) * 16u)); }
  if (FORMAT == 2u) { return f32(extractBits(bitcast<i32>(word), (j & 3u) * 8u, 8u)) * d; }
  return f32(i32(extractBits(word, (j & 7u) * 4u, 4u)) - 8) * d;
}
