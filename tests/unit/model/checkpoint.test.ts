// Loading tiny checkpoints in the Hugging Face layout: every fixture variant from a real folder (folderFiles) and from
// memory, weights compared exactly with the fixture's, header-first range reading, and each missing / mis-shaped /
// inconsistent file with its exact message.

import { mkdtempSync, rmSync, truncateSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CheckpointError, type CheckpointFiles, loadCheckpoint, memoryFiles, ModelConfigError, SafetensorsError,
} from "../../../src/lib/model/index.ts";
import { folderFiles } from "../../../node/export/src/model-folder.ts";
import {
  SHARD_FILES, tinyCheckpointFiles, type TinyCheckpointOptions, type TinyTensor, tinyWeights, writeTinyCheckpoint,
} from "../../fixtures/tiny-checkpoint.ts";
import { tinyMambaConfig, tinyMambaFiles } from "../../fixtures/tiny-mamba.ts";

const root = mkdtempSync(join(tmpdir(), "fim-model-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(root, `ck${dirs++}`);

const VARIANTS: [string, TinyCheckpointOptions, { tensors: number; stopIds: number[] }][] = [
  ["llama, untied, F32", {}, { tensors: 21, stopIds: [2001, 2009] }],
  ["llama, tied, llama3 RoPE", { tied: true, llama3Rope: true }, { tensors: 20, stopIds: [2001, 2009] }],
  ["llama, F16, 2 shards", { dtype: "F16", shards: 2, seed: 7 }, { tensors: 21, stopIds: [2001, 2009] }],
  ["qwen2, tied, BF16", { architecture: "qwen2", tied: true, dtype: "BF16" }, { tensors: 26, stopIds: [2000, 2002] }],
  ["qwen2, untied, BF16, 2 shards", { architecture: "qwen2", dtype: "BF16", shards: 2 }, { tensors: 27, stopIds: [2000, 2002] }],
];

describe.each(VARIANTS)("%s", (_, opts, want) => {
  it("loads from a folder with the fixture's exact weights", async () => {
    const { dir, files } = await writeTinyCheckpoint(newDir(), opts);
    expect(files).toContain(opts.shards === 2 ? "model.safetensors.index.json" : "model.safetensors");
    const ck = await loadCheckpoint(folderFiles(dir));
    const qwen = opts.architecture === "qwen2";
    expect(ck.config).toMatchObject({
      architecture: qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM",
      vocab_size: qwen ? 2048 : 2304,
      hidden_size: 64,
      head_dim: 16,
      tie_word_embeddings: opts.tied ?? false,
      bias: { q: qwen, k: qwen, v: qwen, o: false },
      rope_scaling: opts.llama3Rope ? { rope_type: "llama3", factor: 32 } : null,
    });
    expect(ck.tensors.length).toBe(want.tensors);
    expect(ck.weights.names().length).toBe(want.tensors);
    expect(ck.stopIds).toEqual(want.stopIds);
    expect(ck.generationConfig?.raw.temperature).toBe(0.7);
    for (const t of tinyWeights(opts)) {
      const got = await ck.weights.get(t.name);
      expect(got.shape, t.name).toEqual(t.shape);
      if (!got.data.every((x, i) => x === t.data[i])) expect.fail(`${t.name} differs from the fixture`);
    }
    if (qwen) expect(ck.tokenizer.singleTokenId("<|fim_middle|>")).toBe(2017);
    const raw = await ck.weights.raw("model.norm.weight");
    expect(raw.dtype).toBe(opts.dtype ?? "F32");
    expect(raw.bytes.byteLength).toBe(64 * (opts.dtype === undefined ? 4 : 2));
  });

  it("loads the same from memory", async () => {
    const ck = await loadCheckpoint(memoryFiles(tinyCheckpointFiles(opts)));
    expect((await ck.weights.get("model.embed_tokens.weight")).data).toEqual(tinyWeights(opts)[0]!.data);
  });
});

describe("reading", () => {
  it("with readRange: only JSON files whole, then headers, then one range per tensor", async () => {
    const inner = memoryFiles(tinyCheckpointFiles({ shards: 2 }));
    const whole: string[] = [];
    const ranges: [string, number, number][] = [];
    const files: CheckpointFiles = {
      ...inner,
      read: (name) => (whole.push(name), inner.read(name)),
      readRange: (name, b, e) => (ranges.push([name, b, e]), inner.readRange!(name, b, e)),
    };
    const ck = await loadCheckpoint(files);
    expect(whole.every((n) => n.endsWith(".json"))).toBe(true);
    expect(ranges.map((r) => r[0]).sort()).toEqual([SHARD_FILES[0], SHARD_FILES[0], SHARD_FILES[1], SHARD_FILES[1]]);
    expect(ranges.filter(([, b]) => b === 0).map((r) => r[2])).toEqual([8, 8]); // the length field, then the header
    expect(ranges.reduce((s, [, b, e]) => s + e - b, 0)).toBeLessThan(5000); // headers only: the weights are ~1.5 MB
    ranges.length = 0;
    const info = ck.weights.info("model.layers.1.mlp.down_proj.weight")!;
    await ck.weights.get(info.name);
    expect(ranges).toEqual([[info.file, info.begin, info.end]]);
    expect(info.end - info.begin).toBe(64 * 128 * 4);
  });

  it("without readRange: each weights file is read once and shared", async () => {
    const inner = memoryFiles(tinyCheckpointFiles({}));
    const reads: string[] = [];
    const ck = await loadCheckpoint({ label: "dropped files", list: inner.list, read: (n) => (reads.push(n), inner.read(n)) });
    for (const name of ck.weights.names()) await ck.weights.get(name);
    expect(reads.filter((n) => n === "model.safetensors").length).toBe(1);
  });

  it("get() returns a fresh array each time; unknown names are an error", async () => {
    const ck = await loadCheckpoint(memoryFiles(tinyCheckpointFiles({})));
    const a = await ck.weights.get("model.norm.weight");
    a.data.fill(0);
    expect((await ck.weights.get("model.norm.weight")).data[0]).not.toBe(0);
    await expect(ck.weights.get("model.nope")).rejects.toThrow(
      "memory, tensor model.nope: no such tensor in the checkpoint: check the name against weights.names()",
    );
  });
});

/** Load from memory after dropping or reshaping tensors, or editing files; return the error. */
async function failure(opts: TinyCheckpointOptions, edit?: (files: Record<string, Uint8Array | string>) => void): Promise<Error> {
  const files = tinyCheckpointFiles(opts);
  edit?.(files);
  try {
    await loadCheckpoint(memoryFiles(files, "/models/tiny"));
  } catch (e) {
    return e as Error;
  }
  throw new Error("loadCheckpoint did not fail");
}
const drop = (name: string) => (ts: TinyTensor[]) => ts.filter((t) => t.name !== name);

describe("errors", () => {
  it("a missing tensor names the file, the tensor and its shape", async () => {
    const e = await failure({ mutate: drop("model.layers.1.mlp.up_proj.weight") });
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toBe(
      "model.safetensors, tensor model.layers.1.mlp.up_proj.weight: missing: LlamaForCausalLM with this config.json needs it, " +
        "shape [128, 64]; the checkpoint is incomplete or of another architecture",
    );
  });

  it("a mis-shaped tensor gives expected and found shapes", async () => {
    const e = await failure({
      dtype: "BF16",
      mutate: (ts) => ts.map((t) => (t.name.endsWith("0.self_attn.k_proj.weight") ? { ...t, shape: [64, 32], data: t.data.slice(0, 2048) } : t)),
    });
    expect(e.message).toBe(
      "model.safetensors, tensor model.layers.0.self_attn.k_proj.weight: shape is [64, 32] but config.json implies [32, 64]: the weights do not match config.json",
    );
  });

  it("Qwen2 needs its q/k/v biases; untied Llama needs lm_head", async () => {
    expect((await failure({ architecture: "qwen2", mutate: drop("model.layers.0.self_attn.v_proj.bias") })).message).toMatch(
      /^model\.safetensors, tensor model\.layers\.0\.self_attn\.v_proj\.bias: missing: Qwen2ForCausalLM with this config\.json needs it, shape \[32\];/,
    );
    expect((await failure({ mutate: drop("lm_head.weight") })).message).toMatch(/^model\.safetensors, tensor lm_head\.weight: missing: .* shape \[2304, 64\];/);
  });

  it("sharded: a tensor in no shard, a shard that is missing, a weight_map that lies", async () => {
    expect((await failure({ shards: 2, mutate: drop("model.norm.weight") })).message).toMatch(
      /^model\.safetensors\.index\.json, tensor model\.norm\.weight: missing: /,
    );
    expect((await failure({ shards: 2 }, (f) => delete f[SHARD_FILES[1]])).message).toBe(
      "model-00002-of-00002.safetensors: not found in /models/tiny, but model.safetensors.index.json lists it: the download is incomplete",
    );
    const lie = await failure({ shards: 2 }, (f) => {
      const index = JSON.parse(f["model.safetensors.index.json"] as string);
      index.weight_map["model.norm.weight"] = SHARD_FILES[0];
      f["model.safetensors.index.json"] = JSON.stringify(index);
    });
    expect(lie.message).toBe(
      "model-00001-of-00002.safetensors, tensor model.norm.weight: model.safetensors.index.json says this shard holds it, but its header does not: the shard or the index is from another download",
    );
  });

  it("missing files: config.json, the weights (with a hint for .bin), a tokenizer too big for the vocabulary", async () => {
    expect((await failure({}, (f) => delete f["config.json"])).message).toBe(
      "config.json: not found in /models/tiny: a Hugging Face checkpoint folder has config.json next to its *.safetensors files",
    );
    const bin = await failure({}, (f) => {
      delete f["model.safetensors"];
      f["pytorch_model.bin"] = new Uint8Array(4);
    });
    expect(bin.message).toBe(
      "model.safetensors: not found in /models/tiny, nor model.safetensors.index.json (found pytorch_model.bin: only safetensors weights are read; " +
        "convert them with transformers' save_pretrained(safe_serialization=True))",
    );
    expect((await failure({ configOverrides: { vocab_size: 1024 } })).message).toBe(
      "tokenizer.json: has ids up to 2255 but config.json's vocab_size is 1024: the tokenizer belongs to another model",
    );
  });

  it("config refusals and corrupt JSON come through", async () => {
    const e = await failure({ configOverrides: { rope_scaling: { rope_type: "yarn", factor: 4 } } });
    expect(e).toBeInstanceOf(ModelConfigError);
    expect(e.message).toMatch(/^config\.json: rope_scaling\.rope_type: "yarn" is not implemented/);
    expect((await failure({}, (f) => (f["generation_config.json"] = "{oops"))).message).toMatch(
      /^generation_config\.json: is not valid JSON \(.+\): download it again$/,
    );
  });

  it("more layers than the weights hold: refused naming num_hidden_layers and the limit, before listing tensors", async () => {
    const e = await failure({ configOverrides: { num_hidden_layers: 5 } });
    expect(e).toBeInstanceOf(ModelConfigError);
    expect(e.message).toBe(
      "config.json: num_hidden_layers: 5, but the weights (model.safetensors) hold tensors of 2 layers, the limit: config.json does not belong to these weights",
    );
    expect((await failure({ shards: 2, configOverrides: { num_hidden_layers: 3 } })).message).toMatch(
      /^config\.json: num_hidden_layers: 3, but the weights \(model\.safetensors\.index\.json\) hold tensors of 2 layers, the limit/,
    );
    const mamba = await loadCheckpoint(memoryFiles({ ...tinyMambaFiles(), "config.json": JSON.stringify({ ...tinyMambaConfig(), num_hidden_layers: 900 }) })).catch((x: unknown) => x as Error);
    expect(mamba).toBeInstanceOf(ModelConfigError);
    expect((mamba as Error).message).toMatch(/^config\.json: num_hidden_layers: 900, but the weights \(model\.safetensors\) hold tensors of 2 layers, the limit/);
  });

  it("runaway sizes in config.json are refused with the field and the limit (no allocation, no hang)", async () => {
    const CASES: [Record<string, unknown>, RegExp][] = [
      [{ num_hidden_layers: 1e9 }, /^config\.json: num_hidden_layers: 1000000000 is above the limit of 1024 /],
      [{ hidden_size: 1e9, head_dim: 16 }, /^config\.json: hidden_size: 1000000000 is above the limit of 65536 /],
      [{ vocab_size: 1e12 }, /^config\.json: vocab_size: 1000000000000 is above the limit of 4194304 /],
      [{ intermediate_size: 2 ** 31 }, /^config\.json: intermediate_size: 2147483648 is above the limit of 1048576 /],
      [{ num_attention_heads: 1e6 }, /^config\.json: num_attention_heads: 1000000 is above the limit of 1024 /],
    ];
    const withConfig = (over: Record<string, unknown>) => (f: Record<string, Uint8Array | string>) => {
      f["config.json"] = JSON.stringify({ ...JSON.parse(f["config.json"] as string), ...over });
    };
    for (const [over, message] of CASES) {
      const e = await failure({}, withConfig(over));
      expect(e, JSON.stringify(over)).toBeInstanceOf(ModelConfigError);
      expect(e.message).toMatch(message);
    }
    // sizes within the limits that the weights do not have: the tensor that disagrees is named
    expect((await failure({}, withConfig({ intermediate_size: 100000 }))).message).toBe(
      "model.safetensors, tensor model.layers.0.mlp.gate_proj.weight: shape is [128, 64] but config.json implies [100000, 64]: the weights do not match config.json",
    );
  }, 10_000);

  it("from a folder: a missing config.json, a missing folder, a truncated weights file", async () => {
    const dir = (await writeTinyCheckpoint(newDir(), {})).dir;
    unlinkSync(join(dir, "config.json"));
    await expect(loadCheckpoint(folderFiles(dir))).rejects.toThrow(`config.json: not found in ${dir}: a Hugging Face checkpoint folder`);
    await expect(loadCheckpoint(folderFiles(join(root, "nowhere")))).rejects.toThrow(
      `${join(root, "nowhere")}: folder not found: give the checkpoint's folder (the one holding config.json)`,
    );
    const cut = (await writeTinyCheckpoint(newDir(), {})).dir;
    truncateSync(join(cut, "model.safetensors"), 100_000);
    const e = await loadCheckpoint(folderFiles(cut)).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(SafetensorsError);
    expect((e as Error).message).toMatch(/^model\.safetensors, tensor model\.norm\.weight: data_offsets \[\d+, \d+\] run past the end of the data \(\d+ bytes\): the file is truncated/);
  });
});
