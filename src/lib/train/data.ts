// Training data: JSONL sample records (src/lib/fim) → token sequences with a loss mask. The prompt (everything
// before the middle) and the target (middle + end token) are tokenized apart, exactly as inference will see them:
// the prompt is encoded alone and the model continues it. Loss is on the target tokens by default, or on every
// token (plain samples are always all-target).

import { capParts, fitPromptParts, getFormat, headChars, renderPrompt, type SampleRecord, UNIT_CHARS } from "../fim/index.ts";
import type { ModelTokenizer } from "../model/tokenizer.ts";

export interface TokenizedSample {
  ids: Int32Array;
  /** targets[t] = ids[t+1] where that token carries loss, else -1. */
  targets: Int32Array;
  /** Tokens that carry loss. */
  lossTokens: number;
}

export class DataError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "DataError";
  }
}

const REQUIRED = ["text", "prefix", "middle", "suffix", "format", "mode"] as const;

/**
 * Parses JSONL text into records, naming the file and line of the first bad one. Blank lines are skipped.
 * `text: false` skips the check that `text` agrees with the parts, for readers that never use `text` (evaluation
 * completes from prefix and suffix and scores against middle, so hand-edited references are fine there).
 */
export function parseJsonl(text: string, file: string, o: { text?: boolean } = {}): SampleRecord[] {
  const out: SampleRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch (e) {
      throw new DataError(file, i + 1, `not valid JSON (${(e as Error).message})`);
    }
    if (typeof r !== "object" || r === null) throw new DataError(file, i + 1, "not a JSON object");
    for (const k of REQUIRED) {
      if (typeof (r as Record<string, unknown>)[k] !== "string") {
        throw new DataError(file, i + 1, `field "${k}" is missing or not a string (records come from \`fim samples\`)`);
      }
    }
    const rec = r as SampleRecord;
    const problem = recordProblem(rec, o.text !== false);
    if (problem) throw new DataError(file, i + 1, problem);
    out.push(rec);
  }
  if (out.length === 0) throw new DataError(file, 1, "no records");
  return out;
}

const MODES = ["normal", "incomplete", "psm", "spm", "plain"];

/**
 * What is wrong with a record whose fields are all strings, or undefined: an unknown format or mode, or a `text`
 * that is not its parts rendered in its format (the prompt, then the middle, then the end token). Training reads
 * `text` for the target and the parts for the prompt, so the two must agree. O(record size).
 */
function recordProblem(r: SampleRecord, checkText: boolean): string | undefined {
  let f;
  try {
    f = getFormat(r.format);
  } catch (e) {
    return (e as Error).message;
  }
  if (!MODES.includes(r.mode)) return `mode ${JSON.stringify(r.mode)} is not one of ${MODES.join(", ")}`;
  if (f.family === "cursor" && r.mode !== "normal" && r.mode !== "incomplete") {
    return `mode "${r.mode}" is not a mode of format "${f.name}" (normal or incomplete)`;
  }
  if (f.family === "span" && (r.mode === "normal" || r.mode === "incomplete")) {
    return `mode "${r.mode}" is not a mode of format "${f.name}" (psm, spm or plain)`;
  }
  for (const k of ["ctx_before", "ctx_after"] as const) {
    if (r[k] !== undefined && typeof r[k] !== "string") return `field "${k}" is not a string`;
  }
  if (!checkText) return undefined;
  const disagree = (what: string) =>
    `"text" and the parts disagree: ${what} (edit records through \`fim samples\`, or change text and parts together)`;
  if (r.mode === "plain") return r.text.startsWith(r.middle) ? undefined : disagree('a plain record\'s text must start with its "middle"');
  let prompt: string;
  try {
    prompt = renderPrompt(f, r, r.mode === "spm" ? "spm" : "psm");
  } catch (e) {
    return (e as Error).message;
  }
  if (!r.text.startsWith(prompt)) {
    return disagree(`"text" does not start with the ${f.name} prompt built from prefix, suffix${f.family === "cursor" ? ", ctx_before and ctx_after" : ""}`);
  }
  if (!r.text.startsWith(r.middle, prompt.length)) return disagree('"middle" does not follow the prompt in "text"');
  return undefined;
}

