// LoRA set-up: which modules get an adapter, its initialisation, and the list of trainable parameters under
// PEFT's names (base_model.model.<module>.lora_A.weight), so checkpoints are PEFT adapters as they stand.
// Defaults (presets.ts): FIM Studio's rank and alpha, every linear module of a block (a transformer's attention and
// MLP projections; Mamba's in_proj, x_proj, dt_proj, out_proj). Written against LinearBlocks, so it serves both.

import { Rng } from "../fim/prng.ts";
import { AdapterError } from "./adapter-error.ts";
import { VIEW_ALIGN, type Backend } from "./backend.ts";
import type { LinearBlocks } from "./causal-lm.ts";
import { BLOCK_LINEARS, type TransformerWeights } from "./model.ts";
import { DEFAULT_PRESET } from "./presets.ts";

export interface LoraConfig {
  r: number; // rank (seed: 16)
  alpha: number; // scale numerator (seed: 32)
  rslora: boolean; // scale alpha / sqrt(r) instead of alpha / r (Kalajdzievski 2023)
  targets: readonly string[]; // module names (q_proj, in_proj, ...); seed: every linear of a block
}

/** FIM Studio's defaults (presets.ts) for a transformer; for another architecture, set targets to its model's linearNames. */
export const DEFAULT_LORA: Readonly<LoraConfig> = { r: DEFAULT_PRESET.r, alpha: DEFAULT_PRESET.alpha, rslora: false, targets: BLOCK_LINEARS };

/** The defaults for `model`: every linear module of its blocks. */
export function defaultLora(model: { linearNames: readonly string[] }): LoraConfig {
  return { ...DEFAULT_LORA, targets: [...model.linearNames] };
}

/** Throws unless every target is a linear module of the blocks of `w`. */
export function checkTargets<T>(w: LinearBlocks<T>, targets: readonly string[], where = "LoRA targets"): void {
  const names = Object.keys(w.blocks[0]?.lin ?? {});
  for (const t of targets) if (!names.includes(t)) throw new Error(`${where}: "${t}" is not a linear module of this model (one of ${names.join(", ")})`);
}

/**
 * Throws unless `c.r` is a positive integer no larger than the smallest dimension (min of in and out features) of
 * the largest target linear: a rank beyond it adds parameters no target can use (the update's rank is capped by
 * min(in, out)), and a runaway one (100000) would allocate gigabytes per linear. Names `rank` and the limit.
 */
export function checkRank<T>(w: LinearBlocks<T>, c: Pick<LoraConfig, "r" | "targets">): void {
  const lin = w.blocks[0]?.lin ?? {};
  let limit = 0;
  let widest = "";
  for (const t of c.targets) {
    const l = lin[t];
    if (!l) continue;
    const m = Math.min(l.IC, l.OC);
    if (m > limit) [limit, widest] = [m, `${t}: ${l.IC} in, ${l.OC} out`];
  }
  if (!Number.isSafeInteger(c.r) || c.r < 1) throw new AdapterError("rank", `${c.r} is not a positive integer`);
  if (limit > 0 && c.r > limit) {
    throw new AdapterError(
      "rank",
      `${c.r} is above the limit of ${limit}, the smallest dimension of the largest target linear (${widest}): a larger rank adds nothing; use ${limit} or less`,
    );
  }
}

