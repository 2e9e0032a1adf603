// Near-duplicate files across the train/eval split: an eval file that is a light edit of a train file (a copy, a
// fork, a vendored version) would measure memorisation, not completion. Files are compared as sets of normalised
// token 5-grams (shingles) by Jaccard similarity, estimated with MinHash (128 hash functions) and found with LSH
// banding (32 bands of 4), so no pair of files is compared unless they share a band. Pure and deterministic: the
// same files give the same answer in any order, on any JS engine (32-bit integer hashing only).
// Not here: near-duplicates within one side of the split (harmless for evaluation), or semantic clones.

import { fmix32 as mix, hashString } from "./prng.ts";

/** Shingle length in tokens, MinHash size and LSH banding. bands × rows = permutations. */
export const NEAR_DUP = {
  ngram: 5, // token 5-grams: one edited token changes at most 5 shingles
  permutations: 128, // estimate's standard error at J = 0.8: sqrt(0.8·0.2/128) ≈ 0.035
  bands: 32, // rows 4: a pair at J = 0.8 becomes a candidate with probability 1 − (1 − 0.8⁴)³² > 0.999999
} as const;

/** Default Jaccard similarity at or above which an eval file counts as a near-duplicate of a train file. */
export const DEFAULT_NEAR_DUP_THRESHOLD = 0.8;

const ROWS = NEAR_DUP.permutations / NEAR_DUP.bands;

/** One MinHash signature: the minimum of each hash function over a file's shingles. */
export type Signature = Uint32Array;

/**
 * Normalised tokens: identifiers and numbers as words, every other non-space character alone. Whitespace is
 * dropped, so re-indenting or re-wrapping a file does not change it.
 */
export function codeTokens(text: string): string[] {
  return text.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

/** The distinct hashes of the token n-grams of `text` (a text shorter than n tokens is one shingle; none if empty). */
export function shingleHashes(text: string, n: number = NEAR_DUP.ngram): Set<number> {
  const memo = new Map<string, number>(); // code repeats its tokens: hash each distinct one once
  const toks = codeTokens(text).map((t) => memo.get(t) ?? memo.set(t, hashString(t)).get(t)!);
  const out = new Set<number>();
  const k = Math.min(n, toks.length);
  for (let i = 0; k > 0 && i + k <= toks.length; i++) {
    let h = 0x9747b28c;
    for (let j = i; j < i + k; j++) h = Math.imul(h ^ toks[j]!, 0x01000193);
    out.add(mix(h));
  }
  return out;
}

/** Exact Jaccard similarity of two texts' shingle sets (two texts without tokens are 0: nothing to compare). */
export function jaccard(a: string, b: string): number {
  const sa = shingleHashes(a);
  const sb = shingleHashes(b);
  if (sa.size === 0 || sb.size === 0) return 0;
  let both = 0;
  for (const h of sa) if (sb.has(h)) both++;
  return both / (sa.size + sb.size - both);
}

/** Per-function seeds, fixed: hash function k is mix(x ^ SEEDS[k]), a bijection of 32-bit values. */
const SEEDS = Uint32Array.from({ length: NEAR_DUP.permutations }, (_, k) => hashString(`minhash:${k}`));

/** The MinHash signature of `text`, or undefined when it has no tokens. */
export function minHash(text: string): Signature | undefined {
  const shingles = shingleHashes(text);
  if (shingles.size === 0) return undefined;
  const sig = new Uint32Array(NEAR_DUP.permutations).fill(0xffffffff);
  for (const x of shingles) {
    for (let k = 0; k < sig.length; k++) {
      const v = mix(x ^ SEEDS[k]!);
      if (v < sig[k]!) sig[k] = v;
    }
  }
  return sig;
}

/** The share of hash functions on which two signatures agree: an unbiased estimate of the Jaccard similarity. */
export function estimateJaccard(a: Signature, b: Signature): number {
  let same = 0;
  for (let k = 0; k < a.length; k++) if (a[k] === b[k]) same++;
  return same / a.length;
}

function bandKey(sig: Signature, band: number): number {
  let h = band;
  for (let k = band * ROWS; k < (band + 1) * ROWS; k++) h = mix(Math.imul(h, 31) ^ sig[k]!);
  return h;
}

/** Signatures by key, with LSH buckets per band: `nearest` looks only at files that share a band. */
export class NearDupIndex<K = string> {
  private readonly keys: K[] = [];
  private readonly sigs: Signature[] = [];
  private readonly buckets: Map<number, number[]>[] = Array.from({ length: NEAR_DUP.bands }, () => new Map());

  get size(): number {
    return this.keys.length;
  }

  add(key: K, sig: Signature): void {
    const i = this.keys.length;
    this.keys.push(key);
    this.sigs.push(sig);
    for (let b = 0; b < NEAR_DUP.bands; b++) {
      const k = bandKey(sig, b);
      const list = this.buckets[b]!.get(k);
      if (list) list.push(i);
      else this.buckets[b]!.set(k, [i]);
    }
  }

  /** The most similar indexed file at or above `threshold` (the first added among equals), or undefined. */
  nearest(sig: Signature, threshold: number): { key: K; similarity: number } | undefined {
    const seen = new Set<number>();
    let best = -1;
    let bestSim = -1;
    for (let b = 0; b < NEAR_DUP.bands; b++) {
      for (const i of this.buckets[b]!.get(bandKey(sig, b)) ?? []) {
        if (seen.has(i)) continue;
        seen.add(i);
        const s = estimateJaccard(sig, this.sigs[i]!);
        if (s > bestSim || (s === bestSim && i < best)) [best, bestSim] = [i, s];
      }
    }
    return best >= 0 && bestSim >= threshold ? { key: this.keys[best]!, similarity: bestSim } : undefined;
  }
}

export interface SplitFile {
  path: string;
  text: string;
  split: "train" | "eval";
}

/**
 * The eval files to drop: each eval file whose estimated similarity to some train file is ≥ threshold, mapped to
 * that train file and the similarity. Train files are never dropped.
 */
export function nearDuplicatesAcrossSplit(
  files: Iterable<SplitFile>, threshold: number = DEFAULT_NEAR_DUP_THRESHOLD,
): Map<string, { of: string; similarity: number }> {
  const train = new NearDupIndex<string>();
  const evals: [string, Signature][] = [];
  for (const f of files) {
    const sig = minHash(f.text);
    if (!sig) continue;
    if (f.split === "train") train.add(f.path, sig);
    else evals.push([f.path, sig]);
  }
  const out = new Map<string, { of: string; similarity: number }>();
  for (const [path, sig] of evals) {
    const hit = train.nearest(sig, threshold);
    if (hit) out.set(path, { of: hit.key, similarity: hit.similarity });
  }
  return out;
}
