// Code completion: cursor text → FIM prompt (src/lib/fim) → tokens → generated text, streamed as pieces.
// Stops on any FIM marker of any format (as a token or spelled as text), the model's end tokens, "\n" in single-line
// mode, or a token limit; a suggestion that only repeats the text after the cursor is dropped. A request can be
// cancelled between tokens (an AbortSignal), and `onToken` sees each token as it is sampled (counting, or yielding to
// a worker's event loop so the cancel message gets through). A cursor after typed text is healed (completion-plan.ts):
// the model writes the line from its start, sampling only tokens that agree with the typed text until it is spelled
// out (forced-text.ts), and what it wrote after that is the completion.

import { completionPlan, cutAtStop, FORMAT_NAMES, getFormat, markersOf, typedText } from "../fim/index.ts";
import { Rng } from "../fim/prng.ts";
import type { ModelTokenizer } from "../model/tokenizer.ts";
import type { Decoder } from "./causal-lm.ts";
import { allowedIds, consume, maskLogits, tokenPieces } from "./forced-text.ts";
import { endsLine, logEndMass, logProb } from "./line-score.ts";
import { sampleToken } from "./sampling.ts";

export interface CompletionRequest {
  prefix: string;
  suffix: string;
  format: string;
  /** "line" stops at the first newline (always so for the ctx formats); "multiline" runs to an end token. */
  mode?: "line" | "multiline";
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Heal the cursor (completion-plan.ts): write its line from the start, agreeing with the typed text (default true). */
  heal?: boolean;
  /** Greedy line mode at a line's start: show nothing when an empty line is likelier than the line (default true). */
  preferEmpty?: boolean;
  /** Prompt budget in tokens (default: the generator's context minus maxTokens). */
  promptTokens?: number;
  /** Checked before each token: once aborted, generation ends with "cancelled" (text held back is dropped). */
  signal?: AbortSignal;
  /** Called with each sampled token id (end tokens too), and awaited before the next forward pass. */
  onToken?: (id: number) => void | Promise<void>;
}

export interface CompletionModel<T, I> {
  tokenizer: ModelTokenizer;
  generator: Decoder<T, I>;
  /** End-of-sequence ids of the model (tokenizer_config + generation_config). */
  eosIds: readonly number[];
}

/** Why generation ended, set on the iterator's return value. */
export type StopReason = "stop-token" | "stop-string" | "max-tokens" | "repeats-suffix" | "empty-line" | "context-full" | "cancelled";

/** Length of the longest suffix of `text` that is a proper prefix of some stop string (held back while streaming). */
function partialStop(text: string, stops: readonly string[]): number {
  let keep = 0;
  for (const s of stops) for (let k = Math.min(s.length - 1, text.length); k > keep; k--) if (text.endsWith(s.slice(0, k))) keep = k;
  return keep;
}

