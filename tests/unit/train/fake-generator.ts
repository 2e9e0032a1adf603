// A stand-in for the engine's Generator in completion tests: each forward pass returns the logits `next(step)` gives,
// so the test decides every distribution the completer sees. Records the prompts it was given.

import type { Generator } from "../../../src/lib/train/generate.ts";

export function fakeGenerator(next: (step: number) => Float32Array, maxContext = 512) {
  const seen: number[][] = [];
  let step = 0;
  let length = 0;
  const gen = {
    maxContext,
    get length() {
      return length;
    },
    async prompt(ids: number[]) {
      seen.push(ids);
      length = ids.length;
      return next(step++);
    },
    async append(ids: number[]) {
      length += ids.length;
      return next(step++);
    },
  } as unknown as Generator<Float32Array, Int32Array>;
  return { gen, seen };
}
