// model-name.ts: the one name an exported model gets and the one label the app shows, shared by `fim export` and
// the app. The embedded default is "fim-tiny-code" whether named from its folder or from its label, and its label
// carries "(embedded)" once.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FALLBACK_MODEL_NAME, MODEL_NAME_RULE, modelName, modelNameProblem, taggedLabel, withoutSourceTags } from "../../../src/lib/export/model-name.ts";

const embedded = (JSON.parse(readFileSync("public/models/index.json", "utf8")) as { models: { label: string; path: string }[] }).models[0]!;

describe("the embedded default model", () => {
  it("is shown with its source tag once", () => {
    expect(taggedLabel(embedded.label, "embedded")).toBe("FIM tiny code (embedded)");
    expect(taggedLabel("FIM tiny code", "embedded")).toBe("FIM tiny code (embedded)");
    expect(taggedLabel("FIM tiny code (embedded) (embedded)", "embedded")).toBe("FIM tiny code (embedded)");
  });

  it("gets one name, from its folder (the CLI) or from its label (the app)", () => {
    const fromFolder = modelName(`public/models/${embedded.path}/`);
    expect(fromFolder).toBe("fim-tiny-code");
    expect(modelName(embedded.label)).toBe(fromFolder);
    expect(modelName(taggedLabel(embedded.label, "embedded"))).toBe(fromFolder);
    expect(modelName("/abs/path/to/public/models/fim-tiny-code")).toBe(fromFolder);
  });
});

describe("modelName", () => {
  it.each([
    ["Qwen/Qwen2.5-Coder-0.5B", "qwen2.5-coder-0.5b"],
    ["./Qwen2.5-Coder-0.5B/", "qwen2.5-coder-0.5b"],
    ["C:\\models\\SmolLM2 135M", "smollm2-135m"],
    ["my model (folder)", "my-model"],
    ["__init__", "init"],
    ["", FALLBACK_MODEL_NAME],
    ["(embedded)", FALLBACK_MODEL_NAME],
    ["ÄÖÜ", FALLBACK_MODEL_NAME],
    ["x".repeat(80) + "-", "x".repeat(64)],
    ["a".repeat(63) + "-b", "a".repeat(63)],
  ])("%s -> %s", (source, name) => {
    expect(modelName(source)).toBe(name);
  });

  it("always satisfies Ollama's rule, which modelNameProblem checks", () => {
    for (const s of ["A b C", "...x...", "-_-", "1.2.3", "名前", "a/b/c (folder) (embedded)", "é".repeat(100)]) {
      expect(modelName(s)).toMatch(MODEL_NAME_RULE);
      expect(modelNameProblem(modelName(s))).toBeNull();
    }
    expect(withoutSourceTags("x (Embedded)")).toBe("x");
    expect(modelNameProblem("")).toMatch(/^Give the model a name/);
    expect(modelNameProblem("My Model")).toMatch(/^Use only lowercase letters/);
  });
});
