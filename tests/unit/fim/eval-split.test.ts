// The train/eval split (eval-split.ts) through the dataset builder and `fim samples`: fewer than 5 usable files
// hold out a share of each file's samples, 5 or more hold out whole files; deterministic; no sample on both sides.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildDataset, evalShare, holdOutSamples, isEvalFile, memorySource, MIN_FILES_TO_SPLIT_BY_FILE, sampleKey, splitUnitFor,
  type DatasetOptions, type MemoryFile, type SampleRecord,
} from "../../../src/lib/fim/index.ts";
import { fim } from "../cli/run-fim.ts";

/** A 30-line Python file, different for every n. */
function python(n: number): string {
  const lines = [`"""Module ${n}."""`, ""];
  for (let i = 0; i < 7; i++) {
    lines.push(`def f${n}_${i}(values, k=${i + 1}):`, `    total = sum(v * k for v in values)`, `    return total - ${n + i}`, "");
  }
  return lines.join("\n");
}

async function run(files: MemoryFile[], opts: Partial<DatasetOptions> = {}) {
  const out: SampleRecord[] = [];
  const stats = await buildDataset(memorySource(files), opts, (r) => void out.push(r));
  return { out, stats };
}

/** No sample is on both sides: not the same training text, nor the same (file, prefix, middle) task. */
function expectDisjoint(out: SampleRecord[]): void {
  const side = (keyOf: (r: SampleRecord) => string) => {
    const seen = new Map<string, string>();
    for (const r of out) {
      const k = keyOf(r);
      expect(seen.get(k) ?? r.split, k.slice(0, 80)).toBe(r.split);
      seen.set(k, r.split);
    }
  };
  side((r) => r.text);
  side((r) => `${r.path}\n${r.prefix}\u0000${r.middle}`);
}

// With the default seed and eval fraction, a split by file sends this name to eval: as the only file, today's
// split would leave 0 training samples.
const EVAL_NAME = "utils.py";

describe("the split rule", () => {
  it("fewer than 5 usable files split by sample, 5 or more by file", () => {
    expect(MIN_FILES_TO_SPLIT_BY_FILE).toBe(5);
    expect([0, 1, 2, 3, 4].map(splitUnitFor)).toEqual(["samples", "samples", "samples", "samples", "samples"]);
    expect([5, 6, 100].map(splitUnitFor)).toEqual(["files", "files", "files"]);
  });
  it("evalShare: nearest to the fraction, at least one and at most all but one", () => {
    expect(evalShare(100, 0.1)).toBe(10);
    expect(evalShare(3, 0.1)).toBe(1);
    expect(evalShare(2, 0.9)).toBe(1);
    expect(evalShare(1, 0.5)).toBe(0); // a single distinct sample trains
    expect(evalShare(10, 0)).toBe(0);
    expect(evalShare(10, 1)).toBe(10);
    expect(evalShare(0, 0.5)).toBe(0);
  });
  it("holdOutSamples: copies of a sample go together, the input is not changed, same answer every time", () => {
    const recs = [
      { prefix: "ab", middle: "c", split: "train" as const },
      { prefix: "a", middle: "bc", split: "train" as const },
      { prefix: "ab", middle: "c", split: "train" as const }, // a copy of the first
      { prefix: "", middle: "abc", split: "train" as const },
    ];
    const a = holdOutSamples(recs, "x.py", 1, 0.5);
    expect(a.map((r) => r.split)).toEqual(holdOutSamples(recs, "x.py", 1, 0.5).map((r) => r.split));
    expect(a[0]!.split).toBe(a[2]!.split);
    expect(a.filter((r) => r.split === "eval").length).toBeGreaterThan(0);
    expect(a.filter((r) => r.split === "train").length).toBeGreaterThan(0);
    expect(recs.every((r) => r.split === "train")).toBe(true);
    expect(sampleKey(recs[0]!)).toBe(sampleKey(recs[2]!));
    expect(sampleKey(recs[0]!)).not.toBe(sampleKey(recs[1]!));
  });
});

