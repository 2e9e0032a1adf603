// Inference prompts: a document and a cursor → the prompt for any format, within a character or token
// budget. The prefix gets about 3/4 of the budget and the suffix 1/4 (what one side does not need goes to
// the other); both are cut at line boundaries, keeping the lines nearest the cursor. The ctx formats' windows get
// at most half of it, and a single line longer than the budget (minified code) is cut inside, next to the cursor.

import { defaultOrder, getFormat, markersOf, stopStringsOf, type FimFormat } from "./formats.ts";
import { renderPrompt } from "./render.ts";
import { CTX_LINES, contextAfter, contextBefore } from "./split.ts";

export interface PromptBudget {
  /** Maximum size of the whole prompt in `measure` units. */
  max: number;
  /** Size of a text: characters by default, or a tokenizer's token count. */
  measure?: (s: string) => number;
  /**
   * The most characters one unit of `measure` covers (default UNIT_CHARS, 32: code averages 3–4 characters a token).
   * No part is measured beyond max × this many characters nearest the cursor, so a 20 MB line costs no more to
   * measure than a prompt does.
   */
  unitChars?: number;
}

/** Default PromptBudget.unitChars: generous for any tokenizer (long whitespace tokens included). */
export const UNIT_CHARS = 32;

export interface PromptRequest {
  format: string;
  document: string;
  /** Cursor as a UTF-16 offset into document. */
  cursor: number;
  budget?: PromptBudget;
  /** Share of the budget for the prefix (default 0.75, i.e. prefix:suffix = 3:1). */
  prefixShare?: number;
  order?: "psm" | "spm";
}

export interface BuiltPrompt {
  prompt: string;
  prefix: string;
  suffix: string;
  ctx_before?: string;
  ctx_after?: string;
  /** Strings that end the completion. */
  stop: string[];
  /** Whether lines were dropped from the prefix's start or the suffix's end. */
  truncated: { prefix: boolean; suffix: boolean };
  /** Marker strings found in the document and broken up (a U+200B after their first character). */
  escapedMarkers: number;
}

const ZWSP = "\u200b";

/** Breaks every marker string of the format so the tokenizer cannot read it as a special token. */
export function escapeMarkers(text: string, f: FimFormat): { text: string; count: number } {
  let count = 0;
  for (const m of markersOf(f)) {
    if (!text.includes(m)) continue;
    const parts = text.split(m);
    count += parts.length - 1;
    text = parts.join(m.slice(0, 1) + ZWSP + m.slice(1));
  }
  return { text, count };
}

/** Keeps the end of `s` within `max`: whole lines from the end, the unfinished last line always (cut if it must be). */
export function keepTail(s: string, max: number, measure: (s: string) => number): string {
  if (measure(s) <= max) return s;
  let start = s.lastIndexOf("\n") + 1; // the cursor's own line
  if (measure(s.slice(start)) > max) return sliceTailChars(s.slice(start), max, measure);
  let used = measure(s.slice(start));
  while (start > 0) {
    // the line before [.., start): from after the "\n" before its own "\n" at start - 1 (from 0 when there is none;
    // lastIndexOf with a negative position would find a "\n" at 0 again and never move)
    const prev = start >= 2 ? s.lastIndexOf("\n", start - 2) + 1 : 0;
    const cost = measure(s.slice(prev, start));
    if (used + cost > max) break;
    used += cost;
    start = prev;
  }
  return s.slice(start);
}

/** Keeps the start of `s` within `max`, in whole lines (each with its "\n"). */
export function keepHead(s: string, max: number, measure: (s: string) => number): string {
  if (measure(s) <= max) return s;
  let end = 0;
  let used = 0;
  while (end < s.length) {
    const nl = s.indexOf("\n", end);
    const next = nl < 0 ? s.length : nl + 1;
    const cost = measure(s.slice(end, next));
    if (used + cost > max) break;
    used += cost;
    end = next;
  }
  return s.slice(0, end);
}

