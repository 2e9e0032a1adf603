// The train/eval split of a dataset: which samples are held out for eval. One rule, used by the dataset builder
// (dataset.ts), so the app's Data page and `fim samples` split alike.
//  - By file, with MIN_FILES_TO_SPLIT_BY_FILE usable files or more: a file is eval when a hash of its path falls
//    under the eval fraction, so no file is on both sides (eval measures completion of code never trained on).
//  - By sample, with fewer usable files: whole files would leave a side empty (one pasted file goes wholly to train
//    or wholly to eval), so a share of each file's samples is held out instead. A file's distinct samples are ranked
//    by a seeded hash and the first evalShare() of them go to eval; copies of a sample go where it goes, so no
//    sample is on both sides.
// Pure functions of their arguments: the same files, seed and fraction give the same split everywhere.

import { hashString } from "./prng.ts";
import type { SampleRecord, SplitUnit } from "./types.ts";

/** With fewer usable files than this, eval is a share of each file's samples instead of whole files. */
export const MIN_FILES_TO_SPLIT_BY_FILE = 5;

/** How eval is held out for a run with `usableFiles` files that passed every file check. */
export function splitUnitFor(usableFiles: number): SplitUnit {
  return usableFiles < MIN_FILES_TO_SPLIT_BY_FILE ? "samples" : "files";
}

/** By file: a file goes to eval when its path hashes below evalFraction (stable, independent of the other files). */
export function isEvalFile(path: string, seed: number, evalFraction: number): boolean {
  return hashString(path, seed ^ 0x5eed5eed) / 4294967296 < evalFraction;
}

/**
 * By sample: how many of a file's `distinct` samples go to eval. The nearest whole number to the fraction, but at
 * least one when the fraction is above 0 and at most all but one when it is below 1, so that a file with two
 * distinct samples or more feeds both sides. A file with a single distinct sample keeps it for training (unless
 * the fraction is 1).
 */
export function evalShare(distinct: number, evalFraction: number): number {
  if (distinct <= 0 || evalFraction <= 0) return 0;
  if (evalFraction >= 1) return distinct;
  if (distinct === 1) return 0;
  return Math.min(distinct - 1, Math.max(1, Math.round(distinct * evalFraction)));
}

/** The parts of a record the split looks at. */
export type SplitPart = Pick<SampleRecord, "prefix" | "middle" | "split">;
/** A record with its split set. */
export type WithSplit<T extends SplitPart> = Omit<T, "split"> & { split: SampleRecord["split"] };

/**
 * What makes two samples of one file the same task: where the middle starts and how long it is. Within a file
 * the prefix is the file's start and the middle follows it, so these two lengths fix both; a sample drawn twice,
 * or the same cut in another mode (incomplete, SPM order), is the same task and lands on the same side.
 */
export function sampleKey(r: Pick<SampleRecord, "prefix" | "middle">): string {
  return `${r.prefix.length}:${r.middle.length}`;
}

/**
 * By sample: the samples of one file, each with its split set (new objects; the input is not changed). The
 * distinct samples (sampleKey) are ranked by a hash of (path, key) under the seed, ties by key; the first
 * evalShare() go to eval, with every copy of them.
 */
export function holdOutSamples<T extends SplitPart>(records: readonly T[], path: string, seed: number, evalFraction: number): WithSplit<T>[] {
  const keys = [...new Set(records.map(sampleKey))];
  const rank = new Map(keys.map((k) => [k, hashString(`${path}\n${k}`, seed ^ 0x0e7a15ed)]));
  keys.sort((a, b) => rank.get(a)! - rank.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
  const held = new Set(keys.slice(0, evalShare(keys.length, evalFraction)));
  return records.map((r) => ({ ...r, split: held.has(sampleKey(r)) ? "eval" : "train" }));
}

/** The samples of one file with their split set, by the run's split unit. */
export function assignSplit<T extends SplitPart>(
  records: readonly T[],
  unit: SplitUnit,
  path: string,
  seed: number,
  evalFraction: number,
): WithSplit<T>[] {
  if (unit === "samples") return holdOutSamples(records, path, seed, evalFraction);
  const split = isEvalFile(path, seed, evalFraction) ? "eval" : "train";
  return records.map((r) => ({ ...r, split }));
}
