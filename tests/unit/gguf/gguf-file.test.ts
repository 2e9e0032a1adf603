// The GGUF writer: a tiny file checked byte by byte against a layout written out by hand from docs/gguf.md, round
// trips through our spec-reading reader (every value type, several tensor types, three alignments, data written in
// pieces), the same files parsed by @huggingface/gguf (an independent parser), and every misuse the writer refuses.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { afterAll, describe, expect, it } from "vitest";
import { openAtomic } from "../../../node/export/src/atomic-writer.ts";
import { GGML_TYPE, GGUF_VALUE_TYPE, KEY, LLAMA_FILE_TYPE, tensorName } from "../../../src/lib/gguf/constants.ts";
import { GgufError } from "../../../src/lib/gguf/errors.ts";
import { encodeTensor } from "../../../src/lib/gguf/quantize.ts";
import { parseGguf, tensorBytes } from "../../../src/lib/gguf/reader.ts";
import { GgufWriter, type ByteSink } from "../../../src/lib/gguf/writer.ts";

/** A sink that keeps every chunk, and the whole file once asked. */
function memorySink(): ByteSink & { chunks: Uint8Array[]; bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    async write(b) {
      chunks.push(b);
    },
    bytes() {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
}

const u32le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const u64le = (v: number) => [...u32le(v), 0, 0, 0, 0];
const ascii = (s: string) => Array.from(s, (ch) => ch.charCodeAt(0));
const str = (s: string) => [...u64le(s.length), ...ascii(s)];

describe("a tiny file, byte by byte", () => {
  it("matches the layout of docs/gguf.md", async () => {
    const sink = memorySink();
    const w = new GgufWriter(sink);
    w.string("general.architecture", "llama");
    w.u32("x.n", 7);
    // shape [2, 3] in row-major order: 2 rows of 3, stored as dims [3, 2].
    w.addTensorInfo("a", [2, 3], "F16");
    expect(await w.writeHeader()).toEqual({ headerBytes: 160, fileBytes: 192 });
    await w.writeTensorData("a", new Uint8Array([0x00, 0x3c, 0x00, 0x40, 0x00, 0x42, 0x00, 0x44, 0x00, 0x45, 0x00, 0x46]));
    expect(w.finish()).toBe(192);

    const want = [
      0x47, 0x47, 0x55, 0x46, // "GGUF"
      ...u32le(3), // version
      ...u64le(1), // tensor count
      ...u64le(2), // kv count
      ...str("general.architecture"), ...u32le(8), ...str("llama"), // key, STRING, value: 45 bytes
      ...str("x.n"), ...u32le(4), ...u32le(7), // key, UINT32, value: 19 bytes
      ...str("a"), ...u32le(2), ...u64le(3), ...u64le(2), ...u32le(1), ...u64le(0), // name, n_dims, ne[0..1], F16, offset
      ...new Array(31).fill(0), // 24 + 45 + 19 + 41 = 129 bytes so far, padded to 160
      0x00, 0x3c, 0x00, 0x40, 0x00, 0x42, 0x00, 0x44, 0x00, 0x45, 0x00, 0x46, // F16 1..6
      ...new Array(20).fill(0), // 12 data bytes padded to 32
    ];
    expect(Array.from(sink.bytes())).toEqual(want);
  });

  it("a file with no tensors is just the header, padded", async () => {
    const sink = memorySink();
    const w = new GgufWriter(sink);
    w.bool("b", true);
    await w.writeHeader();
    expect(w.finish()).toBe(64);
    expect(Array.from(sink.bytes())).toEqual([
      0x47, 0x47, 0x55, 0x46, ...u32le(3), ...u64le(0), ...u64le(1), // 24 bytes
      ...str("b"), ...u32le(7), 1, // 14 bytes: 38 in all, padded to 64
      ...new Array(26).fill(0),
    ]);
  });
});

interface Fixture {
  bytes: Uint8Array;
  tensors: Record<string, { shape: number[]; type: keyof typeof GGML_TYPE; data: Uint8Array }>;
}

/** A small random tensor's encoded bytes. */
function tensorData(type: "F32" | "F16" | "Q8_0" | "Q4_0", shape: number[], seed: number): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n).map((_, i) => Math.sin(seed * 1000 + i) * (1 + (i % 7)));
  return encodeTensor(type, values, shape[shape.length - 1]!);
}

