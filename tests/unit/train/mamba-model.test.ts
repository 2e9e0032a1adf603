// Mamba-1 end to end on tiny random checkpoints in the HF layout (tests/fixtures/tiny-mamba.ts): config parsing and
// refusals, logits against the independent float64 reference (tests/reference/mamba-f64.ts) through the training
// path and the recurrent decoder, whole-model gradients against float64 finite differences, prefix reuse in the
// decoder, and a LoRA run whose adapter round-trips through PEFT's format.

import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/fim/prng.ts";
import { parseModelConfig, type MambaConfig } from "../../../src/lib/model/config.ts";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { ADAPTER_CONFIG, loadAdapter, loraShapes, saveAdapter } from "../../../src/lib/train/adapter.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { attachLora, defaultLora, type Param } from "../../../src/lib/train/lora.ts";
import type { MambaDecoder } from "../../../src/lib/train/mamba-decode.ts";
import { argmax } from "../../../src/lib/train/sampling.ts";
import { Trainer, DEFAULT_TRAIN } from "../../../src/lib/train/trainer.ts";
import { enableModelFullTraining, loadModel } from "../../../src/lib/train/weights.ts";
import { tinyMambaConfig, tinyMambaFiles, tinyMambaWeights, type TinyMambaOptions } from "../../fixtures/tiny-mamba.ts";
import { mambaReferenceLogits, type MambaRefConfig } from "../../reference/mamba-f64.ts";
import { fdError } from "./fd.ts";
import { fillBatch } from "./tiny-model.ts";

const CODE = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\nprint(fib(10))\n";

describe("MambaForCausalLM config", () => {
  it("reads state-spaces/mamba-130m-hf's config.json with transformers' defaults", () => {
    const c = parseModelConfig({
      architectures: ["MambaForCausalLM"], model_type: "mamba", vocab_size: 50280, hidden_size: 768, num_hidden_layers: 24,
      intermediate_size: 1536, state_size: 16, conv_kernel: 4, expand: 2, time_step_rank: 48, use_bias: false,
      use_conv_bias: true, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0, pad_token_id: 0, hidden_act: "silu",
      residual_in_fp32: true, torch_dtype: "float32",
    }) as MambaConfig;
    expect(c).toMatchObject({
      family: "mamba", vocab_size: 50280, hidden_size: 768, num_hidden_layers: 24, intermediate_size: 1536, state_size: 16,
      conv_kernel: 4, time_step_rank: 48, use_bias: false, use_conv_bias: true, tie_word_embeddings: true, eos_token_ids: [0],
    });
    const auto = parseModelConfig({ model_type: "mamba", vocab_size: 100, hidden_size: 40, num_hidden_layers: 1 }) as MambaConfig;
    expect(auto).toMatchObject({ intermediate_size: 80, time_step_rank: 3, state_size: 16, conv_kernel: 4, layer_norm_epsilon: 1e-5 });
  });

  it.each([
    [{ architectures: ["Mamba2ForCausalLM"] }, /architectures: "Mamba2ForCausalLM" is Mamba-2 .* which FIM Studio does not implement: it runs Mamba-1 \(MambaForCausalLM\)/],
    [{ architectures: ["FalconMambaForCausalLM"] }, /Falcon-Mamba/],
    [{ architectures: ["JambaForCausalLM"] }, /a Mamba\/attention\/MoE hybrid/],
    [{ model_type: "mamba2" }, /"Mamba2ForCausalLM" is Mamba-2/],
    [{ d_model: 768, n_layer: 24, vocab_size: 50277, ssm_cfg: {} }, /original mamba_ssm config .* "-hf" repository/],
    [{ architectures: ["MambaForCausalLM"], hidden_size: 8, num_hidden_layers: 1, vocab_size: 10, hidden_act: "gelu" }, /hidden_act: "gelu"/],
  ])("refuses %j naming the field", (json, msg) => {
    expect(() => parseModelConfig(json, "m/config.json")).toThrow(msg);
    expect(() => parseModelConfig(json, "m/config.json")).toThrow(/^m\/config\.json: /);
  });

  it("a checkpoint without a tensor the config needs names it", async () => {
    const files = tinyMambaFiles({ mutate: (ts) => ts.filter((t) => t.name !== "backbone.layers.1.mixer.A_log") });
    await expect(loadEngine(new CpuBackend(), memoryFiles(files))).rejects.toThrow(/backbone\.layers\.1\.mixer\.A_log.*missing/);
  });
});

