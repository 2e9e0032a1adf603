// `fim try`: each of the seed's three checks gets a verdict against the middle its scenario expects (the table in
// seed-checks.ts), a summary line, and with --check a failure is exit code 1 (without it, exit 0 as before).
// Written middles pass and near misses fail; a real run through llama.cpp on a tiny random GGUF fails all three.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { judgeSeedCheck, SEED_CHECKS } from "../../../node/export/src/cli/seed-checks.ts";
import { runSeedChecks } from "../../../node/export/src/cli/try.ts";
import { fim } from "./run-fim.ts";
import { writeTinyCheckpoint } from "../../fixtures/tiny-checkpoint.ts";

const byName = (prefix: string) => SEED_CHECKS.find((c) => c.name.startsWith(prefix))!;

describe("the seed's expected middles", () => {
  it.each([
    ["binary search", "if items[mid] == target:\n            return mid", true],
    ["binary search", "if target == items[mid]: return mid\n", true],
    ["binary search", "if items[mid] == target:\n            return mid\n        elif items[mid] < target:", false], // runs into the suffix
    ["binary search", "if items[mid] > target:\n            return mid", false],
    ["binary search", "return mid", false],
    ["async function", "if (!response.ok) throw new Error(`HTTP ${response.status}`);", true],
    ["async function", "if (!response.ok) {\n    throw new Error(response.statusText);\n  }", true],
    ["async function", "if (response.status !== 200) throw new Error('bad status');", true],
    ["async function", "const data = await response.text();", false],
    ["async function", "", false],
    ["class method", "self.items.append(item)", true],
    ["class method", "  self.items += [item]\n", true],
    ["class method", "self.items.append(item)\n\n    def pop(self):\n        return self.items.pop()", false],
    ["class method", "self.items.pop()", false],
  ])("%s: %j -> %s", (name, completion, pass) => {
    expect(judgeSeedCheck(byName(name), completion).pass).toBe(pass);
  });

  it("every check has an expectation in words and a pattern", () => {
    expect(SEED_CHECKS.map((c) => c.name)).toEqual(["binary search (Python)", "async function (JavaScript)", "class method (Python)"]);
    for (const c of SEED_CHECKS) expect(judgeSeedCheck(c, c.expected.replace("(...)", "('x')")).pass).toBe(true);
  });
});

describe("the report", () => {
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
  };
  const WRITTEN = ["if items[mid] == target:\n            return mid", "if (!response.ok) throw new Error(response.statusText);", "self.items.pop()"];

  it("a verdict under each completion and a summary on stdout", async () => {
    const { out, io: sink } = io();
    let i = 0;
    const verdicts = await runSeedChecks(async () => WRITTEN[i++]!, sink);
    expect(verdicts.map((v) => v.pass)).toEqual([true, true, false]);
    expect(out.stdout).toContain("return -1\nPASS: completes to if items[mid] == target: return mid\n");
    expect(out.stdout).toContain("return self.items.pop()\nFAIL: expected self.items.append(item)\n");
    expect(out.stdout).toMatch(/2 of 3 seed checks pass\n$/);
  });
});

describe("fim try through llama.cpp", () => {
  let gguf: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "fim-try-"));
    const model = (await writeTinyCheckpoint(join(dir, "qwen"), { architecture: "qwen2" })).dir;
    gguf = join(dir, "tiny.gguf");
    const e = await fim("export", "--model", model, "--quant", "f32", "--out", gguf, "--quiet");
    expect(e.code, e.stderr).toBe(0);
  }, 120_000);

  it("a random model fails every check: exit 0 without --check, 1 with it", async () => {
    const r = await fim("try", gguf, "--max-tokens", "4");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^FAIL: expected /gm)).toHaveLength(3);
    expect(r.stdout).toContain("FAIL: expected if items[mid] == target: return mid");
    expect(r.stdout).toMatch(/0 of 3 seed checks pass\n$/);
    const checked = await fim("try", gguf, "--max-tokens", "4", "--check");
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/0 of 3 seed checks pass\n$/);
    expect((await fim("try", "--help")).stdout).toContain("--check");
  }, 120_000);
});
