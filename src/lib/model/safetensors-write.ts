// Writing safetensors files from float32 arrays, stored as F32, F16 or BF16 (round to nearest, ties to even).
// The layout follows the reference writer (huggingface/safetensors): JSON header padded with spaces so the data
// starts at a multiple of 8, tensors contiguous in the data section, ordered by element size (largest first) then
// name, so every tensor stays aligned to its element size. Used by the test fixtures and PEFT adapter export.
// Not here: reading (safetensors.ts).

import { encodeFloats, type FloatDtype, SAFETENSORS_DTYPES } from "./dtypes.ts";
import { SafetensorsError } from "./errors.ts";

export interface TensorToWrite {
  name: string;
  dtype: FloatDtype;
  shape: number[];
  data: Float32Array;
}

/** A whole safetensors file. `file` only names the output in error messages. */
export function writeSafetensors(
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
  file = "model.safetensors",
): Uint8Array {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === "__metadata__") throw new SafetensorsError(file, t.name, "__metadata__ is reserved for metadata: rename the tensor");
    if (seen.has(t.name)) throw new SafetensorsError(file, t.name, "the name is given twice: each tensor needs a unique name");
    seen.add(t.name);
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length) {
      throw new SafetensorsError(file, t.name, `shape [${t.shape.join(", ")}] holds ${count} values but data has ${t.data.length}: fix the shape or the data`);
    }
  }
  const bits = (t: TensorToWrite) => SAFETENSORS_DTYPES[t.dtype].bits;
  const order = [...tensors].sort((a, b) => bits(b) - bits(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of order) {
    const bytes = encodeFloats(t.data, t.dtype);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true); // the high 32 bits stay 0: headers are far below 4 GB
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}