const VARIANTS: [string, TinyMambaOptions][] = [
  ["tied, conv bias", {}],
  ["untied, in/out bias, no conv bias", { tied: false, useBias: true, convBias: false, seed: 2 }],
  ["stored as bf16, dt rank 2", { dtype: "BF16", seed: 3, dims: { time_step_rank: 2 } }],
];

function reference(opts: TinyMambaOptions, ids: readonly number[]): Float64Array {
  const weights = new Map(tinyMambaWeights(opts).map((t) => [t.name, t.data]));
  return mambaReferenceLogits(tinyMambaConfig(opts) as unknown as MambaRefConfig, weights, ids);
}

function maxRelDiff(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let v = 0; v < ref.length; v++) {
    worst = Math.max(worst, Math.abs(ours[v]! - ref[v]!));
    scale = Math.max(scale, Math.abs(ref[v]!));
  }
  return worst / scale;
}

describe("Mamba forward pass against the float64 reference", () => {
  for (const [name, opts] of VARIANTS) {
    it(`${name}: decoder logits at every position within 1e-4`, async () => {
      const engine = await loadEngine(new CpuBackend(), memoryFiles(tinyMambaFiles(opts)));
      const ids = engine.checkpoint.tokenizer.encode(CODE);
      expect(ids.length).toBeGreaterThan(40); // crosses a saved-state boundary (every 32 tokens)
      const ref = reference(opts, ids);
      const V = engine.model.V;
      const gen = engine.generator(128);
      for (let t = 1; t <= ids.length; t++) {
        const logits = await gen.prompt(ids.slice(0, t));
        expect(maxRelDiff(logits, ref.subarray((t - 1) * V, t * V))).toBeLessThan(1e-4);
      }
    }, 60_000);
  }

  it("the training path's loss equals the reference's cross-entropy (two sequences, 70 tokens: two scan chunks)", async () => {
    const opts: TinyMambaOptions = { seed: 5 };
    const engine = await loadEngine(new CpuBackend(), memoryFiles(tinyMambaFiles(opts)));
    const V = engine.model.V;
    const rng = new Rng(9);
    const seqs = [0, 1].map(() => Array.from({ length: 70 }, () => rng.int(0, V - 1)));
    const targets = seqs.map((s) => s.map((_, t) => (t + 1 < s.length ? s[t + 1]! : -1)));
    const ws = engine.model.workspace(2, 70, false);
    fillBatch(engine.model.be, ws, seqs, targets);
    engine.model.forward(ws);
    const losses = await engine.model.be.read(ws.losses as Float32Array);
    seqs.forEach((s, b) => {
      const ref = reference(opts, s);
      for (let t = 0; t < 69; t++) {
        const row = ref.subarray(t * V, (t + 1) * V);
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
        expect(losses[b * 70 + t]).toBeCloseTo(lse - row[targets[b]![t]!]!, 4);
      }
    });
  }, 60_000);

  it("greedy decoding gives the reference's tokens", async () => {
    const opts: TinyMambaOptions = { weightScale: 4, seed: 6 };
    const engine = await loadEngine(new CpuBackend(), memoryFiles(tinyMambaFiles(opts)));
    const prompt = engine.checkpoint.tokenizer.encode("«CTX»x = «CURSOR»«/CTX»«PREFIX»x = «SUFFIX»«MIDDLE»");
    const V = engine.model.V;
    const gen = engine.generator(128);
    const ours: number[] = [];
    let logits = await gen.prompt(prompt);
    for (let i = 0; i < 10; i++) {
      ours.push(argmax(logits, V));
      logits = await gen.append([ours[i]!]);
    }
    const ref: number[] = [];
    for (let i = 0; i < 10; i++) {
      const seq = [...prompt, ...ref];
      ref.push(argmax(reference(opts, seq).subarray((seq.length - 1) * V, seq.length * V)));
    }
    expect(ours).toEqual(ref);
    expect(new Set(ours).size).toBeGreaterThan(2);
  }, 60_000);
});

