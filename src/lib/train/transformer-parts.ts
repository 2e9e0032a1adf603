// The transformer's shapes and buffers, apart from its math (model.ts) so that the decoder (generate.ts) and the
// model can both use them without importing each other: dimensions, the weights' layout, the training workspace of
// one (B, T) shape, the LoRA hidden buffers, and where a block's keys and values go.

import type { Backend } from "./backend.ts";
import type { TrainWorkspace } from "./causal-lm.ts";
import type { Linear } from "./linear.ts";

export interface TransformerDims {
  V: number; // vocab
  C: number; // hidden
  L: number; // layers
  NH: number; // query heads
  NKV: number; // key/value heads
  HS: number; // head size
  H: number; // MLP intermediate
  eps: number; // RMSNorm epsilon
}

/** The 7 linear modules of a block, by their checkpoint names. */
export const BLOCK_LINEARS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export type BlockLinear = (typeof BLOCK_LINEARS)[number];

export interface BlockWeights<T> {
  ln1: T; // input_layernorm (C)
  ln2: T; // post_attention_layernorm (C)
  dln1?: T; // full training
  dln2?: T;
  lin: Record<BlockLinear, Linear<T>>;
}

export interface TransformerWeights<T> {
  wte: T; // (V, C)
  lnf: T; // (C)
  lmHead: T; // (V, C); the same buffer as wte when tied
  blocks: BlockWeights<T>[];
  invFreq: T; // (HS/2) RoPE inverse frequencies (llama3 scaling already applied)
  // full training
  dwte?: T;
  dlnf?: T;
  dlmHead?: T; // = dwte when tied
}

/** Activations of one block for a batch of N = B*T tokens. */
export interface BlockActs<T> {
  ln1: T; rstd1: T; // (N,C) (N)
  q: T; k: T; v: T; // (N,NH*HS) (N,NKV*HS) after RoPE
  att: T; lse: T; // (N,NH*HS) (B,NH,T)
  xmid: T; // (N,C) residual after attention
  ln2: T; rstd2: T;
  gate: T; up: T; act: T; // (N,H)
  /** LoRA hiddens (cap, R), made on first use so adapters can be attached after the workspace. */
  loraH: Partial<Record<BlockLinear, { buf: T; R: number }>>;
  cap: number; // tokens the buffers hold
}

/** Gradient scratch shared by all blocks. */
export interface Scratch<T> {
  dact: T; dgate: T; dup: T; // (N,H)
  dln: T; // (N,C)
  datt: T; dq: T; dk: T; dv: T;
  dloraH: { buf: T; R: number } | null; // (cap, R) for the largest rank seen
}

/** Buffers for one (B, T) shape, allocated once and reused every step. */
export class Workspace<T, I> implements TrainWorkspace<T, I> {
  readonly N: number;
  readonly xs: T[]; // L+1 residual streams (N,C): block inputs, then the final one
  readonly acts: BlockActs<T>[]; // one per block, or one shared when recomputing
  readonly scratch: Scratch<T>;
  readonly lnf: T; readonly rstdf: T; readonly losses: T; readonly lseCE: T; readonly dres: T;
  readonly ids: I; readonly targets: I; readonly pos: I;

  constructor(be: Backend<T, I>, d: TransformerDims, readonly B: number, readonly T: number, recompute: boolean) {
    const N = (this.N = B * T);
    const Q = d.NH * d.HS;
    const KV = d.NKV * d.HS;
    this.xs = Array.from({ length: d.L + 1 }, (_, i) => be.alloc(N * d.C, `x${i}`));
    const mkActs = (l: number): BlockActs<T> => ({
      ln1: be.alloc(N * d.C, `b${l}.ln1`), rstd1: be.alloc(N), q: be.alloc(N * Q), k: be.alloc(N * KV), v: be.alloc(N * KV),
      att: be.alloc(N * Q), lse: be.alloc(B * d.NH * T), xmid: be.alloc(N * d.C), ln2: be.alloc(N * d.C), rstd2: be.alloc(N),
      gate: be.alloc(N * d.H), up: be.alloc(N * d.H), act: be.alloc(N * d.H), loraH: {}, cap: N,
    });
    this.acts = Array.from({ length: recompute ? 1 : d.L }, (_, l) => mkActs(l));
    this.scratch = {
      dact: be.alloc(N * d.H), dgate: be.alloc(N * d.H), dup: be.alloc(N * d.H), dln: be.alloc(N * d.C),
      datt: be.alloc(N * Q), dq: be.alloc(N * Q), dk: be.alloc(N * KV), dv: be.alloc(N * KV),
      dloraH: null,
    };
    this.lnf = be.alloc(N * d.C);
    this.rstdf = be.alloc(N);
    this.losses = be.alloc(N);
    this.lseCE = be.alloc(N);
    this.dres = be.alloc(N * d.C);
    this.ids = be.uploadIds(new Int32Array(N));
    this.targets = be.uploadIds(new Int32Array(N));
    this.pos = be.uploadIds(new Int32Array(N));
  }
}

/** Where a block keeps its LoRA hiddens: one (cap, R) buffer per adapted linear, by module name. */
export interface LoraActs<T> {
  loraH: Partial<Record<string, { buf: T; R: number }>>;
  cap: number; // tokens the buffers hold
}

/** The LoRA hidden buffer of `which` in `a`, made (or remade for a new rank) on first use; null without LoRA. */
export function loraHidden<T, I>(be: Backend<T, I>, a: LoraActs<T>, which: string, lin: Linear<T>): T | null {
  const r = lin.lora && lin.loraEnabled !== false ? lin.lora.R : 0;
  if (r === 0) return null;
  const h = a.loraH[which];
  if (h && h.R === r) return h.buf;
  if (h) be.free(h.buf);
  const buf = be.alloc(a.cap * r, `${lin.name}.loraH`);
  a.loraH[which] = { buf, R: r };
  return buf;
}

/** Scratch for d(loraH), big enough for the largest rank used so far. */
export function loraScratch<T, I>(be: Backend<T, I>, s: { dloraH: { buf: T; R: number } | null }, cap: number, lin: Linear<T>): T | null {
  const r = lin.lora && lin.loraEnabled !== false ? lin.lora.R : 0;
  if (r === 0) return null;
  if (!s.dloraH || s.dloraH.R < r) {
    if (s.dloraH) be.free(s.dloraH.buf);
    s.dloraH = { buf: be.alloc(cap * r, "dloraH"), R: r };
  }
  return s.dloraH.buf;
}

/** Where a block's keys and values go: its own activations (training) or a KV cache (inference). */
export interface KvTarget<T> {
  k: T; // (kvStride, NKV*HS) for B = 1
  v: T;
  kvStride: number;
  offset: number; // rows already in the cache
}
