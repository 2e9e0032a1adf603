// Mamba's shapes and buffers, apart from its math (mamba.ts) so that the recurrent decoder (mamba-decode.ts) and
// the model can both use them without importing each other: dimensions, the weights' layout, the recurrent state,
// and the training workspace of one (B, T) shape.

import { type Backend, scanChunks } from "./backend.ts";
import type { TrainWorkspace } from "./causal-lm.ts";
import type { Linear } from "./linear.ts";
import type { LoraActs } from "./transformer-parts.ts";

export interface MambaDims {
  V: number; // vocab
  C: number; // hidden
  L: number; // layers
  DI: number; // inner width
  DS: number; // state size
  K: number; // conv width
  R: number; // dt rank
  eps: number; // RMSNorm epsilon
}

/** The 4 linear modules of a mixer, by their checkpoint names (and LoRA/PEFT target names). */
export const MAMBA_LINEARS = ["in_proj", "x_proj", "dt_proj", "out_proj"] as const;
export type MambaLinear = (typeof MAMBA_LINEARS)[number];

export interface MambaBlockWeights<T> {
  norm: T; // (C)
  conv: T; // (DI,K)
  convBias: T | null; // (DI)
  Alog: T; // (DI,DS)
  D: T; // (DI)
  lin: Record<MambaLinear, Linear<T>>; // dt_proj always has a bias
  // full training
  dnorm?: T;
  dconv?: T;
  dconvBias?: T;
  dAlog?: T;
  dD?: T;
}

export interface MambaWeights<T> {
  wte: T; // (V,C)
  lnf: T; // norm_f (C)
  lmHead: T; // (V,C); the same buffer as wte when tied
  blocks: MambaBlockWeights<T>[];
  dwte?: T;
  dlnf?: T;
  dlmHead?: T;
}

/** Recurrent state of one layer during inference. */
export interface MambaState<T> {
  conv: T; // (K-1, DI) the last K-1 conv inputs
  ssm: T; // (DI, DS)
}

/** Activations of one block for N = B*T tokens. */
export interface MambaActs<T> extends LoraActs<T> {
  ln: T; rstd: T; // (N,C) (N)
  xz: T; // (N,2DI)
  u0: T; z: T; // (N,DI) conv input, gate
  u: T; // (N,DI) conv output
  xdbl: T; // (N,R+2DS)
  dtLow: T; Bm: T; Cm: T; // (N,R) (N,DS) (N,DS)
  dt: T; // (N,DI) before softplus
  y: T; // (N,DI) scan output
  hs: T; // (B, scanChunks(T), DI, DS) scan states at chunk starts
  g: T; // (N,DI) gated
}

export interface MambaScratch<T> {
  dg: T; dz: T; dy: T; du: T; ddt: T; du0: T; // (N,DI)
  dBm: T; dCm: T; // (N,DS)
  ddtLow: T; // (N,R)
  dxdbl: T; // (N,R+2DS)
  dxz: T; // (N,2DI)
  dln: T; // (N,C)
  dloraH: { buf: T; R: number } | null;
}

export class MambaWorkspace<T, I> implements TrainWorkspace<T, I> {
  readonly N: number;
  readonly xs: T[]; // L+1 residual streams (N,C)
  readonly acts: MambaActs<T>[]; // one per block, or one shared when recomputing
  readonly scratch: MambaScratch<T>;
  readonly lnf: T; readonly rstdf: T; readonly losses: T; readonly lseCE: T; readonly dres: T;
  readonly ids: I; readonly targets: I; readonly pos: I;

  constructor(be: Backend<T, I>, d: MambaDims, readonly B: number, readonly T: number, recompute: boolean, saveStates = true) {
    const N = (this.N = B * T);
    const XP = d.R + 2 * d.DS;
    this.xs = Array.from({ length: d.L + 1 }, (_, i) => be.alloc(N * d.C, `x${i}`));
    const mk = (l: number): MambaActs<T> => ({
      ln: be.alloc(N * d.C, `b${l}.ln`), rstd: be.alloc(N), xz: be.alloc(N * 2 * d.DI), u0: be.alloc(N * d.DI), z: be.alloc(N * d.DI),
      u: be.alloc(N * d.DI), xdbl: be.alloc(N * XP), dtLow: be.alloc(N * d.R), Bm: be.alloc(N * d.DS), Cm: be.alloc(N * d.DS),
      dt: be.alloc(N * d.DI), y: be.alloc(N * d.DI), hs: be.alloc(saveStates ? B * scanChunks(T) * d.DI * d.DS : 1),
      g: be.alloc(N * d.DI), loraH: {}, cap: N,
    });
    this.acts = Array.from({ length: recompute ? 1 : d.L }, (_, l) => mk(l));
    const nd = () => be.alloc(N * d.DI);
    this.scratch = {
      dg: nd(), dz: nd(), dy: nd(), du: nd(), ddt: nd(), du0: nd(), dBm: be.alloc(N * d.DS), dCm: be.alloc(N * d.DS),
      ddtLow: be.alloc(N * d.R), dxdbl: be.alloc(N * XP), dxz: be.alloc(N * 2 * d.DI), dln: be.alloc(N * d.C), dloraH: null,
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
