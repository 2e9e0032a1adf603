// LoRA adapters in PEFT's format (adapter_config.json + adapter_model.safetensors), in and out, and the trainer
// state beside them (optimizer moments + step) so a run resumes exactly. Files are byte arrays by name; the
// caller writes them (node: into a folder, atomically; browser: OPFS or a download).

import { parseSafetensors, readTensor } from "../model/safetensors.ts";
import { writeSafetensors, type TensorToWrite } from "../model/safetensors-write.ts";
import { AdapterError } from "./adapter-error.ts";
import type { Backend } from "./backend.ts";
import type { LinearBlocks } from "./causal-lm.ts";
import { attachLora, peftName, type LoraConfig, type Param } from "./lora.ts";
import type { Moments } from "./trainer.ts";

export const ADAPTER_CONFIG = "adapter_config.json";
export const ADAPTER_WEIGHTS = "adapter_model.safetensors";
export const OPTIMIZER_STATE = "optimizer.safetensors";
export const TRAINER_STATE = "trainer_state.json";

export type Files = Map<string, Uint8Array>;

export { AdapterError } from "./adapter-error.ts";

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
  for (const p of params) {
    const data = await be.read(p.buf, p.n);
    if (data.some((x) => !Number.isFinite(x))) throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${p.name} holds non-finite values: the run diverged; the adapter is not saved (lower the learning rate)`);
    tensors.push({ name: p.name, dtype: "F32", shape: shapes.get(p.name)!, data });
  }
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
  if (j.lora_bias === true) fail("lora_bias", "adapters with a bias on lora_B are not supported (train with lora_bias false, PEFT's default)");
  if (typeof j.r !== "number" || !Number.isInteger(j.r) || j.r <= 0) fail("r", `${JSON.stringify(j.r)} is not a positive integer`);
  if (typeof j.lora_alpha !== "number") fail("lora_alpha", "missing or not a number");
  const mods = j.target_modules;
  const listed = (Array.isArray(mods) ? mods : fail("target_modules", `must be a list of module names (${typeof mods === "string" ? "a regex or \"all-linear\" string is" : "this is"} not supported)`)) as unknown[];
  // PEFT saves "all-linear" resolved: short names (q_proj) for most models, full paths (model.layers.0.self_attn.q_proj)
  // for models with fewer than 20 linears; both end in the module name, which is what an adapter targets here (a
  // target left out of some layers shows up as a missing tensor when the adapter is matched to the model)
  for (const t of listed) if (typeof t !== "string" || !/^[\w.]+$/.test(t)) fail("target_modules", `${JSON.stringify(t)} is not a module name (regex and "all-linear" targets are not supported)`);
  const targets = [...new Set((listed as string[]).map((t) => t.split(".").pop()!))];
  const saved = j.modules_to_save;
  if (Array.isArray(saved) && saved.length) {
    fail("modules_to_save", `${JSON.stringify(saved)}: the adapter retrains whole modules (usually embed_tokens and lm_head, after tokens were added to the tokenizer), which FIM Studio does not load; train with a base model whose tokenizer already has the FIM format's tokens, and without modules_to_save`);
  }
  const tokens = j.trainable_token_indices;
  if (tokens !== null && tokens !== undefined && (Array.isArray(tokens) ? tokens.length : Object.keys(tokens as object).length)) {
    fail("trainable_token_indices", "the adapter retrains token embeddings, which FIM Studio does not load; train without trainable tokens");
  }
  if (j.rank_pattern && Object.keys(j.rank_pattern as object).length) fail("rank_pattern", "per-module ranks are not supported");
  if (j.alpha_pattern && Object.keys(j.alpha_pattern as object).length) fail("alpha_pattern", "per-module alphas are not supported");
  return {
    lora: { r: j.r as number, alpha: j.lora_alpha as number, rslora: j.use_rslora === true, targets },
    baseModel: typeof j.base_model_name_or_path === "string" ? j.base_model_name_or_path : null,
  };
}

/** An adapter as read from its files: checked config, every tensor (float32, finite) under its canonical PEFT name. */
export interface ReadAdapter {
  lora: LoraConfig;
  baseModel: string | null;
  /** The FIM format of its training data, when trainer_state.json says. */
  format?: string;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** The same, as an export's adapter source. */
  tensor(name: string): Promise<{ shape: number[]; data: Float32Array } | undefined>;
}

