// A streaming GGUF v3 writer (layout: ggml docs/gguf.md and gguf-py's gguf_writer.py): declare metadata and tensor
// infos, write the header, then each tensor's bytes in declaration order; only the header is held in memory.
// Isomorphic: output goes to a ByteSink (an AtomicFile in Node, a stream or Blob parts in the browser).
// Not here: choosing keys, value types or tensor types (the caller does, see KEY in constants.ts) or encoding
// tensors (quantize.ts).
//
// File layout, all little-endian:
//   u32 magic "GGUF", u32 version 3, u64 tensor count, u64 kv count,
//   each kv: string key, u32 value type, value (string: u64 byte length + UTF-8; array: u32 item type, u64 count, items),
//   each tensor info: string name, u32 n_dims, u64 dims[n_dims] innermost first, u32 ggml type, u64 offset,
//   zero padding to the alignment, then the tensors, each padded with zeros to the alignment.
// Offsets are relative to the start of the data section and are the running sum of the padded sizes in declaration
// order: llama.cpp's loader (gguf.cpp) rejects any other offset.

import {
  GGML_MAX_DIMS, GGML_MAX_NAME_BYTES, GGML_TYPE, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_SCALAR_BYTES,
  GGUF_VALUE_TYPE, GGUF_VERSION, KEY, QUANT_BLOCK, keyFor, type GgmlTypeName, type GgufScalarTypeName,
  type GgufValueTypeName, type KeyRow,
} from "./constants.ts";
import { GgufError } from "./errors.ts";

/**
 * Where the bytes go. The writer awaits each write and never touches a chunk again; tensor bytes are passed through
 * without a copy, so a sink must be done with a chunk (or have copied it) when its promise resolves.
 */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

export type KvScalar = number | bigint | boolean | string;

interface Kv {
  key: string;
  type: GgufValueTypeName;
  itemType?: GgufValueTypeName;
  value: KvScalar | readonly KvScalar[];
}

export interface TensorInfo {
  name: string;
  /** Row-major (PyTorch / safetensors / numpy) order, outermost first: [out_features, in_features] for a Linear. */
  shape: readonly number[];
  type: GgmlTypeName;
  /** Data bytes, without padding. */
  byteLength: number;
  /** Offset of the data from the start of the data section. */
  offset: number;
}

const encoder = new TextEncoder();

