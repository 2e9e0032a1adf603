// Reading safetensors files: an 8-byte little-endian header length, a JSON header
// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then the tensor data.
// The header is parsed into a `SafetensorsIndex` first; a tensor's bytes are read afterwards from either the whole
// file in memory or an async byte-range reader, so a multi-GB shard never has to be held at once.
// Strict where a mistake would give wrong numbers (sizes, overlaps, truncation); lenient where the format is
// (gaps between tensors, any header padding, unaligned tensor data). Not here: writing (safetensors-write.ts),
// sharded index files (shards.ts), which tensors a model needs (checkpoint.ts).

import {
  ALL_DTYPES, byteSize, decodeFloats, FLOAT_DTYPES, isFloatDtype, isSafetensorsDtype, type FloatDtype, type SafetensorsDtype,
} from "./dtypes.ts";
import { SafetensorsError } from "./errors.ts";

/** Headers beyond this are refused: real ones are at most a few MB, a bigger length means the file is not safetensors. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a file. `begin`/`end` are absolute byte offsets in the file (header included). */
export interface TensorEntry {
  file: string;
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsIndex {
  file: string;
  /** Bytes of the JSON header (padding included). */
  headerLength: number;
  /** Absolute offset of the data section: 8 + headerLength. */
  dataStart: number;
  /** File size when known (always for an in-memory file). */
  size: number | undefined;
  /** Sorted by offset. */
  tensors: TensorEntry[];
  byName: ReadonlyMap<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Reads bytes [begin, end) of one file; may return fewer bytes only at the end of the file. */
export type RangeReader = (begin: number, end: number) => Promise<Uint8Array>;
/** A whole file in memory, or a way to read byte ranges of it. */
export type ByteSource = Uint8Array | RangeReader;

/** A tensor's stored bytes, not converted. `bytes` may be a view into the caller's buffer. */
export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

/** A tensor as float32, row-major; `data` is always a fresh array the caller owns. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

const TRUNCATED = "the file is truncated: download it again";
const CORRUPT = "the file is corrupt or not a safetensors file: download or export it again";

/** Parse the header of a whole file in memory (synchronous). */
export function parseSafetensors(bytes: Uint8Array, file = "model.safetensors"): SafetensorsIndex {
  const headerLength = parseHeaderLength(bytes.subarray(0, 8), file, bytes.byteLength);
  return parseHeader(bytes.subarray(8, 8 + headerLength), file, bytes.byteLength);
}

/** Read and parse only the header: two range reads when `source` is a reader. `size` enables the end-of-file checks. */
export async function readSafetensorsIndex(source: ByteSource, file: string, size?: number): Promise<SafetensorsIndex> {
  if (source instanceof Uint8Array) return parseSafetensors(source, file);
  const headerLength = parseHeaderLength(await source(0, 8), file, size);
  const header = await source(8, 8 + headerLength);
  if (header.byteLength < headerLength) {
    throw new SafetensorsError(file, undefined, `the header is ${headerLength} bytes but only ${header.byteLength} could be read: ${TRUNCATED}`);
  }
  return parseHeader(header, file, size);
}

/** The u64 little-endian header length, checked against the 100 MB cap and the file size. */
export function parseHeaderLength(first8: Uint8Array, file: string, size: number | undefined): number {
  if (first8.byteLength < 8) {
    throw new SafetensorsError(file, undefined, `the file is ${first8.byteLength} bytes, too short for the 8-byte header length: ${TRUNCATED}`);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES) {
    throw new SafetensorsError(file, undefined, `header length ${n} bytes is absurd (over ${MAX_HEADER_BYTES / 1e6} MB): ${CORRUPT}`);
  }
  if (size !== undefined && 8 + n > size) {
    throw new SafetensorsError(file, undefined, `header length ${n} bytes runs past the end of the file (${size} bytes): ${TRUNCATED}`);
  }
  return n;
}

/** Parse the JSON header bytes (the `headerLength` bytes after the first 8) and validate every entry. */
export function parseHeader(header: Uint8Array, file: string, size: number | undefined): SafetensorsIndex {
  const dataStart = 8 + header.byteLength;
  let json: unknown;
  try {
    // Writers pad with spaces (the reference) or NULs (some others): both are ignored.
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(header).replace(/[\s\0]+$/, ""));
  } catch (e) {
    throw new SafetensorsError(file, undefined, `the header is not valid JSON (${(e as Error).message}): ${CORRUPT}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SafetensorsError(file, undefined, `the header is not a JSON object: ${CORRUPT}`);
  }
  const tensors: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") metadata = parseMetadata(value, file);
    else tensors.push(parseEntry(name, value, file, dataStart));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkLayout(tensors, file, dataStart, size);
  return { file, headerLength: header.byteLength, dataStart, size, tensors, byName: new Map(tensors.map((t) => [t.name, t])), metadata };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new SafetensorsError(file, undefined, `__metadata__ must be an object of strings: ${CORRUPT}`);
  }
  // The format says strings; other writers put numbers there too. Keep them, as text.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

function parseEntry(name: string, value: unknown, file: string, dataStart: number): TensorEntry {
  const fail = (problem: string): never => {
    throw new SafetensorsError(file, name, problem);
  };
  if (typeof value !== "object" || value === null) fail(`the header entry is not an object: ${CORRUPT}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string") return fail(`the header entry has no dtype: ${CORRUPT}`);
  if (!isSafetensorsDtype(dtype)) {
    return fail(`unknown dtype "${dtype}"; safetensors dtypes are ${ALL_DTYPES.join(", ")} (FIM Studio converts ${FLOAT_DTYPES.join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers: ${CORRUPT}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers: ${CORRUPT}`);
  }
  const [b, e] = offsets as [number, number];
  if (b > e) fail(`data_offsets [${b}, ${e}] are out of order (begin after end): ${CORRUPT}`);
  const count = (shape as number[]).reduce((p, d) => p * d, 1);
  const need = byteSize(dtype, count);
  if (need !== e - b) {
    fail(`shape [${shape.join(", ")}] of ${dtype} needs ${need ?? "a fractional number of"} bytes but data_offsets [${b}, ${e}] hold ${e - b}: ${CORRUPT}`);
  }
  return { file, name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e };
}

/** Entries sorted by offset: no two overlap, and none runs past the end of a file of known size. */
function checkLayout(sorted: TensorEntry[], file: string, dataStart: number, size: number | undefined): void {
  const rel = (t: TensorEntry) => `[${t.begin - dataStart}, ${t.end - dataStart}]`; // as the header writes them
  let prev: TensorEntry | undefined;
  for (const t of sorted) {
    if (t.begin === t.end) continue; // empty tensors take no bytes and may share an offset
    if (prev && t.begin < prev.end) {
      throw new SafetensorsError(file, t.name, `data_offsets ${rel(t)} overlap tensor ${prev.name} at ${rel(prev)}: ${CORRUPT}`);
    }
    prev = t;
  }
  if (size !== undefined && prev && prev.end > size) {
    throw new SafetensorsError(file, prev.name, `data_offsets ${rel(prev)} run past the end of the data (${size - dataStart} bytes): ${TRUNCATED}`);
  }
}

/** A tensor's stored bytes. From an in-memory file they are a view (no copy); from a reader, what it returned. */
export async function readRawTensor(source: ByteSource, entry: TensorEntry): Promise<RawTensor> {
  const bytes = source instanceof Uint8Array ? source.subarray(entry.begin, entry.end) : await source(entry.begin, entry.end);
  if (bytes.byteLength !== entry.end - entry.begin) {
    throw new SafetensorsError(
      entry.file,
      entry.name,
      `needs bytes [${entry.begin}, ${entry.end}) of the file but only ${bytes.byteLength} of them could be read: ${TRUNCATED}`,
    );
  }
  return { dtype: entry.dtype, shape: [...entry.shape], bytes };
}

/** A tensor converted to float32 (F32, F16 and BF16 only). */
export async function readTensor(source: ByteSource, entry: TensorEntry): Promise<Tensor> {
  assertConvertible(entry);
  const raw = await readRawTensor(source, entry);
  return { shape: raw.shape, data: decodeFloats(raw.bytes, entry.dtype) };
}

/** Throws unless the entry's dtype converts to float32; loaders call it up front, before reading any data. */
export function assertConvertible(entry: TensorEntry): asserts entry is TensorEntry & { dtype: FloatDtype } {
  if (!isFloatDtype(entry.dtype)) {
    throw new SafetensorsError(
      entry.file,
      entry.name,
      `dtype ${entry.dtype} cannot be converted to float32 (FIM Studio reads ${FLOAT_DTYPES.join(", ")}): ` +
        "use the checkpoint's unquantized float16/bfloat16/float32 weights",
    );
  }
}