/** A linear of a model that an adapter may adapt: its module path and (out, in) features. */
export interface AdaptableModule {
  name: string;
  OC: number;
  IC: number;
}

/**
 * The one reader of adapter folders (CLI, workers, export): config checked, tensor names canonical (some PEFT
 * versions save "...lora_A.default.weight"), every value finite. `label` prefixes file names in errors.
 */
export async function readAdapter(files: Files, label = ""): Promise<ReadAdapter> {
  const at = (f: string) => (label ? `${label}/${f}` : f);
  let parsed;
  try {
    parsed = parseAdapterConfig(files.get(ADAPTER_CONFIG));
  } catch (e) {
    throw label && e instanceof AdapterError ? new AdapterError(label, e.message) : e;
  }
  const bytes = files.get(ADAPTER_WEIGHTS);
  if (!bytes) throw new AdapterError(at(ADAPTER_WEIGHTS), "not found beside adapter_config.json");
  const index = parseSafetensors(bytes, at(ADAPTER_WEIGHTS));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of index.tensors) {
    const name = e.name.replace(/\.lora_([AB])\.default\.weight$/, ".lora_$1.weight");
    const data = (await readTensor(bytes, e)).data;
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new AdapterError(at(ADAPTER_WEIGHTS), `tensor ${e.name} holds a non-finite value (${data[bad]} at index ${bad}): the run that wrote it diverged; train again with a lower learning rate`);
    tensors.set(name, { shape: e.shape, data });
  }
  const state = files.get(TRAINER_STATE);
  const format = state ? trainedFormat(state, at(TRAINER_STATE)) : undefined;
  return { ...parsed, format, tensors, tensor: async (name) => tensors.get(name) };
}

/**
 * Checks the adapter against a model's linears: every target names a linear of the model, every adapted module
 * has A (r, IC) and B (OC, r), and every tensor of the adapter is consumed (an adapter for another base model
 * fails here, naming the module or tensor, instead of being dropped silently).
 */
