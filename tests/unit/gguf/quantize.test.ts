// GGUF tensor encodings against ggml: the fp16 conversion against hand-worked bit patterns and an independent
// implementation (src/lib/model's), the Q8_0 / Q4_0 quantizers against bytes computed by the Python script below
// (a line-by-line transcription of ggml-quants.c's _ref quantizers with float32 rounding at every step, run once with
// `python3 expected.py`; its output is pasted into EXPECTED), and round trips of random data within the formats' bounds.
//
// ---- expected.py (Python 3, standard library only) ----
// # Expected Q8_0 / Q4_0 bytes for the crafted blocks of quantize.test.ts, following ggml-quants.c's
// # quantize_row_q8_0_ref / quantize_row_q4_0_ref line by line. float32 arithmetic: every C float operation is done
// # in double and rounded to float32 through struct; the fp16 scale through struct's 'e' format (round half to even).
// # roundf through decimal (ROUND_HALF_UP is "halves away from zero"). (int8_t) of NaN / inf: 0, as x86 gives it.
// import math, struct
// from decimal import Decimal, ROUND_HALF_UP
//
// def f32(x):
//     if math.isnan(x) or math.isinf(x):
//         return x
//     try:
//         return struct.unpack('<f', struct.pack('<f', x))[0]
//     except OverflowError:
//         return math.copysign(math.inf, x)
//
// def fp16_bits(x):
//     try:
//         return struct.unpack('<H', struct.pack('<e', x))[0]
//     except OverflowError:
//         return 0xFC00 if x < 0 else 0x7C00
//
// def roundf(x):
//     if math.isnan(x) or math.isinf(x):
//         return x
//     return float(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))
//
// def int8(x):
//     if math.isnan(x) or math.isinf(x) or abs(x) >= 2**31:
//         return 0
//     i = int(x) & 0xFF  # int() truncates toward zero
//     return i - 256 if i >= 128 else i
//
// def q8_0(xs):
//     xs = [f32(v) for v in xs]
//     amax = 0.0
//     for v in xs:
//         amax = amax if amax > abs(v) else abs(v)
//     d = f32(amax / 127)
//     id_ = f32(1.0 / d) if d != 0 else 0.0
//     out = list(struct.pack('<H', fp16_bits(d)))
//     for v in xs:
//         out.append(int8(roundf(f32(v * id_))) & 0xFF)
//     return bytes(out)
//
// def q4_0(xs):
//     xs = [f32(v) for v in xs]
//     amax = 0.0
//     mx = 0.0
//     for v in xs:
//         if amax < abs(v):
//             amax = abs(v)
//             mx = v
//     d = f32(mx / -8)
//     id_ = f32(1.0 / d) if d != 0 else 0.0
//     out = list(struct.pack('<H', fp16_bits(d)))
//     for j in range(16):
//         x0 = f32(xs[j] * id_)
//         x1 = f32(xs[16 + j] * id_)
//         xi0 = min(15, int8(f32(x0 + 8.5))) & 0xFF
//         xi1 = min(15, int8(f32(x1 + 8.5))) & 0xFF
//         out.append((xi0 | (xi1 << 4)) & 0xFF)
//     return bytes(out)
//
// def block(values, fill=0.0):
//     return list(values) + [fill] * (32 - len(values))
//
// def xorshift_block(seed, scale):
//     s, out = seed, []
//     for _ in range(32):
//         s ^= (s << 13) & 0xFFFFFFFF
//         s ^= s >> 17
//         s ^= (s << 5) & 0xFFFFFFFF
//         out.append((s / 4294967296 - 0.5) * scale)
//     return out
//
// Q8 = {
//     "zero": block([]),
//     "ties": block([127, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 0.5 - 2**-25, -(0.5 - 2**-25), 1.5 - 2**-23]),
//     "fp16TieDown": block([127 * (1 + 2**-11), 1, -1, 63.5, -100]),
//     "fp16TieUp": block([127 * (1 + 3 * 2**-11), 1, -1, 63.5, -100]),
//     "negativeMax": block([10, -50, 25, 49.999996]),
//     "fp16Max": block([127 * 65504, -65504, 1000, 32752]),
//     "fp16Overflow": block([127 * 65520, -65520, 1000]),
//     "subnormalScale": block([1e-3, -5e-4, 2.5e-4, 1e-7]),
//     "scaleUnderflow": block([1e-37, -5e-38, 1e-38]),
//     "random1": xorshift_block(1, 0.1),
//     "random2": xorshift_block(0x9E3779B9, 3.0),
// }
// Q4 = {
//     "zero": block([]),
//     "ties": block([-8, 0.5, -0.5, 7.5, 7.5 - 2**-21, -7.5, -7.5 - 2**-21, 6.5, 0.5 - 2**-25, -1.5, 1.5, 2.5, -2.5, 3.5, -3.5, 4.5,
//                    -8, 0.25, -0.25, 0.75, -0.75, 7, -7, 8 - 2**-21]),
//     "positiveMaxFirst": block([3, 1, -3, 2, -2, 0.375, -0.375, 1.5]),
//     "negativeMaxFirst": block([-3, 1, 3, 2, -2, 0.375, -0.375, 1.5]),
//     "fp16TieDown": block([-8 * (1 + 2**-11), 1, -1, 4.5, 7]),
//     "fp16TieUp": block([-8 * (1 + 3 * 2**-11), 1, -1, 4.5, 7]),
//     "fp16Max": block([8 * 65504, -262016, 100000, 65504]),
//     "subnormalScale": block([-1e-4, 5e-5, -2.5e-5, 7.5e-5]),
//     "scaleUnderflow": block([1e-38, -5e-39, 0]),
//     "random1": xorshift_block(1, 0.1),
//     "random2": xorshift_block(0x9E3779B9, 3.0),
// }
// for name, xs in Q8.items():
//     print(f'Q8_0 {name}: "{q8_0(xs).hex()}"')
// for name, xs in Q4.items():
//     print(f'Q4_0 {name}: "{q4_0(xs).hex()}"')
// ---- end of expected.py

