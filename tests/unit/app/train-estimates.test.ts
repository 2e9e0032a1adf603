// estimates.ts: the Train page's ETA before Start (from a measured speed, else the guess) and the sentence on what a
// run of that many passes over the samples can be expected to change.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { EMBEDDED_MEASURED, etaOf, pageEstimate, passesOf, runEffect, tokensPerStep } from "../../../src/routes/train/estimates.ts";
import { DEFAULT_SETTINGS } from "../../../src/routes/shared/trainSettings.ts";

const shape = { params: 1_000_000, C: 64, L: 2, H: 128, V: 1000 };

describe("ETA before Start", () => {
  test("from the measured speed, scaled by the tokens per step", () => {
    const s = { ...DEFAULT_SETTINGS, batchSize: 2, gradAccum: 1, contextLength: 128 };
    const speed = { secondsPerStep: 0.5, tokensPerStep: 256, tokensPerSecond: 300 };
    expect(etaOf(10, s, speed, null)).toEqual({ seconds: 5, tokensPerSecond: 300, measured: true });
    // twice the context: twice the time per step
    expect(etaOf(10, { ...s, contextLength: 256 }, speed, null)!.seconds).toBe(10);
    expect(tokensPerStep(s)).toBe(256);
  });

  test("without a measurement, the estimate at the guessed GFLOP/s; with neither, none", () => {
    const s = { ...DEFAULT_SETTINGS, steps: 20 };
    const e = pageEstimate(shape, s, 100, "cpu");
    const eta = etaOf(20, s, null, e)!;
    expect(eta.measured).toBe(false);
    expect(eta.seconds).toBe(e.seconds);
    // 4 FLOPs per parameter per token at 4 GFLOP/s
    expect(eta.tokensPerSecond).toBeCloseTo(4e9 / (4 * shape.params), 6);
    expect(etaOf(20, s, null, null)).toBeNull();
  });
});

describe("what a run can be expected to change", () => {
  test("passes over the samples", () => {
    expect(passesOf(30, { batchSize: 4, gradAccum: 2 }, 80)).toBe(3);
    expect(passesOf(5, { batchSize: 1, gradAccum: 1 }, 0)).toBe(0);
  });

  test("one short sentence per range of passes, honest about little runs and many passes", () => {
    expect(runEffect(0.02, 500)).toBe("A quick try: 2% of your 500 samples, each seen once. Enough to see the loss move; completions will barely change.");
    expect(runEffect(0.5, 500)).toMatch(/^Part of one pass over your 500 samples \(50%\): the loss should start to fall/);
    expect(runEffect(1, 500)).toMatch(/^About one pass over your 500 samples/);
    expect(runEffect(3, 1200)).toMatch(/^3\.0 passes over your 1,200 samples \(the seed trains 3\)/);
    expect(runEffect(12, 500)).toMatch(/^12 passes over your 500 samples: past about 5 the model starts to memorize them/);
    expect(runEffect(3, 40)).toMatch(/With only 40 samples, more code on the Data page helps more than more steps\.$/);
    expect(runEffect(3, 500)).not.toMatch(/With only/);
  });

  test("on the embedded model, what the defaults measurably did to it follows (its card's headline run)", () => {
    expect(runEffect(2, 1400, true)).toBe(`${runEffect(2, 1400)} ${EMBEDDED_MEASURED}`);
    // the figures are the model card's headline rows (before, after LoRA): exact match and edit similarity
    const card = readFileSync(new URL("../../../public/models/fim-tiny-code/README.md", import.meta.url), "utf8");
    const cells = (label: string) => card.split("\n").find((l) => l.startsWith(`| ${label} |`))!.split("|").map((c) => c.trim());
    const [before, after] = [cells("default model, before"), cells("after LoRA (our engine)")];
    expect(EMBEDDED_MEASURED).toContain(`exact match on its held-out files from ${before[3]}% to ${after[3]}%`);
    expect(EMBEDDED_MEASURED).toContain(`edit similarity from ${before[4]} to ${after[4]}`);
    expect(runEffect(2, 1400)).not.toContain("embedded");
  });
});
