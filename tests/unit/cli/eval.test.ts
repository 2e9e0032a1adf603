// `fim eval` end to end: the baselines on a hand-made JSONL with exact numbers (and --mode choosing samples), our
// engine on the tiny checkpoint with --json and as a table, usage errors, and the GGUF path: an F32 export of the
// same checkpoint run by llama.cpp gives the same predictions as our engine on most samples (the others are float
// ties, see tests/unit/export/llama-cpp.test.ts) and the same scores within 2 points.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvalCliReport } from "../../../node/export/src/cli/eval.ts";
import { fim } from "./run-fim.ts";
import { writeTinyCheckpoint, type TinyTensor } from "../../fixtures/tiny-checkpoint.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fim-eval-"));
});

const rec = (language: string, prefix: string, middle: string, mode = "psm") =>
  JSON.stringify({ text: mode === "plain" ? `${middle}<|endoftext|>` : `<|fim_prefix|>${prefix}<|fim_suffix|><|fim_middle|>${middle}<|endoftext|>`, prefix, middle, suffix: "", format: "qwen", mode, language, path: `f.${language}`, split: "eval" });

describe("baselines on a hand-made JSONL", () => {
  // previous line vs middle: EM / ES
  const LINES = [
    rec("python", "a = 1\nb = 2\n", "b = 2\n"), // "b = 2": EM; ES 100 * (1 - 1/6)
    rec("python", "x = 1\n", "y\n"), // "x = 1": ES 0
    rec("javascript", "let a = 0;", " // zero\n"), // "" (no line before): ES 0
    rec("javascript", "f();\n  g();\n  ", "g();\n"), // "  g();": EM; ES 100 * (1 - 3/6)
    rec("python", "b\n", "b\nb\n"), // multi-line middle; "b": ES 100 * (1 - 3/4)
    rec("python", "", "plain text\n", "plain"), // not FIM: left out
  ];
  let data: string;
  beforeAll(() => {
    data = join(dir, "hand.jsonl");
    writeFileSync(data, LINES.join("\n") + "\n");
  });
  const scores = (r: EvalCliReport, name: string) => r.systems.find((s) => s.name === name)!;

  it("--mode span: every FIM sample", async () => {
    const r = await fim("eval", "--baselines", "--data", data, "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as EvalCliReport;
    expect(j).toMatchObject({ mode: "span", samples: 5, left: { plain: 1, mode: 0, limit: 0 } });
    expect(j.systems.map((s) => s.name)).toEqual(["baseline empty", "baseline previous-line"]);
    const empty = scores(j, "baseline empty");
    expect(empty.overall).toEqual({ n: 5, exactMatch: 0, editSimilarity: 0, stoppedProperly: null, msPerSample: 0 });
    expect(empty.byLanguage.python!.n).toBe(3);
    const prev = scores(j, "baseline previous-line");
    expect(prev.predictions.map((p) => p.prediction)).toEqual(["b = 2", "x = 1", "", "  g();", "b"]);
    const es = [100 * (1 - 1 / 6), 0, 0, 100 * (1 - 3 / 6), 100 * (1 - 3 / 4)];
    expect(prev.byLanguage.python!.exactMatch).toBeCloseTo(100 / 3, 10);
    expect(prev.byLanguage.python!.editSimilarity).toBeCloseTo((es[0]! + es[1]! + es[4]!) / 3, 10);
    expect(prev.byLanguage.javascript!.exactMatch).toBe(50);
    expect(prev.byLanguage.javascript!.editSimilarity).toBeCloseTo(25, 10);
    expect(prev.overall.exactMatch).toBe(40);
    expect(prev.overall.editSimilarity).toBeCloseTo(es.reduce((a, b) => a + b) / 5, 10);
  });

  it("--mode line and multiline split the samples by their middle; the table has a row per language", async () => {
    const line = JSON.parse((await fim("eval", "--baselines", "--data", data, "--json", "--mode", "line")).stdout) as EvalCliReport;
    expect(line).toMatchObject({ samples: 4, left: { plain: 1, mode: 1 } });
    expect(scores(line, "baseline previous-line").overall.exactMatch).toBe(50);
    expect(scores(line, "baseline previous-line").overall.editSimilarity).toBeCloseTo((100 * (1 - 1 / 6) + 50) / 4, 10);
    const multi = JSON.parse((await fim("eval", "--baselines", "--data", data, "--json", "--mode", "multiline")).stdout) as EvalCliReport;
    expect(multi.samples).toBe(1);
    expect(scores(multi, "baseline previous-line").overall.editSimilarity).toBe(25);
    const table = await fim("eval", "--baselines", "--data", data, "--limit", "4");
    expect(table.stdout).toContain("4 samples from");
    expect(table.stdout).toContain("left out: 1 plain, 1 past --limit");
    expect(table.stdout).toMatch(/baseline previous-line: .*\n {2}language +n +EM % +ES +stopped % +ms\/sample\n {2}javascript +2 +50\.0 +25\.0 +- +0\.0\n {2}python +2 +50\.0 +41\.7 +- +0\.0\n {2}overall +4 +50\.0 +33\.3 +- +0\.0\n/);
  });

  it("usage errors name the flag; no samples left is an error naming the file", async () => {
    const cases: [string[], number, string][] = [
      [["--baselines"], 2, "--data is required"],
      [["--data", data], 2, "give --model DIR, --gguf FILE, --baselines, or several"],
      [["--data", data, "--baselines", "--mode", "words"], 2, '--mode must be one of span, line, multiline, got "words"'],
      [["--data", data, "--adapter", "x"], 2, "--adapter needs --model"],
      [["--data", data, "--baselines", "--limit", "0"], 2, '--limit must be an integer from 1 to 10000000, got "0"'],
      [["--data", data, "--gguf", join(dir, "none.gguf")], 2, "--gguf: no such file"],
      [["--data", join(dir, "none.jsonl"), "--baselines"], 2, "--data: no such file"],
    ];
    for (const [argv, code, message] of cases) {
      const r = await fim("eval", ...argv);
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(code);
    }
    const plainOnly = join(dir, "plain.jsonl");
    writeFileSync(plainOnly, LINES[5] + "\n");
    const r = await fim("eval", "--data", plainOnly, "--baselines");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`fim eval: error: ${plainOnly}: no samples to evaluate (1 plain, 0 not span)\n`);
    expect((await fim("eval", "--help")).stdout).toContain("Usage: fim eval");
  });
});

