import { describe, expect, test } from "vitest";
import { editSimilarity, exactMatch, levenshtein, scoreAll } from "../../../src/lib/fim/metrics.ts";

/** Independent reference: the full (m+1)x(n+1) dynamic-programming table. */
function levFull(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

describe("metrics", () => {
  test("levenshtein: textbook cases", () => {
    expect(levenshtein("kitten", "sitting")).toBe(3);
    expect(levenshtein("flaw", "lawn")).toBe(2);
    expect(levenshtein("", "abc")).toBe(3);
    expect(levenshtein("abc", "abc")).toBe(0);
  });

  test("levenshtein equals the full-table reference on random strings", () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31), s / 2 ** 31);
    const word = () => Array.from({ length: Math.floor(rnd() * 12) }, () => "ab c\n"[Math.floor(rnd() * 5)]).join("");
    for (let k = 0; k < 200; k++) {
      const a = word();
      const b = word();
      expect(levenshtein(a, b)).toBe(levFull(a, b));
    }
  });

  test("exact match ignores whitespace layout only", () => {
    expect(exactMatch("return  a + b\n", "return a + b")).toBe(true);
    expect(exactMatch("    x = 1", "x = 1\n")).toBe(true);
    expect(exactMatch("return a+b", "return a + b")).toBe(false);
    expect(exactMatch("", "\n")).toBe(true);
    expect(exactMatch("", "x")).toBe(false);
  });

  test("edit similarity is 0..100", () => {
    expect(editSimilarity("abc", "abc")).toBe(100);
    expect(editSimilarity("", "")).toBe(100);
    expect(editSimilarity("", "abcd")).toBe(0);
    expect(editSimilarity("kitten", "sitting")).toBeCloseTo(100 * (1 - 3 / 7), 10);
  });

  test("scoreAll averages", () => {
    const r = scoreAll([
      { prediction: "a", reference: "a" },
      { prediction: "ab", reference: "cd" },
    ]);
    expect(r).toEqual({ n: 2, exactMatch: 50, editSimilarity: 50 });
    expect(scoreAll([])).toEqual({ n: 0, exactMatch: 0, editSimilarity: 0 });
  });
});
