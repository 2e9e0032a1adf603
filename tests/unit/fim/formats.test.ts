// Each format row renders exactly the documented string for known parts; markers and stop strings are
// derived from the rows; unknown formats are refused with the list of known ones.

import { describe, expect, it } from "vitest";
import {
  FORMAT_NAMES, FORMATS, getFormat, markersOf, renderPrompt, renderSample, stopStringsOf, UnknownFormatError,
} from "../../../src/lib/fim/index.ts";

const P = { prefix: "def f(x):\n    ", middle: "return x\n", suffix: "\nprint(f(1))\n" };

// Expected strings written out by hand from each model's documentation (see formats.ts for sources).
const EXPECTED: Record<string, { order: "psm" | "spm"; text: string }[]> = {
  psm: [
    { order: "psm", text: "<|fim_prefix|>def f(x):\n    <|fim_suffix|>\nprint(f(1))\n<|fim_middle|>return x\n<|endoftext|>" },
    { order: "spm", text: "<|fim_suffix|>\nprint(f(1))\n<|fim_prefix|>def f(x):\n    <|fim_middle|>return x\n<|endoftext|>" },
  ],
  qwen: [{ order: "psm", text: "<|fim_prefix|>def f(x):\n    <|fim_suffix|>\nprint(f(1))\n<|fim_middle|>return x\n<|endoftext|>" }],
  starcoder: [
    { order: "psm", text: "<fim_prefix>def f(x):\n    <fim_suffix>\nprint(f(1))\n<fim_middle>return x\n<|endoftext|>" },
    { order: "spm", text: "<fim_prefix><fim_suffix>\nprint(f(1))\n<fim_middle>def f(x):\n    return x\n<|endoftext|>" },
  ],
  codellama: [{ order: "psm", text: "<PRE> def f(x):\n     <SUF>\nprint(f(1))\n <MID>return x\n<EOT>" }],
  deepseek: [
    {
      order: "psm",
      text:
        "<\u{FF5C}fim\u{2581}begin\u{FF5C}>def f(x):\n    <\u{FF5C}fim\u{2581}hole\u{FF5C}>\nprint(f(1))\n" +
        "<\u{FF5C}fim\u{2581}end\u{FF5C}>return x\n<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>",
    },
  ],
  codestral: [{ order: "spm", text: "[SUFFIX]\nprint(f(1))\n[PREFIX]def f(x):\n    return x\n</s>" }],
};

describe("format rows render the documented strings", () => {
  for (const [name, cases] of Object.entries(EXPECTED)) {
    for (const c of cases) {
      it(`${name} ${c.order}`, () => {
        const f = getFormat(name);
        expect(renderSample(f, P, c.order)).toBe(c.text);
        // the prompt is the sample up to the middle
        const prompt = renderPrompt(f, P, c.order);
        expect(c.text.startsWith(prompt)).toBe(true);
        expect(c.text.slice(prompt.length)).toBe(P.middle + f.eot);
      });
    }
  }
  it("deepseek uses full-width bars U+FF5C and U+2581, not ASCII", () => {
    const m = markersOf(getFormat("deepseek"));
    expect(m).toContain("<\u{FF5C}fim\u{2581}begin\u{FF5C}>");
    expect(m.join("")).not.toMatch(/[|_]/);
  });
  it("the end token is configurable, including none", () => {
    const f = getFormat("psm");
    expect(renderSample(f, P, "psm", "<|end_of_text|>").endsWith("return x\n<|end_of_text|>")).toBe(true);
    expect(renderSample(f, P, "psm", "").endsWith("return x\n")).toBe(true);
  });
  it("formats without an order say so", () => {
    expect(() => renderSample(getFormat("qwen"), P, "spm")).toThrow(/qwen.*SPM/);
    expect(() => renderSample(getFormat("codestral"), P, "psm")).toThrow(/codestral.*PSM/);
  });
});

describe("derived tables", () => {
  it("every row is reachable by name, in table order, ctx first", () => {
    expect(FORMAT_NAMES).toEqual(["ctx", "ctx-seed", "psm", "qwen", "starcoder", "codellama", "deepseek", "codestral"]);
    for (const n of FORMAT_NAMES) expect(FORMATS[n]!.name).toBe(n);
  });
  it("markers come from the templates, trimmed, plus end token and specials", () => {
    expect(markersOf(getFormat("codellama")).sort()).toEqual(["<EOT>", "<MID>", "<PRE>", "<SUF>"]);
    expect(markersOf(getFormat("ctx")).sort()).toEqual(["«/CTX»", "«CTX»", "«CURSOR»", "«MIDDLE»", "«PREFIX»", "«SUFFIX»"].sort());
    expect(markersOf(getFormat("qwen"))).toEqual(expect.arrayContaining(["<|repo_name|>", "<|file_sep|>", "<|fim_pad|>", "<|endoftext|>"]));
  });
  it("stop strings start with the end token", () => {
    expect(stopStringsOf(getFormat("qwen"))[0]).toBe("<|endoftext|>");
    expect(stopStringsOf(getFormat("psm"), "<|end_of_text|>")[0]).toBe("<|end_of_text|>");
    expect(stopStringsOf(getFormat("ctx"))).not.toContain("");
  });
  it("an unknown format names the known ones", () => {
    expect(() => getFormat("fim")).toThrow(UnknownFormatError);
    expect(() => getFormat("fim")).toThrow('unknown format "fim": use one of ctx, ctx-seed, psm, qwen, starcoder, codellama, deepseek, codestral');
  });
});
