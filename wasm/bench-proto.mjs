import { readFileSync } from "node:fs";
const file = process.argv[2];
const memory = new WebAssembly.Memory({ initial: 2000, maximum: 65536, shared: true });
const { instance } = await WebAssembly.instantiate(readFileSync(file), { env: { memory } });
const f32 = new Float32Array(memory.buffer);
const shapes = [[256, 576, 576], [256, 576, 1536], [256, 1536, 576]];
for (const fn of ["gemm_nt", "gemm_nt34"]) for (const [M, K, N] of shapes) {
  const A = 1 << 20, B = A + M * K * 4, C = B + N * K * 4;
  for (let i = 0; i < M * K; i++) f32[A / 4 + i] = Math.random();
  for (let i = 0; i < N * K; i++) f32[B / 4 + i] = Math.random();
  let best = 1e9;
  for (let r = 0; r < 8; r++) { const t = performance.now(); instance.exports[fn](C, A, B, M, N, K, 1); best = Math.min(best, performance.now() - t); }
  // check one value
  let s = 0; for (let k = 0; k < K; k++) s += f32[A / 4 + 3 * K + k] * f32[B / 4 + 5 * K + k];
  console.log(fn, M, K, N, (2 * M * N * K / best / 1e6).toFixed(1), "GFLOP/s", Math.abs(s - f32[C / 4 + 3 * N + 5]) < 1e-2 * Math.abs(s));
}
