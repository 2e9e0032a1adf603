// Progress on stderr: the one reporter `fim train` and `fim eval` share (counts, ETA, throttling, on a fake clock),
// and `fim eval` end to end on a tiny checkpoint: a line at the start, one with an ETA after the first sample, one at
// the end, all on stderr, while stdout stays the JSON report alone.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { etaSeconds, formatDuration, progressReporter } from "../../../node/export/src/cli/progress.ts";
import { fim } from "./run-fim.ts";
import { writeTinyCheckpoint } from "../../fixtures/tiny-checkpoint.ts";

describe("progressReporter", () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  };

  it("formats durations and estimates the time left from the mean time per item", () => {
    expect(formatDuration(4.4)).toBe("4 s");
    expect(formatDuration(845)).toBe("14 min 5 s");
    expect(formatDuration(7380)).toBe("2 h 3 min");
    expect(formatDuration(NaN)).toBe("?");
    expect(etaSeconds(0, 10, 5000)).toBeUndefined();
    expect(etaSeconds(2, 8, 4000)).toBe(16);
  });

  it("says when the work starts, the first ETA at once, then at most one line per everyMs, and the end", () => {
    const c = clock();
    const lines: string[] = [];
    const report = progressReporter({ label: "model:", unit: "samples", total: 5, everyMs: 1000, write: (l) => lines.push(l), now: c.now });
    report(0);
    c.advance(2000);
    report(1);
    c.advance(100);
    report(2); // throttled
    c.advance(1000);
    report(3);
    c.advance(100);
    report(4); // throttled
    c.advance(100);
    report(5);
    expect(lines).toEqual([
      "model: 0/5 samples\n",
      "model: 1/5 samples  ETA 8 s\n",
      "model: 3/5 samples  ETA 2 s\n",
      "model: 5/5 samples  done in 3 s\n",
    ]);
  });

  it("a resumed run's ETA counts only the steps of this run; details sit between the count and the ETA", () => {
    const c = clock();
    const lines: string[] = [];
    const report = progressReporter({ label: "step", total: 10, first: 6, write: (l) => lines.push(l), now: c.now });
    c.advance(3000);
    report(7, "loss 1.0000");
    c.advance(3000);
    report(8, "loss 0.9000");
    expect(lines).toEqual(["step 7/10  loss 1.0000  ETA 9 s\n", "step 8/10  loss 0.9000  ETA 6 s\n"]);
  });
});

describe("fim eval reports its progress on stderr", () => {
  it("a start line, the first ETA, the end; stdout is only the JSON report", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fim-progress-"));
    const model = (await writeTinyCheckpoint(join(dir, "qwen"), { architecture: "qwen2" })).dir;
    const rec = (prefix: string, middle: string) =>
      JSON.stringify({ text: `<|fim_prefix|>${prefix}<|fim_suffix|><|fim_middle|>${middle}<|endoftext|>`, prefix, middle, suffix: "", format: "qwen", mode: "psm", language: "python", path: "f.py", split: "eval" });
    const data = join(dir, "d.eval.jsonl");
    writeFileSync(data, [rec("a = 1\n", "b = 2\n"), rec("x = 1\n", "y\n"), rec("def f():\n", "    pass\n")].join("\n") + "\n");
    const r = await fim("eval", "--model", model, "--data", data, "--max-tokens", "2", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).samples).toBe(3);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("model: "));
    expect(lines[0]).toBe("model: 0/3 samples");
    expect(lines[1]).toMatch(/^model: 1\/3 samples {2}ETA \d+ s$/);
    expect(lines.at(-1)).toMatch(/^model: 3\/3 samples {2}done in \d+ s$/);
    expect((await fim("eval", "--model", model, "--data", data, "--max-tokens", "2", "--quiet")).stderr).toBe("");
  }, 120_000);
});