const U64_BIG = 2n ** 63n + 5n;
const I64_NEG = -(2n ** 62n) - 3n;

/** Writes a file with every value type and five tensors (one of them in three pieces). */
async function writeFixture(sink: ByteSink, alignment?: number): Promise<Omit<Fixture, "bytes">> {
  const w = new GgufWriter(sink, alignment === undefined ? {} : { alignment });
  w.addKey(KEY.ARCHITECTURE, "qwen2");
  w.addKey(KEY.BLOCK_COUNT, 2, "qwen2");
  w.addKey(KEY.LAYERNORM_RMS_EPS, 1e-6, "qwen2");
  w.addKey(KEY.FILE_TYPE, LLAMA_FILE_TYPE.MOSTLY_Q8_0);
  w.u8("t.u8", 255);
  w.i8("t.i8", -128);
  w.u16("t.u16", 65535);
  w.i16("t.i16", -32768);
  w.u32("t.u32", 4294967295);
  w.i32("t.i32", -2147483648);
  w.f32("t.f32", 0.1);
  w.f64("t.f64", 0.1);
  w.bool("t.true", true);
  w.bool("t.false", false);
  w.string("t.string", "héllo ✓ <|fim_prefix|>");
  w.string("t.empty_string", "");
  w.u64("t.u64", U64_BIG);
  w.i64("t.i64", I64_NEG);
  w.addKey(KEY.TOKENS, ["a", "Ġb", "<|endoftext|>"]);
  w.addKey(KEY.TOKEN_TYPE, [1, 1, 3]);
  w.addKey(KEY.SCORES, [0, -1.5, 2.25]);
  w.arrayOfU32("t.u32s", [0, 1, 4294967295]);
  w.addArray("t.u8s", "UINT8", [0, 128, 255]);
  w.addArray("t.bools", "BOOL", [true, false]);
  w.addArray("t.u64s", "UINT64", [1n, U64_BIG]);
  w.addArray("t.empty", "INT32", []);
  const specs: [string, number[], "F32" | "F16" | "Q8_0" | "Q4_0"][] = [
    [tensorName("OUTPUT_NORM"), [3], "F32"],
    [tensorName("ATTN_Q", 0, "bias"), [2, 5], "F16"],
    [tensorName("ATTN_Q", 0), [2, 64], "Q8_0"],
    [tensorName("FFN_DOWN", 1), [3, 32], "Q4_0"],
    [tensorName("TOKEN_EMBD"), [1], "F32"],
  ];
  const tensors: Fixture["tensors"] = {};
  specs.forEach(([name, shape, type], i) => {
    tensors[name] = { shape, type, data: tensorData(type, shape, i) };
    w.addTensorInfo(name, shape, type);
  });
  await w.writeHeader();
  for (const [name, { data }] of Object.entries(tensors)) {
    if (name === tensorName("ATTN_Q", 0)) {
      // In three pieces, one of them empty.
      await w.writeTensorData(name, data.subarray(0, 10));
      await w.writeTensorData(name, data.subarray(10, 10));
      await w.writeTensorData(name, data.subarray(10));
    } else {
      await w.writeTensorData(name, data);
    }
  }
  w.finish();
  return { tensors };
}

async function fixture(alignment?: number): Promise<Fixture> {
  const sink = memorySink();
  const { tensors } = await writeFixture(sink, alignment);
  return { bytes: sink.bytes(), tensors };
}