import { describe, expect, it } from "vitest";
import { floatBitsToHalfBits } from "../../../src/lib/model/index.ts";
import {
  bytesFor, canEncode, decodeTensor, dequantizeQ4_0, dequantizeQ8_0, encodeTensor, f16BitsToF32, f32ToF16Bits,
  quantizeQ4_0, quantizeQ8_0,
} from "../../../src/lib/gguf/quantize.ts";
import { QuantizeError } from "../../../src/lib/gguf/errors.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const block = (values: number[], fill = 0) => new Float32Array([...values, ...new Array(32 - values.length).fill(fill)]);

function xorshiftBlock(seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(32);
  for (let i = 0; i < 32; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * scale;
  }
  return out;
}

// The same blocks as Q8 and Q4 in expected.py, with the script's output.
const Q8_CASES: [string, Float32Array, string][] = [
  ["zero", block([]), "00000000000000000000000000000000000000000000000000000000000000000000"],
  ["ties", block([127, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 0.5 - 2 ** -25, -(0.5 - 2 ** -25), 1.5 - 2 ** -23]),
    "003c7f01ff02fe03fd7f810000010000000000000000000000000000000000000000"],
  ["fp16TieDown", block([127 * (1 + 2 ** -11), 1, -1, 63.5, -100]),
    "003c7f01ff3f9c000000000000000000000000000000000000000000000000000000"],
  ["fp16TieUp", block([127 * (1 + 3 * 2 ** -11), 1, -1, 63.5, -100]),
    "023c7f01ff3f9c000000000000000000000000000000000000000000000000000000"],
  ["negativeMax", block([10, -50, 25, 49.999996]), "4d361981407f00000000000000000000000000000000000000000000000000000000"],
  ["fp16Max", block([127 * 65504, -65504, 1000, 32752]), "ff7b7fff000100000000000000000000000000000000000000000000000000000000"],
  ["fp16Overflow", block([127 * 65520, -65520, 1000]), "007c7fff000000000000000000000000000000000000000000000000000000000000"],
  ["subnormalScale", block([1e-3, -5e-4, 2.5e-4, 1e-7]), "84007fc0200000000000000000000000000000000000000000000000000000000000"],
  ["scaleUnderflow", block([1e-37, -5e-38, 1e-38]), "00000000000000000000000000000000000000000000000000000000000000000000"],
  ["random1", xorshiftBlock(1, 0.1), "730e81851e930fada69bf82d1ed934868649b646947e0e63d35984dd1195be25844b"],
  ["random2", xorshiftBlock(0x9e3779b9, 3.0), "fa21d161fc81677a3a7d29369a7aeec78cc48ef68e760525fa8234b152d07a7c2d04"],
];