describe("the recurrent decoder", () => {
  it("resumes a changed prompt from the last saved state inside the shared prefix, with the same logits as a fresh run", async () => {
    const engine = await loadEngine(new CpuBackend(), memoryFiles(tinyMambaFiles()));
    const ids = engine.checkpoint.tokenizer.encode(CODE + CODE);
    expect(ids.length).toBeGreaterThan(80);
    const gen = engine.generator(256) as MambaDecoder<Float32Array, Int32Array>;
    await gen.prompt(ids);
    expect(gen.lastRun).toBe(ids.length);
    const edited = [...ids.slice(0, 70), 42, ...ids.slice(71)]; // a keystroke at token 70
    const resumed = await gen.prompt(edited);
    expect(gen.lastRun).toBe(edited.length - 64); // saved states at 32 and 64: resumes at 64, keeps one at 70
    const appended = await gen.prompt([...edited, 7]);
    expect(gen.lastRun).toBe(1);
    const fresh = engine.model.decoder(256);
    expect(Array.from(resumed)).toEqual(Array.from(await fresh.prompt(edited)));
    expect(Array.from(appended)).toEqual(Array.from(await fresh.append([7])));
    const typed = [...edited.slice(0, 71), 43, ...edited.slice(71)]; // the next keystroke, just after the last one
    const next = await gen.prompt(typed);
    expect(gen.lastRun).toBe(typed.length - 70); // from the copy kept where the previous prompt parted
    expect(Array.from(next)).toEqual(Array.from(await engine.model.decoder(256).prompt(typed)));
    await gen.prompt(ids.slice(0, 10)); // shorter than any saved state: from the start
    expect(gen.lastRun).toBe(10);
  }, 60_000);
});

const SEQS = [[1, 7, 3, 9, 4, 2, 8, 5, 6, 1], [5, 5, 8, 1, 0, 3, 2, 2, 9, 4]];
const TARGETS = [[7, 3, 9, 4, 2, 8, 5, 6, 1, -1], [-1, -1, 1, 0, 3, 2, 2, 9, 4, 6]];

async function gradSetup(opts: TinyMambaOptions, mode: "lora" | "full", recompute = false) {
  const be = new CpuBackend("f64");
  const config = parseModelConfig(tinyMambaConfig(opts));
  const weights = new Map(tinyMambaWeights(opts).map((t) => [t.name, t.data]));
  const model = await loadModel(be, config, async (n) => weights.get(n)!);
  let params: Param<Float32Array>[];
  if (mode === "lora") {
    params = attachLora(be, model.w, { ...defaultLora(model), r: 3, alpha: 6 }, 1);
    const rng = new Rng(5);
    for (const p of params) if (p.name.includes("lora_B")) for (let i = 0; i < p.n; i++) p.buf[i] = (rng.next() - 0.5) * 0.4;
  } else params = enableModelFullTraining(be, model);
  const ws = model.workspace(2, 10, recompute);
  fillBatch(be, ws, SEQS, TARGETS);
  const loss = () => {
    model.forward(ws);
    return (ws.losses as Float32Array).reduce((a, b) => a + b, 0);
  };
  return { model, ws, params, loss };
}

