// Element types of safetensors files (the wire names and bit sizes of the reference implementation's `Dtype`,
// huggingface/safetensors safetensors/src/tensor.rs) and exact conversions between float32 and F16 / BF16.
// Only F32, F16 and BF16 convert to float32; every other dtype is known (so a file holding one still parses and its
// bytes can be read raw) but refused by the converters. Not here: reading files (safetensors.ts).
//
// Typed-array views assume a little-endian host, as safetensors data is little-endian; every browser and Node
// platform FIM Studio runs on is little-endian.

/** Bits per element of each safetensors dtype; `float` marks the ones we convert to and from float32. */
export const SAFETENSORS_DTYPES = {
  BOOL: { bits: 8, float: false },
  F4: { bits: 4, float: false },
  F6_E2M3: { bits: 6, float: false },
  F6_E3M2: { bits: 6, float: false },
  U8: { bits: 8, float: false },
  I8: { bits: 8, float: false },
  F8_E5M2: { bits: 8, float: false },
  F8_E4M3: { bits: 8, float: false },
  F8_E8M0: { bits: 8, float: false },
  I16: { bits: 16, float: false },
  U16: { bits: 16, float: false },
  F16: { bits: 16, float: true },
  BF16: { bits: 16, float: true },
  I32: { bits: 32, float: false },
  U32: { bits: 32, float: false },
  F32: { bits: 32, float: true },
  F64: { bits: 64, float: false },
  I64: { bits: 64, float: false },
  U64: { bits: 64, float: false },
  C64: { bits: 64, float: false },
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;
/** The dtypes that convert to and from float32. */
export type FloatDtype = "F32" | "F16" | "BF16";

export const ALL_DTYPES = Object.keys(SAFETENSORS_DTYPES) as SafetensorsDtype[];
export const FLOAT_DTYPES = ALL_DTYPES.filter((d) => SAFETENSORS_DTYPES[d].float) as FloatDtype[];

export function isSafetensorsDtype(s: string): s is SafetensorsDtype {
  return Object.hasOwn(SAFETENSORS_DTYPES, s);
}

export function isFloatDtype(s: string): s is FloatDtype {
  return isSafetensorsDtype(s) && SAFETENSORS_DTYPES[s].float;
}

/** Bytes taken by `count` elements, or undefined when sub-byte elements do not fill whole bytes. */
export function byteSize(dtype: SafetensorsDtype, count: number): number | undefined {
  const bits = count * SAFETENSORS_DTYPES[dtype].bits;
  return bits % 8 === 0 ? bits / 8 : undefined;
}

// ---- F16 -> F32: a 65536-entry table of float32 bit patterns, built once, exact for every input (subnormals,
// infinities, NaN payloads included).

let halfTable: Uint32Array | undefined;

/** The float32 bit pattern of the IEEE half with bits `h`. */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf, NaN (payload kept)
  if (exp !== 0) return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal half: value = mant * 2^-24; normalise so the leading 1 becomes the implicit bit.
  let e = -14;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | ((e + 127) << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

function getHalfTable(): Uint32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloatBits(h);
  }
  return halfTable;
}

/** IEEE half bits -> float32, element by element. */
export function f16ToF32(src: Uint16Array): Float32Array {
  const table = getHalfTable();
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = table[src[i]!]!;
  return out;
}

/** bfloat16 bits -> float32: the upper half of a float32, so exact by construction. */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

// ---- F32 -> F16 / BF16, round to nearest, ties to even (as numpy and torch do).

/** The IEEE half bit pattern nearest to the float32 with bits `u` (ties to even; overflow -> inf; NaN stays NaN). */
export function floatBitsToHalfBits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // inf; NaN made quiet
  const e = exp - 127 + 15; // the half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e >= 1) {
    let half = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++; // a carry into the exponent is right
    return sign | half;
  }
  if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
  const m = mant | 0x800000; // restore the implicit bit
  const shift = 14 - e; // 14..24
  let half = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++; // may become the smallest normal: right
  return sign | half;
}

/** The bfloat16 bit pattern nearest to the float32 with bits `u` (ties to even; NaN stays NaN). */
export function floatBitsToBf16Bits(u: number): number {
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function f32Bits(src: Float32Array): Uint32Array {
  return new Uint32Array(src.buffer, src.byteOffset, src.length);
}

export function f32ToF16(src: Float32Array): Uint16Array {
  const bits = f32Bits(src);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = floatBitsToHalfBits(bits[i]!);
  return out;
}

export function f32ToBf16(src: Float32Array): Uint16Array {
  const bits = f32Bits(src);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = floatBitsToBf16Bits(bits[i]!);
  return out;
}

/** Little-endian bytes of `data` stored as `dtype`: a fresh array the caller owns. */
export function encodeFloats(data: Float32Array, dtype: FloatDtype): Uint8Array {
  const words = dtype === "F32" ? new Float32Array(data) : dtype === "F16" ? f32ToF16(data) : f32ToBf16(data);
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/** Float32 values of little-endian `bytes` stored as `dtype`: always a fresh array the caller owns. */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  if (dtype === "F32") {
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes); // a byte copy also fixes unaligned data (the format allows it)
    return out;
  }
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const words = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
  return dtype === "F16" ? f16ToF32(words) : bf16ToF32(words);
}
