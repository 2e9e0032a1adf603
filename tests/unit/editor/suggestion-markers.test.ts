// The editor's last guard: whatever a completer answers (our engine, web-llm, a cached answer), the ghost text never
// holds a FIM marker or end token of any format of the table; it is cut before the first one.
import { describe, expect, test } from "vitest";
import { FORMAT_NAMES, getFormat, markersOf } from "../../../src/lib/fim/index.ts";
import { shapeSuggestion } from "../../../src/lib/editor/suggestion.ts";

describe("shapeSuggestion never shows a marker", () => {
  for (const name of FORMAT_NAMES) {
    test(`${name}: every marker and end token of the format cuts the suggestion, in both modes`, () => {
      for (const m of markersOf(getFormat(name))) {
        for (const mode of ["line", "multiline"] as const) {
          expect(shapeSuggestion(`x + y${m}    }`, mode), m).toBe("x + y");
          expect(shapeSuggestion(`if (a) {\n  b();${m}junk\n}`, mode), m).toBe(mode === "line" ? "if (a) {" : "if (a) {\n  b();");
          expect(shapeSuggestion(`${m}«MIDDLE»    }`, mode), m).toBe(""); // nothing before it: no suggestion at all
        }
      }
    });
  }
  test("the issue's ghost text: «SUFFIX»«MIDDLE» after the code", () => {
    expect(shapeSuggestion("return a + b;«SUFFIX»«MIDDLE»    }", "line")).toBe("return a + b;");
  });
  test("text that only looks like a marker's start stays", () => {
    expect(shapeSuggestion("a < b && c[0] << 2", "line")).toBe("a < b && c[0] << 2");
  });
});
