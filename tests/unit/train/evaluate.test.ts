// evaluateCompletions against a scripted model: a fake generator whose logits spell out a chosen answer token by
// token, so the expected scores are known exactly (the real engine's completion path is tested in complete.test.ts).

import { describe, expect, it } from "vitest";
import type { SampleRecord } from "../../../src/lib/fim/types.ts";
import { loadCheckpoint, memoryFiles } from "../../../src/lib/model/index.ts";
import type { CompletionModel } from "../../../src/lib/train/complete.ts";
import { evaluateCompletions, modeFor } from "../../../src/lib/train/evaluate.ts";
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

describe("evaluateCompletions", () => {
  it("scores each prediction against its middle", async () => {
    const records = [rec("def f():\n", "    return 1\n", "\n"), rec("x = ", "compute(a, b)\n", "y = x\n")];
    const m = await scripted(["    return 1", "compute(a,b)"]);
    const r = await evaluateCompletions(m, records);
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
    const r = await evaluateCompletions(m, records, { maxTokens: 2, limit: 2 });
    expect(r.n).toBe(2);
    expect(r.stoppedProperly).toBe(0);
    let seen = 0;
    const early = await evaluateCompletions(m, records, { stop: () => seen >= 1, onSample: (d) => (seen = d) });
    expect(early.n).toBe(1);
  });

  it("multi-line middles are completed in multi-line mode", () => {
    expect(modeFor("x = 1\n")).toBe("line");
    expect(modeFor("x = 1\ny = 2\n")).toBe("multiline");
  });
});
