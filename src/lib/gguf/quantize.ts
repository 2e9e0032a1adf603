// Tensor encodings of GGUF files, byte-identical to ggml: float32 -> IEEE half as ggml_compute_fp32_to_fp16 does it,
// and the reference quantizers quantize_row_q8_0_ref / quantize_row_q4_0_ref (ggml/src/ggml-quants.c, "reference
// implementation for deterministic creation of model files"), with their dequantizers. Isomorphic: no Node imports.
// Not here: file layout (writer.ts).
//
// Bit-exactness: C evaluates each `float` operation in float32 (FLT_EVAL_METHOD 0 on x86-64 / arm64). Here each
// operation is done in double and rounded once with Math.fround, which gives the same float32 result for +, -, *, /
// (a double holds more than twice float's 24 significant bits, so the double rounding is harmless).
// One C detail has no portable answer: converting a NaN or infinite float to int8_t is undefined. It happens only when
// a block's largest |x| is below ~2.4e-38 (Q4_0) or ~3.7e-37 (Q8_0), where 1/d overflows to infinity; we then do what
// x86's cvttss2si does (the value becomes 0x80000000, whose low byte is 0). Such a block's fp16 scale is 0 anyway.

import { QuantizeError } from "./errors.ts";
import { QUANT_BLOCK, type GgmlTypeName } from "./constants.ts";

const fround = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

