// A Decoder that reports what its last prompt() cost: the prompt's tokens, how many of them ran (the others came
// from the KV cache, or from a recurrent state saved on the way), and the time. The inference worker completes
// through it so the Playground can show the per-keystroke prompt cost. Not here: any reuse logic; that is the
// decoder's own (generate.ts, mamba-decode.ts).

import type { Decoder } from "../lib/train/causal-lm.ts";

export interface PromptCost {
  /** Tokens in the prompt. */
  tokens: number;
  /** Tokens the model ran for it; tokens - ran were reused. */
  ran: number;
  /** Time prompt() took, ms (on a GPU: until its logits were read back). */
  ms: number;
}

export class MeasuredDecoder<T, I> implements Decoder<T, I> {
  /** What the inner decoder holds, as seen through this wrapper: a KV cache reuses exactly the shared prefix. */
  private held: number[] = [];
  /** The cost of the last prompt(), undefined before one ran (or after clear()). */
  last: PromptCost | undefined;

  constructor(readonly inner: Decoder<T, I>) {}

  get be() {
    return this.inner.be;
  }
  get maxContext(): number {
    return this.inner.maxContext;
  }
  get length(): number {
    return this.inner.length;
  }

  /** Forgets the last cost (before a request, so a request that never prompted reports none). */
  clear(): void {
    this.last = undefined;
  }

  reset(): void {
    this.inner.reset();
    this.held = [];
  }

  async prompt(ids: readonly number[]): Promise<Float32Array> {
    let keep = 0;
    while (keep < this.held.length && keep < ids.length && this.held[keep] === ids[keep]) keep++;
    keep = Math.min(keep, ids.length - 1); // as the decoders do: one token at least runs, for the logits
    const t0 = performance.now();
    this.held = []; // unknown until prompt() succeeds
    const logits = await this.inner.prompt(ids);
    const ms = performance.now() - t0;
    this.held = [...ids];
    // A recurrent decoder (MambaDecoder) goes back to a saved state and says how many tokens it ran from there.
    const lastRun = (this.inner as { lastRun?: unknown }).lastRun;
    this.last = { tokens: ids.length, ran: typeof lastRun === "number" ? lastRun : ids.length - keep, ms };
    return logits;
  }

  async append(ids: readonly number[]): Promise<Float32Array> {
    const logits = await this.inner.append(ids);
    this.held.push(...ids);
    return logits;
  }
}
