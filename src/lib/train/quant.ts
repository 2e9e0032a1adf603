// Compact storage of frozen base weights (QLoRA style): how an (OC, IC) weight is packed into u32 words for the GPU
// (webgpu/kernels/matmul.wgsl dequantizes inside the tiled matmul) and the reference dequantization the CPU backend
// stores instead, so both backends multiply by the very same float32 values.
//   f16   IEEE half, round to nearest even (every GPU: read from u32 words, shader-f16 not needed)
//   int8  blocks of 32 along IC, an f16 scale each: the values of GGUF Q8_0 (ggml quantize_row_q8_0_ref)
//   int4  blocks of 32 along IC, an f16 scale each: the values of GGUF Q4_0 (ggml quantize_row_q4_0_ref)
// Row layout in u32 words, each row whole so a weight splits into row ranges (matmul.ts binding ranges):
//   [ quants: element i at bits (i % per) * bits of word i / per, per = 32 / bits ][ scales: block b in half b % 2
//   of word b / 2 ], the last word of either part zero-padded. Not here: the kernels, file formats (node/export).

import { floatBitsToHalfBits, halfBitsToFloatBits } from "../model/dtypes.ts";

/**
 * The formats, one row each. id: the FORMAT override of matmul.wgsl. block: values per scale along IC (1 = none).
 * bits: bits per stored value. gguf: the GGML type whose values it reproduces (bytes per block below equal ggml's).
 */
export const WEIGHT_FORMATS = {
  f32: { id: 0, block: 1, bits: 32, gguf: "F32" },
  f16: { id: 1, block: 1, bits: 16, gguf: "F16" },
  int8: { id: 2, block: 32, bits: 8, gguf: "Q8_0" },
  int4: { id: 3, block: 32, bits: 4, gguf: "Q4_0" },
} as const;

export type WeightFormat = keyof typeof WEIGHT_FORMATS;
export const WEIGHT_FORMAT_NAMES = Object.keys(WEIGHT_FORMATS) as WeightFormat[];

/** Bytes per block of `format`: the values' bits plus an f16 scale for block formats (int8 34, int4 18: as GGUF). */
export function bytesPerBlock(format: WeightFormat): number {
  const f = WEIGHT_FORMATS[format];
  return (f.block * f.bits) / 8 + (f.block > 1 ? 2 : 0);
}

export class WeightFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightFormatError";
  }
}

/** Where a row of `cols` values lies in its words: quant words, then scale words (0 without blocks). */
export interface RowLayout {
  quantWords: number;
  scaleWords: number;
  /** quantWords + scaleWords: the row stride in u32 words. */
  words: number;
}

export function rowLayout(format: WeightFormat, cols: number): RowLayout {
  const f = WEIGHT_FORMATS[format];
  const quantWords = Math.ceil((cols * f.bits) / 32);
  const scaleWords = f.block > 1 ? Math.ceil(cols / f.block / 2) : 0;
  return { quantWords, scaleWords, words: quantWords + scaleWords };
}

/** `format` where it can store rows of `cols` values (block formats need whole blocks per row), else "f32". */
export function formatFor(format: WeightFormat, cols: number): WeightFormat {
  return cols % WEIGHT_FORMATS[format].block === 0 ? format : "f32";
}

/** Throws unless `format` can store rows of `cols` values: block formats need whole blocks per row. */
export function checkFormat(format: WeightFormat, cols: number, name = "weight"): void {
  const f = WEIGHT_FORMATS[format];
  if (!f) throw new WeightFormatError(`${name}: unknown weight format "${format}" (one of ${WEIGHT_FORMAT_NAMES.join(", ")})`);
  if (cols % f.block !== 0) {
    throw new WeightFormatError(
      `${name}: ${format} stores blocks of ${f.block} values along each row; rows of ${cols} values do not fill whole blocks: load this model with weights "f16" or "f32"`,
    );
  }
}

const fround = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function halfBits(x: number): number {
  f32[0] = x;
  return floatBitsToHalfBits(u32[0]!);
}

function halfValue(h: number): number {
  u32[0] = halfBitsToFloatBits(h);
  return f32[0]!;
}

