// The engine bench's side-by-side jobs (scripts/bench.mjs runs each in a fresh process): our engine and the
// references a user would pick instead, on one checkpoint written to disk.
// Usage: node --import tsx tests/bench/reference-run.ts JOB ...
//   write DIR smollm|default            a random checkpoint (F32 safetensors, HF layout, a real Llama 3 tokenizer cut
//                                       to the vocabulary): SmolLM2-135M's shape, or the embedded default model's
//   train DIR lora|full B T THREADS STEPS   our Trainer: whole optimizer steps (forward, backward, AdamW) on random
//                                       ids, LoRA r 16 on all seven projections or every weight; best step of STEPS
//   generate DIR THREADS [WEIGHTS]      our engine: a 256-token prompt (prefill), then 32 greedy tokens (decode), the
//                                       block weights held as f32 (default), int8 or int4 (with an int8 embedding /
//                                       lm_head table, as every inference path loads them)
//   gguf DIR TYPE OUT                   our GGUF export (f32 | q8_0 | q4_0) of the checkpoint, for llama.cpp
//   llama GGUF VOCAB THREADS                 llama.cpp (node-llama-cpp's prebuilt CPU binary): the same prompt and decode
// Prints one JSON line. FIM_WASM=off runs our engine on its TypeScript kernels (the engine before WebAssembly).

import { mkdirSync } from "node:fs";
import { openAtomic } from "../../node/export/src/atomic-writer.ts";
import { folderFiles } from "../../node/export/src/model-folder.ts";
import { SMOLLM2_135M } from "../../src/lib/bench/presets.ts";
import { exportGguf } from "../../src/lib/export/gguf-export.ts";
import type { ExportType } from "../../src/lib/export/plan.ts";
import { Rng } from "../../src/lib/fim/prng.ts";
import { loadCheckpoint } from "../../src/lib/model/checkpoint.ts";
import { CpuBackend } from "../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../src/lib/train/engine.ts";
import { attachLora, DEFAULT_LORA } from "../../src/lib/train/lora.ts";
import { inferenceWeights } from "../../src/lib/train/tables.ts";
import { enableModelFullTraining } from "../../src/lib/train/weights.ts";
import type { WeightFormat } from "../../src/lib/train/quant.ts";
import { argmax } from "../../src/lib/train/sampling.ts";
import { DEFAULT_TRAIN, Trainer } from "../../src/lib/train/trainer.ts";
import { DIMS, VOCAB } from "../../tools/default-model/settings.ts";
import { writeTinyCheckpoint } from "../fixtures/tiny-checkpoint.ts";
import { smallTokenizer } from "../fixtures/small-tokenizer.ts";

const PROMPT = 256, DECODE = 32;
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
const maxRssMB = () => process.resourceUsage().maxRSS / 1024;
/** The same prompt for every engine: ids drawn once from a fixed seed. */
const promptIds = (V: number) => {
  const rng = new Rng(7);
  return Array.from({ length: PROMPT }, () => 10 + Math.floor(rng.next() * (V - 300)));
};

/** A Llama 3 tokenizer cut so that its whole vocabulary (added tokens too) is `vocab` or just under it. */
function tokenizerOf(vocab: number) {
  const probe = smallTokenizer("llama3", 2000);
  return smallTokenizer("llama3", vocab - (probe.vocabSize - probe.baseSize));
}

async function write(dir: string, shape: string): Promise<void> {
  const s = SMOLLM2_135M;
  const dims = shape === "smollm"
    ? { hidden_size: s.hidden_size, num_hidden_layers: s.num_hidden_layers, num_attention_heads: s.num_attention_heads,
      num_key_value_heads: s.num_key_value_heads, head_dim: s.hidden_size / s.num_attention_heads, intermediate_size: s.intermediate_size }
    : { hidden_size: DIMS.hidden, num_hidden_layers: DIMS.layers, num_attention_heads: DIMS.heads, num_key_value_heads: DIMS.kvHeads,
      head_dim: DIMS.hidden / DIMS.heads, intermediate_size: DIMS.intermediate };
  const vocab = shape === "smollm" ? s.vocab_size : VOCAB;
  mkdirSync(dir, { recursive: true });
  const { config } = await writeTinyCheckpoint(dir, { dims, tied: true, tokenizer: tokenizerOf(vocab), dtype: "F32" });
  emit({ job: "write", shape, dir, vocab: config.vocab_size, layers: dims.num_hidden_layers });
}

async function backend(threads: number): Promise<CpuBackend> {
  const be = new CpuBackend("f32", { threads });
  await be.ready();
  return be;
}

