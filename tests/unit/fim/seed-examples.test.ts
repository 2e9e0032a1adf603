// The three worked examples of seeds/fim-format-ctx.md, byte for byte, for the ctx-seed format; and the same
// cursors in the leak-fixed ctx format. The expected strings are copied verbatim from the seed; the seed's
// code blocks end at the middle, whose final "\n" ("Middle completion always ends with a newline") is appended.

import { describe, expect, it } from "vitest";
import { sampleAtCursor } from "../../../src/lib/fim/index.ts";

const EXAMPLES = [
  {
    name: "Example 1: normal completion mid-line",
    file: "def calculate_sum(x, y):\n    result = x + y\n    return result",
    line: 1,
    col: "    result = ".length,
    incomplete: false,
    seed:
      "«CTX»def calculate_sum(x, y):\n    result = «CURSOR»x + y\n    return result«/CTX»«PREFIX»def calculate_sum(x, y):\n" +
      "    result = «SUFFIX»x + y\n    return result«MIDDLE»x + y",
    middle: "x + y\n",
    // ctx: the suffix starts after the middle's line; the file gains its final newline.
    ctx:
      "«CTX»def calculate_sum(x, y):\n    result = «CURSOR»    return result\n«/CTX»«PREFIX»def calculate_sum(x, y):\n" +
      "    result = «SUFFIX»    return result\n«MIDDLE»x + y\n",
  },
  {
    name: "Example 2: incomplete mode (code being written)",
    file: "def foo():\n    x = 1",
    line: 1,
    col: "    x = ".length,
    incomplete: true,
    seed: "«CTX»def foo():\n    x = «CURSOR»«/CTX»«PREFIX»def foo():\n    x = «SUFFIX»«MIDDLE»1",
    middle: "1\n",
    ctx: "«CTX»def foo():\n    x = «CURSOR»«/CTX»«PREFIX»def foo():\n    x = «SUFFIX»«MIDDLE»1\n",
  },
  {
    name: "Example 3: end of line completion",
    file: 'function greet(name) {\n    console.log("Hello " + name)\n}',
    line: 0,
    col: "function greet(name) {".length,
    incomplete: false,
    seed:
      '«CTX»function greet(name) {«CURSOR»\n    console.log("Hello " + name)\n}«/CTX»«PREFIX»function greet(name) {\n' +
      '«SUFFIX»\n    console.log("Hello " + name)\n}«MIDDLE»    console.log("Hello " + name)',
    middle: '    console.log("Hello " + name)\n',
    // ctx: the cursor moves to the start of the next line; ctx_before and prefix end with the "\n".
    ctx:
      "«CTX»function greet(name) {\n«CURSOR»}\n«/CTX»«PREFIX»function greet(name) {\n" +
      '«SUFFIX»}\n«MIDDLE»    console.log("Hello " + name)\n',
  },
];

describe("ctx-seed reproduces the seed's worked examples", () => {
  for (const ex of EXAMPLES) {
    it(ex.name, () => {
      const r = sampleAtCursor({ path: "x.py", text: ex.file, language: "python" }, "ctx-seed", ex.line, ex.col, {
        incomplete: ex.incomplete,
      });
      expect(r.text).toBe(ex.seed + "\n");
      expect(r.middle).toBe(ex.middle);
      expect(r.middle.endsWith("\n")).toBe(true);
      expect(r.mode).toBe(ex.incomplete ? "incomplete" : "normal");
    });
  }
  it("in normal mode the seed's suffix starts with the middle (the leak ctx fixes)", () => {
    const r = sampleAtCursor({ path: "x.py", text: EXAMPLES[0]!.file, language: "python" }, "ctx-seed", 1, 13);
    expect(r.suffix.startsWith(r.middle.trimEnd())).toBe(true);
  });
});

describe("ctx fixes the leak on the same cursors", () => {
  for (const ex of EXAMPLES) {
    it(ex.name, () => {
      const r = sampleAtCursor({ path: "x.py", text: ex.file, language: "python" }, "ctx", ex.line, ex.col, {
        incomplete: ex.incomplete,
      });
      expect(r.text).toBe(ex.ctx);
      expect(r.middle).toBe(ex.middle);
      if (!ex.incomplete) expect(r.prefix + r.middle + r.suffix).toBe(ex.file + "\n");
    });
  }
});
