// Healing a training record (heal.ts): the typed part of the cursor's line moves into the middle. Checked against the
// sample generator itself: a healed ctx sample is the sample for the same line with the cursor at its start.

import { describe, expect, it } from "vitest";
import { FORMAT_NAMES, getFormat, healRecord, HEAL_MAX_CHARS } from "../../../src/lib/fim/index.ts";
import { sampleAtCursor } from "../../../src/lib/fim/sample.ts";

const FILE = { path: "area.py", language: "python", text: "import math\n\ndef area(r):\n    return math.pi * r * r\n\nprint(area(2))\n" };
const LINE = 3; // "    return math.pi * r * r"
const COL = "    return math.".length;

describe("healRecord", () => {
  for (const incomplete of [false, true]) {
    it(`ctx (${incomplete ? "incomplete" : "normal"}): the healed sample is the one for the line's start`, () => {
      const healed = healRecord(sampleAtCursor(FILE, "ctx", LINE, COL, { incomplete }));
      const atStart = sampleAtCursor(FILE, "ctx", LINE, 0, { incomplete });
      expect(healed).toEqual(atStart);
      expect(healed.middle).toBe("    return math.pi * r * r\n");
    });
  }
  for (const name of FORMAT_NAMES) {
    it(`${name}: the typed text starts the middle, the prompt ends at the line's start, the end token stays`, () => {
      const f = getFormat(name);
      const r = sampleAtCursor(FILE, name, LINE, COL);
      const h = healRecord(r);
      expect(h.middle).toBe("    return math." + r.middle);
      expect(h.prefix).toBe(r.prefix.slice(0, -"    return math.".length));
      expect(h.suffix).toBe(r.suffix);
      expect(h.text.endsWith(h.middle + f.eot)).toBe(true);
      // the same characters, the typed text moved behind the prompt's markers (and gone from the ctx window's end)
      expect(h.text.length).toBe(r.text.length - (f.family === "cursor" ? "    return math.".length : 0));
      if (f.family === "cursor") expect(h.ctx_before!.endsWith("\n")).toBe(true);
    });
  }
  it("leaves alone: a cursor at a line's start, a line longer than HEAL_MAX_CHARS, a plain record", () => {
    const atStart = sampleAtCursor(FILE, "ctx", LINE, 0);
    expect(healRecord(atStart)).toBe(atStart);
    const long = { ...FILE, text: "x = " + "1 + ".repeat(HEAL_MAX_CHARS / 4) + "1\n" };
    const r = sampleAtCursor(long, "ctx", 0, HEAL_MAX_CHARS + 2);
    expect(healRecord(r)).toBe(r);
    const plain = { ...r, mode: "plain" as const };
    expect(healRecord(plain)).toBe(plain);
  });
});
