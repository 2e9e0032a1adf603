// Training data: JSONL sample records (src/lib/fim) → token sequences with a loss mask. The prompt (everything
// before the middle) and the target (middle + end token) are tokenized apart, exactly as inference will see them:
// the prompt is encoded alone and the model continues it. Loss is on the target tokens by default, or on every
// token (plain samples are always all-target).

import { fitParts, getFormat, renderPrompt, type SampleRecord } from "../fim/index.ts";
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

/** Parses JSONL text into records, naming the file and line of the first bad one. Blank lines are skipped. */
export function parseJsonl(text: string, file: string): SampleRecord[] {
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
    try {
      getFormat(rec.format);
    } catch (e) {
      throw new DataError(file, i + 1, (e as Error).message);
    }
    out.push(rec);
  }
  if (out.length === 0) throw new DataError(file, 1, "no records");
  return out;
}

export interface TokenizeOptions {
  /** Longest sequence (prompt + target) in tokens; longer prompts lose lines far from the cursor. */
  contextLength: number;
  /** "middle": loss on middle + end token (default); "all": on every token. */
  lossOn: "middle" | "all";
}

/** One record → ids and targets. Returns undefined when even the target alone does not fit. */
export function tokenizeSample(r: SampleRecord, tk: ModelTokenizer, o: TokenizeOptions): TokenizedSample | undefined {
  const enc = (s: string) => tk.encode(s, { addSpecialTokens: false });
  const f = getFormat(r.format);
  const bos = tk.encode("", { addSpecialTokens: true }); // [bos] for Llama, [] for Qwen
  let promptIds: number[];
  let targetIds: number[];
  if (r.mode === "plain") {
    promptIds = [];
    targetIds = enc(r.text);
  } else {
    const order = r.mode === "spm" ? "spm" : "psm";
    const parts = { prefix: r.prefix, suffix: r.suffix, ctx_before: r.ctx_before, ctx_after: r.ctx_after };
    let prompt = renderPrompt(f, parts, order);
    if (!r.text.startsWith(prompt)) throw new Error(`record for ${r.path}: text does not start with its own prompt`);
    targetIds = enc(r.text.slice(prompt.length));
    promptIds = enc(prompt);
    const room = o.contextLength - bos.length - targetIds.length;
    if (room <= 0) return undefined;
    if (promptIds.length > room) {
      // the far lines of prefix and suffix go, about 3:1, as the inference prompt builder cuts them
      const measure = (s: string) => enc(s).length;
      const overhead = measure(renderPrompt(f, { ...parts, prefix: "", suffix: "" }, order));
      Object.assign(parts, fitParts(r.prefix, r.suffix, room - overhead, measure));
      prompt = renderPrompt(f, parts, order);
      promptIds = enc(prompt);
      if (promptIds.length > room) return undefined; // token merges across the cut: rare, skip the sample
    }
  }
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