const Q4_CASES: [string, Float32Array, string][] = [
  ["zero", block([]), "008088888888888888888888888888888888"],
  ["ties", block([-8, 0.5, -0.5, 7.5, 7.5 - 2 ** -21, -7.5, -7.5 - 2 ** -21, 6.5, 0.5 - 2 ** -25, -1.5, 1.5, 2.5, -2.5, 3.5,
    -3.5, 4.5, -8, 0.25, -0.25, 0.75, -0.75, 7, -7, 8 - 2 ** -21]), "003c0089889f7ff110ff89878a8b868c858d"],
  ["positiveMaxFirst", block([3, 1, -3, 2, -2, 0.375, -0.375, 1.5]), "00b680858f838d8789848888888888888888"],
  ["negativeMaxFirst", block([-3, 1, 3, 2, -2, 0.375, -0.375, 1.5]), "0036808b8f8d8389878c8888888888888888"],
  ["fp16TieDown", block([-8 * (1 + 2 ** -11), 1, -1, 4.5, 7]), "003c8089878c8f8888888888888888888888"],
  ["fp16TieUp", block([-8 * (1 + 3 * 2 ** -11), 1, -1, 4.5, 7]), "023c8089878c8f8888888888888888888888"],
  ["fp16Max", block([8 * 65504, -262016, 100000, 65504]), "fffb808c8687888888888888888888888888"],
  ["subnormalScale", block([-1e-4, 5e-5, -2.5e-5, 7.5e-5]), "d200808c868e888888888888888888888888"],
  ["scaleUnderflow", block([1e-38, -5e-39, 0]), "008000000000000000000000000000000000"],
  ["random1", xorshiftBlock(1, 0.1), "661e30c01af199e352e2076b9a164ba000dd"],
  ["random2", xorshiftBlock(0x9e3779b9, 3.0), "ee31157e18f08eaf8c0fbb3bd25ff7f4b184"],
];

