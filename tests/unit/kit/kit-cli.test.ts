// `fim kit`: writes the kit folder whole (prompts cut with --tokenizer when given), replaces only its own earlier
// output, and refuses what it cannot use with a usage error that names the flag or file.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fim } from "../cli/run-fim.ts";
import { samples } from "./kit-helpers.ts";
import { smallTokenizer } from "../../fixtures/small-tokenizer.ts";

const root = mkdtempSync(join(tmpdir(), "fim-kit-cli-"));
const data = join(root, "s.jsonl");
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  const { train, eval: held } = await samples("qwen");
  writeFileSync(data, train.map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(join(root, "s.eval.jsonl"), held.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const t = smallTokenizer("qwen3");
  mkdirSync(join(root, "tok"));
  writeFileSync(join(root, "tok", "tokenizer.json"), JSON.stringify(t.tokenizerJson));
  writeFileSync(join(root, "tok", "tokenizer_config.json"), JSON.stringify(t.tokenizerConfig));
});

describe("fim kit", () => {
  it("writes the kit with the flags' settings, cut with the given tokenizer, and rewrites its own output", async () => {
    const out = join(root, "kit");
    const r = await fim("kit", "--data", data, "--model", "Qwen/Qwen2.5-Coder-0.5B", "--out", out, "--tokenizer", join(root, "tok"), "--lr", "0.001", "--steps", "50", "--context", "300", "--loss-on", "all", "--multi-gpu", "fsdp");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/kit for Qwen\/Qwen2\.5-Coder-0\.5B written to .*prompts cut with .*tok\/tokenizer\.json/);
    expect(readdirSync(out).sort()).toEqual(["README.md", "accelerate", "axolotl", "data", "fim-kit.json", "prepare.py", "requirements.txt", "train_trl.py"]);
    expect(readdirSync(join(out, "accelerate"))).toEqual(["fsdp2.yaml"]);
    const cfg = parse(readFileSync(join(out, "axolotl/config-multi-gpu.yml"), "utf8")) as Record<string, unknown>;
    expect(cfg).toMatchObject({ learning_rate: 0.001, max_steps: 50, sequence_len: 300, train_on_inputs: true, fsdp_version: 2 });
    const m = JSON.parse(readFileSync(join(out, "fim-kit.json"), "utf8")) as { promptsCutWith: string; rows: { train: number } };
    expect(m.promptsCutWith).toBe("tokenizer");
    expect(readFileSync(join(out, "data/train.jsonl"), "utf8").trim().split("\n").length).toBe(m.rows.train);
    expect(readFileSync(join(out, "README.md"), "utf8")).toMatch(/axolotl train axolotl\/config-multi-gpu\.yml/);
    // its own output is replaced; nothing of the old one is left behind
    writeFileSync(join(out, "data", "stale.jsonl"), "x");
    expect((await fim("kit", "--data", data, "--model", "Qwen/Qwen2.5-Coder-0.5B", "--out", out, "--quiet")).code).toBe(0);
    expect(existsSync(join(out, "data", "stale.jsonl"))).toBe(false);
    expect(readdirSync(join(out, "accelerate"))).toEqual(["deepspeed_zero2.yaml"]);
  });

  it("refuses a folder it did not write, a missing held-out file, and an unknown --multi-gpu", async () => {
    const foreign = join(root, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "mine");
    const r = await fim("kit", "--data", data, "--model", "m", "--out", foreign);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .*foreign already holds files this command did not write \(notes\.txt\)/);
    expect(readFileSync(join(foreign, "notes.txt"), "utf8")).toBe("mine");
    const noEval = await fim("kit", "--data", data, "--eval", join(root, "none.jsonl"), "--model", "m", "--out", join(root, "k2"));
    expect(noEval.code).toBe(2);
    expect(noEval.stderr).toMatch(/no held-out samples: .*none\.jsonl does not exist/);
    expect(existsSync(join(root, "k2"))).toBe(false);
    expect((await fim("kit", "--data", data, "--model", "m", "--out", join(root, "k3"), "--multi-gpu", "mpi")).code).toBe(2);
  });

  it("is listed in fim --help", async () => {
    expect((await fim("--help")).stdout).toMatch(/kit\s+a training kit for GPU machines/);
  });
});
