// modelFolder.ts: a picked folder that is not a model is named for exactly what it lacks, with the loader's file names.
import { describe, expect, test } from "vitest";
import { missingModelFiles, modelFolderProblem } from "../../../src/routes/shared/modelFolder.ts";
import { WEIGHTS_FILE } from "../../../src/lib/model/checkpoint.ts";
import { CONFIG_FILE } from "../../../src/lib/model/config.ts";
import { SHARD_INDEX_FILE } from "../../../src/lib/model/shards.ts";
import { TOKENIZER_FILE } from "../../../src/lib/model/tokenizer.ts";

describe("missingModelFiles", () => {
  test("a whole model lacks nothing, with one weights file or a shard index", () => {
    expect(missingModelFiles(["config.json", "tokenizer.json", "model.safetensors", "README.md"])).toEqual([]);
    expect(missingModelFiles(["config.json", "tokenizer.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors"])).toEqual([]);
  });

  test("names every missing file, in the loader's own names", () => {
    expect(missingModelFiles([])).toEqual([CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE]);
    expect(missingModelFiles(["notes.txt", "main.py"])).toEqual(["config.json", "tokenizer.json", "model.safetensors"]);
    expect(missingModelFiles(["config.json", "model.safetensors"])).toEqual(["tokenizer.json"]);
    expect(missingModelFiles(["tokenizer.json", "model.safetensors"])).toEqual(["config.json"]);
    expect(missingModelFiles(["config.json", "tokenizer.json", "pytorch_model.bin"])).toEqual(["model.safetensors"]);
    expect(SHARD_INDEX_FILE).toBe("model.safetensors.index.json");
  });
});

describe("modelFolderProblem", () => {
  test("null for a model", () => {
    expect(modelFolderProblem(["config.json", "tokenizer.json", "model.safetensors"])).toBeNull();
  });

  test("one sentence naming what is missing", () => {
    expect(modelFolderProblem(["config.json", "model.safetensors"])).toBe("This folder is not a model: tokenizer.json is missing.");
    expect(modelFolderProblem(["a.py"])).toBe(
      "This folder is not a model: config.json, tokenizer.json and model.safetensors (or model.safetensors.index.json with its shards) are missing.",
    );
  });

  test("says what the folder looks like instead", () => {
    expect(modelFolderProblem(["adapter_config.json", "adapter_model.safetensors"])).toMatch(/missing\. It looks like a LoRA adapter/);
    expect(modelFolderProblem(["config.json", "tokenizer.json", "pytorch_model.bin"])).toMatch(/Found pytorch_model\.bin: only safetensors/);
    expect(modelFolderProblem(["config.json", "tokenizer.json", "model-00001-of-00002.safetensors"])).toMatch(/need model\.safetensors\.index\.json beside them/);
  });
});
