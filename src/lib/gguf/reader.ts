// A small GGUF reader, written from the spec (ggml docs/gguf.md) rather than from writer.ts, so that tests of the
// writer catch its mistakes: it parses the header, metadata and tensor infos of a whole file in memory and hands out
// a tensor's bytes. It is strict where llama.cpp's loader (gguf.cpp) is: duplicate keys or names, an alignment that
// is not a power-of-two UINT32, offsets that are not the running padded sum, and data past the end are errors; so are
// non-zero padding bytes and booleans other than 0 / 1. Isomorphic. Not for multi-gigabyte files (it wants one buffer).

import { GGML_TYPE_NAME, GGUF_VALUE_TYPE_NAME, QUANT_BLOCK, type GgmlTypeName, type GgufValueTypeName } from "./constants.ts";
import { GgufError } from "./errors.ts";

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufKv {
  type: GgufValueTypeName;
  /** For arrays, the type of the items. */
  itemType?: GgufValueTypeName;
  /** 64-bit integers are bigints, FLOAT32 values are what the file's float32 holds. */
  value: GgufValue;
}

export interface GgufTensor {
  name: string;
  /** As stored: innermost first (ggml's ne). */
  dims: number[];
  /** Row-major order, outermost first: dims reversed. */
  shape: number[];
  /** The ggml_type number, and its name when it is one of ours. */
  typeId: number;
  type: GgmlTypeName | undefined;
  /** Relative to the data section. */
  offset: number;
  /** Data bytes without padding; undefined for a type we do not know the block size of. */
  byteLength: number | undefined;
}

export interface GgufFile {
  version: number;
  kvs: Map<string, GgufKv>;
  tensors: GgufTensor[];
  alignment: number;
  /** Where the data section starts in the file. */
  dataOffset: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

class Cursor {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number, what: string): number {
    if (this.pos + n > this.bytes.length) {
      throw new GgufError(`truncated file: ${what} at byte ${this.pos} needs ${n} bytes, ${this.bytes.length - this.pos} left`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8 = () => this.view.getUint8(this.need(1, "u8"));
  i8 = () => this.view.getInt8(this.need(1, "i8"));
  u16 = () => this.view.getUint16(this.need(2, "u16"), true);
  i16 = () => this.view.getInt16(this.need(2, "i16"), true);
  u32 = () => this.view.getUint32(this.need(4, "u32"), true);
  i32 = () => this.view.getInt32(this.need(4, "i32"), true);
  f32 = () => this.view.getFloat32(this.need(4, "f32"), true);
  f64 = () => this.view.getFloat64(this.need(8, "f64"), true);
  u64 = () => this.view.getBigUint64(this.need(8, "u64"), true);
  i64 = () => this.view.getBigInt64(this.need(8, "i64"), true);

  /** A u64 that must fit a JS number (counts, lengths, offsets). */
  size(what: string): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(`${what} ${v} is too large`);
    return Number(v);
  }

  string(what: string): string {
    const n = this.size(`${what} length`);
    const at = this.need(n, what);
    try {
      return decoder.decode(this.bytes.subarray(at, at + n));
    } catch {
      throw new GgufError(`${what} at byte ${at} is not valid UTF-8`);
    }
  }
}

function valueType(id: number, where: string): GgufValueTypeName {
  const name = GGUF_VALUE_TYPE_NAME.get(id);
  if (name === undefined) throw new GgufError(`${where}: unknown value type ${id}`);
  return name;
}

function readValue(c: Cursor, type: GgufValueTypeName, where: string): GgufKv {
  switch (type) {
    case "UINT8": return { type, value: c.u8() };
    case "INT8": return { type, value: c.i8() };
    case "UINT16": return { type, value: c.u16() };
    case "INT16": return { type, value: c.i16() };
    case "UINT32": return { type, value: c.u32() };
    case "INT32": return { type, value: c.i32() };
    case "FLOAT32": return { type, value: c.f32() };
    case "FLOAT64": return { type, value: c.f64() };
    case "UINT64": return { type, value: c.u64() };
    case "INT64": return { type, value: c.i64() };
    case "STRING": return { type, value: c.string(where) };
    case "BOOL": {
      const b = c.u8();
      if (b > 1) throw new GgufError(`${where}: a BOOL must be 0 or 1, got ${b}`);
      return { type, value: b === 1 };
    }
    case "ARRAY": {
      const itemType = valueType(c.u32(), where);
      const n = c.size(`${where} array length`);
      const items: GgufValue[] = [];
      for (let i = 0; i < n; i++) items.push(readValue(c, itemType, `${where}[${i}]`).value);
      return { type, itemType, value: items };
    }
  }
}

function alignUp(n: number, alignment: number): number {
  return n + ((alignment - (n % alignment)) % alignment);
}

function checkZeros(bytes: Uint8Array, from: number, to: number, what: string): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) throw new GgufError(`${what}: padding byte ${i} is ${bytes[i]}, not 0`);
  }
}

