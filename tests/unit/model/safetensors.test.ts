// safetensors: the writer's bytes against hand-computed ones, round trips per dtype, header-first range reading, the
// format's leniencies (unaligned data, gaps, empty tensors) and every malformed-file error with its exact message.

import { describe, expect, it } from "vitest";
import {
  parseSafetensors, parseShardIndex, readRawTensor, readSafetensorsIndex, readTensor, SafetensorsError, writeSafetensors,
  type RangeReader,
} from "../../../src/lib/model/index.ts";

const F = "model.safetensors";

/** A file from a header (object or raw text) and data bytes; `length` overrides the header-length field. */
function fileWith(header: unknown, data: ArrayLike<number> = [], length?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.length);
  const view = new DataView(out.buffer);
  const n = length ?? json.byteLength;
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

const headerOf = (file: Uint8Array) => {
  const n = new DataView(file.buffer, file.byteOffset).getUint32(0, true);
  return { n, text: new TextDecoder().decode(file.subarray(8, 8 + n)) };
};

describe("writeSafetensors", () => {
  const file = writeSafetensors(
    [
      { name: "half", dtype: "F16", shape: [2, 2], data: new Float32Array([1, 65504, 2 ** -24, 1 / 3]) },
      { name: "brain", dtype: "BF16", shape: [3], data: new Float32Array([1, -2, 1 / 3]) },
      { name: "full", dtype: "F32", shape: [1], data: new Float32Array([1]) },
    ],
    { format: "pt" },
  );

  it("pads the header with spaces so the data starts at a multiple of 8", () => {
    const { n, text } = headerOf(file);
    expect((8 + n) % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    expect(JSON.parse(text)).toEqual({
      __metadata__: { format: "pt" },
      full: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      brain: { dtype: "BF16", shape: [3], data_offsets: [4, 10] },
      half: { dtype: "F16", shape: [2, 2], data_offsets: [10, 18] },
    });
    expect(file.byteLength).toBe(8 + n + 18);
  });

  it("stores the hand-computed little-endian bit patterns", () => {
    const data = [...file.subarray(file.byteLength - 18)];
    expect(data.slice(0, 4)).toEqual([0x00, 0x00, 0x80, 0x3f]); // F32 1.0 = 0x3F800000
    expect(data.slice(4, 10)).toEqual([0x80, 0x3f, 0x00, 0xc0, 0xab, 0x3e]); // BF16 1, -2, 1/3
    expect(data.slice(10)).toEqual([0x00, 0x3c, 0xff, 0x7b, 0x01, 0x00, 0x55, 0x35]); // F16 1, 65504, 2^-24, 1/3
  });

  it("reads back what each dtype can hold", async () => {
    const index = parseSafetensors(file);
    expect(index.metadata).toEqual({ format: "pt" });
    expect(index.tensors.map((t) => t.name)).toEqual(["full", "brain", "half"]);
    const get = async (name: string) => readTensor(file, index.byName.get(name)!);
    expect(await get("half")).toEqual({ shape: [2, 2], data: new Float32Array([1, 65504, 2 ** -24, 0.333251953125]) });
    expect(await get("brain")).toEqual({ shape: [3], data: new Float32Array([1, -2, 0.333984375]) });
    expect(await get("full")).toEqual({ shape: [1], data: new Float32Array([1]) });
  });

  it.each(["F32", "F16", "BF16"] as const)("round-trips values exactly representable in %s", async (dtype) => {
    const values = new Float32Array([0, -0, 1, -1.5, 0.25, 3, -0.0078125, 96, 2 ** -14, Infinity, -Infinity]);
    const f = writeSafetensors([{ name: "x", dtype, shape: [values.length], data: values }]);
    const got = await readTensor(f, parseSafetensors(f).byName.get("x")!);
    expect([...got.data]).toEqual([...values]);
    expect(Object.is(got.data[1], -0)).toBe(true);
  });

  it("refuses duplicate names and data that does not fill the shape", () => {
    const t = { name: "a", dtype: "F32" as const, shape: [2], data: new Float32Array(2) };
    expect(() => writeSafetensors([t, t])).toThrow(new SafetensorsError(F, "a", "the name is given twice: each tensor needs a unique name"));
    expect(() => writeSafetensors([{ ...t, shape: [3] }])).toThrow("model.safetensors, tensor a: shape [3] holds 3 values but data has 2: fix the shape or the data");
  });
});

describe("header-first reading", () => {
  const big = new Float32Array(1000).map((_, i) => i / 8);
  const file = writeSafetensors([
    { name: "a", dtype: "F32", shape: [10, 100], data: big },
    { name: "b", dtype: "F32", shape: [4], data: new Float32Array([1, 2, 3, 4]) },
  ]);

  it("reads two ranges for the header and one per tensor, never the whole file", async () => {
    const calls: [number, number][] = [];
    const reader: RangeReader = async (begin, end) => (calls.push([begin, end]), file.slice(begin, end));
    const index = await readSafetensorsIndex(reader, F, file.byteLength);
    expect(calls).toEqual([[0, 8], [8, index.dataStart]]);
    const b = index.byName.get("b")!;
    expect(await readTensor(reader, b)).toEqual({ shape: [4], data: new Float32Array([1, 2, 3, 4]) });
    expect(calls[2]).toEqual([b.begin, b.end]);
    expect(b.end - b.begin).toBe(16);
    expect((await readTensor(reader, index.byName.get("a")!)).data).toEqual(big);
  });

  it("raw access gives the stored bytes, unconverted", async () => {
    const index = parseSafetensors(file);
    const raw = await readRawTensor(file, index.byName.get("b")!);
    expect(raw.dtype).toBe("F32");
    expect(raw.shape).toEqual([4]);
    expect([...raw.bytes.subarray(0, 4)]).toEqual([0, 0, 0x80, 0x3f]);
  });

  it("a reader that comes back short is a truncated file", async () => {
    const index = parseSafetensors(file);
    const short: RangeReader = async (begin, end) => file.slice(begin, end - 1);
    const b = index.byName.get("b")!;
    await expect(readTensor(short, b)).rejects.toThrow(
      `model.safetensors, tensor b: needs bytes [${b.begin}, ${b.end}) of the file but only 15 of them could be read: the file is truncated: download it again`,
    );
  });
});

describe("what the format allows", () => {
  it("unaligned tensor data, gaps between tensors, NUL padding, empty tensors", async () => {
    // 1 byte of junk, then an F32 at an odd offset, a gap of 3, an F16, and an empty tensor.
    const data = [0xee, 0, 0, 0x80, 0x3f, 9, 9, 9, 0x00, 0x3c];
    const header = JSON.stringify({
      odd: { dtype: "F32", shape: [1], data_offsets: [1, 5] },
      half: { dtype: "F16", shape: [1], data_offsets: [8, 10] },
      empty: { dtype: "F32", shape: [0, 4], data_offsets: [8, 8] },
    }) + "\0\0\0";
    const file = fileWith(header, data);
    const index = parseSafetensors(file);
    expect((await readTensor(file, index.byName.get("odd")!)).data).toEqual(new Float32Array([1]));
    expect((await readTensor(file, index.byName.get("half")!)).data).toEqual(new Float32Array([1]));
    expect(await readTensor(file, index.byName.get("empty")!)).toEqual({ shape: [0, 4], data: new Float32Array(0) });
  });

  it("a known dtype we do not convert parses, and reads raw, but not as float32", async () => {
    const file = fileWith({ w: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] } }, [0x38, 0x40]);
    const entry = parseSafetensors(file).byName.get("w")!;
    expect([...(await readRawTensor(file, entry)).bytes]).toEqual([0x38, 0x40]);
    await expect(readTensor(file, entry)).rejects.toThrow(
      "model.safetensors, tensor w: dtype F8_E4M3 cannot be converted to float32 (FIM Studio reads F16, BF16, F32): use the checkpoint's unquantized float16/bfloat16/float32 weights",
    );
  });
});