function sliceTailChars(s: string, max: number, measure: (s: string) => number): string {
  // The smallest start whose tail fits. Tails grow geometrically first, then a binary search between the last that
  // fit and the first that did not: the cost follows the length of the answer, not of `s` (a 100k-character line
  // measured by a tokenizer).
  let hi = s.length; // a start whose tail fits (the empty tail)
  let lo = 0;
  for (let len = Math.max(1, max); ; len *= 2) {
    const start = Math.max(0, s.length - len);
    if (measure(s.slice(start)) > max) {
      lo = start + 1;
      break;
    }
    hi = start;
    if (start === 0) return s;
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (measure(s.slice(mid)) <= max) hi = mid;
    else lo = mid + 1;
  }
  return s.slice(lo);
}

/**
 * Cuts prefix and suffix to fit `room` together: the prefix gets `share` of it (default 3/4), what one side does
 * not need goes to the other, and both keep the lines nearest the cursor.
 */
export function fitParts(
  prefix: string, suffix: string, room: number, measure: (s: string) => number, share = 0.75,
): { prefix: string; suffix: string } {
  room = Math.max(0, room);
  const pNeed = measure(prefix);
  const sNeed = measure(suffix);
  if (pNeed + sNeed <= room) return { prefix, suffix };
  let pMax = Math.floor(room * share);
  let sMax = room - pMax;
  if (pNeed < pMax) sMax += pMax - pNeed;
  else if (sNeed < sMax) pMax += sMax - sNeed;
  return { prefix: keepTail(prefix, pMax, measure), suffix: keepHead(suffix, sMax, measure) };
}

