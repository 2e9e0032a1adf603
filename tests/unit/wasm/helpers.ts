// What the WebAssembly kernel tests share: random inputs, bit patterns, a relative error, and the two backends they
// compare (one thread; two, the pool ready). Test code only.

import { afterAll, beforeAll } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";

/** n values uniform in [-s, s). */
export const rand = (n: number, rng: Rng, s = 1): Float32Array => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * s);

/** The float32 bit patterns, for bit-for-bit comparisons. */
export const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.slice().buffer));

/** max |a - b| / (1 + |b|) */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return e;
}

/** A one-thread and a two-thread CPU backend (WebAssembly kernels), made before the file's tests and disposed after. */
export function useBackends(): { one: CpuBackend; two: CpuBackend } {
  const b = {} as { one: CpuBackend; two: CpuBackend };
  beforeAll(async () => {
    b.one = new CpuBackend("f32");
    b.two = new CpuBackend("f32", { threads: 2 });
    await b.two.ready();
  });
  afterAll(() => b.two.dispose());
  return b;
}