describe.each([undefined, 8, 64])("round trip through the reader, alignment %s", (alignment) => {
  it("reads back every key with its type and value", async () => {
    const { bytes } = await fixture(alignment);
    const file = parseGguf(bytes);
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(alignment ?? 32);
    const kv = (k: string) => file.kvs.get(k);
    if (alignment !== undefined) expect(kv("general.alignment")).toEqual({ type: "UINT32", value: alignment });
    else expect(kv("general.alignment")).toBeUndefined();
    expect(kv("general.architecture")).toEqual({ type: "STRING", value: "qwen2" });
    expect(kv("qwen2.block_count")).toEqual({ type: "UINT32", value: 2 });
    expect(kv("qwen2.attention.layer_norm_rms_epsilon")).toEqual({ type: "FLOAT32", value: Math.fround(1e-6) });
    expect(kv("general.file_type")).toEqual({ type: "UINT32", value: 7 });
    expect(kv("t.u8")).toEqual({ type: "UINT8", value: 255 });
    expect(kv("t.i8")).toEqual({ type: "INT8", value: -128 });
    expect(kv("t.u16")).toEqual({ type: "UINT16", value: 65535 });
    expect(kv("t.i16")).toEqual({ type: "INT16", value: -32768 });
    expect(kv("t.u32")).toEqual({ type: "UINT32", value: 4294967295 });
    expect(kv("t.i32")).toEqual({ type: "INT32", value: -2147483648 });
    expect(kv("t.f32")).toEqual({ type: "FLOAT32", value: Math.fround(0.1) });
    expect(kv("t.f64")).toEqual({ type: "FLOAT64", value: 0.1 });
    expect(kv("t.true")).toEqual({ type: "BOOL", value: true });
    expect(kv("t.false")).toEqual({ type: "BOOL", value: false });
    expect(kv("t.string")).toEqual({ type: "STRING", value: "héllo ✓ <|fim_prefix|>" });
    expect(kv("t.empty_string")).toEqual({ type: "STRING", value: "" });
    expect(kv("t.u64")).toEqual({ type: "UINT64", value: U64_BIG });
    expect(kv("t.i64")).toEqual({ type: "INT64", value: I64_NEG });
    expect(kv("tokenizer.ggml.tokens")).toEqual({ type: "ARRAY", itemType: "STRING", value: ["a", "Ġb", "<|endoftext|>"] });
    expect(kv("tokenizer.ggml.token_type")).toEqual({ type: "ARRAY", itemType: "INT32", value: [1, 1, 3] });
    expect(kv("tokenizer.ggml.scores")).toEqual({ type: "ARRAY", itemType: "FLOAT32", value: [0, -1.5, 2.25] });
    expect(kv("t.u32s")).toEqual({ type: "ARRAY", itemType: "UINT32", value: [0, 1, 4294967295] });
    expect(kv("t.u8s")).toEqual({ type: "ARRAY", itemType: "UINT8", value: [0, 128, 255] });
    expect(kv("t.bools")).toEqual({ type: "ARRAY", itemType: "BOOL", value: [true, false] });
    expect(kv("t.u64s")).toEqual({ type: "ARRAY", itemType: "UINT64", value: [1n, U64_BIG] });
    expect(kv("t.empty")).toEqual({ type: "ARRAY", itemType: "INT32", value: [] });
    // Insertion order is file order, the alignment key (when given) first.
    expect([...file.kvs.keys()].slice(0, 2)).toEqual(
      alignment === undefined ? ["general.architecture", "qwen2.block_count"] : ["general.alignment", "general.architecture"],
    );
  });

  it("reads back every tensor's shape, type, offset and bytes", async () => {
    const { bytes, tensors } = await fixture(alignment);
    const file = parseGguf(bytes);
    const a = alignment ?? 32;
    expect(file.dataOffset % a).toBe(0);
    expect(file.tensors.map((t) => t.name)).toEqual(Object.keys(tensors));
    let offset = 0;
    for (const t of file.tensors) {
      const want = tensors[t.name]!;
      expect(t.shape).toEqual(want.shape);
      expect(t.dims).toEqual([...want.shape].reverse());
      expect(t.type).toBe(want.type);
      expect(t.typeId).toBe(GGML_TYPE[want.type]);
      expect(t.offset).toBe(offset);
      expect(t.byteLength).toBe(want.data.length);
      expect(tensorBytes(file, bytes, t.name)).toEqual(want.data);
      offset += Math.ceil(want.data.length / a) * a;
    }
    expect(bytes.length).toBe(file.dataOffset + offset);
    // Hand-computed sizes: F32 [3] 12, F16 [2,5] 20, Q8_0 [2,64] 4 blocks * 34, Q4_0 [3,32] 3 blocks * 18, F32 [1] 4.
    expect(file.tensors.map((t) => t.byteLength)).toEqual([12, 20, 136, 54, 4]);
  });
});

