// suggestion.test.ts — the pure helpers of the ghost text: cache keys, shaping an answer per mode, typing
// through a suggestion, and how much Ctrl/Cmd+→ accepts.
import { describe, expect, test } from "vitest";
import { cacheKey, nextWordLength, shapeSuggestion, typeThrough, type CompletionRequest } from "../../../src/lib/editor/suggestion.ts";

const req = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  prefix: "def add(a, b):\n    return ",
  suffix: "\n\nprint(add(1, 2))\n",
  mode: "line",
  language: "python",
  ...over,
});

describe("cacheKey", () => {
  test("equal contexts share a key; mode, language, prefix and suffix each tell keys apart", () => {
    const key = cacheKey(req());
    expect(cacheKey(req())).toBe(key);
    expect(cacheKey(req({ mode: "multiline" }))).not.toBe(key);
    expect(cacheKey(req({ language: "ruby" }))).not.toBe(key);
    expect(cacheKey(req({ prefix: "def add(a, b):\n    return a" }))).not.toBe(key);
    expect(cacheKey(req({ suffix: "\n" }))).not.toBe(key);
  });

  test("only the prefix's tail and the suffix's head count", () => {
    const window = { prefixChars: 8, suffixChars: 4 };
    const a = cacheKey(req({ prefix: "AAAA" + "12345678", suffix: "abcd" + "XX" }), window);
    const b = cacheKey(req({ prefix: "BBBBBB" + "12345678", suffix: "abcd" + "YYYY" }), window);
    expect(a).toBe(b);
    expect(cacheKey(req({ prefix: "x2345678", suffix: "abcd" }), window)).not.toBe(a);
  });

  test("no collision from separators inside the text", () => {
    const a = cacheKey(req({ prefix: 'a","b', suffix: "" }));
    const b = cacheKey(req({ prefix: "a", suffix: 'b","' }));
    expect(a).not.toBe(b);
  });
});

describe("shapeSuggestion", () => {
  test("line mode keeps the first line only", () => {
    expect(shapeSuggestion("a + b\n\ndef sub():", "line")).toBe("a + b");
  });
  test("multiline mode keeps every line, with \\r\\n made \\n", () => {
    expect(shapeSuggestion("a + b\r\n    pass\r", "multiline")).toBe("a + b\n    pass\n");
  });
  test("nothing but whitespace is no suggestion", () => {
    expect(shapeSuggestion("   ", "multiline")).toBe("");
    expect(shapeSuggestion("\n  x", "line")).toBe("");
    expect(shapeSuggestion("", "line")).toBe("");
  });
});

describe("typeThrough", () => {
  test("typing the suggestion's start leaves the rest", () => {
    expect(typeThrough("return a + b", "ret")).toBe("urn a + b");
  });
  test("anything else, an empty insert, or typing it all ends the suggestion", () => {
    expect(typeThrough("return a + b", "x")).toBeNull();
    expect(typeThrough("return", "")).toBeNull();
    expect(typeThrough("return", "return")).toBeNull();
  });
});

describe("nextWordLength", () => {
  const word = (s: string) => s.slice(0, nextWordLength(s));
  test("one word, with the whitespace before it", () => {
    expect(word("return a + b")).toBe("return");
    expect(word(" a + b")).toBe(" a");
    expect(word("\n    pass")).toBe("\n    pass");
    expect(word("größe = 1")).toBe("größe");
    expect(word("$el_2.x")).toBe("$el_2");
  });
  test("a run of punctuation is one word", () => {
    expect(word("();\nfoo")).toBe("();");
    expect(word(" += 1")).toBe(" +=");
  });
  test("whitespace only is taken whole; empty gives 0", () => {
    expect(word("   ")).toBe("   ");
    expect(nextWordLength("")).toBe(0);
  });
});
