// Healing: the typed text before the cursor on its line moves into the middle, so the model writes the line from its
// start. Inference heals the cursor (completion-plan.ts: the prompt for the line's start, sampling constrained to the
// typed text, train/forced-text.ts); training can heal its samples the same way (healRecord), so every sample teaches
// what the healed prompt asks: a whole line after a cursor at a line's start.

import { ALL_MARKERS, getFormat } from "./formats.ts";
import { renderPrompt } from "./render.ts";
import type { SampleRecord } from "./types.ts";

/** The longest typed text a healed prompt moves back over (a longer line, minified code, is not healed). */
export const HEAL_MAX_CHARS = 160;

/**
 * Where a healed prompt puts the cursor: the start of the cursor's line, when text was typed before the cursor on it,
 * at most HEAL_MAX_CHARS, and it holds no marker string (the prompt escapes markers, so the model could not write it).
 */
export function healPoint(document: string, cursor: number): number {
  const start = document.lastIndexOf("\n", cursor - 1) + 1;
  if (start >= cursor || cursor - start > HEAL_MAX_CHARS) return cursor;
  const typed = document.slice(start, cursor);
  return ALL_MARKERS.some((m) => typed.includes(m)) ? cursor : start;
}

/**
 * A training record as a healed prompt sees it: the typed part of the cursor's line leaves the prefix (and the end of
 * ctx_before) and starts the middle; text is rendered again, its end token kept. Plain records, records whose cursor
 * is at a line's start, and those healPoint leaves alone come back unchanged. The suffix (and ctx_after) stay: a
 * healed prompt's suffix still starts at the real cursor.
 */
export function healRecord(r: SampleRecord): SampleRecord {
  if (r.mode === "plain") return r;
  const at = healPoint(r.prefix, r.prefix.length);
  if (at === r.prefix.length) return r;
  const f = getFormat(r.format);
  const order = r.mode === "spm" ? "spm" : "psm";
  const typed = r.prefix.slice(at);
  const oldPrompt = renderPrompt(f, r, order);
  const end = r.text.slice(oldPrompt.length + r.middle.length); // the end token
  const healed: SampleRecord = { ...r, prefix: r.prefix.slice(0, at), middle: typed + r.middle };
  if (r.ctx_before !== undefined && r.ctx_before.endsWith(typed)) healed.ctx_before = r.ctx_before.slice(0, r.ctx_before.length - typed.length);
  healed.text = renderPrompt(f, healed, order) + healed.middle + end;
  return healed;
}
