// evaluateCompletions against a scripted model: a fake generator whose logits spell out a chosen answer token by
// token, so the expected scores are known exactly (the real engine's completion path is tested in complete.test.ts).
// Then the harness's parts: scores per language, what a completer is handed, the prompt each record stands for,
// and the baselines.

import { describe, expect, it } from "vitest";
import type { SampleRecord } from "../../../src/lib/fim/types.ts";
import { loadCheckpoint, memoryFiles } from "../../../src/lib/model/index.ts";
import type { CompletionModel } from "../../../src/lib/train/complete.ts";
import { buildPrompt, buildDataset, type SampleRecord as Rec } from "../../../src/lib/fim/index.ts";
import { builtinSource } from "../../../src/lib/fim/builtin.ts";
import {
  BASELINES, baselinePredictions, cursorOf, evaluateCompletions, evaluateWith, modeFor, previousLine, scoreByLanguage,
  type EvalPrediction, type SampleCompleter,
} from "../../../src/lib/train/evaluate.ts";
import type { Generator } from "../../../src/lib/train/generate.ts";
import { tinyCheckpointFiles } from "../../fixtures/tiny-checkpoint.ts";

async function scripted(answers: string[]): Promise<CompletionModel<unknown, unknown>> {
  const cp = await loadCheckpoint(memoryFiles(tinyCheckpointFiles({ architecture: "qwen2" })));
  const tk = cp.tokenizer;
  const eos = cp.stopIds[0]!;
  let queue: number[] = [];
  let call = 0;
  const oneHot = () => {
    const l = new Float32Array(tk.vocabSize);
    l[queue.shift() ?? eos] = 1;
    return l;
  };
  const gen = {
    maxContext: 4096,
    length: 0,
    async prompt() {
      queue = [...tk.encode(answers[call++ % answers.length]!, { addSpecialTokens: false })];
      return oneHot();
    },
    async append() {
      return oneHot();
    },
  } as unknown as Generator<unknown, unknown>;
  return { tokenizer: tk, generator: gen, eosIds: cp.stopIds };
}

const rec = (prefix: string, middle: string, suffix: string): SampleRecord => ({
  text: "", prefix, middle, suffix, format: "qwen", mode: "psm", language: "python", path: "a.py", split: "eval",
});

/** Plain greedy decoding: the script is the completion at the cursor (healing and the empty-line rule are tested in
 * complete.test.ts and line-score.test.ts; they would change a script whose every token is a 1-in-e guess). */
const PLAIN = { heal: false, preferEmpty: false };

describe("evaluateCompletions", () => {
  it("scores each prediction against its middle", async () => {
    const records = [rec("def f():\n", "    return 1\n", "\n"), rec("x = ", "compute(a, b)\n", "y = x\n")];
    const m = await scripted(["    return 1", "compute(a,b)"]);
    const r = await evaluateCompletions(m, records, PLAIN);
    expect(r.predictions.map((p) => p.prediction)).toEqual(["    return 1", "compute(a,b)"]);
    expect(r.n).toBe(2);
    expect(r.exactMatch).toBe(50); // "compute(a,b)" vs "compute(a, b)": other tokens
    expect(r.editSimilarity).toBeCloseTo((100 * (1 - 1 / 13) + 100 * (1 - 2 / 14)) / 2, 6);
    expect(r.stoppedProperly).toBe(100);
    expect(r.predictions.every((p) => p.ms >= 0)).toBe(true);
  });

  it("counts completions cut by the token limit as not stopped, and honours limit and stop", async () => {
    const m = await scripted(["a b c d e f g h"]);
    const records = [rec("", "a\n", ""), rec("", "b\n", ""), rec("", "c\n", "")];
    const r = await evaluateCompletions(m, records, { ...PLAIN, maxTokens: 2, limit: 2 });
    expect(r.n).toBe(2);
    expect(r.stoppedProperly).toBe(0);
    let seen = 0;
    const early = await evaluateCompletions(m, records, { ...PLAIN, stop: () => seen >= 1, onSample: (d) => (seen = d) });
    expect(early.n).toBe(1);
  });

  it("multi-line middles are completed in multi-line mode", () => {
    expect(modeFor("x = 1\n")).toBe("line");
    expect(modeFor("x = 1\ny = 2\n")).toBe("multiline");
  });
});

