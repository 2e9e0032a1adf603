// Constrained sampling for healed prompts (fim/completion-plan.ts): until the completion has spelled out the text
// typed before the cursor (`forced`), only tokens whose text agrees with what is left of it can be sampled, so the
// model picks its own token boundaries across the cursor ("return" for a typed "ret"), and cannot end before it. Our
// engine (complete.ts) samples by these rules, and so does the llama.cpp completer (node/export eval), from llama.cpp's
// next-token distribution.

/** Logit given to a token that cannot be sampled (finite: the sampler refuses NaN and Inf). */
export const NEVER = -1e30;

/** What `tokenPieces` needs of a tokenizer. */
export interface PieceSource {
  vocabSize: number;
  decode(ids: readonly number[]): string;
}

const cache = new WeakMap<object, readonly string[]>();

/** The text of each token id decoded alone (computed once per tokenizer object). */
export function tokenPieces(tk: PieceSource): readonly string[] {
  let pieces = cache.get(tk);
  if (!pieces) {
    pieces = Array.from({ length: tk.vocabSize }, (_, id) => tk.decode([id]));
    cache.set(tk, pieces);
  }
  return pieces;
}

/**
 * Whether a token's text agrees with `rest`, the forced text still to spell: it is a start of `rest`, or `rest` is a
 * start of it. A piece holding U+FFFD (part of a multi-byte character) never agrees.
 */
export function agrees(piece: string, rest: string): boolean {
  return piece.length > 0 && !piece.includes("\uFFFD") && (rest.startsWith(piece) || piece.startsWith(rest));
}

/** The forced text left after a sampled token's text ("" once spelled out, or when the token went past it). */
export function consume(rest: string, piece: string): string {
  return rest.startsWith(piece) ? rest.slice(piece.length) : "";
}

/**
 * The ids that may be sampled while `rest` is left: those whose piece agrees (no end token: the typed text is there,
 * so the completion goes on at least to its end). Empty when no piece agrees (a character the vocabulary only spells
 * in byte pieces): the caller then feeds the rest of the forced text as prompt.
 */
export function allowedIds(pieces: readonly string[], rest: string): number[] {
  const ids: number[] = [];
  for (let id = 0; id < pieces.length; id++) if (agrees(pieces[id]!, rest)) ids.push(id);
  return ids;
}

/** `logits` with every id outside `allowed` set to NEVER (a copy; the first `n` entries are the vocabulary). */
export function maskLogits(logits: ArrayLike<number>, allowed: readonly number[], n = logits.length): Float32Array {
  const out = new Float32Array(n).fill(NEVER);
  for (const id of allowed) if (id < n) out[id] = logits[id]!;
  return out;
}
