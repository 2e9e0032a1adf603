// The dataset builder: files → filtered → samples → a sink, with a train/eval split (eval-split.ts: by file, or by
// sample with fewer than 5 usable files) and statistics.
// Streaming: one file is held at a time, so memory does not grow with the corpus (only a 512-byte MinHash
// signature per file is kept). The source is walked twice: first to weigh and count the usable files (for a total
// count and the split) and to find eval files that are near-duplicates of train files (near-dup.ts), then to sample
// them. With perFile and near-duplicate removal off, the first walk stops once it has counted 5 usable files; with
// perFile and no eval split, there is only the second.

import { classifyFile, countLines, tooLarge, utf8Length, type ClassifyOptions } from "./filters.ts";
import { getFormat, markersOf } from "./formats.ts";
import { DEFAULT_NEAR_DUP_THRESHOLD, minHash, NearDupIndex, type Signature } from "./near-dup.ts";
import { assignSplit, isEvalFile, MIN_FILES_TO_SPLIT_BY_FILE, splitUnitFor } from "./eval-split.ts";
import { sampleFile } from "./sample.ts";
import type { DatasetOptions, DatasetProgress, DatasetStats, FileEntry, FileSource, SampleRecord, SkipReason } from "./types.ts";

export const DEFAULT_DATASET_OPTIONS: Readonly<DatasetOptions> = {
  format: "ctx", // the ctx seed's layout without its suffix leak
  count: 2000, // the pipeline seed: "2000+ synthetic FIM examples"
  seed: 1,
  evalFraction: 0.1, // of files (none on both sides); of each file's samples with fewer than 5 files
  spanUnit: "lines", // the pipeline seed splits on lines; "chars" is better for span infilling
  fimRate: 1, // the seed makes every sample FIM
  spmRate: 0, // the seed uses PSM order only
  incompleteRate: 0.35, // the ctx seed: 35% incomplete
  maxFileBytes: 1_000_000,
  dropNearDuplicates: true, // an eval file copied from a train file measures memorisation, not completion
  nearDupThreshold: DEFAULT_NEAR_DUP_THRESHOLD, // Jaccard 0.8 of token 5-grams: light edits of the same file
};

export const SKIP_REASONS: readonly SkipReason[] = [
  "too-large", "binary", "unknown-language", "banned-language", "generated", "minified", "too-small",
  "contains-marker", "no-split", "near-duplicate", "unreadable",
];

/** Most samples one run may ask for (count, perFile): far beyond any fine-tuning set; a typo like 1e12 is refused. */
export const MAX_SAMPLES = 10_000_000;

export class DatasetOptionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`option ${field}: ${message}`);
    this.name = "DatasetOptionError";
  }
}

export class NoUsableFilesError extends Error {
  constructor(stats: DatasetStats) {
    const reasons = SKIP_REASONS.filter((r) => stats.skipped[r] > 0).map((r) => `${r} ${stats.skipped[r]}`);
    super(
      stats.files.seen === 0
        ? "no files found"
        : `no usable files: ${stats.files.seen} seen, skipped ${reasons.join(", ") || "none"}` +
            (stats.files.usable > 0 ? ` (${stats.files.usable} usable but no sample could be cut)` : ""),
    );
    this.name = "NoUsableFilesError";
  }
}

