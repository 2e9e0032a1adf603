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
  get lastRun(): number {
    return this.inner.lastRun;
  }

  /** Forgets the last cost (before a request, so a request that never prompted reports none). */
  clear(): void {
    this.last = undefined;
  }

  reset(): void {
    this.inner.reset();
  }

  async prompt(ids: readonly number[]): Promise<Float32Array> {
    const t0 = performance.now();
    const logits = await this.inner.prompt(ids);
    this.last = { tokens: ids.length, ran: this.inner.lastRun, ms: performance.now() - t0 };
    return logits;
  }

  append(ids: readonly number[]): Promise<Float32Array> {
    return this.inner.append(ids);
  }
}
