// The decoder-only transformer of Llama and Qwen2 (RMSNorm, RoPE, grouped-query attention, SwiGLU MLP,
// optional q/k/v biases, tied or untied lm_head), written once against the Backend interface.
// Each block is a forward/backward pair (blockForward / blockBackward); activations are kept per block, or,
// with `recompute`, only each block's input is kept and the block is run again during the backward pass.
// This file holds the math; weights come from checkpoint.ts, LoRA set-up from lora.ts.

import type { AttentionDims, Backend } from "./backend.ts";
import type { CausalLM, LastRowLogits, TrainWorkspace } from "./causal-lm.ts";
import { Generator } from "./generate.ts";
import { fusesInputs, gatedInput, linearBackward, linearForward, normedInput } from "./linear.ts";
import {
  BLOCK_LINEARS, loraHidden, loraScratch, Workspace, type BlockActs, type KvTarget, type Scratch, type TransformerDims, type TransformerWeights,
} from "./transformer-parts.ts";

export * from "./transformer-parts.ts";

export class Transformer<T, I> implements CausalLM<T, I> {
  readonly family = "llama";
  readonly linearNames = BLOCK_LINEARS;

  constructor(
    readonly be: Backend<T, I>,
    readonly d: TransformerDims,
    readonly w: TransformerWeights<T>,
  ) {}

  get V(): number {
    return this.d.V;
  }

  workspace(B: number, T: number, recompute: boolean): Workspace<T, I> {
    return new Workspace(this.be, this.d, B, T, recompute);
  }

  decoder(maxContext: number): Generator<T, I> {
    return new Generator(this, maxContext);
  }

  // x (N,C) -> y (N,C); fills acts. With `kv`, keys/values are appended to a cache and attention reads it.
  blockForward(l: number, x: T, y: T, a: BlockActs<T>, B: number, T: number, pos: I, kv?: KvTarget<T>): void {
    const { be, d } = this;
    const bw = this.w.blocks[l]!;
    const N = B * T;
    const lin = bw.lin;
    // decoding: the norms and SwiGLU go into the loads of the linears after them (linear.ts fusesInputs)
    const fuse = fusesInputs(be, N, kv !== undefined);
    const ln1 = normedInput(be, fuse, a.ln1, a.rstd1, x, bw.ln1, N, d.C, d.eps);
    linearForward(be, lin.q_proj, a.q, ln1.inp, N, loraHidden(be, a, "q_proj", lin.q_proj), false, ln1.input);
    linearForward(be, lin.k_proj, a.k, ln1.inp, N, loraHidden(be, a, "k_proj", lin.k_proj), false, ln1.input);
    linearForward(be, lin.v_proj, a.v, ln1.inp, N, loraHidden(be, a, "v_proj", lin.v_proj), false, ln1.input);
    be.ropeForward(a.q, a.q, this.w.invFreq, pos, N, d.NH, d.HS);
    be.ropeForward(a.k, a.k, this.w.invFreq, pos, N, d.NKV, d.HS);
    let dims: AttentionDims = { B, Tq: T, Tk: T, kvStride: T, NH: d.NH, NKV: d.NKV, HS: d.HS };
    let k = a.k;
    let v = a.v;
    if (kv) {
      const row = d.NKV * d.HS;
      be.copy(kv.k, a.k, N * row, kv.offset * row);
      be.copy(kv.v, a.v, N * row, kv.offset * row);
      dims = { ...dims, Tk: kv.offset + T, kvStride: kv.kvStride };
      k = kv.k;
      v = kv.v;
    }
    be.attentionForward(a.att, a.lse, a.q, k, v, dims);
    be.copy(a.xmid, x, N * d.C);
    linearForward(be, lin.o_proj, a.xmid, a.att, N, loraHidden(be, a, "o_proj", lin.o_proj), true); // xmid = x + o(att)
    const ln2 = normedInput(be, fuse, a.ln2, a.rstd2, a.xmid, bw.ln2, N, d.C, d.eps);
    linearForward(be, lin.gate_proj, a.gate, ln2.inp, N, loraHidden(be, a, "gate_proj", lin.gate_proj), false, ln2.input);
    linearForward(be, lin.up_proj, a.up, ln2.inp, N, loraHidden(be, a, "up_proj", lin.up_proj), false, ln2.input);
    const act = gatedInput(be, fuse, a.act, a.gate, a.up, N * d.H);
    be.copy(y, a.xmid, N * d.C);
    // y = xmid + down(act)
    linearForward(be, lin.down_proj, y, act.inp, N, loraHidden(be, a, "down_proj", lin.down_proj), true, act.input);
  }

