// Where a file is cut into prefix / middle / suffix. Two splitters:
//  - cursor: seeds/fim-format-ctx.md — a cursor on a line, weighted toward the line start; the middle is the
//    rest of that line (or the whole next line when the cursor is at its end), always ending in "\n".
//  - span:   seeds/fim-pipeline-summary.md — two split points on line boundaries (the seed), or on any character
//    (Bavarian et al. 2022). Never inside a UTF-16 surrogate pair.
// Pure functions of (text, positions); the random draws take an Rng.

import type { Rng } from "./prng.ts";
import type { SpanUnit } from "./types.ts";

/** The parts of one sample. ctx_before/ctx_after only for the cursor splitter. */
export interface FimParts {
  prefix: string;
  middle: string;
  suffix: string;
  ctx_before?: string;
  ctx_after?: string;
}

/** seeds/fim-format-ctx.md: "~10 lines of local context around the cursor". */
export const CTX_LINES = 10;

/** seeds/fim-format-ctx.md "Cursor Position Weighting": linear decay toward the end of the line. */
export function splitWeight(position: number, length: number): number {
  return 1.0 - (position / (length + 1)) * 0.5;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
/** True when offset i falls between the two halves of a surrogate pair. */
export function splitsSurrogate(s: string, i: number): boolean {
  return i > 0 && i < s.length && isHigh(s.charCodeAt(i - 1)) && isLow(s.charCodeAt(i));
}

/**
 * A file prepared for cursor splitting. With `fromCursor` false (format ctx) a missing final newline is
 * added, so that every line the middle can come from ends in "\n" and prefix + middle + suffix === text.
 */
export interface CursorDoc {
  text: string;
  lines: string[];
  starts: number[];
  /** Lines that hold text: a trailing empty string after a final "\n" is not one. */
  realLines: number;
  fromCursor: boolean;
}

export function cursorDoc(text: string, fromCursor: boolean): CursorDoc {
  if (!fromCursor && !text.endsWith("\n")) text += "\n";
  const lines = text.split("\n");
  const starts: number[] = new Array(lines.length);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    starts[i] = at;
    at += lines[i]!.length + 1;
  }
  const realLines = text.endsWith("\n") ? lines.length - 1 : lines.length;
  return { text, lines, starts, realLines, fromCursor };
}

/**
 * Is (line, col) a cursor that yields a sample? Columns run 0..length; col === length is the end of the line,
 * which predicts the whole next line and so needs one. A column inside a surrogate pair never is.
 */
export function isValidCursor(doc: CursorDoc, line: number, col: number): boolean {
  if (line < 0 || line >= doc.realLines) return false;
  const s = doc.lines[line]!;
  if (col < 0 || col > s.length) return false;
  if (col === s.length) return line + 1 < doc.realLines;
  return !splitsSurrogate(s, col);
}

/** The last CTX_LINES full lines of `s` and its unfinished last line. */
export function contextBefore(s: string): string {
  let pos = s.length;
  for (let k = 0; k <= CTX_LINES; k++) {
    if (pos === 0) return s;
    const j = s.lastIndexOf("\n", pos - 1);
    if (j < 0) return s;
    pos = j;
  }
  return s.slice(pos + 1);
}

/** `s` up to (not including) its m-th "\n": its first m lines without the last newline. */
export function contextAfter(s: string, m: number): string {
  let pos = -1;
  for (let k = 0; k < m; k++) {
    pos = s.indexOf("\n", pos + 1);
    if (pos < 0) return s;
  }
  return s.slice(0, pos);
}

/**
 * The sample for a cursor, or undefined when the cursor yields none (see isValidCursor).
 * fromCursor (ctx-seed): suffix and ctx_after are all text after the cursor, as in the seed's examples; at the
 * end of a line the prefix gains the "\n" while the suffix still starts with it.
 * Otherwise (ctx): suffix and ctx_after start after the middle's "\n"; prefix + middle + suffix === doc.text.
 * incomplete: ctx_after and suffix are empty (seed "Incomplete Suffix Mode").
 */