/** Integer ranges of the integer value types; 64-bit ones as bigint. */
const INT_RANGE: Partial<Record<GgufScalarTypeName, readonly [bigint, bigint]>> = {
  UINT8: [0n, 0xffn],
  INT8: [-0x80n, 0x7fn],
  UINT16: [0n, 0xffffn],
  INT16: [-0x8000n, 0x7fffn],
  UINT32: [0n, 0xffffffffn],
  INT32: [-0x80000000n, 0x7fffffffn],
  UINT64: [0n, 0xffffffffffffffffn],
  INT64: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

const PUT: Record<GgufScalarTypeName, (view: DataView, at: number, v: KvScalar) => void> = {
  UINT8: (d, at, v) => d.setUint8(at, Number(v)),
  INT8: (d, at, v) => d.setInt8(at, Number(v)),
  UINT16: (d, at, v) => d.setUint16(at, Number(v), true),
  INT16: (d, at, v) => d.setInt16(at, Number(v), true),
  UINT32: (d, at, v) => d.setUint32(at, Number(v), true),
  INT32: (d, at, v) => d.setInt32(at, Number(v), true),
  FLOAT32: (d, at, v) => d.setFloat32(at, v as number, true),
  BOOL: (d, at, v) => d.setUint8(at, v ? 1 : 0),
  UINT64: (d, at, v) => d.setBigUint64(at, BigInt(v as number | bigint), true),
  INT64: (d, at, v) => d.setBigInt64(at, BigInt(v as number | bigint), true),
  FLOAT64: (d, at, v) => d.setFloat64(at, v as number, true),
};

function isScalarType(t: GgufValueTypeName): t is GgufScalarTypeName {
  return t !== "STRING" && t !== "ARRAY";
}

/** Why `value` cannot be stored as `type`, or undefined when it can. */
function valueProblem(type: GgufValueTypeName, value: KvScalar): string | undefined {
  if (type === "STRING") return typeof value === "string" ? undefined : "must be a string";
  if (type === "BOOL") return typeof value === "boolean" ? undefined : "must be a boolean";
  if (type === "FLOAT32" || type === "FLOAT64") return typeof value === "number" ? undefined : "must be a number";
  const range = INT_RANGE[type as GgufScalarTypeName];
  if (!range) return `cannot be a ${type} value`;
  if (typeof value === "number" && !Number.isSafeInteger(value)) return "must be an integer (a bigint past 2^53)";
  if (typeof value !== "number" && typeof value !== "bigint") return "must be an integer";
  const v = BigInt(value);
  return v < range[0] || v > range[1] ? `is out of the ${type} range ${range[0]}..${range[1]}` : undefined;
}

/** A growable little-endian byte buffer for the header. */
class Bytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }

  // reserve() may replace the buffer and its view, so it runs before this.view is read.
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }

  u64(v: number | bigint): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(v), true);
  }

  raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
  }

  string(s: string): void {
    const utf8 = encoder.encode(s);
    this.u64(utf8.length);
    this.raw(utf8);
  }

  scalar(type: GgufScalarTypeName, v: KvScalar): void {
    const at = this.reserve(GGUF_SCALAR_BYTES[type]);
    PUT[type](this.view, at, v);
  }

  zeros(n: number): void {
    this.reserve(n); // new space is zero-filled: the buffer only grows, and is never reused
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function padTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

export interface WriterOptions {
  /**
   * general.alignment: a power of two, at least 8. When given, the writer stores it as a UINT32 key (as gguf-py's
   * add_custom_alignment does); when left out, the file has no such key and readers assume 32.
   */
  alignment?: number;
}

type State = "declaring" | "data" | "done";

export class GgufWriter {
  readonly alignment: number;
  private readonly kvs = new Map<string, Kv>();
  private readonly tensors: TensorInfo[] = [];
  private readonly tensorNames = new Set<string>();
  private dataSize = 0;
  private state: State = "declaring";
  /** The tensor being written and how many of its bytes have been. */
  private current = 0;
  private currentWritten = 0;
  private headerLength = 0;

  constructor(
    private readonly sink: ByteSink,
    options: WriterOptions = {},
  ) {
    const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
    if (!Number.isInteger(alignment) || alignment < 8 || (alignment & (alignment - 1)) !== 0) {
      throw new GgufError(`alignment must be a power of two of at least 8, got ${alignment}`);
    }
    this.alignment = alignment;
    if (options.alignment !== undefined) this.put({ key: KEY.ALIGNMENT.key, type: "UINT32", value: alignment });
  }

  // ---- Metadata. Keys keep their insertion order in the file.

  private put(kv: Kv): void {
    if (this.state !== "declaring") throw new GgufError(`${kv.key}: metadata must be added before writeHeader()`);
    if (kv.key.length === 0 || !/^[\x20-\x7e]+$/.test(kv.key) || kv.key.length > 65535) {
      throw new GgufError(`metadata key ${JSON.stringify(kv.key)}: keys are 1 to 65535 printable ASCII characters`);
    }
    if (this.kvs.has(kv.key)) throw new GgufError(`${kv.key}: key added twice (llama.cpp rejects duplicate keys)`);
    this.kvs.set(kv.key, kv);
  }

  /** One value of a scalar or STRING type, checked against the type's range. */
  addKv(key: string, type: Exclude<GgufValueTypeName, "ARRAY">, value: KvScalar): void {
    refuseAlignmentKey(key);
    const problem = valueProblem(type, value);
    if (problem) throw new GgufError(`${key}: ${JSON.stringify(String(value))} ${problem}`);
    this.put({ key, type, value });
  }

  /** An array of one item type (nested arrays are not written). An empty array is valid GGUF. */
  addArray(key: string, itemType: Exclude<GgufValueTypeName, "ARRAY">, values: readonly KvScalar[]): void {
    refuseAlignmentKey(key);
    for (let i = 0; i < values.length; i++) {
      const problem = valueProblem(itemType, values[i]!);
      if (problem) throw new GgufError(`${key}[${i}]: ${JSON.stringify(String(values[i]))} ${problem}`);
    }
    this.put({ key, type: "ARRAY", itemType, value: [...values] }); // a copy: later changes by the caller do not leak in
  }

  /** A standard key from KEY with the value type llama.cpp's converter uses for it. */
  addKey(row: KeyRow, value: KvScalar | readonly KvScalar[], arch?: string): void {
    const key = keyFor(row, arch);
    if (row.type === "ARRAY") {
      if (!Array.isArray(value)) throw new GgufError(`${key}: must be an array`);
      this.addArray(key, row.itemType as Exclude<GgufValueTypeName, "ARRAY">, value as readonly KvScalar[]);
    } else {
      if (Array.isArray(value)) throw new GgufError(`${key}: must be a single ${row.type} value`);
      this.addKv(key, row.type, value as KvScalar);
    }
  }

  u8(key: string, v: number): void { this.addKv(key, "UINT8", v); }
  i8(key: string, v: number): void { this.addKv(key, "INT8", v); }
  u16(key: string, v: number): void { this.addKv(key, "UINT16", v); }
  i16(key: string, v: number): void { this.addKv(key, "INT16", v); }
  u32(key: string, v: number): void { this.addKv(key, "UINT32", v); }
  i32(key: string, v: number): void { this.addKv(key, "INT32", v); }
  u64(key: string, v: number | bigint): void { this.addKv(key, "UINT64", v); }
  i64(key: string, v: number | bigint): void { this.addKv(key, "INT64", v); }
  f32(key: string, v: number): void { this.addKv(key, "FLOAT32", v); }
  f64(key: string, v: number): void { this.addKv(key, "FLOAT64", v); }
  bool(key: string, v: boolean): void { this.addKv(key, "BOOL", v); }
  string(key: string, v: string): void { this.addKv(key, "STRING", v); }
  arrayOfStrings(key: string, v: readonly string[]): void { this.addArray(key, "STRING", v); }
  arrayOfI32(key: string, v: ArrayLike<number>): void { this.addArray(key, "INT32", Array.from(v)); }
  arrayOfU32(key: string, v: ArrayLike<number>): void { this.addArray(key, "UINT32", Array.from(v)); }
  arrayOfF32(key: string, v: ArrayLike<number>): void { this.addArray(key, "FLOAT32", Array.from(v)); }

  // ---- Tensor infos.

  /**
   * Declares a tensor. `shape` is row-major (PyTorch / safetensors / numpy) order, outermost first; the file stores
   * the dims reversed, innermost first (ggml's ne[0] is the row length), as gguf-py does. Block types need rows that
   * are whole blocks (ggml checks ne[0] % block size). Returns the info with the data offset it will have.
   */
  addTensorInfo(name: string, shape: readonly number[], type: GgmlTypeName): TensorInfo {
    if (this.state !== "declaring") throw new GgufError(`${name}: tensors must be declared before writeHeader()`);
    const nameBytes = encoder.encode(name).length;
    if (nameBytes === 0 || nameBytes > GGML_MAX_NAME_BYTES) {
      throw new GgufError(`tensor name ${JSON.stringify(name)}: must be 1 to ${GGML_MAX_NAME_BYTES} bytes of UTF-8`);
    }
    if (this.tensorNames.has(name)) throw new GgufError(`${name}: tensor declared twice`);
    if (!Object.hasOwn(GGML_TYPE, type)) throw new GgufError(`${name}: unknown tensor type ${type}`);
    if (shape.length < 1 || shape.length > GGML_MAX_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new GgufError(`${name}: shape [${shape.join(", ")}] must have 1 to ${GGML_MAX_DIMS} positive integer dims`);
    }
    const [blockElements, blockBytes] = QUANT_BLOCK[type];
    const rowLength = shape[shape.length - 1]!;
    if (rowLength % blockElements !== 0) {
      throw new GgufError(
        `${name}: rows of ${rowLength} values do not split into ${type} blocks of ${blockElements}: store it as F16 or F32`,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count)) throw new GgufError(`${name}: ${shape.join(" x ")} elements is too many`);
    const byteLength = (count / blockElements) * blockBytes;
    const info: TensorInfo = { name, shape: [...shape], type, byteLength, offset: this.dataSize };
    this.tensors.push(info);
    this.tensorNames.add(name);
    this.dataSize += padTo(info.byteLength, this.alignment);
    return info;
  }

  /** The declared tensors, in file order. */
  get tensorInfos(): readonly TensorInfo[] {
    return this.tensors;
  }

  // ---- Output.

  /** The header bytes: magic, counts, metadata, tensor infos and the padding up to the data section. */
  private header(): Uint8Array {
    const b = new Bytes();
    b.u32(GGUF_MAGIC);
    b.u32(GGUF_VERSION);
    b.u64(this.tensors.length);
    b.u64(this.kvs.size);
    for (const kv of this.kvs.values()) {
      b.string(kv.key);
      b.u32(GGUF_VALUE_TYPE[kv.type]);
      if (kv.type === "ARRAY") {
        const items = kv.value as readonly KvScalar[];
        const itemType = kv.itemType!;
        b.u32(GGUF_VALUE_TYPE[itemType]);
        b.u64(items.length);
        for (const item of items) writeValue(b, itemType, item);
      } else {
        writeValue(b, kv.type, kv.value as KvScalar);
      }
    }
    for (const t of this.tensors) {
      b.string(t.name);
      b.u32(t.shape.length);
      for (let i = t.shape.length - 1; i >= 0; i--) b.u64(t.shape[i]!);
      b.u32(GGML_TYPE[t.type]);
      b.u64(t.offset);
    }
    b.zeros(padTo(b.length, this.alignment) - b.length);
    return b.bytes();
  }

  /** Writes the header; afterwards only tensor data may be written. Returns the sizes of the header and the file. */
  async writeHeader(): Promise<{ headerBytes: number; fileBytes: number }> {
    if (this.state !== "declaring") throw new GgufError("writeHeader() was already called");
    const header = this.header();
    this.state = this.tensors.length === 0 ? "done" : "data";
    this.headerLength = header.length;
    await this.sink.write(header);
    return { headerBytes: header.length, fileBytes: header.length + this.dataSize };
  }

  /**
   * Writes (part of) the data of tensor `name`, which must be the first declared tensor not yet complete. A tensor's
   * bytes may come in several calls; once all have come, the zero padding after it follows.
   */
  async writeTensorData(name: string, bytes: Uint8Array): Promise<void> {
    if (this.state === "declaring") throw new GgufError(`${name}: call writeHeader() before writing tensor data`);
    const t = this.tensors[this.current];
    if (this.state === "done" || !t) throw new GgufError(`${name}: every declared tensor has been written`);
    if (t.name !== name) {
      throw new GgufError(`${name}: tensors must be written in declaration order; ${t.name} comes next`);
    }
    if (this.currentWritten + bytes.length > t.byteLength) {
      throw new GgufError(`${name}: ${this.currentWritten + bytes.length} bytes given, the tensor has ${t.byteLength}`);
    }
    if (bytes.length > 0) await this.sink.write(bytes);
    this.currentWritten += bytes.length;
    if (this.currentWritten < t.byteLength) return;
    const pad = padTo(t.byteLength, this.alignment) - t.byteLength;
    if (pad > 0) await this.sink.write(new Uint8Array(pad));
    this.current++;
    this.currentWritten = 0;
    if (this.current === this.tensors.length) this.state = "done";
  }

  /** Throws unless the header and every tensor's data have been written; returns the file size. */
  finish(): number {
    if (this.state !== "done") {
      const next = this.tensors[this.current];
      throw new GgufError(
        this.state === "declaring" ? "the header was never written" : `tensor ${next?.name} is not (fully) written yet`,
      );
    }
    return this.headerLength + this.dataSize;
  }
}

/** The writer must know the alignment to place tensors, so it owns that key. */
function refuseAlignmentKey(key: string): void {
  if (key === KEY.ALIGNMENT.key) throw new GgufError(`${key}: pass { alignment } to the GgufWriter constructor instead`);
}

function writeValue(b: Bytes, type: GgufValueTypeName, value: KvScalar): void {
  if (type === "STRING") b.string(value as string);
  else if (isScalarType(type)) b.scalar(type, value);
  else throw new GgufError("nested arrays are not written");
}
