// The kit's files against what the trainers document: every Axolotl key in Axolotl's config schema, every dataset
// entry key in its dataset schema, FSDP keys in its FSDP config; every TRL and PEFT argument in SFTConfig /
// TrainingArguments / LoraConfig (tests/fixtures/kit, read from their sources). The YAML reads back as the config,
// the samples round-trip, and the prompts are cut exactly as FIM Studio's trainer cuts them.

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fitSample, tokenizeSample } from "../../../src/lib/train/data.ts";
import { axolotlConfig, axolotlYaml, yamlFloats } from "../../../src/lib/kit/axolotl.ts";
import { accelerateConfig } from "../../../src/lib/kit/accelerate.ts";
import { buildKit, KitError, KIT_MANIFEST } from "../../../src/lib/kit/kit.ts";
import { kitRows, parseKitRows, rowsToJsonl } from "../../../src/lib/kit/rows.ts";
import { AXOLOTL, PEFT, samples, settings, tokenizer, TRL } from "./kit-helpers.ts";
import { DEFAULT_PRESET } from "../../../src/lib/train/presets.ts";

const text = (files: Map<string, Uint8Array>, name: string) => new TextDecoder().decode(files.get(name));

describe("the Axolotl config", () => {
  for (const multiGpu of ["deepspeed", "fsdp"] as const) {
    for (const gpus of ["one", "several"] as const) {
      it(`${gpus} GPU(s), ${multiGpu}: every key is in Axolotl's schema and the YAML reads back as the config`, () => {
        const s = settings({ multiGpu, lr: 3e-4, eps: 1e-8, steps: 300 });
        const c = axolotlConfig(s, gpus);
        expect(Object.keys(c).filter((k) => !AXOLOTL.topLevelKeys.includes(k))).toEqual([]);
        for (const d of [...(c.datasets as object[]), ...(c.test_datasets as object[])]) expect(Object.keys(d).filter((k) => !AXOLOTL.datasetKeys.includes(k))).toEqual([]);
        if (c.fsdp_config) expect(Object.keys(c.fsdp_config).filter((k) => !AXOLOTL.fsdp.fsdpConfigKeys.includes(k))).toEqual([]);
        expect(parse(axolotlYaml(s, gpus))).toEqual(c);
        // the run's settings, under Axolotl's names
        expect(c).toMatchObject({ base_model: s.baseModel, adapter: "lora", lora_r: 16, lora_alpha: 32, learning_rate: 3e-4, max_steps: 300, sequence_len: 256, train_on_inputs: false, lr_scheduler: "linear" });
        expect(c.num_epochs).toBeUndefined();
        expect(gpus === "several" ? (multiGpu === "deepspeed" ? c.deepspeed : c.fsdp_version) : c.deepspeed ?? c.fsdp_version).toEqual(gpus === "several" ? (multiGpu === "deepspeed" ? "axolotl/deepspeed_zero2.json" : 2) : undefined);
      });
    }
  }

  it("loss on every token: train_on_inputs true; epochs when no step count", () => {
    const c = axolotlConfig(settings({ lossOn: "all", epochs: 2 }), "one");
    expect(c).toMatchObject({ train_on_inputs: true, num_epochs: 2 });
    expect(c.max_steps).toBeUndefined();
  });

  it("floats keep a dot, so a YAML 1.1 reader (PyYAML) reads them as numbers, not strings", () => {
    expect(yamlFloats("adam_epsilon: 1e-8\nlr: 0.0002\nx: 3e+21\nname: 1e-8x\n")).toBe("adam_epsilon: 1.0e-8\nlr: 0.0002\nx: 3.0e+21\nname: 1e-8x\n");
    expect(axolotlYaml(settings(), "one")).toMatch(/^adam_epsilon: 1\.0e-8$/m);
  });

  it("the accelerate configs are the documented distributed types", () => {
    expect(accelerateConfig("deepspeed")).toMatchObject({ distributed_type: "DEEPSPEED", deepspeed_config: { zero_stage: 2 } });
    expect(accelerateConfig("fsdp")).toMatchObject({ distributed_type: "FSDP", fsdp_config: { fsdp_version: 2 } });
  });
});