/** Fills defaults and checks every field, naming the field that is wrong. */
export function resolveOptions(partial: Partial<DatasetOptions>): DatasetOptions {
  const o: DatasetOptions = { ...DEFAULT_DATASET_OPTIONS, ...partial };
  getFormat(o.format); // throws UnknownFormatError listing the formats
  const int = (field: keyof DatasetOptions, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new DatasetOptionError(field, `must be an integer >= ${min}, got ${String(v)}`);
    }
    if (v > max) throw new DatasetOptionError(field, `must be at most ${max}, got ${String(v)}`);
  };
  const rate = (field: keyof DatasetOptions, v: number) => {
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new DatasetOptionError(field, `must be between 0 and 1, got ${v}`);
  };
  int("count", o.count, 1, MAX_SAMPLES);
  if (o.perFile !== undefined) int("perFile", o.perFile, 1, MAX_SAMPLES);
  int("seed", o.seed, 0);
  int("maxFileBytes", o.maxFileBytes, 1);
  rate("evalFraction", o.evalFraction);
  rate("fimRate", o.fimRate);
  rate("spmRate", o.spmRate);
  rate("incompleteRate", o.incompleteRate);
  if (typeof o.nearDupThreshold !== "number" || !(o.nearDupThreshold > 0 && o.nearDupThreshold <= 1)) {
    throw new DatasetOptionError("nearDupThreshold", `must be above 0 and at most 1, got ${String(o.nearDupThreshold)}`);
  }
  if (o.spanUnit !== "lines" && o.spanUnit !== "chars") {
    throw new DatasetOptionError("spanUnit", `must be "lines" or "chars", got ${String(o.spanUnit)}`);
  }
  return o;
}

function emptyStats(format: string): DatasetStats {
  return {
    format,
    files: { seen: 0, usable: 0, used: 0, train: 0, eval: 0 },
    bytes: 0,
    samples: { train: 0, eval: 0 },
    split: "files",
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
    byLanguage: {},
    byMode: {},
  };
}

const PROGRESS_MS = 100;

/** An error reading one file (permissions, a file gone since the listing, a device error): the file is skipped. */
function isReadError(e: unknown): boolean {
  if (!(e instanceof Error) || e.name === "AbortError") return false;
  const code = (e as Error & { code?: unknown }).code;
  return typeof code === "string" || ["NotReadableError", "NotFoundError", "NotAllowedError", "SecurityError"].includes(e.name);
}

/** The file's content, or undefined when it cannot be read (counted as "unreadable" by the caller). */
async function readOrSkip(entry: FileEntry): Promise<Uint8Array | string | undefined> {
  try {
    return await entry.read();
  } catch (e) {
    if (isReadError(e)) return undefined;
    throw e;
  }
}

/**
 * Builds the dataset, handing each record to `sink` (awaited, so a slow writer slows the walk).
 * Throws NoUsableFilesError when nothing usable was found, UnknownFormatError/DatasetOptionError for bad options,
 * and an AbortError-named Error when `signal` fires.
 */
