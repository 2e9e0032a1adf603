// Merging a LoRA adapter into its base weight before any quantisation, in float32:
//   W' (OC, IC) = W + scale * B (OC, R) @ A (R, IC),   scale = alpha / R, or alpha / sqrt(R) with rsLoRA.

export function mergeLora(W: Float32Array, A: Float32Array, B: Float32Array, OC: number, IC: number, R: number, scale: number): Float32Array {
  if (W.length !== OC * IC || A.length !== R * IC || B.length !== OC * R) {
    throw new Error(`merge: shapes do not fit: W ${W.length} (want ${OC}x${IC}), A ${A.length} (want ${R}x${IC}), B ${B.length} (want ${OC}x${R})`);
  }
  const out = Float32Array.from(W);
  for (let o = 0; o < OC; o++) {
    for (let r = 0; r < R; r++) {
      const b = scale * B[o * R + r]!;
      if (b === 0) continue;
      const row = o * IC;
      const a = r * IC;
      for (let i = 0; i < IC; i++) out[row + i] = out[row + i]! + b * A[a + i]!;
    }
  }
  return out;
}