async function train(dir: string, mode: string, B: number, T: number, threads: number, steps: number): Promise<void> {
  const be = await backend(threads);
  const { model } = await loadEngine(be, folderFiles(dir));
  const params = mode === "full" ? enableModelFullTraining(be, model) : attachLora(be, model.w, DEFAULT_LORA, 1);
  const rng = new Rng(3);
  const samples = Array.from({ length: B * (steps + 1) }, () => {
    const ids = Int32Array.from({ length: T }, () => Math.floor(rng.next() * model.V));
    return { ids, targets: Int32Array.from({ length: T }, (_, t) => (t + 1 < T ? ids[t + 1]! : -1)), lossTokens: T - 1 };
  });
  const trainer = new Trainer(be, model, params, samples, { ...DEFAULT_TRAIN, batchSize: B, gradAccum: 1, steps: steps + 1, contextLength: T, warmupSteps: 0 });
  await trainer.trainStep(); // warm-up: first-touch of the workspace and moments
  let best = Infinity;
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await trainer.trainStep();
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  emit({ job: "train", engine: "ours", kernels: be.wasm ? `wasm-${be.wasm.build}` : "typescript", mode, B, T, threads: be.threads, stepS: best, tokPerS: (B * T) / best, maxRssMB: maxRssMB() });
  await be.dispose();
}

async function generate(dir: string, threads: number, weights: WeightFormat): Promise<void> {
  const be = await backend(threads);
  const engine = await loadEngine(be, folderFiles(dir), inferenceWeights(weights));
  const gen = engine.generator(PROMPT + DECODE + 8);
  const prompt = promptIds(engine.model.V);
  // warm-up: V8 runs a WebAssembly function's baseline code until it has optimized it, so the first calls are slow;
  // a prompt that shares no prefix with the timed one (nothing is reused from the cache), and a few tokens
  let w = await gen.prompt(prompt.map((x) => (x + 1) % engine.model.V));
  for (let i = 0; i < 4; i++) w = await gen.append([argmax(w, engine.model.V)]);
  let t = performance.now();
  let logits = await gen.prompt(prompt);
  const prefill = (performance.now() - t) / 1000;
  t = performance.now();
  for (let i = 0; i < DECODE; i++) logits = await gen.append([argmax(logits, engine.model.V)]);
  const decode = (performance.now() - t) / 1000;
  emit({ job: "generate", engine: "ours", kernels: be.wasm ? `wasm-${be.wasm.build}` : "typescript", weights, threads: be.threads, prefillTokPerS: PROMPT / prefill, decodeTokPerS: DECODE / decode, maxRssMB: maxRssMB() });
  await be.dispose();
}

async function gguf(dir: string, type: ExportType, out: string): Promise<void> {
  const files = folderFiles(dir);
  const json = async (n: string) => JSON.parse(new TextDecoder().decode(await files.read(n)));
  const sink = openAtomic(out);
  const s = await exportGguf(await loadCheckpoint(files), await json("tokenizer.json"), await json("tokenizer_config.json"), sink, { type, name: "bench" });
  await sink.commit();
  emit({ job: "gguf", type, bytes: s.bytes });
}

async function llama(path: string, vocab: number, threads: number): Promise<void> {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const ll = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
  const model = await ll.loadModel({ modelPath: path });
  const ctx = await model.createContext({ contextSize: 512, batchSize: PROMPT, threads });
  const seq = ctx.getSequence();
  const ids = promptIds(vocab);
  let t = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(ids as never);
  const prefill = (performance.now() - t) / 1000;
  await seq.eraseContextTokenRanges([{ start: 0, end: seq.nextTokenIndex }]);
  // decode: the prompt again, then time 32 greedy tokens after the first
  const it = seq.evaluate(ids as never, { temperature: 0 });
  await it.next();
  t = performance.now();
  for (let i = 0; i < DECODE; i++) await it.next();
  const decode = (performance.now() - t) / 1000;
  await it.return(undefined);
  emit({ job: "llama", engine: "llama.cpp", file: path, threads, prefillTokPerS: PROMPT / prefill, decodeTokPerS: DECODE / decode, maxRssMB: maxRssMB() });
  await ctx.dispose();
  await model.dispose();
}

const [job, ...a] = process.argv.slice(2);
if (job === "write") await write(a[0]!, a[1]!);
else if (job === "train") await train(a[0]!, a[1]!, Number(a[2]), Number(a[3]), Number(a[4]), Number(a[5]));
else if (job === "generate") await generate(a[0]!, Number(a[1]), (a[2] ?? "f32") as WeightFormat);
else if (job === "gguf") await gguf(a[0]!, a[1] as ExportType, a[2]!);
else if (job === "llama") await llama(a[0]!, Number(a[1]), Number(a[2]));
else throw new Error(`reference-run: unknown job ${JSON.stringify(job)}`);
