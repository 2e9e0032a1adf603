// Autoregressive decoding for Mamba: a constant-size recurrent state per layer (conv (K-1,DI) + ssm (DI,DS)) instead
// of a KV cache. A recurrent state cannot be cut back to a shorter prefix, so the decoder keeps copies of it every
// SNAPSHOT_EVERY tokens of the prompt; a new prompt that shares a prefix with the last one (the next keystroke in an
// editor) resumes from the last copy inside the shared part and runs only the tokens after it. It also keeps one copy
// at the exact point where the last prompt parted from the one before (the cursor, in the ctx formats' «CTX» block),
// so the keystroke after that resumes right there instead of at the grid point before it.

import type { Backend } from "./backend.ts";
import { type Decoder, LastRowLogits, reusablePrefix } from "./causal-lm.ts";
import type { Mamba } from "./mamba.ts";
import { type MambaState, MambaWorkspace } from "./mamba-parts.ts";

/** Tokens per forward call, and the spacing of the saved states (a chunk ends on every multiple of it). */
export const SNAPSHOT_EVERY = 32;

export class MambaDecoder<T, I> implements Decoder<T, I> {
  private readonly ws: MambaWorkspace<T, I>;
  private readonly states: MambaState<T>[];
  /** Saved states by the prompt position they follow (a multiple of SNAPSHOT_EVERY). */
  private readonly snapshots = new Map<number, MambaState<T>[]>();
  private readonly spare: MambaState<T>[][] = [];
  private readonly head: LastRowLogits<T, I>;
  private cached: number[] = [];
  /** Tokens the last prompt() ran (the rest came from a saved state): what a keystroke costs. */
  lastRun = 0;

  constructor(
    readonly model: Mamba<T, I>,
    readonly maxContext: number,
  ) {
    const { be, d } = model;
    this.ws = new MambaWorkspace(be, d, 1, SNAPSHOT_EVERY, true, false);
    this.states = this.newStates();
    this.head = new LastRowLogits(be, d.C, d.V);
  }

  get be(): Backend<T, I> {
    return this.model.be;
  }

  get length(): number {
    return this.cached.length;
  }

  private newStates(): MambaState<T>[] {
    const { be, d } = this.model;
    return Array.from({ length: d.L }, (_, l) => ({ conv: be.alloc((d.K - 1) * d.DI, `state.conv${l}`), ssm: be.alloc(d.DI * d.DS, `state.ssm${l}`) }));
  }

  private copyStates(dst: readonly MambaState<T>[], src: readonly MambaState<T>[]): void {
    const { be, d } = this.model;
    dst.forEach((s, l) => {
      be.copy(s.conv, src[l]!.conv, (d.K - 1) * d.DI);
      be.copy(s.ssm, src[l]!.ssm, d.DI * d.DS);
    });
  }

  private dropSnapshotsAfter(pos: number): void {
    for (const p of [...this.snapshots.keys()]) if (p > pos) this.dropSnapshot(p);
  }

  reset(): void {
    this.dropSnapshotsAfter(-1);
    this.cached = [];
  }

  async prompt(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new Error("prompt: no tokens");
    const keep = reusablePrefix(this.cached, ids);
    if (keep < this.cached.length) {
      // go back to the last saved state inside the shared prefix (or the empty state)
      let from = 0;
      for (const p of this.snapshots.keys()) if (p <= keep && p > from) from = p;
      const saved = this.snapshots.get(from);
      if (saved) this.copyStates(this.states, saved);
      else for (const s of this.states) (this.be.zero(s.conv), this.be.zero(s.ssm));
      this.dropSnapshotsAfter(from);
      this.cached.length = from;
    }
    const start = this.cached.length;
    if (keep > start && keep % SNAPSHOT_EVERY !== 0) {
      // run up to where this prompt parts from the last one and keep the state there (one such copy at a time)
      await this.append(ids.slice(start, keep));
      for (const p of this.snapshots.keys()) if (p % SNAPSHOT_EVERY !== 0) this.dropSnapshot(p);
      this.saveSnapshot(keep);
    }
    const logits = await this.append(ids.slice(this.cached.length));
    this.lastRun = ids.length - start;
    return logits;
  }

  private saveSnapshot(pos: number): void {
    const snap = this.spare.pop() ?? this.newStates();
    this.copyStates(snap, this.states);
    this.snapshots.set(pos, snap);
  }

  private dropSnapshot(pos: number): void {
    const s = this.snapshots.get(pos);
    if (s) (this.snapshots.delete(pos), this.spare.push(s));
  }

  async append(ids: readonly number[]): Promise<Float32Array> {
    if (this.cached.length + ids.length > this.maxContext) {
      throw new RangeError(`context full: ${this.cached.length} + ${ids.length} tokens > ${this.maxContext}`);
    }
    if (this.cached.length === 0) for (const s of this.states) (this.be.zero(s.conv), this.be.zero(s.ssm));
    const { be } = this;
    let s = 0;
    while (s < ids.length) {
      const pos = this.cached.length;
      const n = Math.min(ids.length - s, SNAPSHOT_EVERY - (pos % SNAPSHOT_EVERY)); // end chunks on multiples
      const chunk = ids.slice(s, s + n);
      be.writeIds(this.ws.ids, Int32Array.from(chunk));
      this.model.forwardStateful(this.ws, n, this.states, this.head);
      this.cached.push(...chunk);
      s += n;
      const end = this.cached.length;
      if (end % SNAPSHOT_EVERY === 0 && !this.snapshots.has(end)) this.saveSnapshot(end);
    }
    return this.head.read();
  }
}