  // dres (N,C) = dL/dy on entry, dL/dx on exit (residual gradients flow through in place)
  blockBackward(l: number, x: T, dres: T, a: BlockActs<T>, s: Scratch<T>, B: number, T: number, pos: I): void {
    const { be, d } = this;
    const bw = this.w.blocks[l]!;
    const lin = bw.lin;
    const N = B * T;
    const Q = d.NH * d.HS;
    const KV = d.NKV * d.HS;
    // MLP: y = xmid + down(silu(gate(ln2)) * up(ln2))
    be.zero(s.dact, N * d.H);
    linearBackward(be, lin.down_proj, s.dact, dres, a.act, N, loraHidden(be, a, "down_proj", lin.down_proj), loraScratch(be, s, a.cap, lin.down_proj));
    be.zero(s.dgate, N * d.H);
    be.zero(s.dup, N * d.H);
    be.swigluBackward(s.dgate, s.dup, s.dact, a.gate, a.up, N * d.H);
    be.zero(s.dln, N * d.C);
    linearBackward(be, lin.gate_proj, s.dln, s.dgate, a.ln2, N, loraHidden(be, a, "gate_proj", lin.gate_proj), loraScratch(be, s, a.cap, lin.gate_proj));
    linearBackward(be, lin.up_proj, s.dln, s.dup, a.ln2, N, loraHidden(be, a, "up_proj", lin.up_proj), loraScratch(be, s, a.cap, lin.up_proj));
    be.rmsnormBackward(dres, bw.dln2 ?? null, s.dln, a.xmid, bw.ln2, a.rstd2, N, d.C); // dres = dL/dxmid
    // attention: xmid = x + o(attention(rope(q(ln1)), rope(k(ln1)), v(ln1)))
    be.zero(s.datt, N * Q);
    linearBackward(be, lin.o_proj, s.datt, dres, a.att, N, loraHidden(be, a, "o_proj", lin.o_proj), loraScratch(be, s, a.cap, lin.o_proj));
    be.zero(s.dq, N * Q);
    be.zero(s.dk, N * KV);
    be.zero(s.dv, N * KV);
    const dims: AttentionDims = { B, Tq: T, Tk: T, kvStride: T, NH: d.NH, NKV: d.NKV, HS: d.HS };
    be.attentionBackward(s.dq, s.dk, s.dv, s.datt, a.q, a.k, a.v, a.att, a.lse, dims);
    be.ropeBackward(s.dq, s.dq, this.w.invFreq, pos, N, d.NH, d.HS);
    be.ropeBackward(s.dk, s.dk, this.w.invFreq, pos, N, d.NKV, d.HS);
    be.zero(s.dln, N * d.C);
    linearBackward(be, lin.q_proj, s.dln, s.dq, a.ln1, N, loraHidden(be, a, "q_proj", lin.q_proj), loraScratch(be, s, a.cap, lin.q_proj));
    linearBackward(be, lin.k_proj, s.dln, s.dk, a.ln1, N, loraHidden(be, a, "k_proj", lin.k_proj), loraScratch(be, s, a.cap, lin.k_proj));
    linearBackward(be, lin.v_proj, s.dln, s.dv, a.ln1, N, loraHidden(be, a, "v_proj", lin.v_proj), loraScratch(be, s, a.cap, lin.v_proj));
    be.rmsnormBackward(dres, bw.dln1 ?? null, s.dln, x, bw.ln1, a.rstd1, N, d.C); // dres = dL/dx
  }

  /** ids, targets (-1 = no loss), positions are already in ws; fills ws.losses (N). */
  forward(ws: Workspace<T, I>): void {
    const { be, d } = this;
    const N = ws.N;
    be.embeddingForward(ws.xs[0]!, ws.ids, this.w.wte, N, d.C);
    for (let l = 0; l < d.L; l++) {
      this.blockForward(l, ws.xs[l]!, ws.xs[l + 1]!, ws.acts[l] ?? ws.acts[0]!, ws.B, ws.T, ws.pos);
    }
    be.rmsnormForward(ws.lnf, ws.rstdf, ws.xs[d.L]!, this.w.lnf, N, d.C, d.eps);
    be.classifierForward(ws.losses, ws.lseCE, ws.lnf, this.w.lmHead, ws.targets, N, d.C, d.V);
  }

  /**
   * Inference on one sequence: ws.ids[0..T) at positions offset..offset+T-1 (ws.pos set by the caller), keys and
   * values appended to the per-block caches. Leaves the logits (V) of the last token in `head`.
   */
  forwardCached(ws: Workspace<T, I>, T: number, caches: readonly KvTarget<T>[], head: LastRowLogits<T, I>): void {
    const { be, d } = this;
    if (ws.B !== 1 || T > ws.T) throw new Error(`forwardCached: workspace (${ws.B}, ${ws.T}) cannot take (1, ${T})`);
    be.embeddingForward(ws.xs[0]!, ws.ids, this.w.wte, T, d.C);
    for (let l = 0; l < d.L; l++) {
      this.blockForward(l, ws.xs[l]!, ws.xs[l + 1]!, ws.acts[l] ?? ws.acts[0]!, 1, T, ws.pos, caches[l]);
    }
    head.run(ws.xs[d.L]!, T, this.w.lnf, this.w.lmHead, d.eps);
  }

  /** Accumulates d(dloss * sum(losses)) into every trainable gradient. Call after forward(ws). */
  backward(ws: Workspace<T, I>, dloss: number): void {
    const { be, d } = this;
    const N = ws.N;
    const recompute = ws.acts.length === 1 && d.L > 1;
    be.zero(ws.scratch.dln, N * d.C);
    be.classifierBackward(ws.scratch.dln, this.w.dlmHead ?? null, ws.lnf, this.w.lmHead, ws.targets, ws.lseCE, dloss, N, d.C, d.V);
    be.zero(ws.dres, N * d.C);
    be.rmsnormBackward(ws.dres, this.w.dlnf ?? null, ws.scratch.dln, ws.xs[d.L]!, this.w.lnf, ws.rstdf, N, d.C);
    for (let l = d.L - 1; l >= 0; l--) {
      const a = ws.acts[l] ?? ws.acts[0]!;
      // recompute: rebuild this block's activations from its saved input (the output is not needed again);
      // the shared buffers still hold the last block's from the forward pass
      if (recompute && l < d.L - 1) this.blockForward(l, ws.xs[l]!, ws.xs[l + 1]!, a, ws.B, ws.T, ws.pos);
      this.blockBackward(l, ws.xs[l]!, ws.dres, a, ws.scratch, ws.B, ws.T, ws.pos);
    }
    if (this.w.dwte) be.embeddingBackward(this.w.dwte, ws.dres, ws.ids, N, d.C);
  }
}