export function cursorParts(doc: CursorDoc, line: number, col: number, incomplete: boolean): FimParts | undefined {
  if (!isValidCursor(doc, line, col)) return undefined;
  const { text, lines, starts } = doc;
  const eol = col === lines[line]!.length;
  const at = starts[line]! + col;
  const middleLine = eol ? line + 1 : line;
  let parts: FimParts;
  if (doc.fromCursor) {
    const before = text.slice(0, at);
    const after = text.slice(at);
    parts = {
      prefix: eol ? before + "\n" : before,
      middle: (eol ? lines[middleLine]! : lines[line]!.slice(col)) + "\n",
      suffix: after,
      ctx_before: contextBefore(before),
      ctx_after: contextAfter(after, CTX_LINES + 1), // the rest of the cursor's line, then CTX_LINES lines
    };
  } else {
    const cut1 = eol ? at + 1 : at;
    const cut2 = starts[middleLine]! + lines[middleLine]!.length + 1;
    const prefix = text.slice(0, cut1);
    const suffix = text.slice(cut2);
    parts = {
      prefix,
      middle: text.slice(cut1, cut2),
      suffix,
      ctx_before: contextBefore(prefix),
      ctx_after: contextAfter(suffix, CTX_LINES),
    };
  }
  if (incomplete) {
    parts.suffix = "";
    parts.ctx_after = "";
  }
  return parts;
}

/** Lines that have at least one valid cursor, computed once per doc. */
export function cursorLines(doc: CursorDoc): number[] {
  const out: number[] = [];
  for (let l = 0; l < doc.realLines; l++) {
    if (doc.lines[l]!.length > 0 || isValidCursor(doc, l, 0)) out.push(l);
  }
  return out;
}

/** A random cursor: a uniform line among `eligible`, then a column drawn with splitWeight. */
export function sampleCursor(doc: CursorDoc, eligible: readonly number[], rng: Rng): { line: number; col: number } | undefined {
  if (eligible.length === 0) return undefined;
  const line = eligible[rng.int(0, eligible.length - 1)]!;
  const len = doc.lines[line]!.length;
  const weights = new Float64Array(len + 1);
  for (let p = 0; p <= len; p++) weights[p] = isValidCursor(doc, line, p) ? splitWeight(p, len) : 0;
  return { line, col: rng.weighted(weights) };
}

/** Candidate split offsets for span splitting: every line start (seed), or every character boundary. */
function spanBoundaries(text: string, unit: SpanUnit): number[] | undefined {
  if (unit === "chars") return undefined; // all of 0..length, drawn directly
  const b = [0];
  for (let i = text.indexOf("\n"); i >= 0 && i + 1 < text.length; i = text.indexOf("\n", i + 1)) b.push(i + 1);
  b.push(text.length);
  return b;
}

/**
 * Two distinct split points drawn uniformly, prefix = text[0, a), middle = [a, b), suffix = [b, end).
 * Lines: the seed's "prefix lines 0..s1, middle s1..s2, suffix s2..end". Returns undefined when the text has
 * fewer than two distinct boundaries.
 */
export function sampleSpan(text: string, unit: SpanUnit, rng: Rng): FimParts | undefined {
  const bounds = spanBoundaries(text, unit);
  const m = bounds ? bounds.length : text.length + 1;
  if (m < 2) return undefined;
  let a: number;
  let b: number;
  for (let tries = 0; ; tries++) {
    const i = rng.int(0, m - 1);
    let j = rng.int(0, m - 2);
    if (j >= i) j++;
    a = bounds ? bounds[Math.min(i, j)]! : Math.min(i, j);
    b = bounds ? bounds[Math.max(i, j)]! : Math.max(i, j);
    if (!splitsSurrogate(text, a) && !splitsSurrogate(text, b)) break;
    if (tries > 1000) return undefined; // a text made only of surrogate pairs has no other points
  }
  return { prefix: text.slice(0, a), middle: text.slice(a, b), suffix: text.slice(b) };
}