describe("the dataset builder", () => {
  it("1 file with the defaults: both sides get samples, about a tenth held out", async () => {
    expect(isEvalFile(EVAL_NAME, 1, 0.1)).toBe(true); // the case the split by file got wrong
    const { out, stats } = await run([{ path: EVAL_NAME, text: python(0) }], { count: 400 });
    expect(stats.split).toBe("samples");
    expect(out.length).toBe(400);
    expect(stats.samples.train).toBeGreaterThan(300);
    expect(stats.samples.eval).toBeGreaterThan(10);
    expect(stats.samples.eval).toBeLessThan(80);
    expect(stats.files).toMatchObject({ used: 1, train: 1, eval: 1 });
    expect(out.filter((r) => r.split === "eval").length).toBe(stats.samples.eval);
    expectDisjoint(out);
  });
  it("4 files: every file feeds both sides; near-duplicates are not dropped (there are no eval files)", async () => {
    const files = [0, 1, 2, 3].map((n) => ({ path: `m${n}.py`, text: python(n) }));
    for (const format of ["ctx", "psm", "ctx-seed"]) {
      const { out, stats } = await run(files, { count: 400, format, evalFraction: 0.2 });
      expect(stats.split).toBe("samples");
      expect(stats.files).toMatchObject({ usable: 4, used: 4, train: 4, eval: 4 });
      expect(stats.skipped["near-duplicate"]).toBe(0);
      for (const f of files) {
        const sides = new Set(out.filter((r) => r.path === f.path).map((r) => r.split));
        expect(sides).toEqual(new Set(["train", "eval"]));
      }
      expect(stats.samples.eval / 400).toBeGreaterThan(0.1);
      expect(stats.samples.eval / 400).toBeLessThan(0.3);
      expectDisjoint(out);
    }
  });
  it("5 or more files: whole files, none on both sides, the eval files those the path hash picks", async () => {
    const files = Array.from({ length: 12 }, (_, n) => ({ path: `src/m${n}.py`, text: python(n) }));
    for (const opts of [{ count: 300 }, { perFile: 5, dropNearDuplicates: false }]) {
      const { out, stats } = await run(files, { ...opts, evalFraction: 0.3 });
      expect(stats.split).toBe("files");
      const evalPaths = new Set(out.filter((r) => r.split === "eval").map((r) => r.path));
      const trainPaths = new Set(out.filter((r) => r.split === "train").map((r) => r.path));
      expect([...evalPaths].filter((p) => trainPaths.has(p))).toEqual([]);
      expect([...evalPaths].sort()).toEqual(files.map((f) => f.path).filter((p) => isEvalFile(p, 1, 0.3)).sort());
      expect(stats.files.train + stats.files.eval).toBe(stats.files.used);
      expectDisjoint(out);
    }
  });
  it("counts usable files, not files seen: 1 usable file among skipped ones splits by sample", async () => {
    const junk = Array.from({ length: 6 }, (_, n) => ({ path: `notes${n}`, text: python(n) })); // unknown-language
    for (const opts of [{ count: 100 }, { perFile: 50, dropNearDuplicates: false }]) {
      const { stats } = await run([...junk, { path: EVAL_NAME, text: python(9) }], opts);
      expect(stats.split).toBe("samples");
      expect(stats.samples.train).toBeGreaterThan(0);
      expect(stats.samples.eval).toBeGreaterThan(0);
    }
  });
  it("is deterministic, and a file's split does not depend on the other files", async () => {
    const files = [0, 1, 2].map((n) => ({ path: `m${n}.py`, text: python(n) }));
    const a = await run(files, { perFile: 60, seed: 4 });
    const b = await run(files, { perFile: 60, seed: 4 });
    expect(JSON.stringify(a.out)).toBe(JSON.stringify(b.out));
    const alone = await run([files[1]!], { perFile: 60, seed: 4 });
    expect(JSON.stringify(alone.out)).toBe(JSON.stringify(a.out.filter((r) => r.path === "m1.py")));
    const other = await run(files, { perFile: 60, seed: 5 });
    expect(JSON.stringify(other.out)).not.toBe(JSON.stringify(a.out));
  });
  it("eval fraction 0 holds nothing out, 1 holds everything out", async () => {
    const file = [{ path: EVAL_NAME, text: python(0) }];
    expect((await run(file, { count: 50, evalFraction: 0 })).stats.samples).toEqual({ train: 50, eval: 0 });
    expect((await run(file, { count: 50, evalFraction: 1 })).stats.samples).toEqual({ train: 0, eval: 50 });
  });
});

describe("fim samples", () => {
  it("splits one file by sample, exactly as the library does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fim-eval-split-"));
    writeFileSync(join(dir, EVAL_NAME), python(0));
    const out = join(dir, "s.jsonl");
    const r = await fim("samples", join(dir, EVAL_NAME), "--count", "200", "--out", out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("eval held out from each file's samples");
    const lines = (p: string) => readFileSync(p, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as SampleRecord);
    const train = lines(out);
    const evalRecs = lines(join(dir, "s.eval.jsonl"));
    expect(train.length).toBeGreaterThan(0);
    expect(evalRecs.length).toBeGreaterThan(0);
    const lib = await run([{ path: EVAL_NAME, text: python(0) }], { count: 200 });
    expect(train).toEqual(lib.out.filter((x) => x.split === "train"));
    expect(evalRecs).toEqual(lib.out.filter((x) => x.split === "eval"));
  });
});
