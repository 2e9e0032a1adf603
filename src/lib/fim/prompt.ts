// Inference prompts: a document and a cursor → the prompt for any format, within a character or token
// budget. The prefix gets about 3/4 of the budget and the suffix 1/4 (what one side does not need goes to
// the other); both are cut at line boundaries, keeping the lines nearest the cursor.

import { defaultOrder, getFormat, markersOf, stopStringsOf, type FimFormat } from "./formats.ts";
import { renderPrompt } from "./render.ts";
import { CTX_LINES, contextAfter, contextBefore } from "./split.ts";

export interface PromptBudget {
  /** Maximum size of the whole prompt in `measure` units. */
  max: number;
  /** Size of a text: characters by default, or a tokenizer's token count. */
  measure?: (s: string) => number;
}

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
    const prev = s.lastIndexOf("\n", start - 2) + 1;
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
  let lo = 0;
  let hi = s.length; // smallest start whose tail fits
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
  let prefix = p.text;
  let suffix = s.text;
  const windows =
    f.family === "cursor"
      ? { ctx_before: contextBefore(prefix), ctx_after: contextAfter(suffix, f.suffixFromCursor ? CTX_LINES + 1 : CTX_LINES) }
      : {};
  if (req.budget) {
    const measure = req.budget.measure ?? ((x: string) => x.length);
    // What is not prefix or suffix: the markers and the ctx windows (always from the untruncated text).
    const overhead = measure(renderPrompt(f, { prefix: "", suffix: "", ...windows }, order));
    ({ prefix, suffix } = fitParts(prefix, suffix, req.budget.max - overhead, measure, req.prefixShare));
  }
  return {
    prompt: renderPrompt(f, { prefix, suffix, ...windows }, order),
    prefix,
    suffix,
    ...windows,
    stop: f.family === "cursor" ? ["\n", ...stopStringsOf(f)] : stopStringsOf(f),
    truncated: { prefix: prefix.length < p.text.length, suffix: suffix.length < s.text.length },
    escapedMarkers: p.count + s.count,
  };
}