export function loraScale(c: LoraConfig): number {
  return c.rslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

export interface Param<T> {
  name: string;
  buf: T;
  grad: T;
  n: number;
  /** Where buf and grad are views (Backend.view): the arena holding them, and their offset in it. */
  at?: { arena: ParamArena<T>; offset: number };
}

/**
 * Trainable tensors kept as views of one buffer, their gradients as views of another at the same offsets, each
 * starting at a multiple of VIEW_ALIGN (the gaps hold zeros): the optimizer steps the whole arena as one tensor
 * (trainer.ts), one dispatch per kernel instead of one per tensor. Every tensor in it is trained together.
 */
export interface ParamArena<T> {
  buf: T;
  grad: T;
  n: number;
}

/**
 * Adds a LoRA branch to every target linear: A ~ U(-1/sqrt(IC), 1/sqrt(IC)) (PEFT's kaiming_uniform_ with a = sqrt(5)),
 * B = 0, so the adapted model starts equal to the base. Deterministic given the seed. Every A and B (and dA, dB) is a
 * view of one arena (ParamArena), in the order of the params returned.
 */
export function attachLora<T, I>(be: Backend<T, I>, w: LinearBlocks<T>, c: LoraConfig, seed: number): Param<T>[] {
  checkTargets(w, c.targets);
  checkRank(w, c);
  const scale = loraScale(c);
  const lins = w.blocks.flatMap((b) => c.targets.map((which) => b.lin[which]!));
  let n = 0;
  const place = (size: number): number => {
    const at = n;
    n += Math.ceil(size / VIEW_ALIGN) * VIEW_ALIGN;
    return at;
  };
  const offsets = lins.map((lin) => ({ A: place(c.r * lin.IC), B: place(lin.OC * c.r) }));
  const arena: ParamArena<T> = { buf: be.alloc(n, "lora"), grad: be.alloc(n, "lora.grad"), n };
  be.zero(arena.buf, n);
  be.zero(arena.grad, n);
  const params: Param<T>[] = [];
  lins.forEach((lin, i) => {
    const o = offsets[i]!;
    const nA = c.r * lin.IC;
    const nB = lin.OC * c.r;
    const rng = Rng.forKey(seed, lin.name);
    const bound = 1 / Math.sqrt(lin.IC);
    const a = new Float32Array(nA);
    for (let j = 0; j < a.length; j++) a[j] = (rng.next() * 2 - 1) * bound;
    const A = be.view(arena.buf, o.A, nA);
    be.write(A, a);
    lin.lora = {
      A, B: be.view(arena.buf, o.B, nB), dA: be.view(arena.grad, o.A, nA), dB: be.view(arena.grad, o.B, nB), R: c.r, scale, arena,
    };
    params.push({ name: peftName(lin.name, "A"), buf: lin.lora.A, grad: lin.lora.dA, n: nA, at: { arena, offset: o.A } });
    params.push({ name: peftName(lin.name, "B"), buf: lin.lora.B, grad: lin.lora.dB, n: nB, at: { arena, offset: o.B } });
  });
  return params;
}

/** PEFT's tensor name in adapter_model.safetensors. */
export function peftName(module: string, ab: "A" | "B"): string {
  return `base_model.model.${module}.lora_${ab}.weight`;
}

/** Turns the adapters on or off (base vs fine-tuned without reloading). */
export function setLoraEnabled<T>(w: LinearBlocks<T>, enabled: boolean): void {
  for (const b of w.blocks) for (const lin of Object.values(b.lin)) lin.loraEnabled = enabled;
}

/** Removes every adapter and frees its buffers (before another adapter is loaded in its place). */
export function detachLora<T, I>(be: Backend<T, I>, w: LinearBlocks<T>): void {
  const arenas = new Set<ParamArena<T>>();
  for (const b of w.blocks) {
    for (const lin of Object.values(b.lin)) {
      if (!lin.lora) continue;
      arenas.add(lin.lora.arena);
      delete lin.lora;
      delete lin.loraEnabled;
    }
  }
  for (const a of arenas) {
    be.free(a.buf);
    be.free(a.grad);
  }
}

/** Full-parameter training: a gradient for every weight (tied lm_head shares embed_tokens' gradient). */
export function enableFullTraining<T, I>(be: Backend<T, I>, w: TransformerWeights<T>, V: number, C: number): Param<T>[] {
  const params: Param<T>[] = [];
  const add = (name: string, buf: T, n: number): T => {
    const grad = be.alloc(n, `d:${name}`);
    params.push({ name, buf, grad, n });
    return grad;
  };
  w.dwte = add("model.embed_tokens.weight", w.wte, V * C);
  w.blocks.forEach((b, l) => {
    b.dln1 = add(`model.layers.${l}.input_layernorm.weight`, b.ln1, C);
    b.dln2 = add(`model.layers.${l}.post_attention_layernorm.weight`, b.ln2, C);
    for (const which of BLOCK_LINEARS) {
      const lin = b.lin[which];
      if ((lin.format ?? "f32") !== "f32") throw new Error(`${lin.name}: full training needs f32 weights, this one is frozen as ${lin.format}; load with weights "f32"`);
      lin.dweight = add(`${lin.name}.weight`, lin.weight, lin.IC * lin.OC);
      if (lin.bias) lin.dbias = add(`${lin.name}.bias`, lin.bias, lin.OC);
    }
  });
  w.dlnf = add("model.norm.weight", w.lnf, C);
  w.dlmHead = w.lmHead === w.wte ? w.dwte : add("lm_head.weight", w.lmHead, V * C);
  return params;
}