/** Parses a whole GGUF file (version 2 or 3, little-endian). */
export function parseGguf(bytes: Uint8Array): GgufFile {
  const c = new Cursor(bytes);
  const magic = [c.u8(), c.u8(), c.u8(), c.u8()];
  if (String.fromCharCode(...magic) !== "GGUF") throw new GgufError(`not a GGUF file: starts with bytes ${magic.join(" ")}`);
  const version = c.u32();
  if (version !== 2 && version !== 3) throw new GgufError(`GGUF version ${version}: only 2 and 3 are read`);
  const tensorCount = c.size("tensor count");
  const kvCount = c.size("metadata count");

  const kvs = new Map<string, GgufKv>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`key ${i}`);
    if (kvs.has(key)) throw new GgufError(`duplicate key ${key}`);
    kvs.set(key, readValue(c, valueType(c.u32(), key), key));
  }

  let alignment = 32;
  const a = kvs.get("general.alignment");
  if (a !== undefined) {
    const v = a.value;
    if (a.type !== "UINT32" || typeof v !== "number" || v === 0 || (v & (v - 1)) !== 0) {
      throw new GgufError(`general.alignment must be a power-of-two UINT32, got ${a.type} ${String(v)}`);
    }
    alignment = v;
  }

  const tensors: GgufTensor[] = [];
  const names = new Set<string>();
  let expectedOffset = 0;
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor ${i} name`);
    if (names.has(name)) throw new GgufError(`duplicate tensor ${name}`);
    names.add(name);
    const nDims = c.u32();
    if (nDims < 1 || nDims > 4) throw new GgufError(`${name}: ${nDims} dims, ggml has 1 to 4`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.size(`${name} dim ${d}`));
    const typeId = c.u32();
    const type = GGML_TYPE_NAME.get(typeId);
    const offset = c.size(`${name} offset`);
    let byteLength: number | undefined;
    if (type !== undefined) {
      const [blockElements, blockBytes] = QUANT_BLOCK[type];
      if (dims[0]! % blockElements !== 0) throw new GgufError(`${name}: row of ${dims[0]} is not whole ${type} blocks`);
      byteLength = (dims.reduce((x, y) => x * y, 1) / blockElements) * blockBytes;
    }
    if (!Number.isNaN(expectedOffset) && offset !== expectedOffset) {
      throw new GgufError(`${name}: offset ${offset}, expected ${expectedOffset} (the running sum of padded sizes)`);
    }
    if (byteLength !== undefined) expectedOffset += alignUp(byteLength, alignment);
    else expectedOffset = NaN; // offsets after a tensor of unknown size cannot be checked
    tensors.push({ name, dims, shape: [...dims].reverse(), typeId, type, offset, byteLength });
  }

  const dataOffset = alignUp(c.pos, alignment);
  if (dataOffset > bytes.length) throw new GgufError(`truncated file: the data section would start at ${dataOffset}`);
  checkZeros(bytes, c.pos, dataOffset, "header");
  let end = dataOffset;
  for (const t of tensors) {
    if (t.byteLength === undefined) continue;
    const start = dataOffset + t.offset;
    if (start + t.byteLength > bytes.length) {
      throw new GgufError(`${t.name}: data ends at byte ${start + t.byteLength}, past the end of the file (${bytes.length})`);
    }
    checkZeros(bytes, end, start, `before ${t.name}`);
    end = start + t.byteLength;
  }
  checkZeros(bytes, end, Math.min(bytes.length, alignUp(end - dataOffset, alignment) + dataOffset), "after the last tensor");
  return { version, kvs, tensors, alignment, dataOffset };
}

/** The data bytes of tensor `name` (a view into `bytes`). */
export function tensorBytes(file: GgufFile, bytes: Uint8Array, name: string): Uint8Array {
  const t = file.tensors.find((x) => x.name === name);
  if (!t) throw new GgufError(`no tensor ${name}`);
  if (t.byteLength === undefined) throw new GgufError(`${name}: type ${t.typeId} is not one this reader knows the size of`);
  const start = file.dataOffset + t.offset;
  return bytes.subarray(start, start + t.byteLength);
}
