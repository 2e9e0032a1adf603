// Samples of one file. Each file draws from its own generator seeded by (seed, path), so a file's samples
// do not depend on which other files are present or in what order they are read.

import { defaultOrder, getFormat, type FimFormat } from "./formats.ts";
import { Rng } from "./prng.ts";
import { renderPlain, renderSample } from "./render.ts";
import { cursorDoc, cursorLines, cursorParts, sampleCursor, sampleSpan, type FimParts } from "./split.ts";
import type { DatasetOptions, SampleMode, SampleRecord } from "./types.ts";

export type SampleOptions = Pick<DatasetOptions, "seed" | "spanUnit" | "fimRate" | "spmRate" | "incompleteRate" | "eot">;

export interface SourceText {
  path: string;
  text: string;
  language: string;
}

function record(
  f: FimFormat,
  file: SourceText,
  parts: FimParts,
  mode: SampleMode,
  text: string,
  split: SampleRecord["split"],
): SampleRecord {
  const r: SampleRecord = {
    text,
    prefix: parts.prefix,
    middle: parts.middle,
    suffix: parts.suffix,
    format: f.name,
    mode,
    language: file.language,
    path: file.path,
    split,
  };
  if (f.family === "cursor") {
    r.ctx_before = parts.ctx_before ?? "";
    r.ctx_after = parts.ctx_after ?? "";
  }
  return r;
}

/** Which order a span sample uses: the format's only order, or SPM with probability spmRate. */
function drawOrder(f: FimFormat, spmRate: number, rng: Rng): "psm" | "spm" {
  if (!f.psm) return "spm";
  if (!f.spm) return "psm";
  return rng.chance(spmRate) ? "spm" : "psm";
}

/**
 * Up to n samples of one file (fewer only when the file has no valid split point at all).
 * Cursor family (ctx, ctx-seed): seed steps 3a–3d. Span family: FIM with probability fimRate, else plain.
 */
export function sampleFile(
  file: SourceText,
  n: number,
  format: string,
  opts: SampleOptions,
  split: SampleRecord["split"],
): SampleRecord[] {
  const f = getFormat(format);
  const eot = opts.eot ?? f.eot;
  const rng = Rng.forKey(opts.seed, file.path);
  const out: SampleRecord[] = [];
  if (f.family === "cursor") {
    const doc = cursorDoc(file.text, f.suffixFromCursor === true);
    const eligible = cursorLines(doc);
    for (let i = 0; i < n; i++) {
      const cur = sampleCursor(doc, eligible, rng);
      if (!cur) break;
      const incomplete = rng.chance(opts.incompleteRate);
      const parts = cursorParts(doc, cur.line, cur.col, incomplete)!;
      out.push(record(f, file, parts, incomplete ? "incomplete" : "normal", renderSample(f, parts, "psm", eot), split));
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    if (!rng.chance(opts.fimRate)) {
      const parts = { prefix: "", middle: file.text, suffix: "" };
      out.push(record(f, file, parts, "plain", renderPlain(file.text, eot), split));
      continue;
    }
    const order = drawOrder(f, opts.spmRate, rng);
    const parts = sampleSpan(file.text, opts.spanUnit, rng);
    if (!parts) break;
    out.push(record(f, file, parts, order, renderSample(f, parts, order, eot), split));
  }
  return out;
}

/**
 * The one sample for a given cursor (0-based line and column), for any format: `fim render`.
 * Cursor splitting for every format: the middle is the rest of the line, or the next line at its end.
 */
export function sampleAtCursor(
  file: SourceText,
  format: string,
  line: number,
  col: number,
  opts: { incomplete?: boolean; eot?: string; order?: "psm" | "spm" } = {},
): SampleRecord {
  const f = getFormat(format);
  const doc = cursorDoc(file.text, f.suffixFromCursor === true);
  const parts = cursorParts(doc, line, col, opts.incomplete === true);
  if (!parts) {
    const why =
      line < 0 || line >= doc.realLines
        ? `line ${line + 1} is outside the file (it has ${doc.realLines} lines)`
        : col > doc.lines[line]!.length
          ? `column ${col + 1} is past the end of line ${line + 1} (it has ${doc.lines[line]!.length} characters)`
          : col === doc.lines[line]!.length
            ? `the cursor is at the end of the last line, so there is no next line to predict`
            : `the column splits a surrogate pair`;
    throw new RangeError(`no sample at line ${line + 1}, column ${col + 1}: ${why}`);
  }
  const order = opts.order ?? defaultOrder(f);
  const mode: SampleMode = f.family === "cursor" ? (opts.incomplete ? "incomplete" : "normal") : order;
  return record(f, file, parts, mode, renderSample(f, parts, order, opts.eot ?? f.eot), "train");
}
