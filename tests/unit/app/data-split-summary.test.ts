// data-split-summary.test.ts — the Data page's words about the train/eval split (src/routes/data/splitSummary.ts).
import { describe, expect, test } from "vitest";
import { splitSummary } from "../../../src/routes/data/splitSummary.ts";

describe("splitSummary", () => {
  test("counts both sides and says how eval was held out", () => {
    const s = splitSummary({ samples: { train: 1800, eval: 200 }, split: "samples" });
    expect(s.counts).toBe(`train ${(1800).toLocaleString()} / eval 200`);
    expect(s.how).toMatch(/share of each file's samples/);
    expect(s.warning).toBeNull();
    expect(splitSummary({ samples: { train: 5, eval: 1 }, split: "files" }).how).toMatch(/whole files/);
  });
  test("warns when a side is empty", () => {
    expect(splitSummary({ samples: { train: 0, eval: 50 }, split: "files" }).warning).toMatch(/^No training samples/);
    expect(splitSummary({ samples: { train: 50, eval: 0 }, split: "files" }).warning).toMatch(/^No eval samples.*add more files/);
    expect(splitSummary({ samples: { train: 50, eval: 0 }, split: "samples" }).warning).toMatch(/^No eval samples.*above 0/);
  });
});
