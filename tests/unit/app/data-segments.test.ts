// data-segments.test.ts — unit tests of the Data page's preview segmentation (src/routes/data/segments.ts):
// for every format and mode, the segments rebuild the training text and carry the record's parts.
import { describe, expect, test } from "vitest";
import { FORMAT_NAMES, sampleFile, type SampleRecord } from "../../../src/lib/fim/index.ts";
import { BUILTIN_CORPUS } from "../../../src/lib/fim/builtin.ts";
import { segmentSample } from "../../../src/routes/data/segments.ts";

const FILE = BUILTIN_CORPUS.find((f) => f.path.endsWith(".py")) ?? BUILTIN_CORPUS[0]!;

function records(format: string): SampleRecord[] {
  const file = { path: FILE.path, text: FILE.text, language: "python" };
  const opts = { seed: 3, spanUnit: "chars" as const, fimRate: 0.7, spmRate: 0.5, incompleteRate: 0.5 };
  return sampleFile(file, 40, format, opts, "train");
}

describe("segmentSample", () => {
  test.each(FORMAT_NAMES)("rebuilds the text of every %s sample from its segments", (format) => {
    const all = records(format);
    expect(all.length).toBeGreaterThan(0);
    for (const r of all) {
      const segments = segmentSample(r);
      expect(segments, `${format} ${r.mode}`).not.toBeNull();
      expect(segments!.map((s) => s.text).join("")).toBe(r.text);
      for (const part of ["prefix", "middle", "suffix"] as const) {
        const texts = segments!.filter((s) => s.kind === part).map((s) => s.text);
        expect(texts, `${format} ${r.mode} ${part}`).toEqual([r[part]]);
      }
      expect(segments!.some((s) => s.kind === "marker") || r.mode === "plain").toBe(true);
    }
  });

  test("marks the ctx window as context", () => {
    const r = records("ctx")[0]!;
    const context = segmentSample(r)!.filter((s) => s.kind === "context").map((s) => s.text);
    expect(context).toEqual([r.ctx_before, r.ctx_after]);
  });

  test("returns null when the text does not follow the format's template", () => {
    const r = { ...records("psm")[0]!, text: "something else entirely" };
    expect(segmentSample(r)).toBeNull();
  });
});
