// savedChoices.ts — the Train page's choices (every setting, "Run on", "Frozen weights") kept in localStorage, so they
// survive a reload and are the ones a new run uses. What is read back is checked field by field: a value that is
// missing or out of bounds (an older version, a hand edit) falls back to its default.

import { DEFAULT_SETTINGS, FIELDS, fieldError, LOSS_ON_CHOICES, type TrainSettings } from "../shared/trainSettings.ts";
import { readStored, writeStored, type Store } from "../shared/stored.ts";

export type BackendChoice = "auto" | "webgpu" | "cpu";
export type WeightsChoice = "auto" | "f32" | "f16" | "int8" | "int4";

export interface TrainChoices {
  settings: TrainSettings;
  backend: BackendChoice;
  weights: WeightsChoice;
}

export const CHOICES_KEY = "fim-studio.train";
const BACKENDS: readonly BackendChoice[] = ["auto", "webgpu", "cpu"];
const WEIGHTS: readonly WeightsChoice[] = ["auto", "f32", "f16", "int8", "int4"];

export function defaultChoices(): TrainChoices {
  return { settings: { ...DEFAULT_SETTINGS }, backend: "auto", weights: "auto" };
}

/** The choices in `raw` (parsed JSON), each value that is not a valid one replaced by its default. */
export function parseChoices(raw: unknown): TrainChoices {
  const out = defaultChoices();
  if (typeof raw !== "object" || raw === null) return out;
  const r = raw as { settings?: Record<string, unknown>; backend?: unknown; weights?: unknown };
  for (const f of FIELDS) {
    const v = r.settings?.[f.key];
    if (typeof v === "number" && fieldError(f, v) === null) out.settings[f.key] = v;
  }
  const lossOn = LOSS_ON_CHOICES.find((c) => c.value === r.settings?.lossOn);
  if (lossOn) out.settings.lossOn = lossOn.value;
  if (BACKENDS.includes(r.backend as BackendChoice)) out.backend = r.backend as BackendChoice;
  if (WEIGHTS.includes(r.weights as WeightsChoice)) out.weights = r.weights as WeightsChoice;
  return out;
}

export function loadChoices(store?: Store): TrainChoices {
  return readStored(CHOICES_KEY, parseChoices, store);
}

export function saveChoices(c: TrainChoices, store?: Store): void {
  writeStored(CHOICES_KEY, c, store);
}