describe("@huggingface/gguf parses what we write", () => {
  const dir = mkdtempSync(join(tmpdir(), "gguf-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([undefined, 64])("metadata and tensor infos agree, alignment %s (written through an AtomicFile)", async (alignment) => {
    const path = join(dir, `fixture-${alignment ?? "default"}.gguf`);
    const file = openAtomic(path);
    const { tensors } = await writeFixture(file, alignment);
    await file.commit();
    const bytes = new Uint8Array(readFileSync(path));
    const ours = parseGguf(bytes);

    const theirs = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    expect(theirs.littleEndian).toBe(true);
    expect(theirs.metadata.version).toBe(3);
    expect(theirs.metadata.tensor_count).toBe(5n);
    expect(theirs.metadata.kv_count).toBe(BigInt(ours.kvs.size));
    expect(theirs.tensorDataOffset).toBe(BigInt(ours.dataOffset));
    const tm = theirs.typedMetadata;
    expect(tm["general.architecture"]).toEqual({ value: "qwen2", type: GGUF_VALUE_TYPE.STRING });
    expect(tm["qwen2.block_count"]).toEqual({ value: 2, type: GGUF_VALUE_TYPE.UINT32 });
    expect(tm["t.i8"]).toEqual({ value: -128, type: GGUF_VALUE_TYPE.INT8 });
    expect(tm["t.i16"]).toEqual({ value: -32768, type: GGUF_VALUE_TYPE.INT16 });
    expect(tm["t.f32"]).toEqual({ value: Math.fround(0.1), type: GGUF_VALUE_TYPE.FLOAT32 });
    expect(tm["t.f64"]).toEqual({ value: 0.1, type: GGUF_VALUE_TYPE.FLOAT64 });
    expect(tm["t.true"]).toEqual({ value: true, type: GGUF_VALUE_TYPE.BOOL });
    expect(tm["t.string"]).toEqual({ value: "héllo ✓ <|fim_prefix|>", type: GGUF_VALUE_TYPE.STRING });
    expect(tm["t.u64"]).toEqual({ value: U64_BIG, type: GGUF_VALUE_TYPE.UINT64 });
    expect(tm["t.i64"]).toEqual({ value: I64_NEG, type: GGUF_VALUE_TYPE.INT64 });
    expect(tm["tokenizer.ggml.tokens"]).toEqual({
      value: ["a", "Ġb", "<|endoftext|>"], type: GGUF_VALUE_TYPE.ARRAY, subType: GGUF_VALUE_TYPE.STRING,
    });
    expect(tm["tokenizer.ggml.token_type"]).toEqual({ value: [1, 1, 3], type: GGUF_VALUE_TYPE.ARRAY, subType: GGUF_VALUE_TYPE.INT32 });
    expect(tm["tokenizer.ggml.scores"]).toEqual({ value: [0, -1.5, 2.25], type: GGUF_VALUE_TYPE.ARRAY, subType: GGUF_VALUE_TYPE.FLOAT32 });
    expect(tm["t.empty"]).toEqual({ value: [], type: GGUF_VALUE_TYPE.ARRAY, subType: GGUF_VALUE_TYPE.INT32 });
    if (alignment !== undefined) expect(tm["general.alignment"]).toEqual({ value: alignment, type: GGUF_VALUE_TYPE.UINT32 });

    expect(theirs.tensorInfos).toEqual(
      ours.tensors.map((t) => ({
        name: t.name,
        n_dims: t.dims.length,
        shape: t.dims.map(BigInt), // ggml order, innermost first
        dtype: t.typeId,
        offset: BigInt(t.offset),
      })),
    );
    expect(theirs.tensorInfos.map((t) => t.shape)).toEqual(Object.values(tensors).map((t) => [...t.shape].reverse().map(BigInt)));
  });
});

