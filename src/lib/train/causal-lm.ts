// What the trainer, the LoRA code, the decoders and the engine need of a model, whatever its architecture: the
// transformer (model.ts) and Mamba (mamba.ts) both implement CausalLM, so there is one training loop, one adapter
// format and one completion path for both.

import type { Backend } from "./backend.ts";
import type { Linear } from "./linear.ts";

/** Buffers for one (B, T) training shape. The trainer writes ids, targets (-1 = no loss) and positions. */
export interface TrainWorkspace<T, I> {
  readonly B: number;
  readonly T: number;
  readonly N: number; // B * T
  readonly ids: I;
  readonly targets: I;
  readonly pos: I;
  readonly losses: T; // (N) after forward
}

/** The blocks' linear modules by checkpoint name (q_proj, in_proj, ...): what LoRA adapts. */
export interface LinearBlocks<T> {
  readonly blocks: readonly { readonly lin: Readonly<Record<string, Linear<T>>> }[];
}

/** Incremental decoding of one sequence: a KV cache (transformer) or a recurrent state (Mamba). */
export interface Decoder<T, I> {
  readonly be: Backend<T, I>;
  readonly maxContext: number;
  /** Tokens the decoder has run since the last reset. */
  readonly length: number;
  /** Tokens the last prompt() ran; the others were reused (a KV cache, a saved recurrent state). */
  readonly lastRun: number;
  reset(): void;
  /** Makes the decoder hold exactly `ids`, reusing what it can of the previous prompt; logits after the last id. */
  prompt(ids: readonly number[]): Promise<Float32Array>;
  /** Runs `ids` after what it holds; logits after the last id. */
  append(ids: readonly number[]): Promise<Float32Array>;
}

/**
 * How many leading tokens of a new prompt a decoder holding `held` can keep: the shared prefix, less the last token of
 * `ids` if it is all shared (at least one token must run to produce logits).
 */
export function reusablePrefix(held: readonly number[], ids: readonly number[]): number {
  let keep = 0;
  while (keep < held.length && keep < ids.length && held[keep] === ids[keep]) keep++;
  return Math.min(keep, ids.length - 1);
}

export interface CausalLM<T, I> {
  readonly be: Backend<T, I>;
  readonly family: "llama" | "mamba";
  readonly V: number;
  readonly w: LinearBlocks<T>;
  /** Linear module names of a block, in checkpoint order: the LoRA targets "all-linear" means. */
  readonly linearNames: readonly string[];
  workspace(B: number, T: number, recompute: boolean): TrainWorkspace<T, I>;
  /** Fills ws.losses from ws.ids / ws.targets / ws.pos. */
  forward(ws: TrainWorkspace<T, I>): void;
  /** Accumulates d(dloss * sum(losses)) into every trainable gradient. Call after forward(ws). */
  backward(ws: TrainWorkspace<T, I>, dloss: number): void;
  decoder(maxContext: number): Decoder<T, I>;
}

/** Inference scratch shared by the decoders: the logits (V) of a sequence's last row, through the final norm and lm_head. */
export class LastRowLogits<T, I> {
  readonly logits: T; // (V)
  private readonly row: T; // (C)
  private readonly rowNorm: T; // (C)
  private readonly rstd: T; // (1)

  constructor(
    readonly be: Backend<T, I>,
    readonly C: number,
    readonly V: number,
  ) {
    this.logits = be.alloc(V, "logits");
    this.row = be.alloc(C);
    this.rowNorm = be.alloc(C);
    this.rstd = be.alloc(1);
  }

  // x (T,C) -> logits (V) of row T-1 = lmHead @ rmsnorm(x[T-1], lnf)
  run(x: T, T: number, lnf: T, lmHead: T, eps: number): void {
    const { be, C, V } = this;
    be.copy(this.row, x, C, 0, (T - 1) * C);
    be.rmsnormForward(this.rowNorm, this.rstd, this.row, lnf, 1, C, eps);
    be.logits(this.logits, this.rowNorm, lmHead, 1, C, V);
  }

  read(): Promise<Float32Array> {
    return this.be.read(this.logits, this.V);
  }
}