describe("scores per language", () => {
  const p = (language: string, prediction: string, reference: string, stoppedBy: EvalPrediction["stoppedBy"], ms: number): EvalPrediction =>
    ({ path: `a.${language}`, language, prediction, reference, stoppedBy, ms });
  it("exact numbers on a small case", () => {
    const { overall, byLanguage } = scoreByLanguage([
      p("python", "return  x\n", "return x\n", "stop-token", 10), // EM (whitespace-split); ES 100 * (1 - 1/10) = 90
      p("python", "", "pass\n", "max-tokens", 30), // ES 0
      p("javascript", "ab", "abcd", "stop-string", 20), // ES 50
      p("python", "x\n", "x\n", "repeats-suffix", 20), // EM, ES 100, not a proper stop
    ]);
    expect(Object.keys(byLanguage)).toEqual(["javascript", "python"]);
    expect(byLanguage.python).toEqual({ n: 3, exactMatch: 200 / 3, editSimilarity: 190 / 3, stoppedProperly: 100 / 3, msPerSample: 20 });
    expect(byLanguage.javascript).toEqual({ n: 1, exactMatch: 0, editSimilarity: 50, stoppedProperly: 100, msPerSample: 20 });
    expect(overall).toEqual({ n: 4, exactMatch: 50, editSimilarity: 60, stoppedProperly: 50, msPerSample: 20 });
    expect(scoreByLanguage([]).overall).toEqual({ n: 0, exactMatch: 0, editSimilarity: 0, stoppedProperly: 0, msPerSample: 0 });
  });

  it("evaluateWith hands each completer the cursor, the mode and the token limit", async () => {
    const seen: Parameters<SampleCompleter["complete"]>[0][] = [];
    const c: SampleCompleter = {
      countTokens: (s) => s.length, // one token per character here
      complete: async (req) => (seen.push(req), { text: "x", stoppedBy: "stop-token" }),
    };
    const records = [rec("a\n", "bb\n", "c\n"), { ...rec("a\n", "b\nb\n", "c\n"), language: "javascript" }];
    const r = await evaluateWith(c, records);
    expect(seen).toEqual([
      { prefix: "a\n", suffix: "c\n", format: "qwen", mode: "line", maxTokens: 3 + 16, heal: true, preferEmpty: true },
      { prefix: "a\n", suffix: "c\n", format: "qwen", mode: "multiline", maxTokens: 4 + 16, heal: true, preferEmpty: true },
    ]);
    await evaluateWith(c, records.slice(0, 1), PLAIN);
    expect(seen.pop()).toMatchObject(PLAIN);
    expect(r.predictions.map((x) => x.language)).toEqual(["python", "javascript"]);
    await evaluateWith(c, [rec("", "y".repeat(200), "")], { maxTokens: 5 });
    expect(seen[2]!.maxTokens).toBe(5);
    await evaluateWith(c, [rec("", "y".repeat(200), "")]);
    expect(seen[3]!.maxTokens).toBe(128);
  });

  it("the prompt of every record is the one it was trained with (ctx: the suffix after the middle's line)", async () => {
    for (const format of ["ctx", "qwen", "codellama"]) {
      const out: Rec[] = [];
      await buildDataset(builtinSource(), { format, count: 100 }, (r) => void out.push(r));
      for (const r of out) {
        const c = cursorOf(r);
        const { prompt } = buildPrompt({ format, document: c.prefix + c.suffix, cursor: c.prefix.length });
        expect(r.text.startsWith(prompt + r.middle), `${format} ${r.path}`).toBe(true);
      }
    }
  });

  it("baselines: nothing, and the line before the cursor's line", () => {
    expect(previousLine("a\nb\n  c")).toBe("b");
    expect(previousLine("a\r\nb\r\n")).toBe("b");
    expect(previousLine("only")).toBe("");
    const records = [rec("x = 1\nx = 1\n", "x = 1\n", ""), rec("", "y\n", "")];
    expect(baselinePredictions(BASELINES["previous-line"]!, records).map((p) => p.prediction)).toEqual(["x = 1", ""]);
    expect(baselinePredictions(BASELINES.empty!, records).map((p) => [p.prediction, p.reference])).toEqual([["", "x = 1\n"], ["", "y\n"]]);
  });
});
