// `fim train` and `fim complete` end to end on a tiny checkpoint folder: the adapter folder PEFT-shaped,
// --resume continues the run, and bad input (checkpoint, adapter, JSONL) gets an error naming the file and
// tensor or line, with nothing half-written.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fim } from "./run-fim.ts";
import { parseSafetensors } from "../../../src/lib/model/safetensors.ts";
import { writeSafetensors } from "../../../src/lib/model/safetensors-write.ts";
import { writeTinyCheckpoint } from "../../fixtures/tiny-checkpoint.ts";
import { SEED_PRESET } from "../../../src/lib/train/presets.ts";

let dir: string;
let model: string;
let data: string;
const TRAIN = ["--steps", "4", "--context", "200", "--batch-size", "2", "--grad-accum", "1", "--rank", "2", "--warmup", "1"];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fim-train-"));
  model = (await writeTinyCheckpoint(join(dir, "qwen"), { architecture: "qwen2" })).dir;
  await writeTinyCheckpoint(join(dir, "llama"), {});
  data = join(dir, "s.jsonl");
  const r = await fim("samples", "--builtin", "--format", "qwen", "--count", "60", "--span", "chars", "--out", data, "--quiet");
  expect(r.code).toBe(0);
}, 60_000);

describe("fim train", () => {
  it("writes a PEFT adapter, then --resume continues to more steps", async () => {
    const out = join(dir, "adapter");
    const r = await fim("train", "--model", model, "--data", data, "--out", out, ...TRAIN);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/step 4\/4 {2}loss \d+\.\d{4}/);
    expect(r.stderr).toMatch(/eval loss \d+\.\d{4}/);
    expect(readdirSync(out).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors", "optimizer.safetensors", "trainer_state.json"]);
    const cfg = JSON.parse(readFileSync(join(out, "adapter_config.json"), "utf8"));
    expect(cfg).toMatchObject({ peft_type: "LORA", r: 2, lora_alpha: 32, target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] });
    const again = await fim("train", "--model", model, "--data", data, "--out", out, ...TRAIN.map((x) => (x === "4" ? "6" : x)), "--resume");
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("resuming at step 4 of 6");
    expect(again.stderr).toMatch(/step 6\/6/);
    expect(JSON.parse(readFileSync(join(out, "trainer_state.json"), "utf8")).losses).toHaveLength(6);
  }, 60_000);

  it("--preset seed: every setting not given is the pipeline seed's; given flags still win", async () => {
    const out = join(dir, "seed-preset");
    const r = await fim("train", "--model", model, "--data", data, "--out", out, "--preset", "seed", "--steps", "1", "--context", "200", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "adapter_config.json"), "utf8"))).toMatchObject({ r: SEED_PRESET.r, lora_alpha: SEED_PRESET.alpha });
    const run = JSON.parse(readFileSync(join(out, "trainer_state.json"), "utf8")).run;
    expect(run).toMatchObject({ batchSize: SEED_PRESET.batchSize, gradAccum: SEED_PRESET.gradAccum, lossOn: SEED_PRESET.lossOn, contextLength: 200 });
    expect((await fim("train", "--help")).stdout).toMatch(/--preset seed the pipeline seed's \(rank 16, alpha 32, lr 0\.0002 with 100 warmup steps/);
  }, 60_000);

  it("--context past the model's max_position_embeddings trains at the model's (inference never reaches further)", async () => {
    const short = (await writeTinyCheckpoint(join(dir, "short"), { architecture: "qwen2", configOverrides: { max_position_embeddings: 128 } })).dir;
    const out = join(dir, "short-adapter");
    const r = await fim("train", "--model", short, "--data", data, "--out", out, ...TRAIN.map((x) => (x === "4" ? "1" : x)));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("--context 200 is past the model's max_position_embeddings (128): training at 128");
    expect(JSON.parse(readFileSync(join(out, "trainer_state.json"), "utf8")).run.contextLength).toBe(128);
  }, 60_000);

  it("--full trains every weight and writes a model folder that loads and resumes", async () => {
    const out = join(dir, "full");
    const r = await fim("train", "--model", model, "--data", data, "--out", out, "--full", "--lr", "1e-3", ...TRAIN.map((x) => (x === "4" ? "2" : x)));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/training all \d+ weights \(full mode\)/);
    expect(readdirSync(out).sort()).toEqual(["config.json", "generation_config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "tokenizer_config.json", "trainer_state.json"]);
    expect((await fim("complete", "--model", out, "--format", "qwen", "--prefix", "x = ", "--max-tokens", "2")).code).toBe(0);
    const again = await fim("train", "--model", model, "--data", data, "--out", out, "--full", "--resume", "--lr", "1e-3", ...TRAIN.map((x) => (x === "4" ? "3" : x)));
    expect(again.stderr).toContain("resuming at step 2 of 3");
    expect(again.code).toBe(0);
  }, 60_000);

  it("fim complete runs the model with and without the adapter", async () => {
    const base = await fim("complete", "--model", model, "--format", "qwen", "--prefix", "def f(x):\n    return ", "--max-tokens", "4");
    expect(base.code).toBe(0);
    const tuned = await fim("complete", "--model", model, "--adapter", join(dir, "adapter"), "--format", "qwen", "--prefix", "x = ", "--max-tokens", "4", "--verbose");
    expect(tuned.code).toBe(0);
    expect(tuned.stderr).toMatch(/\[stopped: (stop-token|stop-string|max-tokens|repeats-suffix)\]/);
  }, 60_000);

  it("an adapter for another base model is refused, naming the tensor", async () => {
    // an adapter made for a model of hidden size 32: its A matrices are (2, 32)
    const other = join(dir, "adapter-other");
    cpSync(join(dir, "adapter"), other, { recursive: true });
    const index = parseSafetensors(new Uint8Array(readFileSync(join(other, "adapter_model.safetensors"))));
    const tensors = index.tensors.map((t) => {
      const shape = t.name.includes("lora_A") ? [t.shape[0]!, 32] : t.shape;
      return { name: t.name, dtype: "F32" as const, shape, data: new Float32Array(shape[0]! * shape[1]!) };
    });
    writeFileSync(join(other, "adapter_model.safetensors"), writeSafetensors(tensors));
    const r = await fim("complete", "--model", model, "--adapter", other, "--format", "qwen", "--prefix", "x");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/adapter_model\.safetensors: tensor base_model\.model\.model\.layers\.\d+\.\w+\.\w+\.lora_A\.weight has shape \[2,32\] but this model needs \[2,\d+\] \(an adapter for another base model\?\)/);
  }, 60_000);

  it("a JSONL line without a field names the file and line; no adapter folder is left", async () => {
    const bad = join(dir, "bad.jsonl");
    const good = readFileSync(data, "utf8").split("\n");
    writeFileSync(bad, [good[0], JSON.stringify({ text: "x", prefix: "", suffix: "", format: "qwen", mode: "psm" })].join("\n"));
    const out = join(dir, "never");
    const r = await fim("train", "--model", model, "--data", bad, "--out", out, ...TRAIN);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`fim train: error: ${bad}:2: field "middle" is missing or not a string (records come from \`fim samples\`)\n`);
    expect(existsSync(out)).toBe(false);
  });

  it("a truncated safetensors file is named with the tensor", async () => {
    const broken = join(dir, "broken");
    cpSync(model, broken, { recursive: true });
    const w = readFileSync(join(broken, "model.safetensors"));
    writeFileSync(join(broken, "model.safetensors"), w.subarray(0, w.length - 1000));
    const r = await fim("complete", "--model", broken, "--format", "qwen", "--prefix", "x");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model\.safetensors.*(truncated)/);
    expect(r.stderr).toMatch(/tensor|lm_head|model\./);
  });

  it("an unsupported architecture is refused naming config.json and the field", async () => {
    const other = join(dir, "other");
    cpSync(model, other, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(other, "config.json"), "utf8"));
    writeFileSync(join(other, "config.json"), JSON.stringify({ ...cfg, architectures: ["MistralForCausalLM"] }));
    const r = await fim("complete", "--model", other, "--format", "qwen", "--prefix", "x");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/config\.json.*architectures.*MistralForCausalLM/);
  });

  it("usage errors", async () => {
    expect((await fim("train", "--data", data, "--out", "x")).stderr).toContain("--model is required");
    expect((await fim("train", "--model", model, "--data", data, "--out", "x", "--loss-on", "some")).stderr).toContain('--loss-on must be one of middle, all, got "some"');
    expect((await fim("train", "--model", model, "--data", data, "--out", "x", "--targets", "q_proj,wq")).stderr).toContain('--targets: "wq" is not a linear module of this model (one of q_proj, k_proj');
    expect((await fim("train", "--model", model, "--data", "/no.jsonl", "--out", "x")).stderr).toContain("--data: no such file: /no.jsonl");
    expect((await fim("complete", "--model", "/no/model", "--format", "qwen", "--prefix", "x")).stderr).toContain("--model: no such folder: /no/model");
  }, 60_000);
});
