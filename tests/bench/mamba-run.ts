// One measured Mamba-vs-transformer job on the CPU backend, in a fresh process so its peak RSS is its own.
// Usage (from scripts/bench.mjs): node --import tsx tests/bench/mamba-run.ts ARCH THREADS
//   ARCH: "mamba" (state-spaces/mamba-130m-hf's shape, 24 layers) or "transformer" (SmolLM2-135M's shape, 30 layers),
//   both ~130M parameters with random weights. Measures, on the whole model (nothing composed):
//   prefill of a 128-token prompt, then 16 greedy tokens (decode), each after a warm-up run; then LoRA training
//   (r 16 on every linear of a block, B = 1, T = 128): one warm-up step, 2 timed.
// Prints one JSON line. Not a test.

import { MAMBA_130M, SMOLLM2_135M } from "../../src/lib/bench/presets.ts";
import { Rng } from "../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../src/lib/train/cpu/index.ts";
import type { TokenizedSample } from "../../src/lib/train/data.ts";
import { attachLora, defaultLora } from "../../src/lib/train/lora.ts";
import { fillUniform, randomModel } from "../../src/lib/train/random-model.ts";
import { argmax } from "../../src/lib/train/sampling.ts";
import { DEFAULT_TRAIN, Trainer } from "../../src/lib/train/trainer.ts";

const [arch = "mamba", threadsArg = "2"] = process.argv.slice(2);
const PROMPT = 128, DECODE = 16, T = 128, STEPS = 2;
const rng = new Rng(2024);

const be = new CpuBackend("f32", { threads: Number(threadsArg) });
await be.ready();
const config = arch === "mamba" ? MAMBA_130M : SMOLLM2_135M;
const model = await randomModel(be, config, rng, 0.02);
const V = model.V;
const ids = (n: number) => Array.from({ length: n }, () => Math.floor(rng.next() * V));

const gen = model.decoder(PROMPT + DECODE + 1);
const generate = async () => {
  gen.reset();
  let t = performance.now();
  let logits = await gen.prompt(ids(PROMPT));
  const prefill = (performance.now() - t) / 1000;
  t = performance.now();
  for (let i = 0; i < DECODE; i++) logits = await gen.append([argmax(logits, V)]);
  return { prefill, decode: (performance.now() - t) / 1000 };
};
await generate();
const g = await generate();

// A keystroke in the ctx format: the cursor sits inside the «CTX» block near the prompt's start (~10 lines of local
// context before it), so everything after it changes; a KV cache and Mamba's saved states both resume from the shared
// prefix (Mamba from the last state saved at a multiple of 32 tokens). Prompt of KEY_PROMPT tokens, keystroke at
// token KEY_AT; then a keystroke at the very end (typing after the «MIDDLE» marker, as a continuation would).
const KEY_PROMPT = 512, KEY_AT = 100;
const kgen = model.decoder(KEY_PROMPT + 8);
const base = ids(KEY_PROMPT);
const timed = async (p: number[]) => {
  const t = performance.now();
  await kgen.prompt(p);
  return { ms: performance.now() - t, ran: kgen.lastRun };
};
const cold = await timed(base);
const mid = await timed([...base.slice(0, KEY_AT), 7, ...base.slice(KEY_AT + 1)]);
const end = await timed([...base.slice(0, KEY_AT), 7, ...base.slice(KEY_AT + 1), 9]);

const params = attachLora(be, model.w, { ...defaultLora(model), r: 16, alpha: 32 }, 1);
for (const p of params) if (p.name.includes("lora_B")) be.write(p.buf, fillUniform(new Float32Array(p.n), rng, 0.02));
const samples: TokenizedSample[] = Array.from({ length: STEPS + 1 }, () => {
  const s = Int32Array.from(ids(T + 1));
  return { ids: s.subarray(0, T), targets: s.subarray(1), lossTokens: T };
});
const trainer = new Trainer(be, model, params, samples, { ...DEFAULT_TRAIN, lr: 1e-4, warmupSteps: 0, batchSize: 1, gradAccum: 1, steps: STEPS + 1, contextLength: T });
await trainer.trainStep();
const t0 = performance.now();
for (let s = 0; s < STEPS; s++) await trainer.trainStep();
const trainS = (performance.now() - t0) / 1000;
console.log(JSON.stringify({
  arch, threads: be.threads, layers: config.num_hidden_layers, prefillTokPerS: PROMPT / g.prefill, decodeTokPerS: DECODE / g.decode,
  trainTokPerS: (STEPS * T) / trainS, keyPrompt: KEY_PROMPT, keyAt: KEY_AT, coldMs: cold.ms, keyMidMs: mid.ms, keyMidRan: mid.ran,
  keyEndMs: end.ms, keyEndRan: end.ran, maxRssMB: process.resourceUsage().maxRSS / 1024,
}));
await be.dispose();