export function matchAdapter(a: Pick<ReadAdapter, "lora" | "tensors">, modules: readonly AdaptableModule[]): void {
  const kinds = [...new Set(modules.map((m) => m.name.split(".").pop()!))];
  for (const t of a.lora.targets) {
    if (!kinds.includes(t)) throw new AdapterError(ADAPTER_CONFIG, `target_modules: "${t}" is not a linear module of this model (one of ${kinds.join(", ")}) (is the adapter for another base model?)`);
  }
  const want = new Map<string, number[]>();
  for (const m of modules) {
    if (!a.lora.targets.includes(m.name.split(".").pop()!)) continue;
    want.set(peftName(m.name, "A"), [a.lora.r, m.IC]);
    want.set(peftName(m.name, "B"), [m.OC, a.lora.r]);
  }
  for (const [name, t] of a.tensors) {
    const shape = want.get(name);
    if (!shape) throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${name} matches no adapted module of this model (is the adapter for another base model?)`);
    if (t.shape.join(",") !== shape.join(",")) {
      throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${name} has shape [${t.shape}] but this model needs [${shape}] (an adapter for another base model?)`);
    }
  }
  const missing = [...want.keys()].filter((n) => !a.tensors.has(n));
  if (missing.length > 0) throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${missing[0]} is missing (${missing.length} missing in all)`);
}

/** The last part of a path or Hub id, for comparing model names ("org/Model-1B/" and "./Model-1B" are one name). */
const lastPart = (s: string) => s.replace(/[/\\]+$/, "").split(/[/\\]/).pop()!.toLowerCase();

/**
 * When an adapter's base_model_name_or_path names another model than the one it is used with, the sentence that
 * says so; undefined when the names agree (by their last path part, or the model's own `_name_or_path`) or the
 * adapter names none. Shapes are checked apart (matchAdapter): this is the warning for shapes that happen to fit.
 */
export function baseModelMismatch(baseModel: string | null, model: { name: string; nameOrPath?: unknown }): string | undefined {
  if (!baseModel) return undefined;
  const names = [model.name, typeof model.nameOrPath === "string" ? model.nameOrPath : ""].filter(Boolean).map(lastPart);
  if (names.includes(lastPart(baseModel))) return undefined;
  return `the adapter was trained on ${baseModel}, not on ${model.name}; its shapes fit, so it is used: check that it is the model you meant`;
}

/** The linears of a loaded model, as matchAdapter takes them. */
export function modulesOf<T>(w: LinearBlocks<T>): AdaptableModule[] {
  return w.blocks.flatMap((b) => Object.values(b.lin).map((lin) => ({ name: lin.name, OC: lin.OC, IC: lin.IC })));
}

/**
 * Attaches the adapter in `files` to the model: every tensor must name an adapted module of this model and have
 * its shape (an adapter trained on another base fails here, naming the tensor). Returns the trainable params.
 */
export async function loadAdapter<T, I>(
  be: Backend<T, I>, w: LinearBlocks<T>, files: Files | ReadAdapter,
): Promise<{ params: Param<T>[]; lora: LoraConfig; format: string | undefined }> {
  const a = files instanceof Map ? await readAdapter(files) : files;
  matchAdapter(a, modulesOf(w));
  const params = attachLora(be, w, a.lora, 0);
  for (const p of params) be.write(p.buf, a.tensors.get(p.name)!.data);
  return { params, lora: a.lora, format: a.format };
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
  /** The settings a resumed run must keep (absent in older checkpoints). */
  run?: { batchSize: number; gradAccum: number; contextLength: number; lossOn: string; full: boolean };
}

/**
 * The FIM format a trainer_state.json records, if any. Lenient: only `format` is read, since an adapter folder from
 * elsewhere may hold another trainer's trainer_state.json (transformers' Trainer writes one of its own).
 */
export function trainedFormat(bytes: Uint8Array, file: string): string | undefined {
  let j: unknown;
  try {
    j = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new AdapterError(file, `not valid JSON (${(e as Error).message})`);
  }
  const format = (j as { format?: unknown } | null)?.format;
  return typeof format === "string" ? format : undefined;
}

/** trainer_state.json, checked field by field (a corrupt one names the file and field). */
export function parseTrainerState(bytes: Uint8Array, file: string): TrainerState {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new AdapterError(file, `not valid JSON (${(e as Error).message}); the run cannot resume from it`);
  }
  if (typeof j !== "object" || j === null || Array.isArray(j)) throw new AdapterError(file, "not a JSON object");
  const fail = (field: string, why: string): never => {
    throw new AdapterError(file, `${field}: ${why}`);
  };
  const count = (k: string) => (Number.isSafeInteger(j[k]) && (j[k] as number) >= 0 ? (j[k] as number) : fail(k, `${JSON.stringify(j[k])} is not a count`));
  const step = count("step");
  const totalSteps = count("totalSteps");
  if (step > totalSteps) fail("step", `${step} is past totalSteps ${totalSteps}`);
  if (!Number.isFinite(j.seed)) fail("seed", `${JSON.stringify(j.seed)} is not a number`);
  if (!Array.isArray(j.losses) || j.losses.some((x) => typeof x !== "number" && x !== null)) fail("losses", "must be a list of numbers");
  if (j.format !== undefined && typeof j.format !== "string") fail("format", `${JSON.stringify(j.format)} is not a format name`);
  if (j.run !== undefined && (typeof j.run !== "object" || j.run === null)) fail("run", "must be an object");
  return { ...(j as unknown as TrainerState), step, totalSteps };
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

export async function loadTrainerState<T, I>(
  be: Backend<T, I>, params: Param<T>[], moments: Moments<T>[], files: Files, parsed?: TrainerState,
): Promise<TrainerState> {
  const st = files.get(TRAINER_STATE);
  const opt = files.get(OPTIMIZER_STATE);
  if (!st || !opt) throw new AdapterError(st ? OPTIMIZER_STATE : TRAINER_STATE, "not found: the folder holds no resumable run");
  // a caller that has read trainer_state.json already (to check its flags against the run's) passes it
  const state = parsed ?? parseTrainerState(st, TRAINER_STATE);
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
