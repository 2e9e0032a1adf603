// Run by relaxed.test.ts in a Node started with --experimental-wasm-relaxed-simd: the relaxed build's kernels on the
// CPU backend (FIM_WASM=relaxed) against float64, and against the plain SIMD build. Prints one JSON line.
import { Rng } from "../../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";

const rng = new Rng(11);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
const [N, IC, OC] = [37, 83, 71];
const x = rand(N * IC), w = rand(OC * IC);
const ref = new Float64Array(N * OC);
for (let n = 0; n < N; n++) for (let o = 0; o < OC; o++) {
  let s = 0;
  for (let i = 0; i < IC; i++) s += x[n * IC + i]! * w[o * IC + i]!;
  ref[n * OC + o] = s;
}
const run = (build: "relaxed" | "simd") => {
  const be = new CpuBackend("f32", { wasm: build });
  const out = be.alloc(N * OC);
  be.matmulForward(out, be.upload(x), be.upload(w), null, N, IC, OC);
  return { build: be.wasm?.build ?? null, out };
};
const relaxed = run("relaxed"), simd = run("simd");
let err = 0, differ = 0;
for (let i = 0; i < ref.length; i++) {
  err = Math.max(err, Math.abs(relaxed.out[i]! - ref[i]!) / (1 + Math.abs(ref[i]!)));
  if (relaxed.out[i] !== simd.out[i]) differ++;
}
console.log(JSON.stringify({ relaxedBuild: relaxed.build, simdBuild: simd.build, maxRelErr: err, differFromSimd: differ }));
