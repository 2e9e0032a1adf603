// The empty-line rule (line-score.ts, complete.ts): a greedy line with nothing typed before it is shown only when it is
// likelier than an empty line. The scores against float64 sums, and complete() on a model whose distributions the
// test writes out, so the probabilities of both candidates are known.

import { describe, expect, it } from "vitest";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";
import { complete, type CompletionRequest } from "../../../src/lib/train/complete.ts";
import { fakeGenerator } from "./fake-generator.ts";
import { endsLine, logEndMass, logProb, logSumExp } from "../../../src/lib/train/line-score.ts";
import { smallTokenizer } from "../../fixtures/small-tokenizer.ts";

describe("line scores", () => {
  it("logSumExp, logProb and the end mass agree with direct sums", () => {
    const logits = [2, -1, 0.5, 3];
    const z = Math.log(logits.reduce((a, x) => a + Math.exp(x), 0));
    expect(logSumExp(logits)).toBeCloseTo(z, 12);
    expect(logProb(logits, 3)).toBeCloseTo(3 - z, 12);
    const pieces = ["a", "\n", "\n  x", "b"];
    // ends: the "\n" pieces (1, 2) and the end id 3
    expect(logEndMass(logits, pieces, new Set([3]))).toBeCloseTo(Math.log((Math.exp(-1) + Math.exp(0.5) + Math.exp(3)) / Math.exp(z)), 12);
    expect(endsLine("x\n", 0, new Set())).toBe(false);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 9); // no overflow
  });
});

const small = smallTokenizer("qwen3");
const tk = loadTokenizer(small.tokenizerJson, small.tokenizerConfig);
const EOT = tk.tokenToId("<|endoftext|>")!;
const one = (s: string) => {
  const ids = tk.encode(s, { addSpecialTokens: false });
  expect(ids).toHaveLength(1);
  return ids[0]!;
};
const NL = one("\n");
const A = one("x");
const B = one("(");

/** A model whose step k has the logits `steps[k]` (id → logit, everything else -10). */
function model(steps: Record<number, number>[]) {
  return fakeGenerator((k) => {
    const logits = new Float32Array(tk.vocabSize).fill(-10);
    for (const [id, v] of Object.entries(steps[Math.min(k, steps.length - 1)]!)) logits[Number(id)] = v;
    return logits;
  }).gen;
}

async function run(steps: Record<number, number>[], req: Partial<CompletionRequest> = {}) {
  const it = complete({ tokenizer: tk, generator: model(steps), eosIds: [EOT] }, { prefix: "def f():\n", suffix: "", format: "ctx", ...req });
  const pieces: string[] = [];
  let r = await it.next();
  for (; !r.done; r = await it.next()) pieces.push(r.value);
  return { text: pieces.join(""), reason: r.value };
}

// a distractor set: 20 tokens as likely as B at step 2, so the line's second token is a 1-in-21 guess
const spread = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [i + 100, 1]));

describe("complete(): the empty-line rule", () => {
  it("shows nothing when the empty line is likelier than the greedy line", async () => {
    // P(empty) ≈ e^5 / (e^5 + e^6) = 0.27; P(line) ≈ 0.73 × 1/21 × P(end) < 0.27
    const r = await run([{ [NL]: 5, [A]: 6 }, { ...spread, [B]: 1.01 }, { [NL]: 10 }]);
    expect(r).toEqual({ text: "", reason: "empty-line" });
  });
  it("shows the line when it is likelier, and plain greedy with preferEmpty false", async () => {
    const likely = await run([{ [NL]: 5, [A]: 6 }, { [B]: 10 }, { [NL]: 10 }]);
    expect(likely).toEqual({ text: "x(", reason: "stop-string" });
    const greedy = await run([{ [NL]: 5, [A]: 6 }, { ...spread, [B]: 1.01 }, { [NL]: 10 }], { preferEmpty: false });
    expect(greedy.text).toBe("x(");
  });
  it("does not apply after typed text or in multi-line mode", async () => {
    const typed = await run([{ [A]: 6, [NL]: 5 }, { ...spread, [B]: 1.01 }, { [NL]: 10 }], { prefix: "def f():\n    x = foo", heal: false });
    expect(typed.text).toBe("x(");
    const multi = await run([{ [NL]: 5, [A]: 6 }, { ...spread, [B]: 1.01 }, { [EOT]: 10 }], { format: "qwen", mode: "multiline" });
    expect(multi.text).toBe("x(");
  });
});