/** The parts of a prompt: prefix and suffix, and for the ctx formats the windows around the cursor. */
export interface PromptParts {
  prefix: string;
  suffix: string;
  ctx_before?: string;
  ctx_after?: string;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/** The last `n` characters of `s` (one fewer rather than half a surrogate pair). */
export function tailChars(s: string, n: number): string {
  if (s.length <= n) return s;
  const t = s.slice(s.length - n);
  return t.length > 0 && isLowSurrogate(t.charCodeAt(0)) ? t.slice(1) : t;
}

/** The first `n` characters of `s` (one fewer rather than half a surrogate pair). */
export function headChars(s: string, n: number): string {
  if (s.length <= n) return s;
  const t = s.slice(0, n);
  return t.length > 0 && isHighSurrogate(t.charCodeAt(t.length - 1)) ? t.slice(0, -1) : t;
}

/** Each part cut by characters to `cap`, keeping the text nearest the cursor (ends of prefix and ctx_before). */
export function capParts<P extends PromptParts>(parts: P, cap: number): P {
  const out: P = { ...parts, prefix: tailChars(parts.prefix, cap), suffix: headChars(parts.suffix, cap) };
  if (parts.ctx_before !== undefined) out.ctx_before = tailChars(parts.ctx_before, cap);
  if (parts.ctx_after !== undefined) out.ctx_after = headChars(parts.ctx_after, cap);
  return out;
}

/**
 * `s` cut by characters, keeping its end (`keepEnd`) or its start, to the first of 4·max, 8·max, ... characters that
 * alone measures more than `max`, and to at most `limit` characters: what fitting to `max` would keep is within it
 * (measure grows with the text), and the measuring after it costs what the budget does, not what `s` does.
 */
function capMeasured(s: string, max: number, measure: (s: string) => number, limit: number, keepEnd: boolean): string {
  const cut = (n: number) => (keepEnd ? tailChars(s, n) : headChars(s, n));
  for (let n = Math.max(4 * max, 64); ; n *= 2) {
    if (n >= limit) return cut(limit);
    if (n >= s.length) return s;
    const t = cut(n);
    if (measure(t) > max) return t;
  }
}

/**
 * Fits a prompt's parts to `max` (in `measure` units), as every prompt is fitted, in training and at inference:
 * first each part is cut by characters near the cursor (capMeasured: to what already overflows `max`, at most
 * max × unitChars); then the ctx windows, if they take more than half of `max`, are cut to that half (the lines
 * nearest the cursor stay, the cursor's own line cut inside when it alone is too long); then prefix and suffix share
 * the rest (fitParts). A window or prefix of one very long line fits too.
 */
export function fitPromptParts<P extends PromptParts>(
  f: FimFormat, parts: P, order: "psm" | "spm", max: number, measure: (s: string) => number,
  opts: { share?: number; unitChars?: number } = {},
): P {
  max = Math.max(0, max);
  const limit = max * (opts.unitChars ?? UNIT_CHARS);
  const out: P = {
    ...parts,
    prefix: capMeasured(parts.prefix, max, measure, limit, true),
    suffix: capMeasured(parts.suffix, max, measure, limit, false),
  };
  if (parts.ctx_before !== undefined) out.ctx_before = capMeasured(parts.ctx_before, max, measure, limit, true);
  if (parts.ctx_after !== undefined) out.ctx_after = capMeasured(parts.ctx_after, max, measure, limit, false);
  // What is not prefix or suffix: the markers and the ctx windows.
  const overheadOf = () => measure(renderPrompt(f, { ...out, prefix: "", suffix: "" }, order));
  let overhead = overheadOf();
  const half = Math.floor(max / 2);
  if (overhead > half && (out.ctx_before || out.ctx_after)) {
    const markers = measure(renderPrompt(f, { ...out, prefix: "", suffix: "", ctx_before: "", ctx_after: "" }, order));
    const w = fitParts(out.ctx_before ?? "", out.ctx_after ?? "", half - markers, measure);
    if (out.ctx_before !== undefined) out.ctx_before = w.prefix;
    if (out.ctx_after !== undefined) out.ctx_after = w.suffix;
    overhead = overheadOf();
  }
  return Object.assign(out, fitParts(out.prefix, out.suffix, max - overhead, measure, opts.share));
}

/** Prefix and suffix for a cursor, as the format was trained: ctx drops the rest of the cursor's line from the suffix. */
function splitAtCursor(f: FimFormat, doc: string, cursor: number): { prefix: string; suffix: string } {
  const prefix = doc.slice(0, cursor);
  if (f.family === "cursor" && !f.suffixFromCursor) {
    // As in training (split.ts cursorDoc): the file ends with "\n", the suffix starts after the cursor's line.
    const nl = doc.indexOf("\n", cursor);
    const suffix = nl < 0 ? "" : doc.slice(nl + 1);
    return { prefix, suffix: suffix && !suffix.endsWith("\n") ? suffix + "\n" : suffix };
  }
  return { prefix, suffix: doc.slice(cursor) };
}

export function buildPrompt(req: PromptRequest): BuiltPrompt {
  const f = getFormat(req.format);
  if (req.cursor < 0 || req.cursor > req.document.length) {
    throw new RangeError(`cursor ${req.cursor} is outside the document (length ${req.document.length})`);
  }
  const order = req.order ?? defaultOrder(f);
  const raw = splitAtCursor(f, req.document, req.cursor);
  const p = escapeMarkers(raw.prefix, f);
  const s = escapeMarkers(raw.suffix, f);
  // The ctx windows are always taken from the untruncated text.
  let parts: PromptParts =
    f.family === "cursor"
      ? { prefix: p.text, suffix: s.text, ctx_before: contextBefore(p.text), ctx_after: contextAfter(s.text, f.suffixFromCursor ? CTX_LINES + 1 : CTX_LINES) }
      : { prefix: p.text, suffix: s.text };
  if (req.budget) {
    const measure = req.budget.measure ?? ((x: string) => x.length);
    parts = fitPromptParts(f, parts, order, req.budget.max, measure, { share: req.prefixShare, unitChars: req.budget.unitChars });
  }
  const { prefix, suffix } = parts;
  const windows = f.family === "cursor" ? { ctx_before: parts.ctx_before, ctx_after: parts.ctx_after } : {};
  return {
    prompt: renderPrompt(f, parts, order),
    prefix,
    suffix,
    ...windows,
    stop: f.lineOnly ? ["\n", ...stopStringsOf(f)] : stopStringsOf(f),
    truncated: { prefix: prefix.length < p.text.length, suffix: suffix.length < s.text.length },
    escapedMarkers: p.count + s.count,
  };
}
