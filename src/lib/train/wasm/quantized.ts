// Frozen weights kept block-quantized on the CPU backend's heap (int8 / int4: GGUF Q8_0 / Q4_0 values), multiplied
// by wasm/kernels/quant.ts without a float32 copy of the model. The values are quant.ts's (packWeight, the GPU's
// words) rewritten in the kernels' row layout:
//   [ K/32 float32 scales ][ int8: K signed bytes | int4: per 32-value block 16 bytes, low nibbles values 0..15, high
//     nibbles values 16..31, each nibble - 8 ]
// so a weight of N x K values takes N * K * (1 + 1/8) bytes as int8 and N * K * (1/2 + 1/8) as int4.

import { halfBitsToFloatBits } from "../../model/dtypes.ts";
import { packWeight, rowLayout } from "../quant.ts";

export type BlockFormat = "int8" | "int4";

/** A quantized weight on the heap: the view that stands for it in Backend calls, and its shape. */
export interface QuantizedWeight {
  format: BlockFormat;
  bits: 8 | 4;
  /** Rows (out-channels) and values per row (in-channels). */
  N: number;
  K: number;
}

export const BITS: Record<BlockFormat, 8 | 4> = { int8: 8, int4: 4 };

/** Bytes of one row in the kernels' layout. */
export function quantizedRowBytes(format: BlockFormat, K: number): number {
  return (K / 32) * 4 + (K * BITS[format]) / 8;
}

/** `data` (N, K) quantized as `format` (quant.ts's values), in the kernels' row layout. */
export function quantizedRows(data: Float32Array, N: number, K: number, format: BlockFormat, name?: string): Uint8Array {
  const words = packWeight(data, N, K, format, name);
  const lay = rowLayout(format, K);
  const rb = quantizedRowBytes(format, K);
  const nb = K / 32;
  const out = new Uint8Array(N * rb);
  const scales = new Float32Array(nb);
  const scaleBits = new Uint32Array(scales.buffer);
  const wordBytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  for (let r = 0; r < N; r++) {
    const w0 = r * lay.words;
    const o = r * rb;
    for (let b = 0; b < nb; b++) scaleBits[b] = halfBitsToFloatBits((words[w0 + lay.quantWords + (b >> 1)]! >>> ((b & 1) * 16)) & 0xffff);
    out.set(new Uint8Array(scales.buffer), o);
    const q = o + nb * 4;
    if (format === "int8") {
      out.set(wordBytes.subarray(w0 * 4, w0 * 4 + K), q); // value i at byte i (two's complement)
    } else {
      // packWeight: value i's nibble at bits 4 (i % 8) of word i / 8, i.e. byte i / 2, low nibble for even i
      const nib = (i: number) => (wordBytes[w0 * 4 + (i >> 1)]! >> ((i & 1) * 4)) & 15;
      for (let b = 0; b < nb; b++) {
        for (let j = 0; j < 16; j++) out[q + b * 16 + j] = nib(b * 32 + j) | (nib(b * 32 + 16 + j) << 4);
      }
    }
  }
  return out;
}

/** The float32 values of quantized rows (the kernels' dequant_rows in TypeScript: the fallback where they cannot run). */
export function dequantizedRows(rows: Uint8Array, N: number, K: number, format: BlockFormat): Float32Array {
  const out = new Float32Array(N * K);
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  for (let r = 0; r < N; r++) dequantizeRow(out, r * K, view, r, K, format);
  return out;
}

// ids (N), table (V rows of K values, quantized) -> out (N,K): the embedding lookup on a quantized table
export function quantizedLookup(out: Float32Array, ids: Int32Array, rows: Uint8Array, q: QuantizedWeight, N: number): void {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  for (let n = 0; n < N; n++) dequantizeRow(out, n * q.K, view, ids[n]!, q.K, q.format);
}

/** Row `r` of quantized rows (K values each) as float32 into out[o .. o + K). */
function dequantizeRow(out: Float32Array, o: number, view: DataView, r: number, K: number, format: BlockFormat): void {
  const rb = quantizedRowBytes(format, K);
  const nb = K / 32;
  const q = r * rb + nb * 4;
  for (let b = 0; b < nb; b++) {
    const d = view.getFloat32(r * rb + b * 4, true);
    for (let j = 0; j < 32; j++) {
      const v = format === "int8" ? view.getInt8(q + b * 32 + j) : ((view.getUint8(q + b * 16 + (j & 15)) >> (j < 16 ? 0 : 4)) & 15) - 8;
      out[o + b * 32 + j] = Math.fround(v * d);
    }
  }
}
