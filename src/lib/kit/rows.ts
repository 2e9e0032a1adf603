// rows.ts — the kit's samples: each FIM Studio record as the {prompt, completion} text it trains on (the prompt cut to
// the context exactly as the trainer cuts it: src/lib/train/data.ts fitSample), one JSON object per line. The same
// JSONL reads back (parseKitRows) so the kit round-trips. Pure.

import type { SampleRecord } from "../fim/index.ts";
import { fitSample } from "../train/data.ts";

export interface KitRow {
  /** Everything before the middle (empty for a plain, left-to-right record). */
  prompt: string;
  /** The middle and the format's end token, as the loss sees them. */
  completion: string;
}

/**
 * How prompts are measured against the context: the base model's tokenizer (exact, as FIM Studio cuts them), or
 * an estimate of `charsPerToken` characters a token when the kit is written without it (prepare.py then drops the
 * rows the real tokenizer finds too long, and says how many).
 */
export type RowMeasure = { tokenizer: (s: string) => { length: number }; reserved: number } | { charsPerToken: number };

/** A conservative estimate for code (BPE code tokenizers average 3-4 characters a token). */
export const CHARS_PER_TOKEN = 3;

export interface KitRows {
  rows: KitRow[];
  /** Records left out because even their middle does not fit the context. */
  dropped: number;
}

export function kitRows(records: readonly SampleRecord[], contextLength: number, m: RowMeasure): KitRows {
  const encode = "tokenizer" in m ? m.tokenizer : (s: string) => ({ length: Math.ceil(s.length / m.charsPerToken) });
  const reserved = "tokenizer" in m ? m.reserved : 1; // a BOS, if the model has one
  const rows: KitRow[] = [];
  let dropped = 0;
  for (const r of records) {
    const fit = fitSample(r, contextLength, encode, reserved);
    if (fit) rows.push({ prompt: fit.prompt, completion: fit.target });
    else dropped++;
  }
  return { rows, dropped };
}

export const rowsToJsonl = (rows: readonly KitRow[]): string => rows.map((r) => JSON.stringify({ prompt: r.prompt, completion: r.completion })).join("\n") + "\n";

export class KitRowError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "KitRowError";
  }
}

/** Reads a kit JSONL back, naming the file and line of the first bad row. */
export function parseKitRows(text: string, file: string): KitRow[] {
  const rows: KitRow[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new KitRowError(file, i + 1, `not valid JSON (${(e as Error).message})`);
    }
    const r = o as Record<string, unknown>;
    for (const k of ["prompt", "completion"]) if (typeof r?.[k] !== "string") throw new KitRowError(file, i + 1, `field "${k}" is missing or not a string`);
    rows.push({ prompt: r.prompt as string, completion: r.completion as string });
  });
  return rows;
}