export async function buildDataset(
  source: FileSource,
  options: Partial<DatasetOptions>,
  sink: (r: SampleRecord) => void | Promise<void>,
  onProgress?: (p: DatasetProgress) => void,
  signal?: AbortSignal,
): Promise<DatasetStats> {
  const o = resolveOptions(options);
  const f = getFormat(o.format);
  const check: ClassifyOptions = { banned: f.banned, markers: markersOf(f), maxFileBytes: o.maxFileBytes };
  const stats = emptyStats(f.name);
  let lastReport = 0;
  const report = (p: DatasetProgress, force = false) => {
    if (!onProgress) return;
    const now = Date.now();
    if (force || now - lastReport >= PROGRESS_MS) {
      lastReport = now;
      onProgress(p);
    }
  };
  const aborted = () => {
    if (signal?.aborted) {
      const e = new Error("sample generation was cancelled");
      e.name = "AbortError";
      throw e;
    }
  };

  // Pass 1 (for a total count, to count the usable files for the split, or to find near-duplicates): the weight of
  // each usable file = its line count; the MinHash signature of each usable file. Files are keyed by their place in
  // the walk (paths may repeat).
  const dedup = o.dropNearDuplicates && o.evalFraction > 0;
  const onlyCounting = o.perFile !== undefined && !dedup; // then MIN_FILES_TO_SPLIT_BY_FILE usable files are enough
  let totalWeight = 0;
  const nearDup = new Set<number>(); // walk indices of the eval files to drop
  if (o.perFile === undefined || o.evalFraction > 0) {
    const train = new NearDupIndex<number>();
    const evals: { at: number; sig: Signature; weight: number }[] = [];
    let files = 0;
    let bytes = 0;
    let usable = 0;
    for await (const entry of source.files()) {
      aborted();
      files++;
      if (tooLarge(entry.size, o.maxFileBytes)) continue;
      const data = await readOrSkip(entry);
      if (data === undefined) continue;
      bytes += typeof data === "string" ? utf8Length(data) : data.byteLength;
      const c = classifyFile(entry.path, data, check);
      if (c.ok) {
        usable++;
        const weight = countLines(c.text);
        totalWeight += weight;
        const sig = dedup ? minHash(c.text) : undefined;
        if (sig && isEvalFile(entry.path, o.seed, o.evalFraction)) evals.push({ at: files - 1, sig, weight });
        else if (sig) train.add(files - 1, sig);
      }
      report({ phase: "scan", files, bytes, samples: 0 });
      if (onlyCounting && usable >= MIN_FILES_TO_SPLIT_BY_FILE) break;
    }
    stats.split = splitUnitFor(usable);
    // Near-duplicates are eval files like a train file: split by sample there are no eval files.
    for (const e of stats.split === "files" ? evals : []) {
      if (!train.nearest(e.sig, o.nearDupThreshold)) continue;
      nearDup.add(e.at);
      totalWeight -= e.weight; // so a total count is still met exactly
    }
  }

  // Pass 2: sample. File i gets round(N·cum_i/W) − round(N·cum_{i−1}/W) samples, so the total is exactly N.
  let cum = 0;
  let allotted = 0;
  for await (const entry of source.files()) {
    aborted();
    stats.files.seen++;
    const large = tooLarge(entry.size, o.maxFileBytes);
    const data = large ? undefined : await readOrSkip(entry);
    if (data !== undefined) stats.bytes += typeof data === "string" ? utf8Length(data) : data.byteLength;
    const c =
      data !== undefined
        ? classifyFile(entry.path, data, check)
        : ({ ok: false, reason: large ? "too-large" : "unreadable" } as const);
    if (!c.ok) {
      stats.skipped[c.reason]++;
    } else if (nearDup.has(stats.files.seen - 1)) {
      stats.files.usable++;
      stats.skipped["near-duplicate"]++;
    } else {
      stats.files.usable++;
      let n: number;
      if (o.perFile !== undefined) n = o.perFile;
      else {
        cum += countLines(c.text);
        const upTo = Math.round((o.count * cum) / totalWeight);
        n = upTo - allotted;
        allotted = upTo;
      }
      if (n > 0) {
        const drawn = sampleFile({ path: entry.path, text: c.text, language: c.language }, n, f.name, o, "train");
        const records = assignSplit(drawn, stats.split, entry.path, o.seed, o.evalFraction);
        if (records.length === 0) stats.skipped["no-split"]++;
        else {
          stats.files.used++;
          if (records.some((r) => r.split === "train")) stats.files.train++;
          if (records.some((r) => r.split === "eval")) stats.files.eval++;
          const lang = (stats.byLanguage[c.language] ??= { files: 0, samples: 0 });
          lang.files++;
          lang.samples += records.length;
          for (const r of records) {
            stats.byMode[r.mode] = (stats.byMode[r.mode] ?? 0) + 1;
            stats.samples[r.split]++;
            await sink(r);
          }
        }
      }
    }
    report({ phase: "generate", files: stats.files.seen, bytes: stats.bytes, samples: stats.samples.train + stats.samples.eval });
  }
  report({ phase: "generate", files: stats.files.seen, bytes: stats.bytes, samples: stats.samples.train + stats.samples.eval }, true);
  if (stats.files.used === 0) throw new NoUsableFilesError(stats);
  return stats;
}
