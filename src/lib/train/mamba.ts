// Mamba-1 (transformers' MambaForCausalLM), written once against the Backend interface like the transformer in
// model.ts. A block is a forward/backward pair:
//   x (N,C) -> ln = rmsnorm(x) -> xz = in_proj(ln) (N,2DI) -> split: u0 = xz[:, :DI], z = xz[:, DI:]
//   u = silu(causal depthwise conv1d(u0))                  (N,DI)
//   xdbl = x_proj(u) (N, R+2DS) -> split: dtLow (N,R), Bm (N,DS), Cm (N,DS)
//   dt = dt_proj(dtLow) + bias (N,DI);  y = selective scan(u, softplus(dt), A = -exp(A_log), Bm, Cm, D)  (N,DI)
//   g = y * silu(z);  out = x + out_proj(g)
// Training runs whole sequences with zero initial state; inference (mamba-decode.ts) carries per-layer recurrent
// states (conv (K-1,DI), ssm (DI,DS)) from call to call instead of a KV cache.

import { type Backend, scanChunks, type ScanDims } from "./backend.ts";
import type { CausalLM, Decoder, LastRowLogits, TrainWorkspace } from "./causal-lm.ts";
import { fusesInputs, gatedInput, linearBackward, linearForward, normedInput, type Linear } from "./linear.ts";
import { MambaDecoder } from "./mamba-decode.ts";
import { loraHidden, loraScratch } from "./transformer-parts.ts";
import {
  MAMBA_LINEARS, MambaWorkspace, type MambaActs, type MambaDims, type MambaScratch, type MambaState, type MambaWeights,
} from "./mamba-parts.ts";

export * from "./mamba-parts.ts";

export class Mamba<T, I> implements CausalLM<T, I> {
  readonly family = "mamba";
  readonly linearNames = MAMBA_LINEARS;

  constructor(
    readonly be: Backend<T, I>,
    readonly d: MambaDims,
    readonly w: MambaWeights<T>,
  ) {}

  get V(): number {
    return this.d.V;
  }

  workspace(B: number, T: number, recompute: boolean): MambaWorkspace<T, I> {
    return new MambaWorkspace(this.be, this.d, B, T, recompute);
  }

  decoder(maxContext: number): Decoder<T, I> {
    return new MambaDecoder(this, maxContext);
  }

  // x (N,C) -> out (N,C); fills acts. With `state` (B = 1), the conv and scan start from it and leave theirs in it.
  blockForward(l: number, x: T, out: T, a: MambaActs<T>, B: number, T: number, state?: MambaState<T>): void {
    const { be, d } = this;
    const bw = this.w.blocks[l]!;
    const { lin } = bw;
    const N = B * T;
    const XP = d.R + 2 * d.DS;
    // decoding: the norm and the gate go into the loads of the linears after them (linear.ts fusesInputs)
    const fuse = fusesInputs(be, N, state !== undefined);
    const ln = normedInput(be, fuse, a.ln, a.rstd, x, bw.norm, N, d.C, d.eps);
    linearForward(be, lin.in_proj, a.xz, ln.inp, N, loraHidden(be, a, "in_proj", lin.in_proj), false, ln.input);
    be.copyColumns(a.u0, a.xz, N, d.DI, d.DI, 0, 2 * d.DI, 0);
    be.copyColumns(a.z, a.xz, N, d.DI, d.DI, 0, 2 * d.DI, d.DI);
    be.conv1dForward(a.u, a.u0, bw.conv, bw.convBias, B, T, d.DI, d.K, state?.conv ?? null);
    linearForward(be, lin.x_proj, a.xdbl, a.u, N, loraHidden(be, a, "x_proj", lin.x_proj));
    be.copyColumns(a.dtLow, a.xdbl, N, d.R, d.R, 0, XP, 0);
    be.copyColumns(a.Bm, a.xdbl, N, d.DS, d.DS, 0, XP, d.R);
    be.copyColumns(a.Cm, a.xdbl, N, d.DS, d.DS, 0, XP, d.R + d.DS);
    linearForward(be, lin.dt_proj, a.dt, a.dtLow, N, loraHidden(be, a, "dt_proj", lin.dt_proj));
    const dims: ScanDims = { B, T, DI: d.DI, DS: d.DS };
    be.scanForward(a.y, state ? null : a.hs, a.u, a.dt, bw.Alog, a.Bm, a.Cm, bw.D, dims, state?.ssm ?? null);
    const g = gatedInput(be, fuse, a.g, a.z, a.y, N * d.DI); // g = silu(z) * y
    be.copy(out, x, N * d.C);
    // out = x + out_proj(g)
    linearForward(be, lin.out_proj, out, g.inp, N, loraHidden(be, a, "out_proj", lin.out_proj), true, g.input);
  }

