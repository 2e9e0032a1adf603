// Autoregressive decoding with a KV cache. The cache keeps the token ids it holds, so a new prompt that shares a
// prefix with the last one (the next keystroke in an editor) only runs the tokens after the shared part.

import type { Backend } from "./backend.ts";
import { type Decoder, LastRowLogits, reusablePrefix } from "./causal-lm.ts";
import type { Transformer } from "./model.ts";
import { Workspace, type KvTarget } from "./transformer-parts.ts";

/** Tokens run per forward call while filling the cache. */
export const PREFILL_CHUNK = 128;

export class Generator<T, I> implements Decoder<T, I> {
  private readonly ws: Workspace<T, I>;
  private readonly caches: KvTarget<T>[];
  private readonly head: LastRowLogits<T, I>;
  private cached: number[] = [];
  /** Tokens the last prompt() ran (the rest were in the cache). */
  lastRun = 0;

  constructor(
    readonly model: Transformer<T, I>,
    readonly maxContext: number,
  ) {
    const { be, d } = model;
    this.ws = new Workspace(be, d, 1, PREFILL_CHUNK, true);
    const kv = d.NKV * d.HS;
    this.caches = Array.from({ length: d.L }, (_, l) => ({
      k: be.alloc(maxContext * kv, `cache.k${l}`), v: be.alloc(maxContext * kv, `cache.v${l}`), kvStride: maxContext, offset: 0,
    }));
    this.head = new LastRowLogits(be, d.C, d.V);
  }

  get be(): Backend<T, I> {
    return this.model.be;
  }

  /** Number of tokens in the cache. */
  get length(): number {
    return this.cached.length;
  }

  reset(): void {
    this.cached = [];
  }

  /** Makes the cache hold exactly `ids` (reusing the shared prefix) and returns the logits after the last one. */
  async prompt(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new Error("prompt: no tokens");
    const keep = reusablePrefix(this.cached, ids);
    this.cached.length = keep;
    const logits = await this.append(ids.slice(keep));
    this.lastRun = ids.length - keep;
    return logits;
  }

  /** Appends tokens to the cache and returns the logits after the last one. */
  async append(ids: readonly number[]): Promise<Float32Array> {
    if (this.cached.length + ids.length > this.maxContext) {
      throw new RangeError(`context full: ${this.cached.length} + ${ids.length} tokens > ${this.maxContext}`);
    }
    const { be } = this;
    for (let s = 0; s < ids.length; s += PREFILL_CHUNK) {
      const chunk = ids.slice(s, s + PREFILL_CHUNK);
      const offset = this.cached.length;
      be.writeIds(this.ws.ids, Int32Array.from(chunk));
      be.writeIds(this.ws.pos, Int32Array.from(chunk, (_, i) => offset + i));
      for (const c of this.caches) c.offset = offset;
      this.model.forwardCached(this.ws, chunk.length, this.caches, this.head);
      this.cached.push(...chunk);
    }
    return this.head.read();
  }
}
