// Healing: a cursor after text typed on its line is completed from the line's start. The prompt is the one for a
// cursor there (completion-plan.ts), and the completer samples only tokens that agree with the typed text until it is
// spelled out (train/forced-text.ts), then returns what follows it. The model writes the line as it most often did in
// training, with the token boundaries it would choose itself ("return" rather than a typed "ret" + "urn").

import { ALL_MARKERS } from "./formats.ts";

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

/** The text a healed prompt moves back over: from healPoint to the cursor ("" when nothing is healed). */
export function typedText(document: string, cursor: number): string {
  return document.slice(healPoint(document, cursor), cursor);
}