describe("Mamba gradients against float64 finite differences", () => {
  it("LoRA on in_proj, x_proj, dt_proj, out_proj", async () => {
    const { model, ws, params, loss } = await gradSetup({ useBias: true }, "lora");
    expect(params.map((p) => p.name)).toContain("base_model.model.backbone.layers.1.mixer.dt_proj.lora_A.weight");
    loss();
    model.backward(ws, 1);
    for (const p of params) expect(fdError(p.buf as unknown as Float64Array, p.grad as unknown as Float64Array, loss, 1e-5, 8), p.name).toBeLessThan(1e-6);
  }, 60_000);

  it("full training: every weight (conv, A_log, D, dt bias, norms, tied embeddings)", async () => {
    const { model, ws, params, loss } = await gradSetup({}, "full");
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(["backbone.layers.0.mixer.A_log", "backbone.layers.0.mixer.conv1d.bias", "backbone.layers.1.mixer.D"]));
    loss();
    model.backward(ws, 1);
    for (const p of params) expect(fdError(p.buf as unknown as Float64Array, p.grad as unknown as Float64Array, loss, 1e-5, 6), p.name).toBeLessThan(1e-6);
  }, 60_000);

  it("activation recomputation gives the same loss and gradients", async () => {
    const a = await gradSetup({ dims: { num_hidden_layers: 3 } }, "lora", false);
    const b = await gradSetup({ dims: { num_hidden_layers: 3 } }, "lora", true);
    expect(b.loss()).toBe(a.loss());
    a.model.backward(a.ws, 1);
    b.model.backward(b.ws, 1);
    for (let i = 0; i < a.params.length; i++) expect(Array.from(b.params[i]!.grad)).toEqual(Array.from(a.params[i]!.grad));
  }, 60_000);
});

describe("LoRA training of a tiny Mamba", () => {
  it("the loss falls, and the adapter round-trips through PEFT's format under Mamba's module names", async () => {
    const be = new CpuBackend();
    const engine = await loadEngine(be, memoryFiles(tinyMambaFiles({ weightScale: 4 })));
    const ids = Int32Array.from(engine.checkpoint.tokenizer.encode(CODE));
    const samples = [{ ids: ids.subarray(0, ids.length - 1), targets: ids.subarray(1), lossTokens: ids.length - 1 }];
    const lora = { ...defaultLora(engine.model), r: 4, alpha: 8 };
    const params = attachLora(be, engine.model.w, lora, 3);
    const t = new Trainer(be, engine.model, params, samples, { ...DEFAULT_TRAIN, lr: 1e-2, warmupSteps: 0, batchSize: 1, gradAccum: 1, steps: 15 });
    const losses: number[] = [];
    for (let s = 0; s < 15; s++) losses.push((await t.trainStep()).loss);
    expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]!);

    const files = await saveAdapter(be, params, lora, "tiny-mamba", loraShapes(engine.model.w));
    const cfg = JSON.parse(new TextDecoder().decode(files.get(ADAPTER_CONFIG)));
    expect(cfg.target_modules).toEqual(["in_proj", "x_proj", "dt_proj", "out_proj"]);
    const fresh = await loadEngine(new CpuBackend(), memoryFiles(tinyMambaFiles({ weightScale: 4 })));
    await loadAdapter(fresh.model.be, fresh.model.w, files);
    const a = await engine.model.decoder(128).prompt(Array.from(ids));
    const b = await fresh.model.decoder(128).prompt(Array.from(ids));
    expect(Array.from(b)).toEqual(Array.from(a));
    // a transformer adapter does not load onto Mamba
    const llamaCfg = new TextEncoder().encode(JSON.stringify({ ...cfg, target_modules: ["q_proj"] }));
    await expect(loadAdapter(fresh.model.be, fresh.model.w, new Map([...files, [ADAPTER_CONFIG, llamaCfg]]))).rejects.toThrow(/"q_proj" is not a linear module of this model \(one of in_proj, x_proj, dt_proj, out_proj\)/);
  }, 120_000);
});