function floatOf(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/**
 * The IEEE half bit pattern of float32 `x` (a JS number is rounded to float32 first), as ggml's portable
 * ggml_compute_fp32_to_fp16 (ggml-impl.h, after Maratyszcza/FP16) computes it: round to nearest, ties to even,
 * subnormal halves exact, overflow to infinity, any NaN to the quiet NaN 0x7E00 with its sign. The F16C and arm64
 * hardware paths give the same bits for every non-NaN input.
 */
export function f32ToF16Bits(x: number): number {
  const xf = fround(x);
  const w = bitsOf(xf);
  const scaleToInf = 2 ** 112;
  const scaleToZero = 2 ** -110;
  // Multiplying by 2^112 overflows to infinity exactly when the half overflows; 2^-110 then brings the rest back.
  let base = fround(fround(Math.abs(xf) * scaleToInf) * scaleToZero);
  const shl1w = (w << 1) >>> 0;
  const sign = (w & 0x80000000) >>> 0;
  let bias = (shl1w & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  // Adding a power of two aligned to the half's precision makes float32 addition do the rounding.
  base = fround(floatOf((bias >>> 1) + 0x07800000) + base);
  const bits = bitsOf(base);
  const expBits = (bits >>> 13) & 0x7c00;
  const mantissaBits = bits & 0x0fff;
  const nonsign = expBits + mantissaBits;
  return (sign >>> 16) | (shl1w > 0xff000000 ? 0x7e00 : nonsign);
}

/** The float value of IEEE half bits `h` (exact: every half is a float32). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** C's (int8_t) of a float: truncation, wrapping to 8 bits; NaN and |v| >= 2^31 as x86 gives them (see header). */
function toInt8(v: number): number {
  if (!(Math.abs(v) < 2 ** 31)) return 0;
  return (Math.trunc(v) << 24) >> 24;
}

/** C's roundf: to nearest, halves away from zero (v is a float32 value, so |v| + 0.5 is exact in double). */
function roundf(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

function checkBlocks(type: "Q4_0" | "Q8_0", n: number): number {
  const qk = QUANT_BLOCK[type][0];
  if (n % qk !== 0) {
    throw new QuantizeError(`${type} needs a multiple of ${qk} values, got ${n}: store this tensor as F16 or F32`);
  }
  return n / qk;
}

/** Q8_0 blocks of `src` (length a multiple of 32): per block an fp16 scale d = max|x| / 127, then 32 int8 round(x / d). */
export function quantizeQ8_0(src: Float32Array): Uint8Array {
  const [qk, size] = QUANT_BLOCK.Q8_0;
  const nb = checkBlocks("Q8_0", src.length);
  const out = new Uint8Array(nb * size);
  for (let i = 0; i < nb; i++) {
    const x = i * qk;
    let amax = 0;
    for (let j = 0; j < qk; j++) {
      const a = Math.abs(src[x + j]!);
      amax = amax > a ? amax : a; // MAX(amax, fabsf(v)), NaN handling included
    }
    const d = fround(amax / 127);
    const id = d !== 0 ? fround(1 / d) : 0; // C's `d ? ...` is true for NaN, as `!== 0` is
    const h = f32ToF16Bits(d);
    const o = i * size;
    out[o] = h & 0xff;
    out[o + 1] = h >>> 8;
    for (let j = 0; j < qk; j++) out[o + 2 + j] = toInt8(roundf(fround(src[x + j]! * id))) & 0xff;
  }
  return out;
}

/**
 * Q4_0 blocks of `src` (length a multiple of 32): per block an fp16 scale d = max / -8, where max is the first value of
 * largest |x| with its sign (so d < 0 when that value is positive), then 16 bytes; byte j holds element j in its low
 * nibble and element j + 16 in its high nibble, each min(15, trunc(x / d + 8.5)).
 */
export function quantizeQ4_0(src: Float32Array): Uint8Array {
  const [qk, size] = QUANT_BLOCK.Q4_0;
  const nb = checkBlocks("Q4_0", src.length);
  const out = new Uint8Array(nb * size);
  const half = qk / 2;
  for (let i = 0; i < nb; i++) {
    const x = i * qk;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < qk; j++) {
      const v = src[x + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fround(max / -8);
    const id = d !== 0 ? fround(1 / d) : 0;
    const h = f32ToF16Bits(d);
    const o = i * size;
    out[o] = h & 0xff;
    out[o + 1] = h >>> 8;
    if (Number.isFinite(id)) {
      // |x * id| <= 8, so x * id + 8.5 lies in [0.5, 16.5]: truncation is `| 0`, no int8 wrap-around (measured:
      // 182 vs 140 M values/s measured here; the bit-exactness tests cover both paths)
      for (let j = 0; j < half; j++) {
        const xi0 = Math.min(15, fround(fround(src[x + j]! * id) + 8.5) | 0);
        const xi1 = Math.min(15, fround(fround(src[x + half + j]! * id) + 8.5) | 0);
        out[o + 2 + j] = xi0 | (xi1 << 4);
      }
      continue;
    }
    for (let j = 0; j < half; j++) {
      const x0 = fround(src[x + j]! * id);
      const x1 = fround(src[x + half + j]! * id);
      const xi0 = Math.min(15, toInt8(fround(x0 + 8.5))) & 0xff; // MIN(15, (int8_t)...) stored as uint8_t
      const xi1 = Math.min(15, toInt8(fround(x1 + 8.5))) & 0xff;
      out[o + 2 + j] = (xi0 | (xi1 << 4)) & 0xff;
    }
  }
  return out;
}

/** `n` floats (default: all blocks) from Q8_0 bytes: q * d, as dequantize_row_q8_0. */
export function dequantizeQ8_0(bytes: Uint8Array, n = wholeBlocks("Q8_0", bytes)): Float32Array {
  const [qk, size] = QUANT_BLOCK.Q8_0;
  const nb = checkBlocks("Q8_0", n);
  checkLength("Q8_0", bytes, nb * size);
  const out = new Float32Array(n);
  for (let i = 0; i < nb; i++) {
    const o = i * size;
    const d = f16BitsToF32(bytes[o]! | (bytes[o + 1]! << 8));
    for (let j = 0; j < qk; j++) out[i * qk + j] = ((bytes[o + 2 + j]! << 24) >> 24) * d;
  }
  return out;
}

/** `n` floats (default: all blocks) from Q4_0 bytes: (nibble - 8) * d, as dequantize_row_q4_0. */
export function dequantizeQ4_0(bytes: Uint8Array, n = wholeBlocks("Q4_0", bytes)): Float32Array {
  const [qk, size] = QUANT_BLOCK.Q4_0;
  const nb = checkBlocks("Q4_0", n);
  checkLength("Q4_0", bytes, nb * size);
  const out = new Float32Array(n);
  const half = qk / 2;
  for (let i = 0; i < nb; i++) {
    const o = i * size;
    const d = f16BitsToF32(bytes[o]! | (bytes[o + 1]! << 8));
    for (let j = 0; j < half; j++) {
      const q = bytes[o + 2 + j]!;
      out[i * qk + j] = ((q & 0x0f) - 8) * d;
      out[i * qk + half + j] = ((q >>> 4) - 8) * d;
    }
  }
  return out;
}

/** The element count of all the whole blocks in `bytes`. */
function wholeBlocks(type: "Q4_0" | "Q8_0", bytes: Uint8Array): number {
  const [elements, size] = QUANT_BLOCK[type];
  return Math.floor(bytes.length / size) * elements;
}

function checkLength(type: GgmlTypeName, bytes: Uint8Array, expected: number): void {
  if (bytes.length < expected) {
    throw new QuantizeError(`${type}: ${expected} bytes needed, got ${bytes.length}: the tensor data is truncated`);
  }
}

/** Bytes taken by `n` elements of `type`; throws when `n` is not a whole number of blocks. */
export function bytesFor(type: GgmlTypeName, n: number): number {
  const [elements, bytes] = QUANT_BLOCK[type];
  if (!Number.isSafeInteger(n) || n < 0 || n % elements !== 0) {
    throw new QuantizeError(`${type} stores blocks of ${elements} values; ${n} values do not fill whole blocks`);
  }
  return (n / elements) * bytes;
}

/** Whether rows of `rowLength` values can be stored as `type` (ggml requires whole blocks per row). */
export function canEncode(type: GgmlTypeName, rowLength: number): boolean {
  return rowLength > 0 && rowLength % QUANT_BLOCK[type][0] === 0;
}

// ---- Whole tensors: one entry per type we write or read.

function f32Bytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

function f16Bytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  for (let i = 0; i < data.length; i++) {
    const h = f32ToF16Bits(data[i]!);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

type Get = (view: DataView, at: number) => number;

function floatsFrom(bytes: Uint8Array, n: number, width: 2 | 4, get: Get): Float32Array {
  if (bytes.length < n * width) throw new QuantizeError(`${n * width} bytes needed, got ${bytes.length}: truncated data`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = get(view, i * width);
  return out;
}

interface Codec {
  /** Absent for types we read but do not write. */
  encode?: (data: Float32Array) => Uint8Array;
  decode: (bytes: Uint8Array, n: number) => Float32Array;
}

const CODECS: Record<GgmlTypeName, Codec> = {
  F32: { encode: f32Bytes, decode: (b, n) => floatsFrom(b, n, 4, (v, at) => v.getFloat32(at, true)) },
  F16: { encode: f16Bytes, decode: (b, n) => floatsFrom(b, n, 2, (v, at) => f16BitsToF32(v.getUint16(at, true))) },
  Q8_0: { encode: quantizeQ8_0, decode: dequantizeQ8_0 },
  Q4_0: { encode: quantizeQ4_0, decode: dequantizeQ4_0 },
  BF16: { decode: (b, n) => floatsFrom(b, n, 2, (v, at) => floatOf(v.getUint16(at, true) << 16)) },
};

/**
 * The little-endian bytes of a row-major tensor whose innermost dimension (row) has `rowLength` values. Throws
 * QuantizeError when a block type's blocks would straddle rows: callers then fall back to F16 or F32.
 */
export function encodeTensor(type: GgmlTypeName, data: Float32Array, rowLength: number): Uint8Array {
  const encode = CODECS[type].encode;
  if (!encode) throw new QuantizeError(`writing ${type} is not supported: use F16 or F32`);
  if (!canEncode(type, rowLength) || data.length % rowLength !== 0) {
    throw new QuantizeError(
      `${type} needs rows of a multiple of ${QUANT_BLOCK[type][0]} values; this tensor has ${data.length} values in rows of ${rowLength}: store it as F16 or F32`,
    );
  }
  return encode(data);
}

/** `n` float values of a tensor stored as `type`. */
export function decodeTensor(type: GgmlTypeName, bytes: Uint8Array, n: number): Float32Array {
  return CODECS[type].decode(bytes, n);
}
