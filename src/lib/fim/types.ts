// Shared types of the FIM data library. Pure data shapes: no logic lives here.
// The library runs unchanged in the page, in Web Workers and in Node.

/** A file handed to the dataset builder. `read` is called lazily, once per pass. */
export interface FileEntry {
  /** Path relative to the root the user gave (forward slashes). Used for language detection and the split. */
  path: string;
  /** Size in bytes when known up front (lets the builder skip huge files without reading them). */
  size?: number;
  read(): Promise<Uint8Array | string>;
}

/**
 * Where files come from: a directory walk in Node, dropped File objects in the browser, the built-in corpus.
 * `files()` must yield the same files in the same order every time it is called (the builder may walk twice).
 */
export interface FileSource {
  files(): AsyncIterable<FileEntry>;
}

/** Why a file produced no samples. Every skip is counted under exactly one reason. */
export type SkipReason =
  | "too-large" // over maxFileBytes
  | "binary" // NUL bytes or not valid UTF-8
  | "unknown-language" // no extension or shebang we know
  | "banned-language" // a data format the chosen format excludes (seed: CSV, JSON, YAML, ...)
  | "generated" // lock files, "@generated", "DO NOT EDIT", ...
  | "minified" // very long lines
  | "too-small" // < 50 chars or < 3 lines (seed)
  | "contains-marker" // the code contains a marker string of the chosen format
  | "no-split" // no valid cursor/span position in the file
  | "near-duplicate" // an eval file too similar to a train file (near-dup.ts): it would measure memorisation
  | "unreadable"; // reading it failed (no permission, gone since the listing, a device error)

/** How a sample was built. ctx family: normal | incomplete. psm family: psm | spm | plain (left-to-right). */
export type SampleMode = "normal" | "incomplete" | "psm" | "spm" | "plain";

/**
 * One JSONL record. prefix + middle + suffix rebuilds the file for every format but ctx-seed, except in
 * incomplete mode, where the suffix is empty and prefix + middle is the start of the file.
 */
export interface SampleRecord {
  /** The full training text: markers, parts and end token, exactly what the model is trained on. */
  text: string;
  prefix: string;
  middle: string;
  suffix: string;
  format: string;
  mode: SampleMode;
  language: string;
  path: string;
  split: "train" | "eval";
  /** ctx family only: the local context window around the cursor. */
  ctx_before?: string;
  ctx_after?: string;
}

/** How psm-family formats cut a file: the seed's whole-line spans, or character-level spans (Bavarian et al. 2022). */
export type SpanUnit = "lines" | "chars";

/** Options of the dataset builder. Defaults (see dataset.ts DEFAULT_DATASET_OPTIONS) follow the seeds. */
export interface DatasetOptions {
  /** A row name of FORMATS (formats.ts). */
  format: string;
  /** Total samples over all files (seed: 2000). Ignored when perFile is set. */
  count: number;
  /** Samples per usable file, instead of a total. Fully streaming (one pass). */
  perFile?: number;
  /** PRNG seed: the same input and seed give byte-identical output everywhere. */
  seed: number;
  /**
   * Share held out for the eval split: of files (none on both sides) with 5 usable files or more, else of each
   * file's samples (eval-split.ts).
   */
  evalFraction: number;
  /** psm family: line spans (seed) or character spans. */
  spanUnit: SpanUnit;
  /** psm family: fraction of samples that get FIM at all; the rest are plain left-to-right text. */
  fimRate: number;
  /** psm family: fraction of FIM samples in SPM order (suffix first). Formats that are SPM-only ignore it. */
  spmRate: number;
  /** ctx family: fraction of samples in incomplete mode (seed: 0.35). */
  incompleteRate: number;
  /** End-of-text token appended after the middle; undefined = the format's own. "" = none. */
  eot?: string;
  /** Files larger than this are skipped as too-large. */
  maxFileBytes: number;
  /** Drop eval files that are near-duplicates of a train file (skip reason near-duplicate). Needs a scan pass. */
  dropNearDuplicates: boolean;
  /** Jaccard similarity of token 5-grams at or above which an eval file is a near-duplicate (0 < t <= 1). */
  nearDupThreshold: number;
}

/** Progress reported while building. */
export interface DatasetProgress {
  phase: "scan" | "generate";
  files: number;
  bytes: number;
  samples: number;
}

/** How eval was held out (eval-split.ts): whole files, or a share of each file's samples (fewer than 5 files). */
export type SplitUnit = "files" | "samples";

/** What the builder saw and made. */
export interface DatasetStats {
  format: string;
  /**
   * seen: all files; usable: passed every file check (near-duplicates too); used: got at least one sample.
   * train / eval: files with samples on that side (split by file: train + eval = used; by sample a file can be on both).
   */
  files: { seen: number; usable: number; used: number; train: number; eval: number };
  /** Bytes of source read in the generate pass (UTF-8 bytes; text given as strings is measured as UTF-8 too). */
  bytes: number;
  samples: { train: number; eval: number };
  /** How eval was held out: by file, or by sample (fewer than 5 usable files). */
  split: SplitUnit;
  skipped: Record<SkipReason, number>;
  byLanguage: Record<string, { files: number; samples: number }>;
  byMode: Partial<Record<SampleMode, number>>;
}