export interface TokenizeOptions {
  /** Longest sequence (prompt + target) in tokens; longer prompts lose lines far from the cursor. */
  contextLength: number;
  /** "middle": loss on middle + end token (default); "all": on every token. */
  lossOn: "middle" | "all";
}

/**
 * A record cut to fit the context, as text and as its encodings: the prompt (everything before the middle, its far
 * lines dropped about 3:1 as the inference prompt builder drops them) and the target (middle + end token). `encode`
 * is the model's tokenizer, or any stand-in that returns one entry per token (the training kit's estimate when no
 * tokenizer is at hand); `reserved` tokens (a BOS) come before the prompt. Undefined when even the target alone does
 * not fit. A plain record's prompt is empty and its target the head of its text (the caller cuts it to the context).
 */
export function fitSample<E extends { length: number }>(
  r: SampleRecord, contextLength: number, encode: (s: string) => E, reserved = 0,
): { prompt: string; target: string; promptIds: E; targetIds: E } | undefined {
  if (r.mode === "plain") {
    const target = headChars(r.text, contextLength * UNIT_CHARS); // cut to the context by the caller; the rest is never read
    return { prompt: "", target, promptIds: encode(""), targetIds: encode(target) };
  }
  const f = getFormat(r.format);
  const order = r.mode === "spm" ? "spm" : "psm";
  const full = { prefix: r.prefix, suffix: r.suffix, ctx_before: r.ctx_before, ctx_after: r.ctx_after };
  const fullPrompt = renderPrompt(f, full, order);
  if (!r.text.startsWith(fullPrompt)) throw new Error(`record for ${r.path}: text does not start with its own prompt`);
  const promptLength = fullPrompt.length;
  // Work stays bounded however long the record: a target of more characters than maxChars cannot fit (no token
  // covers UNIT_CHARS characters), and each part is cut to maxChars characters nearest the middle before any
  // tokenizing (a 50 MB prefix costs what a full context does).
  const maxChars = contextLength * UNIT_CHARS;
  if (r.text.length - promptLength > maxChars) return undefined;
  const target = r.text.slice(promptLength);
  const targetIds = encode(target);
  const room = contextLength - reserved - targetIds.length;
  if (room <= 0) return undefined;
  let parts = capParts(full, maxChars);
  let prompt = renderPrompt(f, parts, order);
  let promptIds = encode(prompt);
  if (promptIds.length > room) {
    // the far lines of prefix and suffix go, about 3:1, as the inference prompt builder cuts them
    parts = fitPromptParts(f, parts, order, room, (s) => encode(s).length);
    prompt = renderPrompt(f, parts, order);
    promptIds = encode(prompt);
    if (promptIds.length > room) return undefined; // token merges across the cut: rare, skip the sample
  }
  return { prompt, target, promptIds, targetIds };
}

/** One record → ids and targets. Returns undefined when even the target alone does not fit. */
export function tokenizeSample(r: SampleRecord, tk: ModelTokenizer, o: TokenizeOptions): TokenizedSample | undefined {
  const bos = tk.encode("", { addSpecialTokens: true }); // [bos] for Llama, [] for Qwen
  const fit = fitSample(r, o.contextLength, (s) => tk.encode(s, { addSpecialTokens: false }), bos.length);
  if (!fit) return undefined;
  const { promptIds, targetIds } = fit;
  const ids = [...bos, ...promptIds, ...targetIds].slice(0, o.contextLength);
  const firstTarget = o.lossOn === "all" || r.mode === "plain" ? 1 : bos.length + promptIds.length;
  const targets = new Int32Array(ids.length).fill(-1);
  let lossTokens = 0;
  for (let t = Math.max(0, firstTarget - 1); t + 1 < ids.length; t++) {
    targets[t] = ids[t + 1]!;
    lossTokens++;
  }
  return { ids: Int32Array.from(ids), targets, lossTokens };
}