describe("f32ToF16Bits (ggml_compute_fp32_to_fp16)", () => {
  const CASES: [string, number, number][] = [
    ["1", 1, 0x3c00],
    ["-2", -2, 0xc000],
    ["1/3", 1 / 3, 0x3555],
    ["65504 is the largest half", 65504, 0x7bff],
    ["65519.996 rounds down", 65519.996, 0x7bff],
    ["65520 is a tie: to even, which is infinity", 65520, 0x7c00],
    ["-1e6 overflows to -inf", -1e6, 0xfc00],
    ["2^-14 is the smallest normal", 2 ** -14, 0x0400],
    ["2^-24 is the smallest subnormal", 2 ** -24, 0x0001],
    ["2^-25 is a tie: to even zero", 2 ** -25, 0x0000],
    ["3 * 2^-25 is a tie: to even 2 * 2^-24", 3 * 2 ** -25, 0x0002],
    ["1 + 2^-11 is a tie: down to even 1", 1 + 2 ** -11, 0x3c00],
    ["1 + 3 * 2^-11 is a tie: up to even 1 + 2^-9", 1 + 3 * 2 ** -11, 0x3c02],
    ["-0 keeps its sign", -0, 0x8000],
    ["inf", Infinity, 0x7c00],
    ["a float32 subnormal underflows", 1e-40, 0x0000],
  ];
  it.each(CASES)("%s", (_, x, bits) => expect(f32ToF16Bits(x)).toBe(bits));

  it("NaN becomes the quiet NaN 0x7E00 with its sign, as ggml's portable path does", () => {
    expect(f32ToF16Bits(NaN)).toBe(0x7e00);
    expect(f32ToF16Bits(-NaN) & 0x7fff).toBe(0x7e00);
  });

  it("agrees with the independent round-to-nearest-even converter on 655,360 float32 patterns", () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const lows = [0, 1, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x8000, 0xffff];
    for (let hi = 0; hi < 0x10000; hi++) {
      if ((hi & 0x7f80) === 0x7f80) continue; // NaN and infinity exponents: covered above
      for (const lo of lows) {
        u[0] = ((hi << 16) | lo) >>> 0;
        const want = floatBitsToHalfBits(u[0]!);
        const got = f32ToF16Bits(f[0]!);
        if (got !== want) expect.fail(`0x${u[0]!.toString(16)}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
      }
    }
  });

  it("f16BitsToF32 inverts it for every finite half", () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) expect.fail(`0x${h.toString(16)}`);
    }
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });
});

describe("quantizeQ8_0 = quantize_row_q8_0_ref", () => {
  it.each(Q8_CASES)("%s", (_, values, want) => expect(hex(quantizeQ8_0(values))).toBe(want));

  it("the ties block, read by hand: d = 1, roundf sends halves away from zero", () => {
    const b = quantizeQ8_0(Q8_CASES[1]![1]);
    expect([b[0], b[1]]).toEqual([0x00, 0x3c]); // fp16 1.0, little-endian
    expect(Array.from(b.subarray(2, 14), (x) => (x << 24) >> 24)).toEqual([127, 1, -1, 2, -2, 3, -3, 127, -127, 0, 0, 1]);
  });

  it("quantizes blocks independently, in order", () => {
    const two = new Float32Array([...Q8_CASES[3]![1], ...Q8_CASES[9]![1]]);
    expect(hex(quantizeQ8_0(two))).toBe(Q8_CASES[3]![2] + Q8_CASES[9]![2]);
  });
});

describe("quantizeQ4_0 = quantize_row_q4_0_ref", () => {
  it.each(Q4_CASES)("%s", (_, values, want) => expect(hex(quantizeQ4_0(values))).toBe(want));

  it("an all-zero block has d = -0 (0.0f / -8) and every nibble 8", () => {
    const b = quantizeQ4_0(new Float32Array(32));
    expect([b[0], b[1]]).toEqual([0x00, 0x80]);
    expect(b.subarray(2).every((x) => x === 0x88)).toBe(true);
  });

  it("byte j holds element j in the low nibble and element j + 16 in the high one", () => {
    const values = new Float32Array(32);
    values[0] = -8; // d = 1
    values[3] = 2; // nibble 10, low half of byte 3
    values[16 + 3] = -3; // nibble 5, high half of byte 3
    const b = quantizeQ4_0(values);
    expect(b[2 + 3]).toBe(0x5a);
    expect(b[2 + 0]).toBe(0x80); // element 0: trunc(-8 + 8.5) = 0; element 16: 0 -> 8
  });

  it("the sign of d follows the first value of largest magnitude", () => {
    expect(f16BitsToF32(0xb600)).toBe(-0.375); // positiveMaxFirst: d = 3 / -8
    expect(f16BitsToF32(0x3600)).toBe(0.375); // negativeMaxFirst: d = -3 / -8
  });
});

/** Deterministic pseudo-random values (mulberry32), spread over several orders of magnitude per block. */
function randomTensor(blocks: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(blocks * 32);
  for (let b = 0; b < blocks; b++) {
    const scale = 10 ** (rand() * 8 - 5); // 1e-5 .. 1e3
    for (let j = 0; j < 32; j++) out[b * 32 + j] = (rand() * 2 - 1) * scale;
  }
  return out;
}

describe("round trips stay within each format's error bound", () => {
  const data = randomTensor(2000, 42);

  it("Q8_0: |x - q d| <= d / 2 per block, plus what storing d as fp16 costs", () => {
    const bytes = quantizeQ8_0(data);
    expect(bytes.length).toBe(2000 * 34);
    const back = dequantizeQ8_0(bytes);
    for (let b = 0; b < 2000; b++) {
      const x = data.subarray(b * 32, b * 32 + 32);
      const d = Math.fround(Math.max(...x.map(Math.abs)) / 127);
      const d16 = f16BitsToF32(bytes[b * 34]! | (bytes[b * 34 + 1]! << 8));
      const bound = d / 2 + 127 * Math.abs(d - d16) + 1e-6 * d;
      for (let j = 0; j < 32; j++) {
        const err = Math.abs(x[j]! - back[b * 32 + j]!);
        if (err > bound) expect.fail(`block ${b}, element ${j}: error ${err} > ${bound}`);
      }
    }
  });

  it("Q4_0: |x - (q - 8) d| <= |d| per block (d / 2 except where +8 d clamps to +7 d), plus the fp16 cost", () => {
    const bytes = quantizeQ4_0(data);
    expect(bytes.length).toBe(2000 * 18);
    const back = dequantizeQ4_0(bytes);
    for (let b = 0; b < 2000; b++) {
      const x = data.subarray(b * 32, b * 32 + 32);
      const amax = Math.max(...x.map(Math.abs));
      const d = Math.fround(amax / 8);
      const d16 = Math.abs(f16BitsToF32(bytes[b * 18]! | (bytes[b * 18 + 1]! << 8)));
      const bound = d + 8 * Math.abs(d - d16) + 1e-6 * d;
      for (let j = 0; j < 32; j++) {
        const err = Math.abs(x[j]! - back[b * 32 + j]!);
        if (err > bound) expect.fail(`block ${b}, element ${j}: error ${err} > ${bound}`);
      }
    }
  });

  it("dequantizing the ties blocks gives back the integers by hand", () => {
    expect(Array.from(dequantizeQ8_0(quantizeQ8_0(Q8_CASES[1]![1])).subarray(0, 12))).toEqual(
      [127, 1, -1, 2, -2, 3, -3, 127, -127, 0, 0, 1],
    );
    // Q4_0 ties: d = 1, value = nibble - 8.
    expect(Array.from(dequantizeQ4_0(quantizeQ4_0(Q4_CASES[1]![1])).subarray(0, 9))).toEqual([-8, 1, 0, 7, 7, -7, -8, 7, 1]);
  });

  it("F32 is exact and F16 is the fp16 rounding", () => {
    const f32 = decodeTensor("F32", encodeTensor("F32", data, 32), data.length);
    expect(f32).toEqual(data);
    const f16 = decodeTensor("F16", encodeTensor("F16", data, 32), data.length);
    for (let i = 0; i < data.length; i += 97) expect(f16[i]).toBe(f16BitsToF32(f32ToF16Bits(data[i]!)));
  });
});

describe("sizes and refusals", () => {
  it("bytesFor uses [elements, bytes] per block", () => {
    expect(bytesFor("Q4_0", 64)).toBe(36);
    expect(bytesFor("Q8_0", 32)).toBe(34);
    expect(bytesFor("F16", 3)).toBe(6);
    expect(bytesFor("F32", 3)).toBe(12);
    expect(() => bytesFor("Q8_0", 33)).toThrow(QuantizeError);
  });

  it("Q types refuse lengths and rows that are not whole blocks, so callers can fall back", () => {
    expect(() => quantizeQ8_0(new Float32Array(33))).toThrow("Q8_0 needs a multiple of 32 values, got 33: store this tensor as F16 or F32");
    expect(() => quantizeQ4_0(new Float32Array(48))).toThrow(QuantizeError);
    // 64 values are two blocks, but rows of 16 would put two rows in one block.
    expect(() => encodeTensor("Q4_0", new Float32Array(64), 16)).toThrow(/rows of a multiple of 32/);
    expect(canEncode("Q8_0", 896)).toBe(true);
    expect(canEncode("Q8_0", 100)).toBe(false);
    expect(canEncode("F16", 100)).toBe(true);
    expect(() => encodeTensor("BF16", new Float32Array(2), 2)).toThrow(/writing BF16 is not supported/);
  });

  it("BF16 decodes as the upper half of a float32", () => {
    expect(Array.from(decodeTensor("BF16", new Uint8Array([0x80, 0x3f, 0x00, 0xc0]), 2))).toEqual([1, -2]);
  });
});
