// LoRA adapters in PEFT's format (adapter_config.json + adapter_model.safetensors), in and out, and the trainer
// state beside them (optimizer moments + step) so a run resumes exactly. Files are byte arrays by name; the
// caller writes them (node: into a folder, atomically; browser: OPFS or a download).

import { parseSafetensors, readTensor } from "../model/safetensors.ts";
import { writeSafetensors, type TensorToWrite } from "../model/safetensors-write.ts";
import type { Backend } from "./backend.ts";
import type { LinearBlocks } from "./causal-lm.ts";
import { attachLora, checkTargets, peftName, type LoraConfig, type Param } from "./lora.ts";
import type { Moments } from "./trainer.ts";

export const ADAPTER_CONFIG = "adapter_config.json";
export const ADAPTER_WEIGHTS = "adapter_model.safetensors";
export const OPTIMIZER_STATE = "optimizer.safetensors";
export const TRAINER_STATE = "trainer_state.json";

export type Files = Map<string, Uint8Array>;

export class AdapterError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "AdapterError";
  }
}

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2) + "\n");

/** adapter_config.json as PEFT writes it for a LoRA on a causal LM. */
export function adapterConfigJson(c: LoraConfig, baseModel: string): Record<string, unknown> {
  return {
    peft_type: "LORA", task_type: "CAUSAL_LM", base_model_name_or_path: baseModel, r: c.r, lora_alpha: c.alpha,
    lora_dropout: 0.0, target_modules: [...c.targets], bias: "none", use_rslora: c.rslora, use_dora: false,
    fan_in_fan_out: false, inference_mode: true, init_lora_weights: true, modules_to_save: null,
    layers_to_transform: null, layers_pattern: null, rank_pattern: {}, alpha_pattern: {}, revision: null,
  };
}

/** The adapter files: config + A and B of every adapted module (float32). */
export async function saveAdapter<T, I>(be: Backend<T, I>, params: Param<T>[], c: LoraConfig, baseModel: string, shapes: Map<string, number[]>): Promise<Files> {
  const tensors: TensorToWrite[] = [];
  for (const p of params) tensors.push({ name: p.name, dtype: "F32", shape: shapes.get(p.name)!, data: await be.read(p.buf, p.n) });
  return new Map([
    [ADAPTER_CONFIG, enc(adapterConfigJson(c, baseModel))],
    [ADAPTER_WEIGHTS, writeSafetensors(tensors, { format: "pt" }, ADAPTER_WEIGHTS)],
  ]);
}

/** Shapes of the LoRA tensors under their PEFT names: A (r, IC), B (OC, r). */
export function loraShapes<T>(w: LinearBlocks<T>): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const b of w.blocks) {
    for (const lin of Object.values(b.lin)) {
      if (!lin.lora) continue;
      m.set(peftName(lin.name, "A"), [lin.lora.R, lin.IC]);
      m.set(peftName(lin.name, "B"), [lin.OC, lin.lora.R]);
    }
  }
  return m;
}

/** Reads and checks adapter_config.json. */
export function parseAdapterConfig(bytes: Uint8Array | undefined): { lora: LoraConfig; baseModel: string | null } {
  if (!bytes) throw new AdapterError(ADAPTER_CONFIG, "not found: an adapter folder holds adapter_config.json and adapter_model.safetensors");
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new AdapterError(ADAPTER_CONFIG, `not valid JSON (${(e as Error).message})`);
  }
  const fail = (field: string, why: string): never => {
    throw new AdapterError(ADAPTER_CONFIG, `${field}: ${why}`);
  };
  if (j.peft_type !== "LORA") fail("peft_type", `${JSON.stringify(j.peft_type)} is not supported: only LORA adapters load`);
  if (j.use_dora === true) fail("use_dora", "DoRA adapters are not supported");
  if (typeof j.r !== "number" || !Number.isInteger(j.r) || j.r <= 0) fail("r", `${JSON.stringify(j.r)} is not a positive integer`);
  if (typeof j.lora_alpha !== "number") fail("lora_alpha", "missing or not a number");
  const mods = j.target_modules;
  const targets = (Array.isArray(mods) ? mods : fail("target_modules", "must be a list of module names")) as string[];
  for (const t of targets) if (typeof t !== "string" || !/^\w+$/.test(t)) fail("target_modules", `${JSON.stringify(t)} is not a module name (regex and "all-linear" targets are not supported)`);
  if (j.rank_pattern && Object.keys(j.rank_pattern as object).length) fail("rank_pattern", "per-module ranks are not supported");
  if (j.alpha_pattern && Object.keys(j.alpha_pattern as object).length) fail("alpha_pattern", "per-module alphas are not supported");
  return {
    lora: { r: j.r as number, alpha: j.lora_alpha as number, rslora: j.use_rslora === true, targets },
    baseModel: typeof j.base_model_name_or_path === "string" ? j.base_model_name_or_path : null,
  };
}