  // dres (N,C) = dL/dout on entry, dL/dx on exit
  blockBackward(l: number, x: T, dres: T, a: MambaActs<T>, s: MambaScratch<T>, B: number, T: number): void {
    const { be, d } = this;
    const bw = this.w.blocks[l]!;
    const { lin } = bw;
    const N = B * T;
    const XP = d.R + 2 * d.DS;
    const nDI = N * d.DI;
    const scr = (m: Linear<T>) => loraScratch(be, s, a.cap, m);
    // out = x + out_proj(g)
    be.zero(s.dg, nDI);
    linearBackward(be, lin.out_proj, s.dg, dres, a.g, N, loraHidden(be, a, "out_proj", lin.out_proj), scr(lin.out_proj));
    // g = silu(z) * y
    be.zero(s.dz, nDI);
    be.zero(s.dy, nDI);
    be.swigluBackward(s.dz, s.dy, s.dg, a.z, a.y, nDI);
    // y = scan(u, dt, A_log, Bm, Cm, D)
    be.zero(s.du, nDI);
    be.zero(s.ddt, nDI);
    be.zero(s.dBm, N * d.DS);
    be.zero(s.dCm, N * d.DS);
    be.scanBackward(s.du, s.ddt, bw.dAlog ?? null, s.dBm, s.dCm, bw.dD ?? null, s.dy, a.u, a.dt, bw.Alog, a.Bm, a.Cm, bw.D, a.hs, { B, T, DI: d.DI, DS: d.DS });
    // dt = dt_proj(dtLow); xdbl = [dtLow | Bm | Cm] = x_proj(u)
    be.zero(s.ddtLow, N * d.R);
    linearBackward(be, lin.dt_proj, s.ddtLow, s.ddt, a.dtLow, N, loraHidden(be, a, "dt_proj", lin.dt_proj), scr(lin.dt_proj));
    be.copyColumns(s.dxdbl, s.ddtLow, N, d.R, XP, 0, d.R, 0);
    be.copyColumns(s.dxdbl, s.dBm, N, d.DS, XP, d.R, d.DS, 0);
    be.copyColumns(s.dxdbl, s.dCm, N, d.DS, XP, d.R + d.DS, d.DS, 0);
    linearBackward(be, lin.x_proj, s.du, s.dxdbl, a.u, N, loraHidden(be, a, "x_proj", lin.x_proj), scr(lin.x_proj));
    // u = silu(conv(u0))
    be.zero(s.du0, nDI);
    be.conv1dBackward(s.du0, bw.dconv ?? null, bw.dconvBias ?? null, s.du, a.u0, bw.conv, bw.convBias, B, T, d.DI, d.K);
    // xz = [u0 | z] = in_proj(ln)
    be.copyColumns(s.dxz, s.du0, N, d.DI, 2 * d.DI, 0, d.DI, 0);
    be.copyColumns(s.dxz, s.dz, N, d.DI, 2 * d.DI, d.DI, d.DI, 0);
    be.zero(s.dln, N * d.C);
    linearBackward(be, lin.in_proj, s.dln, s.dxz, a.ln, N, loraHidden(be, a, "in_proj", lin.in_proj), scr(lin.in_proj));
    be.rmsnormBackward(dres, bw.dnorm ?? null, s.dln, x, bw.norm, a.rstd, N, d.C); // dres = dL/dx
  }

  forward(ws: MambaWorkspace<T, I>): void {
    const { be, d } = this;
    const N = ws.N;
    be.embeddingForward(ws.xs[0]!, ws.ids, this.w.wte, N, d.C);
    for (let l = 0; l < d.L; l++) this.blockForward(l, ws.xs[l]!, ws.xs[l + 1]!, ws.acts[l] ?? ws.acts[0]!, ws.B, ws.T);
    be.rmsnormForward(ws.lnf, ws.rstdf, ws.xs[d.L]!, this.w.lnf, N, d.C, d.eps);
    be.classifierForward(ws.losses, ws.lseCE, ws.lnf, this.w.lmHead, ws.targets, N, d.C, d.V);
  }

  backward(ws: MambaWorkspace<T, I>, dloss: number): void {
    const { be, d } = this;
    const N = ws.N;
    const recompute = ws.acts.length === 1 && d.L > 1;
    be.zero(ws.scratch.dln, N * d.C);
    be.classifierBackward(ws.scratch.dln, this.w.dlmHead ?? null, ws.lnf, this.w.lmHead, ws.targets, ws.lseCE, dloss, N, d.C, d.V);
    be.zero(ws.dres, N * d.C);
    be.rmsnormBackward(ws.dres, this.w.dlnf ?? null, ws.scratch.dln, ws.xs[d.L]!, this.w.lnf, ws.rstdf, N, d.C);
    for (let l = d.L - 1; l >= 0; l--) {
      const a = ws.acts[l] ?? ws.acts[0]!;
      if (recompute && l < d.L - 1) this.blockForward(l, ws.xs[l]!, ws.xs[l + 1]!, a, ws.B, ws.T);
      this.blockBackward(l, ws.xs[l]!, ws.dres, a, ws.scratch, ws.B, ws.T);
    }
    if (this.w.dwte) be.embeddingBackward(this.w.dwte, ws.dres, ws.ids, N, d.C);
  }

  /**
   * Inference on one sequence: ws.ids[0..T) continue the sequence the per-layer `states` summarize (they are updated).
   * Leaves the logits (V) of the last token in `head`.
   */
  forwardStateful(ws: MambaWorkspace<T, I>, T: number, states: readonly MambaState<T>[], head: LastRowLogits<T, I>): void {
    const { be, d } = this;
    if (ws.B !== 1 || T > ws.T) throw new Error(`forwardStateful: workspace (${ws.B}, ${ws.T}) cannot take (1, ${T})`);
    be.embeddingForward(ws.xs[0]!, ws.ids, this.w.wte, T, d.C);
    for (let l = 0; l < d.L; l++) this.blockForward(l, ws.xs[l]!, ws.xs[l + 1]!, ws.acts[l] ?? ws.acts[0]!, 1, T, states[l]);
    head.run(ws.xs[d.L]!, T, this.w.lnf, this.w.lmHead, d.eps);
  }
}
