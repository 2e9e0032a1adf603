// F16 / BF16 conversions against bit patterns worked out by hand, and F16 decoding of all 65536 patterns against an
// independent formula (sign * 2^(e-15) * (1 + m/1024), subnormals m * 2^-24).

import { describe, expect, it } from "vitest";
import {
  bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, floatBitsToBf16Bits, floatBitsToHalfBits, halfBitsToFloatBits,
} from "../../../src/lib/model/index.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number) => ((f32[0] = x), u32[0]!);
const half = (x: number) => floatBitsToHalfBits(bitsOf(x));
const bf16 = (x: number) => floatBitsToBf16Bits(bitsOf(x));

describe("float32 -> F16, round to nearest even", () => {
  const CASES: [string, number, number][] = [
    ["1", 1, 0x3c00],
    ["-2", -2, 0xc000],
    ["0.5", 0.5, 0x3800],
    ["1/3", 1 / 3, 0x3555],
    ["0.1", 0.1, 0x2e66],
    ["max half 65504", 65504, 0x7bff],
    ["65519 rounds down to 65504", 65519, 0x7bff],
    ["65520 is the tie to infinity", 65520, 0x7c00],
    ["1e6 overflows", 1e6, 0x7c00],
    ["smallest normal 2^-14", 2 ** -14, 0x0400],
    ["smallest subnormal 2^-24", 2 ** -24, 0x0001],
    ["largest subnormal 1023 * 2^-24", 1023 * 2 ** -24, 0x03ff],
    ["2^-25 is a tie: to even zero", 2 ** -25, 0x0000],
    ["1.5 * 2^-25 rounds up to 2^-24", 1.5 * 2 ** -25, 0x0001],
    ["3 * 2^-25 is a tie: to even 2 * 2^-24", 3 * 2 ** -25, 0x0002],
    ["1e-8 underflows", 1e-8, 0x0000],
    ["1 + 2^-11 is a tie: to even 1", 1 + 2 ** -11, 0x3c00],
    ["1 + 3 * 2^-11 is a tie: to even 1 + 2^-9", 1 + 3 * 2 ** -11, 0x3c02],
    ["1 + 2^-11 + 2^-20 rounds up", 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ["subnormal rounding up into the smallest normal", 2 ** -14 - 2 ** -26, 0x0400],
    ["-0", -0, 0x8000],
    ["+inf", Infinity, 0x7c00],
    ["-inf", -Infinity, 0xfc00],
    ["float32 subnormal", 1e-40, 0x0000],
  ];
  it.each(CASES)("%s", (_, x, bits) => expect(half(x)).toBe(bits));

  it("NaN stays NaN (quiet), with the sign", () => {
    expect(half(NaN)).toBe(0x7e00);
    expect(floatBitsToHalfBits(0xffc00000)).toBe(0xfe00);
    expect(floatBitsToHalfBits(0x7f800001) & 0x7c00).toBe(0x7c00); // a signalling NaN does not become infinity
    expect(floatBitsToHalfBits(0x7f800001) & 0x3ff).not.toBe(0);
  });
});

describe("F16 -> float32", () => {
  it("every one of the 65536 patterns matches the formula", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const got = f16ToF32(all);
    for (let h = 0; h < 65536; h++) {
      const s = h >> 15 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const want = e === 0x1f ? (m ? NaN : s * Infinity) : e === 0 ? s * m * 2 ** -24 : s * 2 ** (e - 15) * (1 + m / 1024);
      if (Number.isNaN(want)) expect(Number.isNaN(got[h]!)).toBe(true);
      else if (!Object.is(got[h], want)) expect.fail(`0x${h.toString(16)}: got ${got[h]}, want ${want}`);
    }
  });

  it("keeps NaN payloads and the sign of zero", () => {
    expect(halfBitsToFloatBits(0x7e01)).toBe(0x7fc02000);
    expect(halfBitsToFloatBits(0xfc01)).toBe(0xff802000);
    expect(Object.is(f16ToF32(new Uint16Array([0x8000]))[0], -0)).toBe(true);
  });

  it("every finite half survives F16 -> F32 -> F16 unchanged", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    for (let h = 0; h < 65536; h++) {
      if (((h >> 10) & 0x1f) === 0x1f && (h & 0x3ff) !== 0) continue; // NaNs come back quiet
      if (back[h] !== h) expect.fail(`0x${h.toString(16)} came back as 0x${back[h]!.toString(16)}`);
    }
  });
});

describe("float32 <-> BF16", () => {
  const CASES: [string, number, number][] = [
    ["1", 1, 0x3f80],
    ["-2", -2, 0xc000],
    ["1/3 rounds up", 1 / 3, 0x3eab],
    ["pi rounds down", Math.PI, 0x4049],
    ["1 + 2^-8 is a tie: to even 1", 1 + 2 ** -8, 0x3f80],
    ["1 + 3 * 2^-8 is a tie: to even 1 + 2^-6", 1 + 3 * 2 ** -8, 0x3f82],
    ["max float32 rounds to infinity", 3.4028234663852886e38, 0x7f80],
    ["-inf", -Infinity, 0xff80],
    ["-0", -0, 0x8000],
    ["float32 subnormal 2^-130 (bits 0x00080000)", 2 ** -130, 0x0008],
  ];
  it.each(CASES)("%s", (_, x, bits) => expect(bf16(x)).toBe(bits));

  it("NaN stays NaN even when its payload is only in the low bits", () => {
    expect(bf16(NaN)).toBe(0x7fc0);
    expect(floatBitsToBf16Bits(0x7f800001) & 0x7f).not.toBe(0);
  });

  it("decoding is the upper half of a float32, exactly", () => {
    expect([...bf16ToF32(new Uint16Array([0x3f80, 0xc000, 0x3eab, 0x0001, 0x7f80]))]).toEqual([1, -2, 0.333984375, 2 ** -133, Infinity]);
  });

  it("f32ToBf16 / f32ToF16 convert arrays, views included", () => {
    const backing = new Float32Array([9, 1, 0.5, -2]);
    const view = backing.subarray(1);
    expect([...f32ToBf16(view)]).toEqual([0x3f80, 0x3f00, 0xc000]);
    expect([...f32ToF16(view)]).toEqual([0x3c00, 0x3800, 0xc000]);
  });
});