describe("malformed files", () => {
  const CORRUPT = "the file is corrupt or not a safetensors file: download or export it again";
  const TRUNC = "the file is truncated: download it again";
  const w = (over: object) => ({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8], ...over } });
  const CASES: [string, Uint8Array, string][] = [
    ["shorter than the length field", new Uint8Array(5), `model.safetensors: the file is 5 bytes, too short for the 8-byte header length: ${TRUNC}`],
    ["header length beyond the file", fileWith("{}", [], 100), `model.safetensors: header length 100 bytes runs past the end of the file (10 bytes): ${TRUNC}`],
    ["absurd header length", fileWith("{}", [], 2 ** 40), `model.safetensors: header length 1099511627776 bytes is absurd (over 100 MB): ${CORRUPT}`],
    ["header not an object", fileWith("[1, 2]"), `model.safetensors: the header is not a JSON object: ${CORRUPT}`],
    ["unknown dtype", fileWith(w({ dtype: "Q4_K" }), new Uint8Array(8)),
      'model.safetensors, tensor w: unknown dtype "Q4_K"; safetensors dtypes are BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, ' +
      "F8_E4M3, F8_E8M0, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, C64 (FIM Studio converts F16, BF16, F32)"],
    ["shape and offsets disagree", fileWith(w({ shape: [3] }), new Uint8Array(8)),
      `model.safetensors, tensor w: shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8: ${CORRUPT}`],
    ["bad shape", fileWith(w({ shape: [2.5] }), new Uint8Array(8)), `model.safetensors, tensor w: shape [2.5] is not a list of non-negative integers: ${CORRUPT}`],
    ["offsets out of order", fileWith(w({ data_offsets: [8, 0] }), new Uint8Array(8)),
      `model.safetensors, tensor w: data_offsets [8, 0] are out of order (begin after end): ${CORRUPT}`],
    ["overlapping tensors", fileWith({ ...w({}), v: { dtype: "F16", shape: [2], data_offsets: [6, 10] } }, new Uint8Array(10)),
      `model.safetensors, tensor v: data_offsets [6, 10] overlap tensor w at [0, 8]: ${CORRUPT}`],
    ["data beyond the end", fileWith(w({}), new Uint8Array(6)), `model.safetensors, tensor w: data_offsets [0, 8] run past the end of the data (6 bytes): ${TRUNC}`],
    ["no dtype", fileWith({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), `model.safetensors, tensor w: the header entry has no dtype: ${CORRUPT}`],
  ];
  it.each(CASES)("%s", (_, file, message) => {
    expect(() => parseSafetensors(file)).toThrow(SafetensorsError);
    expect(() => parseSafetensors(file)).toThrow(message);
    try {
      parseSafetensors(file);
    } catch (e) {
      expect((e as Error).message).toBe(message);
    }
  });

  it("invalid JSON names the file and the parser's complaint", () => {
    expect(() => parseSafetensors(fileWith('{"w": {'), "shard-3.safetensors")).toThrow(
      /^shard-3\.safetensors: the header is not valid JSON \(.+\): the file is corrupt or not a safetensors file/,
    );
  });

  it("a writer's file cut short is caught before any tensor is read", async () => {
    const file = writeSafetensors([
      { name: "a", dtype: "F32", shape: [2], data: new Float32Array(2) },
      { name: "b", dtype: "F32", shape: [4], data: new Float32Array(4) },
    ]);
    const cut = file.slice(0, file.byteLength - 4);
    expect(() => parseSafetensors(cut, "model-00002-of-00002.safetensors")).toThrow(
      `model-00002-of-00002.safetensors, tensor b: data_offsets [8, 24] run past the end of the data (20 bytes): ${TRUNC}`,
    );
    // The same through a range reader that knows the size.
    await expect(readSafetensorsIndex(async (b, e) => cut.slice(b, e), F, cut.byteLength)).rejects.toThrow(/tensor b: data_offsets \[8, 24\] run past/);
  });
});

describe("model.safetensors.index.json", () => {
  it("maps tensors to shard files in order of first mention", () => {
    const idx = parseShardIndex({ metadata: { total_size: 10 }, weight_map: { a: "s2", b: "s1", c: "s2" } });
    expect(idx.files).toEqual(["s2", "s1"]);
    expect(idx.weightMap.get("b")).toBe("s1");
    expect(idx.metadata).toEqual({ total_size: 10 });
  });

  it("refuses a missing weight_map and paths outside the folder", () => {
    expect(() => parseShardIndex({ metadata: {} })).toThrow(
      'model.safetensors.index.json: has no "weight_map" object: it is not a safetensors shard index; download it again',
    );
    expect(() => parseShardIndex({ weight_map: { a: "../x.safetensors" } })).toThrow(
      'model.safetensors.index.json, tensor a: weight_map entry "../x.safetensors" is not a file name in the checkpoint folder',
    );
  });
});
