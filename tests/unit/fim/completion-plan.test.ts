// The one completion plan every completer uses: line mode from the request or the format table's lineOnly column,
// stop strings from the format's markers and end token, the suffix-repeat check, and the cut at the first stop.

import { describe, expect, it } from "vitest";
import { ALL_MARKERS, completionPlan, cutAtStop, FORMAT_NAMES, getFormat, HEAL_MAX_CHARS, healPoint, markersOf, typedText } from "../../../src/lib/fim/index.ts";

const DOC = "def area(r):\n    return 3.14 * r * r\n\nprint(area(2))\n";
const CURSOR = DOC.indexOf("3.14");

describe("completionPlan", () => {
  it("the cursor formats, and only they, are line-only in the table", () => {
    expect(FORMAT_NAMES.filter((n) => getFormat(n).lineOnly)).toEqual(["ctx", "ctx-seed"]);
  });
  for (const name of FORMAT_NAMES) {
    it(`${name}: one line when asked or when the format says so; every marker and end token of every format stops it`, () => {
      const f = getFormat(name);
      for (const mode of ["line", "multiline"] as const) {
        const p = completionPlan({ format: name, document: DOC, cursor: CURSOR, mode });
        const single = mode === "line" || f.lineOnly;
        expect(p.singleLine).toBe(single);
        expect(p.stopStrings.includes("\n")).toBe(single);
        for (const m of markersOf(f)) expect(p.stopStrings).toContain(m);
        if (f.eot) expect(p.stopStrings).toContain(f.eot);
        for (const m of ALL_MARKERS) expect(p.stopStrings, `another format's ${m}`).toContain(m);
        expect(new Set(p.stopStrings).size).toBe(p.stopStrings.length);
      }
    });
  }
  it("a completion that only repeats the start of the suffix is recognised", () => {
    const p = completionPlan({ format: "qwen", document: "x = [\n    1,\n]\n", cursor: "x = [\n".length, mode: "multiline" });
    expect(p.repeatsSuffix("1,")).toBe(true);
    expect(p.repeatsSuffix("1,\n]")).toBe(true);
    expect(p.repeatsSuffix("2,")).toBe(false);
    expect(p.repeatsSuffix("   ")).toBe(false);
  });
});

describe("cutAtStop", () => {
  it("cuts before the earliest stop string, or leaves the text", () => {
    expect(cutAtStop("a<|endoftext|>b\nc", ["\n", "<|endoftext|>"])).toEqual({ text: "a", stopped: true });
    expect(cutAtStop("abc", ["\n"])).toEqual({ text: "abc", stopped: false });
    // `from`: only stops that end after it are searched (streaming: earlier text was already checked)
    expect(cutAtStop("ab\ncd\n", ["\n"], 4)).toEqual({ text: "ab\ncd", stopped: true });
  });
});

describe("completionPlan healing", () => {
  const doc = "def f(x):\n    ret\n\nprint(f(2))\n";
  const cursor = doc.indexOf("ret") + 3;
  it("moves the cursor to its line's start and keeps the typed text as forced", () => {
    expect(healPoint(doc, cursor)).toBe(doc.indexOf("    ret"));
    expect(typedText(doc, cursor)).toBe("    ret");
    expect(typedText(doc, doc.indexOf("print"))).toBe("");
    for (const format of FORMAT_NAMES) {
      const healed = completionPlan({ format, document: doc, cursor, mode: "line", heal: true });
      expect(healed.forced).toBe("    ret");
      // the same prompt as a cursor at the line's start of the document without the typed text
      const at = doc.indexOf("    ret");
      const plain = completionPlan({ format, document: doc.slice(0, at) + doc.slice(cursor), cursor: at, mode: "line" });
      expect(healed.prompt, format).toBe(plain.prompt);
      expect(healed.prompt, format).not.toContain("ret");
    }
  });
  it("not asked, at a line's start, past HEAL_MAX_CHARS or over a marker: no healing", () => {
    expect(completionPlan({ format: "ctx", document: doc, cursor, mode: "line" }).forced).toBe("");
    const start = doc.indexOf("print");
    expect(completionPlan({ format: "ctx", document: doc, cursor: start, heal: true }).forced).toBe("");
    // where the empty-line rule applies: the cursor at a line's start (the document's too), not after typed text
    expect([0, start, cursor].map((c) => completionPlan({ format: "ctx", document: doc, cursor: c, heal: true }).atLineStart)).toEqual([true, true, false]);
    const long = "x".repeat(HEAL_MAX_CHARS + 1);
    expect(healPoint(long, long.length)).toBe(long.length);
    expect(healPoint(long.slice(1), HEAL_MAX_CHARS)).toBe(0);
    const marked = "a = '<|fim_prefix|>";
    expect(healPoint(marked, marked.length)).toBe(marked.length);
    expect(healPoint("a = '<", 6)).toBe(0); // a marker's first character alone is ordinary text
  });
});
