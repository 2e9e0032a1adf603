// suggestion.ts — the model-independent contract of the editor's inline completions (the Completer type, the
// request, the latency report) and the pure text helpers the ghost-text extension uses: the cache key, the
// shaping of a completer's answer, typing through a suggestion and accepting one word. No CodeMirror here.

import { ALL_MARKERS, cutAtStop } from "../fim/index.ts";

/** "line": complete the rest of the current line; "multiline": a block that may span lines. */
export type CompletionMode = "line" | "multiline";

export interface CompletionRequest {
  /** The whole document before the cursor. */
  prefix: string;
  /** The whole document after the cursor. */
  suffix: string;
  mode: CompletionMode;
  /** A language id of src/lib/fim/languages.ts, e.g. "python"; "text" when unknown. */
  language: string;
}

export interface CompletionResult {
  /** The text to insert at the cursor ("" for no suggestion). */
  text: string;
  /** The completer's own time, when it measures one (e.g. the model's generate time). */
  ms?: number;
  /** Tokens the model generated for it, when the completer knows. */
  tokens?: number;
}

/**
 * What the editor asks for a suggestion. The editor aborts `signal` as soon as the document or the cursor
 * changes; a completer should stop work then (rejecting or resolving is both fine: the answer is not shown).
 */
export type Completer = (req: CompletionRequest, signal: AbortSignal) => Promise<CompletionResult>;

/** One shown suggestion's latency: t0 = end of the debounce (or the cache look-up), t1 = ghost text in the DOM. */
export interface SuggestionLatency {
  /** t1 - t0 in milliseconds. */
  ms: number;
  /** performance.now() at the end of the debounce, just before the completer is called. */
  t0: number;
  /** performance.now() once the ghost text is rendered. */
  t1: number;
  /** Served by the cache, without calling the completer. */
  cached: boolean;
  /** The completer's own `ms`, when it gave one. */
  modelMs?: number;
  /** The completer's `tokens`, when it gave them. */
  tokens?: number;
  mode: CompletionMode;
  /** Length of the suggestion shown (0: the completer had nothing to add). */
  chars: number;
}

/** How much context the cache key holds: contexts that agree this far around the cursor share an answer. */
export interface CacheWindow {
  prefixChars: number;
  suffixChars: number;
}

export const DEFAULT_CACHE_WINDOW: CacheWindow = { prefixChars: 4096, suffixChars: 2048 };

/** The cache key of a request: the prefix's tail, the suffix's head, the mode and the language. */
export function cacheKey(req: CompletionRequest, window: CacheWindow = DEFAULT_CACHE_WINDOW): string {
  const tail = window.prefixChars > 0 ? req.prefix.slice(-window.prefixChars) : "";
  return JSON.stringify([req.mode, req.language, tail, req.suffix.slice(0, window.suffixChars)]);
}

/**
 * A completer's answer as the editor shows it: cut before the first FIM marker or end token of any known format (the
 * last guard: whatever the completer, no marker text becomes code), line breaks normalized to "\n", cut at the first
 * line break in "line" mode, and "" when nothing but whitespace is left (an invisible suggestion would still capture
 * Tab).
 */
export function shapeSuggestion(text: string, mode: CompletionMode): string {
  let out = cutAtStop(text, ALL_MARKERS).text.replace(/\r\n?/g, "\n");
  if (mode === "line") {
    const nl = out.indexOf("\n");
    if (nl >= 0) out = out.slice(0, nl);
  }
  return /^\s*$/.test(out) ? "" : out;
}

/** What is left of a suggestion after the user typed `inserted` at its position; null when it no longer matches. */
export function typeThrough(suggestion: string, inserted: string): string | null {
  if (inserted.length === 0 || !suggestion.startsWith(inserted)) return null;
  const rest = suggestion.slice(inserted.length);
  return rest.length > 0 ? rest : null;
}

const WORD_CHUNK = /^\s*(?:[\p{L}\p{N}_$]+|[^\s\p{L}\p{N}_$]+)?/u;

/**
 * The length of the suggestion's first word, as Ctrl/Cmd+→ accepts it: leading whitespace (line breaks
 * included) plus one run of word characters, or one run of punctuation. At least one character when not empty.
 */
export function nextWordLength(suggestion: string): number {
  const m = WORD_CHUNK.exec(suggestion);
  const n = m ? m[0].length : 0;
  return Math.min(suggestion.length, Math.max(n, 1));
}
