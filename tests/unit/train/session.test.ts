// TrainingSession: pause and resume mid-run, cancel (keeping the steps trained as a checkpoint), checkpoints, and a new session resuming from the store
// continuing the same loss curve (what a reload or a lost GPU does).

import { describe, expect, it } from "vitest";
import { sampleFile } from "../../../src/lib/fim/index.ts";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { tokenizeSample } from "../../../src/lib/train/data.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { DEFAULT_LORA } from "../../../src/lib/train/lora.ts";
import { MemoryStore, TrainingSession, type SessionOptions, type SessionProgress } from "../../../src/lib/train/session.ts";
import { DEFAULT_TRAIN } from "../../../src/lib/train/trainer.ts";
import { tinyCheckpointFiles, tinyConfig, tinyWeights } from "../../fixtures/tiny-checkpoint.ts";
import { referenceLogits, type RefConfig } from "../../reference/llama-f64.ts";
import type { TokenizedSample } from "../../../src/lib/train/data.ts";

const TEXT = "def add(a, b):\n    total = a + b\n    return total\n\n\ndef sub(a, b):\n    return a - b\n";

async function session(store = new MemoryStore(), onProgress?: (p: SessionProgress) => void, extra: Partial<SessionOptions> = {}) {
  const be = new CpuBackend();
  const engine = await loadEngine(be, memoryFiles(tinyCheckpointFiles({ architecture: "qwen2" })));
  const recs = sampleFile({ path: "a.py", text: TEXT, language: "python" }, 12, "qwen", { seed: 2, spanUnit: "lines", fimRate: 1, spmRate: 0, incompleteRate: 0.35, eot: undefined }, "train");
  const samples = recs.map((r) => tokenizeSample(r, engine.checkpoint.tokenizer, { contextLength: 128, lossOn: "middle" })!);
  const o: SessionOptions = {
    train: { ...DEFAULT_TRAIN, lr: 1e-2, warmupSteps: 1, batchSize: 2, gradAccum: 1, steps: 6, contextLength: 128 },
    lora: { ...DEFAULT_LORA, r: 2, alpha: 4 }, baseModel: "tiny", format: "qwen", checkpointEvery: 2, onProgress, ...extra,
  };
  return { s: new TrainingSession(be, engine.model, samples, store, o), store, samples };
}

/** Mean cross-entropy per target token of the base model, in float64 (independent of the engine). */
function referenceLoss(samples: readonly TokenizedSample[]): number {
  const opts = { architecture: "qwen2" } as const;
  const weights = new Map(tinyWeights(opts).map((t) => [t.name, t.data]));
  const V = tinyConfig(opts).vocab_size as number;
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    const ids = [...s.ids];
    const logits = referenceLogits(tinyConfig(opts) as unknown as RefConfig, weights, ids);
    s.targets.forEach((t, i) => {
      if (t < 0) return;
      const row = logits.subarray(i * V, (i + 1) * V);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      sum += lse - row[t]!;
      n++;
    });
  }
  return sum / n;
}

describe("TrainingSession", () => {
  it("measures the held-out loss before the first step, every evalEvery steps and at the end", async () => {
    const probe = await session();
    const held = probe.samples.slice(0, 3);
    const events: SessionProgress[] = [];
    const { s } = await session(undefined, (p) => events.push(p), { evalSamples: held, evalEvery: 4 });
    expect(await s.run()).toBe("done");
    expect(s.evalLosses.map(([step]) => step)).toEqual([0, 4, 6]);
    // before training the adapter is zero (B = 0): the base model's loss, as the float64 reference computes it
    expect(s.evalLosses[0]![1]).toBeCloseTo(referenceLoss(held), 4);
    // trained on samples that include the held-out ones, the loss falls
    expect(s.evalLosses[2]![1]).toBeLessThan(s.evalLosses[0]![1]);
    expect(events.filter((e) => e.evalLoss !== undefined).map((e) => e.step)).toEqual([4, 6]);
    // and the curve is kept in the checkpoint, for a resumed run's chart
    const st = JSON.parse(new TextDecoder().decode([...(await s.files())].find(([n]) => n.endsWith("trainer_state.json"))![1]));
    expect(st.evalLosses).toEqual(s.evalLosses);
  }, 60_000);

  it("reports progress, pauses, resumes and finishes with the same curve as an uninterrupted run", async () => {
    const plain = (await session()).s;
    expect(await plain.run()).toBe("done");
    const events: SessionProgress[] = [];
    const { s } = await session(undefined, (p) => {
      events.push(p);
      if (p.step === 2) {
        s.pause();
        setTimeout(() => {
          expect(s.state).toBe("paused");
          s.resume();
        }, 20);
      }
    });
    expect(await s.run()).toBe("done");
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.every((e) => e.tokensPerSecond > 0 && e.etaSeconds >= 0 && Number.isFinite(e.loss))).toBe(true);
    expect(s.losses).toEqual(plain.losses);
  }, 60_000);

  it("cancel stops at the next step", async () => {
    const { s } = await session(undefined, (p) => p.step === 3 && s.cancel());
    expect(await s.run()).toBe("cancelled");
    expect(s.losses).toHaveLength(3);
  }, 60_000);

  it("cancel keeps the steps trained: a checkpoint of the step it stopped at, resumed to the same curve", async () => {
    const full = (await session()).s;
    await full.run();
    const store = new MemoryStore();
    const { s: first } = await session(store, (p) => p.step === 3 && first.cancel()); // checkpointEvery 2: none at 3
    expect(await first.run()).toBe("cancelled");
    expect(first.step).toBe(3);
    expect(first.savedStep).toBe(3);
    const { s: second } = await session(store);
    expect(await second.init()).toBe(3);
    expect(await second.run()).toBe("done");
    expect(second.losses).toEqual(full.losses);
  }, 60_000);

  it("a cancel before the first step writes nothing", async () => {
    const store = new MemoryStore();
    const { s } = await session(store);
    await s.init();
    s.cancel();
    expect(await s.run()).toBe("cancelled");
    expect(await store.load()).toBeUndefined();
  }, 60_000);

  it("a new session on the same store resumes from the last checkpoint and continues the curve", async () => {
    const full = (await session()).s;
    await full.run();
    const store = new MemoryStore();
    const { s: first } = await session(store, (p) => p.step === 4 && first.cancel());
    expect(await first.run()).toBe("cancelled");
    const { s: second } = await session(store); // as after a reload, or on the CPU after a lost GPU
    expect(await second.init()).toBe(4); // checkpointEvery 2: the checkpoint after step 4
    expect(await second.run()).toBe("done");
    expect(second.losses).toEqual(full.losses);
  }, 60_000);
});
