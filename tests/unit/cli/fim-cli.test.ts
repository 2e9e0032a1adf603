// The `fim` command line: each error message and exit code, output files written whole or not at all,
// and the real executable end to end.

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { fim } from "./run-fim.ts";

const PY = "def add(a, b):\n    total = a + b\n    return total\n\n\nprint(add(1, 2))\n";
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fim-cli-"));
  mkdirSync(join(dir, "proj/src"), { recursive: true });
  mkdirSync(join(dir, "proj/node_modules/dep"), { recursive: true });
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, `proj/src/m${i}.py`), PY.replace("add", `add${i}`));
  writeFileSync(join(dir, "proj/node_modules/dep/index.js"), "module.exports = function () {\n  return 1;\n};\n// padding comment\n");
  writeFileSync(join(dir, "proj/data.json"), '{\n  "a": 1,\n  "b": 2,\n  "c": "a value long enough to pass"\n}\n');
  mkdirSync(join(dir, "junk"));
  writeFileSync(join(dir, "junk/notes"), "hello");
  writeFileSync(join(dir, "ex1.py"), "def calculate_sum(x, y):\n    result = x + y\n    return result");
});

describe("fim samples", () => {
  it("writes train and eval JSONL and a summary", async () => {
    const out = join(dir, "s.jsonl");
    const r = await fim("samples", join(dir, "proj"), "--count", "40", "--seed", "3", "--eval-fraction", "0.3", "--out", out);
    expect(r.code).toBe(0);
    const train = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const evalRecs = readFileSync(join(dir, "s.eval.jsonl"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(train.length + evalRecs.length).toBe(40);
    expect(train.every((x) => x.split === "train" && x.format === "ctx" && x.path.startsWith("proj/src/"))).toBe(true);
    expect(evalRecs.every((x) => x.split === "eval")).toBe(true);
    expect(r.stderr).toContain("format ctx: 40 samples");
    expect(r.stderr).toContain("skipped: banned-language 1"); // data.json; node_modules is never walked
    expect(readdirSync(dir).filter((f) => f.includes("partial"))).toEqual([]);
  });
  it("writes to stdout without --out, and is deterministic", async () => {
    const a = await fim("samples", join(dir, "proj"), "--count", "10", "--format", "psm", "--quiet");
    const b = await fim("samples", join(dir, "proj"), "--count", "10", "--format", "psm", "--quiet");
    expect(a.stdout.trim().split("\n").length).toBe(10);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stderr).toBe("");
  });
  it("--builtin uses the synthetic corpus", async () => {
    const r = await fim("samples", "--builtin", "--count", "25", "--format", "starcoder", "--quiet");
    expect(r.stdout.trim().split("\n").map((l) => JSON.parse(l).text.startsWith("<fim_prefix>")).every(Boolean)).toBe(true);
  });

  const ERRORS: [string, string[], number, string][] = [
    ["missing path", ["samples", "/no/such/dir"], 2, "fim samples: error: no such file or directory: /no/such/dir\n"],
    ["unknown format", ["samples", "--builtin", "--format", "gpt"], 2,
      'fim samples: error: --format must be one of ctx, ctx-seed, psm, qwen, starcoder, codellama, deepseek, codestral, got "gpt"\n'],
    ["no usable files", ["samples", "JUNK"], 1, "fim samples: error: no usable files: 1 seen, skipped unknown-language 1\n"],
    ["no input", ["samples"], 2, "fim samples: error: give files or directories, or --builtin"],
    ["files and --builtin", ["samples", "--builtin", "x"], 2, "fim samples: error: give files or --builtin, not both\n"],
    ["a bad number", ["samples", "--builtin", "--count", "12abc"], 2, 'fim samples: error: --count must be an integer from 1 to 10000000, got "12abc"\n'],
    ["an out-of-range number", ["samples", "--builtin", "--count", "0"], 2, "fim samples: error: --count must be an integer from 1 to 10000000, got \"0\"\n"],
    ["a count past the bound", ["samples", "--builtin", "--count", "1e12"], 2, "fim samples: error: --count must be an integer from 1 to 10000000, got \"1e12\"\n"],
    ["a rate above 1", ["samples", "--builtin", "--fim-rate", "2"], 2, "fim samples: error: --fim-rate must be a number from 0 to 1, got \"2\"\n"],
    ["a bad span", ["samples", "--builtin", "--span", "words"], 2, 'fim samples: error: --span must be one of lines, chars, got "words"\n'],
    ["an unknown flag", ["samples", "--builtin", "--colour"], 2, "fim samples: error: Unknown option '--colour'"],
    ["a missing output directory", ["samples", "--builtin", "--out", "/no/such/dir/s.jsonl"], 2,
      "fim samples: error: cannot write /no/such/dir/s.jsonl: its folder /no/such/dir does not exist\n"],
  ];
  for (const [what, argv, code, message] of ERRORS) {
    it(`error: ${what}`, async () => {
      const r = await fim(...argv.map((a) => (a === "JUNK" ? join(dir, "junk") : a)));
      expect(r.code).toBe(code);
      expect(r.stderr.startsWith(message)).toBe(true);
      expect(r.stdout).toBe("");
    });
  }
  it("a failed run leaves no output file behind", async () => {
    const out = join(dir, "fail.jsonl");
    const r = await fim("samples", join(dir, "junk"), "--out", out);
    expect(r.code).toBe(1);
    expect(readdirSync(dir).filter((f) => f.startsWith("fail") || f.includes("partial"))).toEqual([]);
  });
  it("unknown command", async () => {
    const r = await fim("sample");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fim: error: unknown command "sample"/);
  });
});