/**
 * Attaches the adapter in `files` to the model: every tensor must name an adapted module of this model and have
 * its shape (an adapter trained on another base fails here, naming the tensor). Returns the trainable params.
 */
export async function loadAdapter<T, I>(be: Backend<T, I>, w: LinearBlocks<T>, files: Files): Promise<{ params: Param<T>[]; lora: LoraConfig }> {
  const { lora } = parseAdapterConfig(files.get(ADAPTER_CONFIG));
  try {
    checkTargets(w, lora.targets, "target_modules");
  } catch (e) {
    throw new AdapterError(ADAPTER_CONFIG, `${(e as Error).message} (is the adapter for another base model?)`);
  }
  const bytes = files.get(ADAPTER_WEIGHTS);
  if (!bytes) throw new AdapterError(ADAPTER_WEIGHTS, "not found beside adapter_config.json");
  const index = parseSafetensors(bytes, ADAPTER_WEIGHTS);
  const params = attachLora(be, w, lora, 0);
  const shapes = loraShapes(w);
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const e of index.tensors) {
    // PEFT may save with the adapter name ("...lora_A.default.weight") in some versions
    const name = e.name.replace(/\.lora_([AB])\.default\.weight$/, ".lora_$1.weight");
    const p = byName.get(name);
    if (!p) throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${e.name} matches no adapted module of this model (is the adapter for another base model?)`);
    const want = shapes.get(name)!;
    if (e.shape.join(",") !== want.join(",")) {
      throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${e.name} has shape [${e.shape}] but this model needs [${want}] (an adapter for another base model?)`);
    }
    be.write(p.buf, (await readTensor(bytes, e)).data);
    byName.delete(name);
  }
  if (byName.size > 0) throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${[...byName.keys()][0]} is missing (${byName.size} missing in all)`);
  return { params, lora };
}

export interface TrainerState {
  step: number;
  totalSteps: number;
  seed: number;
  /** Loss per step so far, for the resumed run's curve. */
  losses: number[];
  /** Held-out loss measured during the run: [step, loss] pairs (absent in older checkpoints). */
  evalLosses?: [number, number][];
  /** The FIM format of the training data (export writes the model's FIM metadata from it). */
  format?: string;
}

/** Optimizer moments (m, v per parameter) and the step. */
export async function saveTrainerState<T, I>(be: Backend<T, I>, params: Param<T>[], moments: Moments<T>[], state: TrainerState): Promise<Files> {
  const tensors: TensorToWrite[] = [];
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    tensors.push({ name: `${p.name}.exp_avg`, dtype: "F32", shape: [p.n], data: await be.read(moments[i]!.m, p.n) });
    tensors.push({ name: `${p.name}.exp_avg_sq`, dtype: "F32", shape: [p.n], data: await be.read(moments[i]!.v, p.n) });
  }
  return new Map([
    [OPTIMIZER_STATE, writeSafetensors(tensors, undefined, OPTIMIZER_STATE)],
    [TRAINER_STATE, enc(state)],
  ]);
}

export async function loadTrainerState<T, I>(be: Backend<T, I>, params: Param<T>[], moments: Moments<T>[], files: Files): Promise<TrainerState> {
  const st = files.get(TRAINER_STATE);
  const opt = files.get(OPTIMIZER_STATE);
  if (!st || !opt) throw new AdapterError(st ? OPTIMIZER_STATE : TRAINER_STATE, "not found: the folder holds no resumable run");
  const state = JSON.parse(new TextDecoder().decode(st)) as TrainerState;
  const index = parseSafetensors(opt, OPTIMIZER_STATE);
  for (let i = 0; i < params.length; i++) {
    for (const [suffix, buf] of [["exp_avg", moments[i]!.m], ["exp_avg_sq", moments[i]!.v]] as const) {
      const e = index.byName.get(`${params[i]!.name}.${suffix}`);
      if (!e || e.shape[0] !== params[i]!.n) throw new AdapterError(OPTIMIZER_STATE, `tensor ${params[i]!.name}.${suffix} is missing or mis-shaped`);
      be.write(buf, (await readTensor(opt, e)).data);
    }
  }
  return state;
}