export async function* complete<T, I>(m: CompletionModel<T, I>, req: CompletionRequest): AsyncGenerator<string, StopReason> {
  const f = getFormat(req.format);
  const maxTokens = req.maxTokens ?? 64;
  const tk = m.tokenizer;
  const document = req.prefix + req.suffix;
  const heal = req.heal ?? true;
  // the typed text the model spells again takes room of its own, besides the prompt and maxTokens
  const forcedTokens = heal ? tk.encode(typedText(document, req.prefix.length), { addSpecialTokens: false }).length : 0;
  const budget = (req.promptTokens ?? m.generator.maxContext - maxTokens) - forcedTokens;
  const plan = completionPlan({
    format: f.name, document, cursor: req.prefix.length, mode: req.mode, heal,
    budget: { max: budget, measure: (s) => tk.encode(s, { addSpecialTokens: false }).length },
  });
  const { repeatsSuffix, forced } = plan;
  // One list ends the completion, as ids and as text: the plan's stop strings (every marker of every format) and the
  // model's end tokens. A marker can come out as its own token or spelled in ordinary tokens; both stop here.
  const stopStrings = [...new Set([...plan.stopStrings, ...m.eosIds.map((id) => tk.decode([id])).filter((s) => s.length > 0)])];
  const stopIds = new Set([...m.eosIds, ...stopStrings.map((s) => tk.singleTokenId(s)).filter((x): x is number => x !== undefined)]);
  const rng = new Rng(req.seed ?? 0);
  const sampling = { temperature: req.temperature ?? 0, topP: req.topP ?? 1 };

  if (req.signal?.aborted) return "cancelled";
  let logits = await m.generator.prompt(tk.encode(plan.prompt));
  const out: number[] = [];
  let emitted = 0; // characters of `text` already yielded
  let text = "";
  let reason: StopReason = "max-tokens";
  let rest = forced; // typed text the model has still to spell out
  // one greedy line at a line's start: shown only if likelier than an empty line (line-score.ts), so it is
  // held back until it ends, and dropped as soon as it falls below the empty line
  const scoreLine = plan.singleLine && sampling.temperature <= 0 && plan.atLineStart && (req.preferEmpty ?? true);
  const pieces = forced || scoreLine ? tokenPieces(tk) : [];
  const logEmpty = scoreLine ? logEndMass(logits, pieces, stopIds, tk.vocabSize) : -Infinity;
  let logLine = 0;
  for (let step = 0; step < maxTokens + forcedTokens; step++) {
    if (req.signal?.aborted) return "cancelled";
    let scores: ArrayLike<number> = logits;
    if (rest) {
      const allowed = allowedIds(pieces, rest);
      if (allowed.length === 0) {
        // no token spells the next characters (bytes of a rare character): the rest of the typed text as prompt
        const ids = tk.encode(rest, { addSpecialTokens: false });
        out.push(...ids);
        rest = "";
        logits = await m.generator.append(ids);
        continue;
      }
      scores = maskLogits(logits, allowed, tk.vocabSize);
    }
    const id = sampleToken(scores, sampling, rng, tk.vocabSize);
    await req.onToken?.(id);
    if (req.signal?.aborted) return "cancelled";
    if (scoreLine) {
      const ends = endsLine(pieces[id]!, id, stopIds);
      logLine += ends ? logEndMass(logits, pieces, stopIds, tk.vocabSize) : logProb(logits, id, tk.vocabSize);
      if (logLine < logEmpty) return "empty-line";
    }
    if (stopIds.has(id)) {
      reason = "stop-token";
      break;
    }
    out.push(id);
    if (rest) {
      rest = consume(rest, pieces[id]!);
      if (rest && m.generator.length < m.generator.maxContext) {
        logits = await m.generator.append([id]);
        continue;
      }
    }
    const all = tk.decode(out);
    text = all.startsWith(forced) ? all.slice(forced.length) : ""; // "" only when the context filled while spelling
    const cut = cutAtStop(text, stopStrings, emitted);
    if (cut.stopped) {
      text = cut.text;
      reason = "stop-string";
      break;
    }
    // hold back a trailing partial character (U+FFFD from a split UTF-8 sequence), a partial stop string before it
    // (a marker ending in a multi-byte character, "«CTX»", arrives as "«CTX" + U+FFFD first), and anything that so
    // far only repeats the suffix
    let whole = text.length;
    while (whole > emitted && text[whole - 1] === "\uFFFD") whole--;
    const safe = whole - partialStop(text.slice(0, whole), stopStrings);
    if (!scoreLine && !repeatsSuffix(text.slice(0, safe)) && safe > emitted) {
      yield text.slice(emitted, safe);
      emitted = safe;
    }
    if (m.generator.length >= m.generator.maxContext) {
      reason = "context-full";
      break;
    }
    logits = await m.generator.append([id]);
  }
  if (repeatsSuffix(text)) return "repeats-suffix";
  if (text.length > emitted) yield text.slice(emitted);
  return reason;
}

/** A FIM format this tokenizer knows: each of its markers and its end token is one token (ids by marker). */
export interface NativeFormat {
  format: string;
  tokens: Record<string, number>;
}

/**
 * The span formats whose markers are all single tokens of `tk` (the formats the model was likely trained with), the
 * one with the most of its tokens present first: Qwen's tokenizer gives qwen (markers + repo/file tokens), then psm.
 */
export function nativeFormats(tk: ModelTokenizer): NativeFormat[] {
  const out: NativeFormat[] = [];
  for (const name of FORMAT_NAMES) {
    const f = getFormat(name);
    if (f.family !== "span") continue;
    const needed = markersOf({ ...f, specials: [] });
    if (!needed.every((m) => tk.singleTokenId(m) !== undefined)) continue;
    const tokens: Record<string, number> = {};
    for (const m of markersOf(f)) {
      const id = tk.singleTokenId(m);
      if (id !== undefined) tokens[m] = id;
    }
    out.push({ format: name, tokens });
  }
  return out.sort((a, b) => Object.keys(b.tokens).length - Object.keys(a.tokens).length);
}