describe("the writer refuses what llama.cpp would reject", () => {
  const writer = () => new GgufWriter(memorySink());

  it("bad keys, values and tensor declarations", () => {
    const w = writer();
    w.u32("a.b", 1);
    expect(() => w.u32("a.b", 2)).toThrow("a.b: key added twice (llama.cpp rejects duplicate keys)");
    expect(() => w.u8("x", 256)).toThrow(/out of the UINT8 range/);
    expect(() => w.i32("x", 1.5)).toThrow(/must be an integer/);
    expect(() => w.u64("x", -1n)).toThrow(/out of the UINT64 range/);
    expect(() => w.addKv("x", "STRING", 3)).toThrow(/must be a string/);
    expect(() => w.addArray("x", "INT32", [1, "2"])).toThrow(/x\[1\]/);
    expect(() => w.u32("general.alignment", 64)).toThrow(/pass \{ alignment \} to the GgufWriter constructor/);
    expect(() => w.addKv("", "UINT8", 1)).toThrow(GgufError);
    expect(() => w.addKey(KEY.BLOCK_COUNT, 2)).toThrow(/needs the architecture name/);
    expect(() => w.addKey(KEY.TOKENS, "a")).toThrow(/must be an array/);
    expect(() => new GgufWriter(memorySink(), { alignment: 48 })).toThrow(/power of two/);
    w.addTensorInfo("t", [4, 32], "Q8_0");
    expect(() => w.addTensorInfo("t", [4], "F32")).toThrow("t: tensor declared twice");
    expect(() => w.addTensorInfo("q", [32, 48], "Q4_0")).toThrow(/rows of 48 values do not split into Q4_0 blocks of 32/);
    expect(() => w.addTensorInfo("x".repeat(64), [1], "F32")).toThrow(/1 to 63 bytes/);
    expect(() => w.addTensorInfo("d", [1, 2, 3, 4, 5], "F32")).toThrow(/1 to 4 positive integer dims/);
    expect(() => w.addTensorInfo("z", [0], "F32")).toThrow(GgufError);
  });

  it("writing out of order, too much, too little, or at the wrong time", async () => {
    const w = writer();
    w.addTensorInfo("a", [2], "F32");
    w.addTensorInfo("b", [1], "F32");
    await expect(w.writeTensorData("a", new Uint8Array(8))).rejects.toThrow(/call writeHeader\(\) before/);
    await w.writeHeader();
    await expect(w.writeHeader()).rejects.toThrow(/already called/);
    expect(() => w.u32("late", 1)).toThrow(/before writeHeader\(\)/);
    expect(() => w.addTensorInfo("c", [1], "F32")).toThrow(/before writeHeader\(\)/);
    await expect(w.writeTensorData("b", new Uint8Array(4))).rejects.toThrow("b: tensors must be written in declaration order; a comes next");
    await expect(w.writeTensorData("a", new Uint8Array(12))).rejects.toThrow("a: 12 bytes given, the tensor has 8");
    await w.writeTensorData("a", new Uint8Array(4));
    expect(() => w.finish()).toThrow("tensor a is not (fully) written yet");
    await w.writeTensorData("a", new Uint8Array(4));
    await w.writeTensorData("b", new Uint8Array(4));
    await expect(w.writeTensorData("b", new Uint8Array(1))).rejects.toThrow(/every declared tensor has been written/);
    expect(w.finish()).toBe(160); // header 24 + 2 infos of 8+1+4+8+4+8 = 33 bytes = 90, padded to 96; data 32 + 32
  });
});

describe("the reader rejects malformed files", () => {
  async function tiny(): Promise<Uint8Array> {
    const sink = memorySink();
    const w = new GgufWriter(sink);
    w.addTensorInfo("a", [2], "F32");
    w.addTensorInfo("b", [2], "F32");
    await w.writeHeader();
    await w.writeTensorData("a", new Uint8Array(8).fill(1));
    await w.writeTensorData("b", new Uint8Array(8).fill(2));
    return sink.bytes();
  }

  it("a wrong magic, a truncated file, a moved offset, dirty padding", async () => {
    const good = await tiny();
    expect(parseGguf(good).tensors.map((t) => t.offset)).toEqual([0, 32]);
    const badMagic = good.slice();
    badMagic[0] = 0x46;
    expect(() => parseGguf(badMagic)).toThrow(/not a GGUF file/);
    expect(() => parseGguf(good.subarray(0, 30))).toThrow(/truncated file/);
    expect(() => parseGguf(good.subarray(0, good.length - 40))).toThrow(/b: data ends at byte/);
    // b's offset u64 is the last field of the infos: 24 + 2 * 33 = 90 bytes, so it sits at 82..89.
    const moved = good.slice();
    moved[82] = 16;
    expect(() => parseGguf(moved)).toThrow("b: offset 16, expected 32 (the running sum of padded sizes)");
    const dirty = good.slice();
    dirty[parseGguf(good).dataOffset + 8] = 9;
    expect(() => parseGguf(dirty)).toThrow(/before b: padding byte/);
  });
});
