// Inference prompts: cursor → prompt for any format, budgets (characters or tokens) split about 3:1 and cut at
// line boundaries, markers in user code broken up, stop strings.

import { describe, expect, it } from "vitest";
import { buildPrompt, FORMAT_NAMES, keepHead, keepTail, renderSample, getFormat } from "../../../src/lib/fim/index.ts";

const DOC = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(2, "0")} = value_${i}`).join("\n") + "\n";
const CURSOR = DOC.indexOf("line 20") + "line 20 = ".length;

describe("buildPrompt", () => {
  it("without a budget the prompt is the training sample up to the middle, for every format", () => {
    for (const format of FORMAT_NAMES) {
      const p = buildPrompt({ format, document: DOC, cursor: CURSOR });
      const f = getFormat(format);
      const sample = renderSample(f, { prefix: p.prefix, suffix: p.suffix, middle: "M", ctx_before: p.ctx_before, ctx_after: p.ctx_after }, f.psm ? "psm" : "spm");
      expect(sample.startsWith(p.prompt)).toBe(true);
      expect(p.truncated).toEqual({ prefix: false, suffix: false });
    }
  });
  it("ctx leaves the rest of the cursor's line out of the suffix, as in training; ctx-seed keeps it", () => {
    expect(buildPrompt({ format: "ctx", document: DOC, cursor: CURSOR }).suffix.startsWith("line 21")).toBe(true);
    expect(buildPrompt({ format: "ctx-seed", document: DOC, cursor: CURSOR }).suffix.startsWith("value_20\nline 21")).toBe(true);
    expect(buildPrompt({ format: "psm", document: DOC, cursor: CURSOR }).suffix.startsWith("value_20\n")).toBe(true);
  });
  it("a character budget is kept, split about 3:1, cut at line boundaries", () => {
    const p = buildPrompt({ format: "qwen", document: DOC, cursor: CURSOR, budget: { max: 300 } });
    expect(p.prompt.length).toBeLessThanOrEqual(300);
    expect(p.prompt.length).toBeGreaterThan(300 - 2 * 22); // at most a line lost on each side
    expect(p.truncated).toEqual({ prefix: true, suffix: true });
    expect(p.prefix.startsWith("line ")).toBe(true); // starts at a line start
    expect(p.prefix.endsWith("line 20 = ")).toBe(true); // the cursor's line is whole
    expect(p.suffix.endsWith("\n")).toBe(true); // ends at a line end
    const ratio = p.prefix.length / p.suffix.length;
    expect(ratio).toBeGreaterThan(2.2);
    expect(ratio).toBeLessThan(4);
  });
  it("what one side does not need goes to the other", () => {
    const nearEnd = DOC.length - 3;
    const p = buildPrompt({ format: "psm", document: DOC, cursor: nearEnd, budget: { max: 400 } });
    expect(p.suffix.length).toBeLessThan(5);
    expect(p.prompt.length).toBeGreaterThan(400 - 25);
  });
  it("a token budget uses the given measure", () => {
    const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
    const p = buildPrompt({ format: "starcoder", document: DOC, cursor: CURSOR, budget: { max: 60, measure: words } });
    expect(words(p.prompt)).toBeLessThanOrEqual(60);
    expect(words(p.prompt)).toBeGreaterThan(50);
  });
  it("marker strings in the document are broken up and counted", () => {
    const doc = "a = '<|fim_middle|>'\nb = 2\n";
    const p = buildPrompt({ format: "qwen", document: doc, cursor: 0 });
    expect(p.escapedMarkers).toBe(1);
    expect(p.suffix).toBe("a = '<\u200b|fim_middle|>'\nb = 2\n");
    expect(p.prompt.split("<|fim_middle|>").length).toBe(2); // only the real one
  });
  it("stop strings: the end token and markers; ctx formats also stop at a newline", () => {
    expect(buildPrompt({ format: "qwen", document: DOC, cursor: 5 }).stop).toEqual(expect.arrayContaining(["<|endoftext|>", "<|file_sep|>"]));
    expect(buildPrompt({ format: "ctx", document: DOC, cursor: 5 }).stop[0]).toBe("\n");
  });
  it("a cursor outside the document is refused", () => {
    expect(() => buildPrompt({ format: "qwen", document: "abc", cursor: 4 })).toThrow("cursor 4 is outside the document (length 3)");
  });
});

describe("one very long line", () => {
  // A minified or generated line of 100k characters before the cursor, then a short tail.
  const LINE = Array.from({ length: 10_000 }, (_, i) => `v${i % 97}=${i};`).join("").slice(0, 100_000);
  const DOC1 = LINE + "\nnext = 1\nmore = 2\n";
  const words = (x: string) => Math.ceil(x.length / 3); // a token-like measure: about 3 characters a unit

  it("ctx: the prompt is built within the context, its windows cut at the cursor's side", () => {
    for (const measure of [undefined, words]) {
      const size = measure ?? ((x: string) => x.length);
      for (const format of ["ctx", "ctx-seed"]) {
        const p = buildPrompt({ format, document: DOC1, cursor: LINE.length, budget: { max: 2000, measure } });
        expect(size(p.prompt), `${format} ${measure ? "tokens" : "chars"}`).toBeLessThanOrEqual(2000);
        expect(size(p.prompt)).toBeGreaterThan(1500); // the budget is used, not emptied
        expect(LINE.endsWith(p.ctx_before!)).toBe(true); // the end of the line: the text just before the cursor
        expect(p.ctx_before!.length).toBeGreaterThan(0);
        expect(LINE.endsWith(p.prefix)).toBe(true);
        expect(p.truncated.prefix).toBe(true);
        expect(p.prompt.startsWith("«CTX»")).toBe(true);
      }
    }
  });
  it("every format fits, with the cursor at the end of the line or inside it", () => {
    for (const format of FORMAT_NAMES) {
      for (const cursor of [LINE.length, 60_000]) {
        const p = buildPrompt({ format, document: DOC1, cursor, budget: { max: 1000 } });
        expect(p.prompt.length, `${format} at ${cursor}`).toBeLessThanOrEqual(1000);
        expect(DOC1.slice(0, cursor).endsWith(p.prefix)).toBe(true);
      }
    }
  });
  it("a long suffix line: ctx_after keeps whole lines or nothing, the suffix its start", () => {
    const doc = "a = 1\nb = 2\n" + LINE + "\n";
    const p = buildPrompt({ format: "ctx-seed", document: doc, cursor: 2, budget: { max: 800 } });
    expect(p.prompt.length).toBeLessThanOrEqual(800);
    expect(doc.slice(2).startsWith(p.suffix)).toBe(true);
  });
  it("prompts within budget are unchanged by the window rule", () => {
    const p = buildPrompt({ format: "ctx", document: DOC, cursor: CURSOR, budget: { max: 100_000 } });
    expect(p).toEqual(buildPrompt({ format: "ctx", document: DOC, cursor: CURSOR }));
  });
});

describe("keepTail / keepHead", () => {
  const len = (s: string) => s.length;
  it("keep whole lines nearest the cursor", () => {
    expect(keepTail("aa\nbb\ncc", 6, len)).toBe("bb\ncc");
    expect(keepHead("aa\nbb\ncc", 6, len)).toBe("aa\nbb\n");
  });
  it("cut inside the cursor's line only when it alone is over budget", () => {
    expect(keepTail("aa\nbbbbbbbb", 4, len)).toBe("bbbb");
    expect(keepHead("aaaaaaaa\nb", 4, len)).toBe("");
  });
  it("end when the text starts with a blank line and a token count is not additive over lines", () => {
    // A tokenizer's count of the whole can exceed the sum over its lines (merges across "\n"). keepTail then walks
    // back to the first line; with the text starting with "\n" it used to find that "\n" again for ever (a training
    // run hung tokenizing its 4,412th sample).
    const letters = (t: string) => (t === "\nab\ncd" ? 100 : t.replace(/\n/g, "").length);
    expect(keepTail("\nab\ncd", 4, letters)).toBe("\nab\ncd");
    expect(keepTail("\n\nab\ncd", 4, (t) => (t.startsWith("\n\n") ? 100 : t.replace(/\n/g, "").length))).toBe("\n\nab\ncd");
  });
});
