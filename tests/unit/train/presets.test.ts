// The two presets: the seed's settings as fim-pipeline-summary.md gives them, and the defaults flowing into the
// trainer, LoRA, the Train page and its "Use the seed's settings" button from the one table.

import { describe, expect, it } from "vitest";
import { DEFAULT_PRESET, PRESETS, SEED_PRESET } from "../../../src/lib/train/presets.ts";
import { DEFAULT_TRAIN } from "../../../src/lib/train/trainer.ts";
import { DEFAULT_LORA } from "../../../src/lib/train/lora.ts";
import { DEFAULT_SETTINGS, SEED_SETTINGS, settingsErrors } from "../../../src/routes/shared/trainSettings.ts";

describe("presets", () => {
  it("the seed's: LoRA r16/α32, lr 2e-4, 100 warm-up steps, batch 4 × 2, 3 epochs, context 1024, loss on the middle", () => {
    expect(SEED_PRESET).toEqual({ lossOn: "middle", lr: 2e-4, warmupSteps: 100, batchSize: 4, gradAccum: 2, epochs: 3, steps: 0, contextLength: 1024, r: 16, alpha: 32 });
    expect(PRESETS.seed.preset).toBe(SEED_PRESET);
  });

  it("the defaults feed the trainer, LoRA and the Train page; both presets are valid page settings", () => {
    const p = DEFAULT_PRESET;
    expect(DEFAULT_TRAIN).toMatchObject({ lr: p.lr, warmupSteps: p.warmupSteps, batchSize: p.batchSize, gradAccum: p.gradAccum, epochs: p.epochs, contextLength: p.contextLength });
    expect(DEFAULT_LORA).toMatchObject({ r: p.r, alpha: p.alpha });
    expect(DEFAULT_SETTINGS).toMatchObject(p);
    expect(SEED_SETTINGS).toMatchObject(SEED_PRESET);
    expect(settingsErrors(DEFAULT_SETTINGS)).toEqual({});
    expect(settingsErrors(SEED_SETTINGS)).toEqual({});
  });
});
