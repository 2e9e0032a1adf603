// The completion plan: everything a completer needs besides its model — the prompt for the cursor, the strings and
// tokens that end the completion, whether it is one line, and the check that drops a completion that only repeats
// the text after the cursor. A completion ends at any marker of any format of the table. Our engine
// (train/complete.ts), web-llm (webllm/completer.ts) and llama.cpp (node/export eval) all complete from this one plan,
// so they stop in the same places.
// With `heal` the cursor moves to its line's start and the typed text becomes `forced` (heal.ts).

import { ALL_MARKERS, getFormat } from "./formats.ts";
import { typedText } from "./heal.ts";
import { buildPrompt, type BuiltPrompt, type PromptRequest } from "./prompt.ts";

export type CompletionMode = "line" | "multiline";

export interface CompletionPlan extends BuiltPrompt {
  /** One line only: asked for ("line"), or the format's own rule (its lineOnly column). */
  singleLine: boolean;
  /**
   * Cut the completion before the first of these: the format's markers and end token, every other format's markers
   * and end tokens too (a model trained on several formats may answer in another one's), and "\n" for one line.
   */
  stopStrings: string[];
  /** True when the completion so far only repeats the start of the suffix (then it is dropped). */
  repeatsSuffix(text: string): boolean;
  /** Healing: the text typed before the cursor on its line, which the prompt leaves out; "" when not healed. */
  forced: string;
  /** The cursor is at a line's start, nothing typed before it on its line (where the empty-line rule applies). */
  atLineStart: boolean;
}

/**
 * The plan for a cursor in a document; `mode` "line" also ends multi-line formats at the line's end; `heal` moves the
 * cursor to its line's start (see above; only for completers that constrain sampling to `forced`).
 */
export function completionPlan(req: PromptRequest & { mode?: CompletionMode; heal?: boolean }): CompletionPlan {
  const f = getFormat(req.format);
  const forced = req.heal ? typedText(req.document, req.cursor) : "";
  const at = req.cursor - forced.length;
  // the typed text leaves the document: the suffix still starts at the real cursor
  const built = buildPrompt(at === req.cursor ? req : { ...req, document: req.document.slice(0, at) + req.document.slice(req.cursor), cursor: at });
  const singleLine = req.mode === "line" || f.lineOnly;
  const stopStrings = [...new Set([...(singleLine ? ["\n"] : []), ...built.stop, ...ALL_MARKERS])];
  const suffixHead = built.suffix.trimStart();
  return {
    ...built,
    singleLine,
    stopStrings,
    repeatsSuffix: (text) => text.trim().length > 0 && suffixHead.startsWith(text.trimEnd()),
    forced,
    atLineStart: req.cursor === 0 || req.document[req.cursor - 1] === "\n",
  };
}

/** `text` cut before the first stop string, and whether one was found. */
export function cutAtStop(text: string, stops: readonly string[], from = 0): { text: string; stopped: boolean } {
  let cut = -1;
  for (const s of stops) {
    const i = text.indexOf(s, Math.max(0, from - s.length));
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut < 0 ? { text, stopped: false } : { text: text.slice(0, cut), stopped: true };
}