describe("our engine and its GGUF through llama.cpp", () => {
  let model: string;
  let data: string;
  let gguf: string;
  beforeAll(async () => {
    // weights x16 (exact in F32) so logits are peaked enough to compare greedy tokens, as in llama-cpp.test.ts
    const sharp = (ts: TinyTensor[]) => ts.map((t) => (t.shape.length === 2 ? { ...t, data: t.data.map((x) => x * 16) } : t));
    model = (await writeTinyCheckpoint(join(dir, "qwen"), { architecture: "qwen2", mutate: sharp })).dir;
    data = join(dir, "s.jsonl");
    const s = await fim("samples", "--builtin", "--format", "qwen", "--count", "200", "--span", "chars", "--eval-fraction", "0.2", "--out", data, "--quiet");
    expect(s.code, s.stderr).toBe(0);
    gguf = join(dir, "tiny-f32.gguf");
    const e = await fim("export", "--model", model, "--quant", "f32", "--out", gguf, "--quiet");
    expect(e.code, e.stderr).toBe(0);
  }, 120_000);

  it("scores the model per language and overall (--json, then the table)", async () => {
    const evalData = join(dir, "s.eval.jsonl");
    const r = await fim("eval", "--model", model, "--data", evalData, "--limit", "6", "--max-tokens", "4", "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as EvalCliReport;
    expect(j.samples).toBe(6);
    const [m] = j.systems;
    expect(m!.name).toBe("model");
    expect(m!.predictions).toHaveLength(6);
    const records = readFileSync(evalData, "utf8").trim().split("\n").slice(0, 6).map((l) => JSON.parse(l));
    expect(m!.predictions.map((p) => p.reference)).toEqual(records.map((x) => x.middle));
    expect(Object.values(m!.byLanguage).reduce((a, s) => a + s.n, 0)).toBe(6);
    for (const s of [m!.overall, ...Object.values(m!.byLanguage)]) {
      expect(s.exactMatch).toBeGreaterThanOrEqual(0);
      expect(s.editSimilarity).toBeLessThanOrEqual(100);
      expect(s.stoppedProperly).toBeGreaterThanOrEqual(0);
      expect(s.msPerSample).toBeGreaterThan(0);
    }
    const table = await fim("eval", "--model", model, "--data", evalData, "--limit", "2", "--max-tokens", "2");
    expect(table.stdout).toMatch(/^model: .*qwen\n {2}language +n +EM % +ES +stopped % +ms\/sample\n/m);
    expect(table.stdout).toMatch(/\n {2}overall +2 /);
    expect(table.stderr).toContain("model: 2/2 samples");
  }, 120_000);

  it("--adapter: a PEFT adapter on the model", async () => {
    const adapter = join(dir, "adapter");
    const t = await fim("train", "--model", model, "--data", data, "--out", adapter, "--steps", "1", "--context", "128", "--batch-size", "1", "--grad-accum", "1", "--rank", "2", "--warmup", "0", "--quiet");
    expect(t.code, t.stderr).toBe(0);
    const r = await fim("eval", "--model", model, "--adapter", adapter, "--data", join(dir, "s.eval.jsonl"), "--limit", "2", "--max-tokens", "2", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`model: ${model} + adapter ${adapter}\n`);
  }, 120_000);

  it("the F32 GGUF gives the same predictions on most samples, and scores within 2 points", async () => {
    const evalData = join(dir, "s.eval.jsonl");
    const r = await fim("eval", "--model", model, "--gguf", gguf, "--data", evalData, "--limit", "30", "--max-tokens", "8", "--threads", "1", "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as EvalCliReport;
    const [m, g] = j.systems;
    expect(g!.name).toBe("gguf");
    expect(j.agreement!.n).toBe(30);
    expect(j.agreement!.identical).toBeGreaterThanOrEqual(24);
    expect(Math.abs(m!.overall.exactMatch - g!.overall.exactMatch)).toBeLessThanOrEqual(2);
    expect(Math.abs(m!.overall.editSimilarity - g!.overall.editSimilarity)).toBeLessThanOrEqual(2);
    expect(Math.abs(m!.overall.stoppedProperly! - g!.overall.stoppedProperly!)).toBeLessThanOrEqual(100 * 6 / 30);

    // The model's own predictions as the references: our engine would score EM 100, and the GGUF's EM is its
    // agreement with our engine (up to whitespace)
    const own = join(dir, "own.jsonl");
    const records = readFileSync(evalData, "utf8").trim().split("\n").slice(0, 30).map((l) => JSON.parse(l));
    writeFileSync(own, records.map((x, i) => JSON.stringify({ ...x, middle: m!.predictions[i]!.prediction || "\n" })).join("\n"));
    const again = JSON.parse((await fim("eval", "--gguf", gguf, "--data", own, "--max-tokens", "8", "--threads", "1", "--json", "--quiet")).stdout) as EvalCliReport;
    expect(again.systems[0]!.overall.exactMatch).toBeGreaterThanOrEqual(80);
  }, 300_000);

  it("a GGUF whose vocabulary lacks the format's markers is refused, naming them", async () => {
    const llama = (await writeTinyCheckpoint(join(dir, "llama"), {})).dir;
    const path = join(dir, "llama.gguf");
    expect((await fim("export", "--model", llama, "--quant", "f32", "--out", path, "--quiet", "--format", "ctx")).code).toBe(0);
    const r = await fim("eval", "--gguf", path, "--data", join(dir, "s.eval.jsonl"), "--limit", "1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}: <|fim_prefix|>, <|fim_suffix|>, <|fim_middle|>, <|endoftext|> of format qwen are not single tokens of its vocabulary`);
  }, 120_000);
});
