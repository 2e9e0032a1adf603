// Scoring a one-line completion against an empty line: greedy decoding picks the likeliest token at each step, not the
// likeliest line, so a blank line (one likely token, "\n") loses to a line of many tokens each a little likelier than
// the rest. In line mode, for a cursor at a line's start, our completers compare the two: the greedy line's probability
// (its tokens', and its ending's) against the probability of ending at once, and show nothing when the empty line is
// likelier. (After typed text the rest of a line is never empty in training: the middle there is the rest of the line.)

/** log Σ exp(logits[i]) over the first n entries. */
export function logSumExp(logits: ArrayLike<number>, n = logits.length): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

/** Whether a token ends the line where it starts: an end token, or a piece that begins with "\n". */
export function endsLine(piece: string, id: number, ends: ReadonlySet<number>): boolean {
  return ends.has(id) || piece.startsWith("\n");
}

/** log P(the line ends here): the probability of every token that ends it, from one step's logits. */
export function logEndMass(logits: ArrayLike<number>, pieces: readonly string[], ends: ReadonlySet<number>, n = logits.length): number {
  const z = logSumExp(logits, n);
  let sum = 0;
  for (let id = 0; id < n; id++) if (endsLine(pieces[id] ?? "", id, ends)) sum += Math.exp(logits[id]! - z);
  return Math.log(sum);
}

/** log P(id) from one step's logits. */
export function logProb(logits: ArrayLike<number>, id: number, n = logits.length): number {
  return logits[id]! - logSumExp(logits, n);
}
