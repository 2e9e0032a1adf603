// savedChoices.ts: the Train page's settings, "Run on" and "Frozen weights" go to storage and come back; what cannot be
// trusted falls back to the defaults, value by value.
import { describe, expect, test } from "vitest";
import { CHOICES_KEY, defaultChoices, loadChoices, parseChoices, saveChoices } from "../../../src/routes/train/savedChoices.ts";
import { DEFAULT_SETTINGS } from "../../../src/routes/shared/trainSettings.ts";

function memoryStore() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe("saved Train choices", () => {
  test("what is saved comes back", () => {
    const store = memoryStore();
    const c = { settings: { ...DEFAULT_SETTINGS, lossOn: "all", steps: 7, lr: 0.01, r: 4, alpha: 8, contextLength: 128 }, backend: "cpu", weights: "int8" } as const;
    saveChoices(c, store);
    expect(store.m.has(CHOICES_KEY)).toBe(true);
    expect(loadChoices(store)).toEqual(c);
  });

  test("nothing saved, garbled or blocked storage: the defaults", () => {
    expect(loadChoices(memoryStore())).toEqual(defaultChoices());
    const garbled = memoryStore();
    garbled.setItem(CHOICES_KEY, "{not json");
    expect(loadChoices(garbled)).toEqual(defaultChoices());
    const blocked = { getItem: () => { throw new Error("SecurityError"); }, setItem: () => { throw new Error("SecurityError"); } };
    expect(loadChoices(blocked)).toEqual(defaultChoices());
    expect(() => saveChoices(defaultChoices(), blocked)).not.toThrow();
  });

  test("each value out of bounds or of the wrong kind falls back to its own default; the rest is kept", () => {
    const c = parseChoices({ settings: { steps: 12, lr: -1, r: 2.5, contextLength: "256", epochs: 2 }, backend: "tpu", weights: "f16" });
    expect(c.settings).toEqual({ ...DEFAULT_SETTINGS, steps: 12, epochs: 2 });
    expect(c.backend).toBe("auto");
    expect(c.weights).toBe("f16");
    expect(parseChoices({ settings: { lossOn: "everything" } }).settings.lossOn).toBe(DEFAULT_SETTINGS.lossOn);
    expect(parseChoices({ settings: { lossOn: "all" } }).settings.lossOn).toBe("all");
    expect(parseChoices(null)).toEqual(defaultChoices());
    expect(parseChoices([1, 2])).toEqual(defaultChoices());
  });
});
