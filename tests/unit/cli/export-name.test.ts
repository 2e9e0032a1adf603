// `fim export` names the model with the app's function (src/lib/export/model-name.ts): the embedded default
// exports as "fim-tiny-code" (general.name, the Ollama command), a folder's name is made a valid Ollama name, and a
// --name Ollama would refuse is a usage error that suggests one.

import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseGguf } from "../../../src/lib/gguf/reader.ts";
import { modelName } from "../../../src/lib/export/model-name.ts";
import { fim } from "./run-fim.ts";
import { writeTinyCheckpoint } from "../../fixtures/tiny-checkpoint.ts";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "fim-export-name-"));
});
const generalName = (path: string) => parseGguf(new Uint8Array(readFileSync(path))).kvs.get("general.name")?.value;

describe("fim export names the model once, as the app does", () => {
  it("the embedded default: fim-tiny-code, the same name the Export page gives its label", async () => {
    const model = join(tmp, "fim-tiny-code");
    cpSync("public/models/fim-tiny-code", model, { recursive: true });
    const out = join(tmp, "tiny.gguf");
    const mf = join(tmp, "Modelfile");
    const r = await fim("export", "--model", model, "--quant", "q8_0", "--out", out, "--modelfile", mf);
    expect(r.code, r.stderr).toBe(0);
    expect(generalName(out)).toBe("fim-tiny-code");
    expect(generalName(out)).toBe(modelName("FIM tiny code (embedded)"));
    expect(r.stderr).toContain(`ollama create fim-tiny-code -f ${mf}`);
    expect(r.stderr).not.toContain("embedded");
  }, 120_000);

  it("a folder with capitals and spaces: one lowercase name for general.name and Ollama", async () => {
    const model = (await writeTinyCheckpoint(join(tmp, "My Tiny Qwen"), { architecture: "qwen2" })).dir;
    const out = join(tmp, "q.gguf");
    const mf = join(tmp, "Modelfile.q");
    const r = await fim("export", "--model", model, "--quant", "f32", "--out", out, "--modelfile", mf, "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(generalName(out)).toBe("my-tiny-qwen");
    const named = await fim("export", "--model", model, "--quant", "f32", "--out", out, "--name", "tiny.v2");
    expect(named.code, named.stderr).toBe(0);
    expect(generalName(out)).toBe("tiny.v2");
  }, 120_000);

  it("a --name Ollama would refuse is a usage error suggesting a valid one", async () => {
    const model = (await writeTinyCheckpoint(join(tmp, "n"), { architecture: "qwen2" })).dir;
    const r = await fim("export", "--model", model, "--quant", "f32", "--out", join(tmp, "n.gguf"), "--name", "My Model");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--name "My Model": use lowercase letters');
    expect(r.stderr).toContain("e.g. --name my-model");
  });
});