describe("fim render", () => {
  it("prints the seed's example 1 for ctx-seed (1-based line and column)", async () => {
    const r = await fim("render", "--format", "ctx-seed", "--file", join(dir, "ex1.py"), "--line", "2", "--col", "14");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "«CTX»def calculate_sum(x, y):\n    result = «CURSOR»x + y\n    return result«/CTX»«PREFIX»def calculate_sum(x, y):\n" +
        "    result = «SUFFIX»x + y\n    return result«MIDDLE»x + y\n",
    );
  });
  it("incomplete mode and --json", async () => {
    const r = await fim("render", "--format", "qwen", "--file", join(dir, "ex1.py"), "--line", "2", "--col", "14", "--incomplete", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({ suffix: "", middle: "x + y\n", text: expect.stringMatching(/<\|fim_suffix\|><\|fim_middle\|>x \+ y\n<\|endoftext\|>$/) });
  });
  it("--prompt prints what a model is given", async () => {
    const r = await fim("render", "--format", "codellama", "--file", join(dir, "ex1.py"), "--line", "3", "--col", "5", "--prompt");
    expect(r.stdout).toBe("<PRE> def calculate_sum(x, y):\n    result = x + y\n     <SUF>return result <MID>");
  });
  it.each([
    [["--format", "ctx", "--line", "1", "--col", "1"], "--file is required"],
    [["--format", "ctx", "--file", "EX", "--line", "9", "--col", "1"], "no sample at line 9, column 1: line 9 is outside the file (it has 3 lines)"],
    [["--format", "ctx", "--file", "EX", "--line", "1", "--col", "99"], "column 99 is past the end of line 1 (it has 24 characters)"],
    [["--format", "ctx", "--file", "EX", "--line", "0", "--col", "1"], '--line must be an integer from 1 to 100000000, got "0"'],
    [["--format", "nope", "--file", "EX", "--line", "1", "--col", "1"], '--format must be one of ctx, ctx-seed'],
    [["--format", "ctx", "--file", "/no/file.py", "--line", "1", "--col", "1"], "no such file or directory: /no/file.py"],
  ])("error %#: %s", async (args, message) => {
    const r = await fim("render", ...args.map((a) => (a === "EX" ? join(dir, "ex1.py") : a)));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe("the real executable", () => {
  it("npx fim runs through the workspace bin and sets the exit code", async () => {
    const run = promisify(execFile);
    const ok = await run("node", ["node/export/bin/fim.mjs", "samples", "--builtin", "--count", "5", "--quiet"]);
    expect(ok.stdout.trim().split("\n").length).toBe(5);
    const bad = await run("node", ["node/export/bin/fim.mjs", "samples", "/no/such"]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no such file or directory: /no/such");
  }, 30_000);
});
