// Harness for tests/e2e/webgpu-model.test.ts: loads a tiny checkpoint (transformer or Mamba, served by the dev server) onto the WebGPU and
// the CPU backend, and compares one training step (loss, every LoRA gradient), ten steps of training (the loss
// curves), and greedy decoding (the token ids).

import { sampleFile } from "../../../src/lib/fim/index.ts";
import { urlFiles } from "../../../src/lib/model/browser-files.ts";
import type { Backend } from "../../../src/lib/train/backend.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { tokenizeSample, type TokenizedSample } from "../../../src/lib/train/data.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { attachLora, defaultLora } from "../../../src/lib/train/lora.ts";
import { argmax } from "../../../src/lib/train/sampling.ts";
import { DEFAULT_TRAIN, Trainer } from "../../../src/lib/train/trainer.ts";
import { WebGpuBackend } from "../../../src/lib/train/webgpu/backend.ts";

type AnyBackend = Backend<unknown, unknown>;

async function setup(be: AnyBackend, url: string) {
  const engine = await loadEngine(be, urlFiles(url));
  const text = "def add(a, b):\n    total = a + b\n    return total\n\n\ndef sub(a, b):\n    return a - b\n";
  const recs = sampleFile({ path: "a.py", text, language: "python" }, 8, "qwen", { seed: 1, spanUnit: "lines", fimRate: 1, spmRate: 0, incompleteRate: 0.35, eot: undefined }, "train");
  const samples = recs.map((r) => tokenizeSample(r, engine.checkpoint.tokenizer, { contextLength: 96, lossOn: "middle" })).filter((s): s is TokenizedSample => !!s);
  const params = attachLora(be, engine.model.w, { ...defaultLora(engine.model), r: 2, alpha: 4 }, 3);
  // B = 0 would make every dA zero: give B values so both gradients are exercised
  for (const p of params) if (p.name.includes("lora_B")) be.write(p.buf, Float32Array.from({ length: p.n }, (_, i) => Math.sin(i + p.n) * 0.05));
  const trainer = new Trainer(be, engine.model, params, samples, { ...DEFAULT_TRAIN, lr: 1e-2, warmupSteps: 1, batchSize: 2, gradAccum: 1, steps: 10, contextLength: 96 });
  return { engine, params, trainer };
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

async function compareStep(url: string) {
  const gpu = (await WebGpuBackend.create()) as unknown as AnyBackend;
  const cpu = new CpuBackend() as unknown as AnyBackend;
  const g = await setup(gpu, url);
  const c = await setup(cpu, url);
  const rg = await g.trainer.trainStep();
  const rc = await c.trainer.trainStep();
  // the step has updated the weights; compare the gradients it computed (still in the grad buffers)
  let worstGrad = 0;
  for (let i = 0; i < g.params.length; i++) {
    worstGrad = Math.max(worstGrad, maxRel(await gpu.read(g.params[i]!.grad, g.params[i]!.n), await cpu.read(c.params[i]!.grad, c.params[i]!.n)));
  }
  const gl = [rg.loss];
  const cl = [rc.loss];
  for (let s = 1; s < 10; s++) {
    gl.push((await g.trainer.trainStep()).loss);
    cl.push((await c.trainer.trainStep()).loss);
  }
  return { lossGpu: rg.loss, lossCpu: rc.loss, worstGrad, curveGpu: gl, curveCpu: cl };
}

/**
 * Greedy decoding of `n` tokens on both backends (with `lora`, a rank-2 adapter attached, its B made non-zero): the
 * tokens, the worst relative difference of their logits, and the dispatches per kernel of the GPU's last step.
 */
async function compareGreedy(url: string, n: number, lora = false) {
  const out: number[][] = [];
  const logitsOf: Float32Array[][] = [];
  const webgpu = await WebGpuBackend.create();
  let lastStep: Record<string, number> = {};
  for (const be of [webgpu as unknown as AnyBackend, new CpuBackend() as unknown as AnyBackend]) {
    const engine = await loadEngine(be, urlFiles(url));
    if (lora) {
      const params = attachLora(be, engine.model.w, { ...defaultLora(engine.model), r: 2, alpha: 4 }, 3);
      for (const p of params) if (p.name.includes("lora_B")) be.write(p.buf, Float32Array.from({ length: p.n }, (_, i) => Math.sin(i + p.n) * 0.5));
    }
    const gen = engine.generator(128);
    const prompt = engine.model.family === "mamba" ? "«CTX»def f(x):\n    «CURSOR»«/CTX»«PREFIX»def f(x):\n    «SUFFIX»«MIDDLE»" : "<|fim_prefix|>def f(x):\n    <|fim_suffix|>\n<|fim_middle|>";
    let logits = await gen.prompt(engine.checkpoint.tokenizer.encode(prompt));
    const ids: number[] = [];
    const seen: Float32Array[] = [logits];
    for (let i = 0; i < n; i++) {
      ids.push(argmax(logits, engine.model.V));
      const before = new Map(webgpu.ctx.dispatches);
      logits = await gen.append([ids[i]!]);
      seen.push(logits);
      if (be === (webgpu as unknown as AnyBackend)) {
        lastStep = {};
        for (const [k, d] of webgpu.ctx.dispatches) {
          const key = k.split(":")[0]!;
          if (d > (before.get(k) ?? 0)) lastStep[key] = (lastStep[key] ?? 0) + d - (before.get(k) ?? 0);
        }
      }
    }
    out.push(ids);
    logitsOf.push(seen);
  }
  // the GPU's matmuls of a few rows (the decoding steps) run the GEMV kernel, matvec.wgsl
  const matvec = [...webgpu.ctx.dispatches].filter(([k]) => k.startsWith("matvec:")).reduce((a, [, n]) => a + n, 0);
  const worstLogits = Math.max(...logitsOf[0]!.map((l, i) => maxRel(l, logitsOf[1]![i]!)));
  return { gpu: out[0], cpu: out[1], matvec, worstLogits, lastStep };
}

Object.assign(window, { webgpuModel: { compareStep, compareGreedy } });