describe("the manifest's TRL and PEFT arguments", () => {
  it("are SFTConfig / TrainingArguments and LoraConfig fields, with the run's values", async () => {
    const { train, eval: held } = await samples("qwen");
    const files = buildKit({ settings: settings({ rslora: true }), train, eval: held, measure: { charsPerToken: 3 } });
    const m = JSON.parse(text(files, KIT_MANIFEST)) as { trl: Record<string, unknown>; peft: Record<string, unknown> };
    const trlKeys = new Set([...TRL.sftConfigKeys, ...TRL.trainingArgumentsKeys]);
    expect(Object.keys(m.trl).filter((k) => !trlKeys.has(k))).toEqual([]);
    expect(Object.keys(m.peft).filter((k) => !PEFT.loraConfigKeys.includes(k))).toEqual([]);
    // the defaults' run (presets.ts), context 256 as settings() asks
    const p = DEFAULT_PRESET;
    expect(m.trl).toMatchObject({ learning_rate: p.lr, warmup_steps: p.warmupSteps, per_device_train_batch_size: p.batchSize, gradient_accumulation_steps: p.gradAccum, num_train_epochs: p.epochs, max_length: 256, lr_scheduler_type: "linear" });
    expect(m.peft).toEqual({ r: 16, lora_alpha: 32, use_rslora: true, lora_dropout: 0, target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] });
  });
});

describe("the samples", () => {
  it("are FIM Studio's training text: prompt + completion is the record's text when nothing is cut, and they round-trip", async () => {
    const { train } = await samples("qwen");
    const { rows, dropped } = kitRows(train, 100_000, { charsPerToken: 3 });
    expect(dropped).toBe(0);
    rows.forEach((r, i) => expect(r.prompt + r.completion).toBe(train[i]!.text));
    expect(parseKitRows(rowsToJsonl(rows), "x.jsonl")).toEqual(rows);
  });

  for (const source of ["qwen3", "llama3"] as const) {
    it(`cut with the model's tokenizer (${source}), they are the very prompt and target FIM Studio trains on`, async () => {
      const tk = tokenizer(source);
      const { train } = await samples("qwen");
      const encode = (s: string) => tk.encode(s, { addSpecialTokens: false });
      const reserved = tk.encode("", { addSpecialTokens: true }).length;
      const { rows, dropped } = kitRows(train, 192, { tokenizer: encode, reserved });
      const kept = train.filter((r) => tokenizeSample(r, tk, { contextLength: 192, lossOn: "middle" }));
      expect(rows.length).toBe(kept.length);
      expect(dropped).toBe(train.length - kept.length);
      expect(rows.some((r, i) => r.prompt + r.completion !== kept[i]!.text)).toBe(true); // some prompts were cut
      rows.forEach((r, i) => {
        const fit = fitSample(kept[i]!, 192, encode, reserved)!;
        expect(r).toEqual({ prompt: fit.prompt, completion: fit.target });
        expect(reserved + encode(r.prompt).length + encode(r.completion).length).toBeLessThanOrEqual(192);
      });
    });
  }

  it("a bad row is named by file and line", () => {
    expect(() => parseKitRows('{"prompt":"a","completion":"b"}\n{"prompt":1}\n', "data/train.jsonl")).toThrow(/data\/train\.jsonl:2: field "prompt"/);
    expect(() => parseKitRows("{oops\n", "e.jsonl")).toThrow(/e\.jsonl:1: not valid JSON/);
  });
});

describe("buildKit refuses what no trainer could use", () => {
  it("no base model, no held-out samples, mixed formats, a context nothing fits", async () => {
    const { train, eval: held } = await samples("qwen");
    const m = { charsPerToken: 3 };
    expect(() => buildKit({ settings: settings({ baseModel: " " }), train, eval: held, measure: m })).toThrow(KitError);
    expect(() => buildKit({ settings: settings(), train, eval: [], measure: m })).toThrow(/no held-out samples/);
    expect(() => buildKit({ settings: settings({ format: "starcoder" }), train, eval: held, measure: m })).toThrow(/format\(s\) qwen but the kit is for starcoder/);
    expect(() => buildKit({ settings: settings({ contextLength: 2 }), train, eval: held, measure: m })).toThrow(/fits a 2-token context/);
  });
});
