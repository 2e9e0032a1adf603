// Near-duplicate removal across the split (src/lib/fim/near-dup.ts and the dataset builder): identical and lightly
// edited files are caught, unrelated ones are not, the MinHash estimate is close to the exact Jaccard, and the
// builder never puts a near-duplicate of a train file into eval (counted as skipped near-duplicate).

import { describe, expect, it } from "vitest";
import {
  buildDataset, codeTokens, estimateJaccard, isEvalFile, jaccard, memorySource, minHash, nearDuplicatesAcrossSplit,
  type DatasetOptions, type MemoryFile, type SampleRecord,
} from "../../../src/lib/fim/index.ts";
import { BUILTIN_CORPUS } from "../../../src/lib/fim/builtin.ts";
import { randomFiles } from "./random-files.ts";

const A = `def binary_search(items, target):
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        elif items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def linear_search(items, target):
    for i, item in enumerate(items):
        if item == target:
            return i
    return -1


def main():
    data = sorted([5, 3, 9, 1, 7, 2, 8])
    print(binary_search(data, 7))
    print(linear_search(data, 7))
`;

/** A light edit: one name changed in one place, re-indented with 2 spaces, a comment added. */
const A_EDITED = `# search helpers
${A.replace("print(linear_search(data, 7))", "print(linear_search(data, 9))").replace(/ {4}/g, "  ")}`;

const UNRELATED = `class LRUCache {
  constructor(capacity) {
    this.capacity = capacity;
    this.map = new Map();
  }
  get(key) {
    if (!this.map.has(key)) return undefined;
    const value = this.map.get(key);
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }
  put(key, value) {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value);
  }
}
`;

describe("similarity", () => {
  it("tokens ignore whitespace: re-indenting changes nothing", () => {
    expect(codeTokens("if (a<=b)  {\n\treturn x_1;}")).toEqual(["if", "(", "a", "<", "=", "b", ")", "{", "return", "x_1", ";", "}"]);
    expect(jaccard(A, A.replace(/ {4}/g, "\t"))).toBe(1);
  });
  it("identical files are 1, a light edit is high, unrelated code is low", () => {
    expect(jaccard(A, A)).toBe(1);
    expect(estimateJaccard(minHash(A)!, minHash(A)!)).toBe(1);
    expect(jaccard(A, A_EDITED)).toBeGreaterThan(0.85);
    expect(jaccard(A, UNRELATED)).toBeLessThan(0.05);
    expect(jaccard(A, "")).toBe(0);
    expect(minHash("   \n ")).toBeUndefined();
  });
  it("the MinHash estimate is within 0.1 of the exact Jaccard", () => {
    const half = A.split("\n").slice(0, 12).join("\n") + "\n" + UNRELATED;
    for (const b of [A_EDITED, UNRELATED, half]) {
      expect(Math.abs(estimateJaccard(minHash(A)!, minHash(b)!) - jaccard(A, b))).toBeLessThan(0.1);
    }
  });
});

describe("nearDuplicatesAcrossSplit", () => {
  it("drops eval copies and light edits of train files, keeps unrelated eval files and all train files", () => {
    const drops = nearDuplicatesAcrossSplit([
      { path: "train/a.py", text: A, split: "train" },
      { path: "train/lru.js", text: UNRELATED, split: "train" },
      { path: "eval/copy.py", text: A, split: "eval" },
      { path: "eval/edited.py", text: A_EDITED, split: "eval" },
      { path: "eval/other.py", text: BUILTIN_CORPUS[0]!.text, split: "eval" },
    ]);
    expect([...drops.keys()].sort()).toEqual(["eval/copy.py", "eval/edited.py"]);
    expect(drops.get("eval/copy.py")).toEqual({ of: "train/a.py", similarity: 1 });
    expect(drops.get("eval/edited.py")!.of).toBe("train/a.py");
    expect(drops.get("eval/edited.py")!.similarity).toBeGreaterThanOrEqual(0.8);
  });
  it("the threshold is honoured, and the answer does not depend on the order of the files", () => {
    const files = [
      { path: "e.py", text: A_EDITED, split: "eval" as const },
      { path: "t.py", text: A, split: "train" as const },
    ];
    expect(nearDuplicatesAcrossSplit(files, 1).size).toBe(0);
    expect(nearDuplicatesAcrossSplit(files).size).toBe(1);
    expect(nearDuplicatesAcrossSplit([...files].reverse()).size).toBe(1);
  });
  it("the built-in corpus and random files have no near-duplicates of each other", () => {
    const files = [...BUILTIN_CORPUS, ...randomFiles(3, 200)].map((f, i) => ({ path: `${i}/${f.path}`, text: f.text, split: i % 2 ? "eval" as const : "train" as const }));
    expect(nearDuplicatesAcrossSplit(files).size).toBe(0);
  });
});

