// The rules of healed sampling (forced-text.ts), shared by our engine and the llama.cpp completer: which token texts
// agree with the typed text still to spell, what is left after one, and the masked logits.

import { describe, expect, it } from "vitest";
import { agrees, allowedIds, consume, maskLogits, NEVER, tokenPieces } from "../../../src/lib/train/forced-text.ts";
import { argmax } from "../../../src/lib/train/sampling.ts";

const PIECES = ["re", "ret", "return", " ", "    ", "r", "x", "\uFFFD", "", "<end>"];

describe("forced text", () => {
  it("a piece agrees when it is a start of the rest, or the rest a start of it", () => {
    expect(agrees("re", "ret")).toBe(true);
    expect(agrees("ret", "ret")).toBe(true);
    expect(agrees("return", "ret")).toBe(true);
    expect(agrees("x", "ret")).toBe(false);
    expect(agrees("rex", "ret")).toBe(false);
    expect(agrees("", "ret")).toBe(false);
    expect(agrees("\uFFFD", "\uFFFD")).toBe(false); // a partial character never agrees
  });
  it("consume leaves what is still to spell, nothing once a piece goes past it", () => {
    expect(consume("    ret", "    ")).toBe("ret");
    expect(consume("ret", "re")).toBe("t");
    expect(consume("ret", "return")).toBe("");
    expect(consume("ret", "ret")).toBe("");
  });
  it("allowed ids: the agreeing pieces, no end token; none when no piece agrees", () => {
    expect(allowedIds(PIECES, "ret")).toEqual([0, 1, 2, 5]);
    expect(allowedIds(PIECES, "    ret")).toEqual([3, 4]);
    expect(allowedIds(PIECES, "é")).toEqual([]);
  });
  it("masked logits keep the allowed values, and argmax picks the best allowed", () => {
    const logits = Float32Array.from([1, 2, 3, 0, 0, 0, 9, 0, 0, 0]);
    const m = maskLogits(logits, [0, 1, 2]);
    expect(Array.from(m.slice(0, 3))).toEqual([1, 2, 3]);
    expect(m[6]).toBeCloseTo(NEVER, -25);
    expect(Number.isFinite(m[6]!)).toBe(true);
    expect(argmax(m)).toBe(2);
  });
  it("token pieces are decoded once per tokenizer", () => {
    let calls = 0;
    const tk = { vocabSize: 3, decode: (ids: readonly number[]) => (calls++, `t${ids[0]}`) };
    expect(tokenPieces(tk)).toEqual(["t0", "t1", "t2"]);
    tokenPieces(tk);
    expect(calls).toBe(3);
  });
});
