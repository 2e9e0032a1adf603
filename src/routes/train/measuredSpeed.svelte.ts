// measuredSpeed.svelte.ts — how fast the last run of each model went on each backend (seconds per step at its tokens
// per step, and the tokens/s the run panel showed), kept in localStorage: the Train page's ETA before Start uses it in
// place of the rough guess once a run of that model has taken a few steps here.

import { readStored, writeStored } from "../shared/stored.ts";
import type { MeasuredSpeed } from "./estimates.ts";

const STORAGE_KEY = "fim-studio.train.speed";
/** Models remembered (the most recently measured ones). */
const KEEP = 20;

const keyOf = (modelKey: string, backend: "webgpu" | "cpu") => `${backend} ${modelKey}`;

function valid(v: unknown): v is MeasuredSpeed {
  const s = v as MeasuredSpeed | null;
  return typeof s === "object" && s !== null && [s.secondsPerStep, s.tokensPerStep, s.tokensPerSecond].every((x) => typeof x === "number" && Number.isFinite(x) && x > 0);
}

class Speeds {
  private byKey = $state.raw<Record<string, MeasuredSpeed>>({});

  constructor() {
    this.byKey = readStored(STORAGE_KEY, (raw) =>
      typeof raw === "object" && raw !== null ? (Object.fromEntries(Object.entries(raw).filter(([, v]) => valid(v))) as Record<string, MeasuredSpeed>) : {});
  }

  get(modelKey: string, backend: "webgpu" | "cpu"): MeasuredSpeed | null {
    return this.byKey[keyOf(modelKey, backend)] ?? null;
  }

  record(modelKey: string, backend: "webgpu" | "cpu", speed: MeasuredSpeed): void {
    if (!valid(speed)) return;
    const key = keyOf(modelKey, backend);
    const rest = Object.entries(this.byKey).filter(([k]) => k !== key).slice(-(KEEP - 1));
    this.byKey = Object.fromEntries([...rest, [key, speed]]);
    writeStored(STORAGE_KEY, this.byKey);
  }
}

export const measuredSpeeds = new Speeds();