describe("the dataset builder's split", () => {
  async function run(files: MemoryFile[], opts: Partial<DatasetOptions>) {
    const out: SampleRecord[] = [];
    const stats = await buildDataset(memorySource(files), opts, (r) => void out.push(r));
    return { out, stats };
  }
  // 40 variants of A (a different constant in main) and 20 unrelated files: every variant that lands in eval is a
  // near-duplicate of a variant in train
  const variants = Array.from({ length: 40 }, (_, i) => ({ path: `copies/v${i}.py`, text: A.replace("[5, 3, 9, 1, 7, 2, 8]", `[${i}, 3, 9]`) }));
  const others = randomFiles(5, 20);
  const files = [...variants, ...others];
  const evalVariants = variants.filter((f) => isEvalFile(f.path, 1, 0.3)).length;

  for (const counting of [{ count: 500 }, { perFile: 2 }]) {
    it(`never puts a near-duplicate of a train file into eval (${Object.keys(counting)[0]})`, async () => {
      expect(evalVariants).toBeGreaterThan(3);
      const { out, stats } = await run(files, { format: "psm", evalFraction: 0.3, ...counting });
      const trainText = new Map(files.map((f) => [f.path, f.text]));
      const trainFiles = [...new Set(out.filter((r) => r.split === "train").map((r) => r.path))].map((p) => trainText.get(p)!);
      for (const path of new Set(out.filter((r) => r.split === "eval").map((r) => r.path))) {
        for (const t of trainFiles) expect(jaccard(trainText.get(path)!, t)).toBeLessThan(0.8);
      }
      expect(stats.skipped["near-duplicate"]).toBe(evalVariants);
      expect(stats.files.usable).toBe(60);
      expect(stats.files.used).toBe(60 - evalVariants);
      if ("count" in counting) expect(out.length).toBe(500); // the total is still met exactly
      else expect(out.length).toBe(2 * (60 - evalVariants));
    });
  }
  it("dropNearDuplicates: false keeps them; a bad threshold names the option", async () => {
    const { stats } = await run(files, { format: "psm", evalFraction: 0.3, count: 500, dropNearDuplicates: false });
    expect(stats.skipped["near-duplicate"]).toBe(0);
    expect(stats.files.used).toBe(60);
    await expect(run(files, { nearDupThreshold: 0 })).rejects.toThrow("option nearDupThreshold: must be above 0 and at most 1, got 0");
  });
  it("the CLI reports them and takes the flags", async () => {
    const { main } = await import("../../../node/export/src/cli/main.ts");
    const { mkdtempSync, writeFileSync, mkdirSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "fim-neardup-"));
    mkdirSync(join(dir, "copies"));
    for (const f of variants) writeFileSync(join(dir, f.path), f.text);
    let stderr = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    expect(await main(["samples", dir, "--eval-fraction", "0.3", "--count", "50"], io)).toBe(0);
    expect(stderr).toMatch(/skipped: near-duplicate \d+/);
    stderr = "";
    expect(await main(["samples", dir, "--eval-fraction", "0.3", "--count", "50", "--keep-near-duplicates"], io)).toBe(0);
    expect(stderr).toContain("skipped: none");
    expect(await main(["samples", dir, "--near-dup-threshold", "2"], io)).toBe(2);
    expect(stderr).toContain('--near-dup-threshold must be a number above 0 and at most 1, got "2"');
  });
});
