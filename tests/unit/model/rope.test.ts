// RoPE inverse frequencies: plain 1 / theta^(2i/HS), and Llama 3's scaling checked three ways — values computed with
// Python (float64) from Meta's `apply_scaling` for Llama-3.2-1B's config, which band each frequency falls in, and a
// re-derivation in this file that writes the interpolation in a different algebraic form.

import { describe, expect, it } from "vitest";
import { ropeInvFreq, type RopeConfig } from "../../../src/lib/model/index.ts";

const LLAMA_3_2: RopeConfig = {
  head_dim: 64,
  rope_theta: 500000,
  rope_scaling: { rope_type: "llama3", factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
};

const close = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThan(1e-12);

describe("ropeInvFreq", () => {
  it("plain RoPE is 1 / theta^(2i / HS)", () => {
    const f = ropeInvFreq({ head_dim: 8, rope_theta: 10000, rope_scaling: null });
    expect(f.length).toBe(4);
    [1, 0.1, 0.01, 0.001].forEach((want, i) => close(f[i]!, want));
  });

  it("Llama-3.2-1B: values from Python's float64 evaluation of Meta's apply_scaling", () => {
    const f = ropeInvFreq(LLAMA_3_2);
    expect(f.length).toBe(32);
    const WANT: [number, number][] = [
      [0, 1.0],
      [14, 0.0032114459947525913],
      [15, 0.001290547928209264],
      [16, 0.00042955679655936815],
      [17, 9.70828780262767e-5],
      [18, 1.9461638184831125e-5],
      [31, 9.418306725434909e-8],
    ];
    for (const [i, want] of WANT) close(f[i]!, want);
  });

  it("Llama-3.2-1B: pairs 0-14 unchanged, 15-17 interpolated, 18-31 divided by 32", () => {
    const plain = ropeInvFreq({ ...LLAMA_3_2, rope_scaling: null });
    const f = ropeInvFreq(LLAMA_3_2);
    for (let i = 0; i < 32; i++) {
      if (i <= 14) expect(f[i]).toBe(plain[i]);
      else if (i >= 18) close(f[i]!, plain[i]! / 32);
      else {
        expect(f[i]!).toBeLessThan(plain[i]!);
        expect(f[i]!).toBeGreaterThan(plain[i]! / 32);
      }
    }
  });

  it("matches a re-derivation: inv * ((1 - s) / factor + s) with s from the frequency directly", () => {
    const cfg: RopeConfig = {
      head_dim: 128,
      rope_theta: 500000,
      rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    }; // Llama-3.1-8B
    const f = ropeInvFreq(cfg);
    const { factor, low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: L } = cfg.rope_scaling!;
    let medium = 0;
    for (let i = 0; i < 64; i++) {
      const inv = Math.exp((-2 * i * Math.log(500000)) / 128);
      const turns = (L * inv) / (2 * Math.PI); // rotations over the original context = L / wavelength
      const want = turns > hi ? inv : turns < lo ? inv / factor : inv * ((1 - (turns - lo) / (hi - lo)) / factor + (turns - lo) / (hi - lo));
      if (turns <= hi && turns >= lo) medium++;
      expect(Math.abs(f[i]! - want) / want).toBeLessThan(1e-12);
    }
    expect(medium).toBeGreaterThan(2); // the interpolated band was exercised
  });
});