/** C's roundf (halves away from zero) of a float32 value. */
function roundf(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/**
 * One block's scale and quants, as ggml computes them (float32 arithmetic, each step rounded with fround):
 *   int8: d = max|x| / 127, q = round(x / d) in -127..127;  int4: d = m / -8 (m: the first value of largest |x|),
 *   q = min(15, trunc(x / d + 8.5)) in 0..15, standing for q - 8. The stored scale is d rounded to f16.
 * A scale whose inverse overflows (max|x| below ~1e-36) gives q = 0, as ggml does on x86; its f16 scale is 0 anyway.
 */
function quantizeBlock(format: "int8" | "int4", x: Float32Array, at: number, n: number, q: Int32Array): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = x[at + j]!;
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  const d = format === "int8" ? fround(amax / 127) : fround(max / -8);
  const id = d !== 0 ? fround(1 / d) : 0;
  if (!Number.isFinite(id)) {
    q.fill(0);
  } else if (format === "int8") {
    for (let j = 0; j < n; j++) q[j] = roundf(fround(x[at + j]! * id)); // |x * id| <= 127 (NaN x: 0, as ggml)
  } else {
    for (let j = 0; j < n; j++) q[j] = Math.min(15, fround(fround(x[at + j]! * id) + 8.5) | 0); // in [0.5, 16.5]: | 0 truncates
  }
  return d;
}

/** The (rows, cols) row-major `data` packed as `format` into rows of rowLayout(format, cols).words u32 words. */
export function packWeight(data: Float32Array, rows: number, cols: number, format: WeightFormat, name = "weight"): Uint32Array {
  checkFormat(format, cols, name);
  if (data.length !== rows * cols) throw new WeightFormatError(`${name}: ${data.length} values, expected ${rows} x ${cols}`);
  const lay = rowLayout(format, cols);
  const out = new Uint32Array(rows * lay.words);
  const bitsOf = new Uint32Array(data.buffer, data.byteOffset, data.length);
  if (format === "f32") {
    out.set(bitsOf);
    return out;
  }
  if (format === "f16") {
    for (let r = 0; r < rows; r++) {
      const x0 = r * cols;
      const w0 = r * lay.words;
      for (let i = 0; i < cols; i += 2) {
        const hi = i + 1 < cols ? floatBitsToHalfBits(bitsOf[x0 + i + 1]!) : 0;
        out[w0 + (i >> 1)] = floatBitsToHalfBits(bitsOf[x0 + i]!) | (hi << 16);
      }
    }
    return out;
  }
  const { block, bits } = WEIGHT_FORMATS[format];
  const per = 32 / bits;
  const mask = (1 << bits) - 1;
  const q = new Int32Array(block);
  for (let r = 0; r < rows; r++) {
    const w0 = r * lay.words;
    for (let b = 0; b < cols / block; b++) {
      const d = quantizeBlock(format, data, r * cols + b * block, block, q);
      out[w0 + lay.quantWords + (b >> 1)]! |= halfBits(d) << ((b & 1) * 16);
      for (let w = 0; w < block / per; w++) {
        let word = 0;
        for (let k = 0; k < per; k++) word |= (q[w * per + k]! & mask) << (k * bits);
        out[w0 + (b * block) / per + w] = word;
      }
    }
  }
  return out;
}

/** The float32 values the kernels read from packed `words`: (rows, cols) row-major. */
export function unpackWeight(words: Uint32Array, rows: number, cols: number, format: WeightFormat): Float32Array {
  const lay = rowLayout(format, cols);
  const out = new Float32Array(rows * cols);
  const { block, bits } = WEIGHT_FORMATS[format];
  const per = 32 / bits;
  for (let r = 0; r < rows; r++) {
    const w0 = r * lay.words;
    for (let i = 0; i < cols; i++) {
      const word = words[w0 + Math.floor(i / per)]!;
      if (format === "f32") {
        u32[0] = word;
        out[r * cols + i] = f32[0]!;
      } else if (format === "f16") {
        out[r * cols + i] = halfValue((word >>> ((i & 1) * 16)) & 0xffff);
      } else {
        const b = Math.floor(i / block);
        const d = halfValue((words[w0 + lay.quantWords + (b >> 1)]! >>> ((b & 1) * 16)) & 0xffff);
        const raw = (word >>> ((i % per) * bits)) & ((1 << bits) - 1);
        const q = format === "int8" ? (raw << 24) >> 24 : raw - 8;
        out[r * cols + i] = fround(q * d);
      }
    }
  }
  return out;
}

/** `data` as a `format` weight holds it: what the CPU backend stores, and the GPU computes with. */
export function frozenValues(data: Float32Array, rows: number, cols: number, format: WeightFormat, name?: string): Float32Array {
  if (format === "f32") return data;
  return unpackWeight(packWeight(data, rows, cols, format, name), rows, cols, format);
}
