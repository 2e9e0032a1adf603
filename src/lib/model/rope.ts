// Rotary-embedding inverse frequencies for a ModelConfig: plain RoPE, inv_freq[i] = 1 / theta^(2i / HS), and
// Llama 3.1's frequency scaling, following transformers' `_compute_llama3_parameters` (modeling_rope_utils.py):
// wavelengths shorter than original_max / high_freq_factor are kept, longer than original_max / low_freq_factor are
// divided by `factor`, and the band between is interpolated with
// smooth = (original_max / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor),
// inv = (1 - smooth) * inv / factor + smooth * inv.
// Computed in float64; transformers computes in float32, so its values differ from these by float32 rounding
// (about 1e-7 relative). Not here: applying the rotation (the engine does that).

import type { LlamaConfig } from "./config.ts";

export type RopeConfig = Pick<LlamaConfig, "head_dim" | "rope_theta" | "rope_scaling">;

/** inv_freq, HS / 2 values, for channel pairs (i, i + HS/2) as transformers' rotate_half pairs them. */
export function ropeInvFreq(config: RopeConfig): Float64Array {
  const dim = config.head_dim;
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < out.length; i++) out[i] = 1 / Math.pow(config.rope_theta, (2 * i) / dim);
  const s = config.rope_scaling;
  if (s === null) return out;

  const lowFreqWavelen = s.original_max_position_embeddings / s.low_freq_factor;
  const highFreqWavelen = s.original_max_position_embeddings / s.high_freq_factor;
  for (let i = 0; i < out.length; i++) {
    const inv = out[i]!;
    const wavelen = (2 * Math.PI) / inv;
    if (wavelen < highFreqWavelen) continue; // high frequencies: unchanged
    if (wavelen > lowFreqWavelen) {
      out[i] = inv / s.factor; // low frequencies: scaled down fully
      continue;
    }
    const smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    out[i] = ((1 - smooth) * inv) / s.factor + smooth * inv;
  }
  return out;
}
