// Completion metrics, as code-completion papers report them: exact match (whitespace-split token equality, so
// indentation and trailing spaces do not count) and edit similarity (0-100, 100 * (1 - Levenshtein / longer length)).
// Pure; used by the Train page (before/after on held-out samples) and the evaluation harness.

/** Whitespace-split equality: "a  b\n" matches "a b". */
export function exactMatch(prediction: string, reference: string): boolean {
  const a = prediction.split(/\s+/).filter(Boolean);
  const b = reference.split(/\s+/).filter(Boolean);
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Levenshtein distance over UTF-16 code units; two rows of memory. */
export function levenshtein(a: string, b: string): number {
  if (a.length < b.length) [a, b] = [b, a];
  let prev = new Uint32Array(b.length + 1).map((_, j) => j);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** 100 * (1 - distance / longer length); two empty strings are 100. */
export function editSimilarity(prediction: string, reference: string): number {
  const n = Math.max(prediction.length, reference.length);
  return n === 0 ? 100 : 100 * (1 - levenshtein(prediction, reference) / n);
}

export interface MetricTotals {
  n: number;
  exactMatch: number;
  editSimilarity: number;
}

/** Mean exact match (as a percentage) and edit similarity over pairs. */
export function scoreAll(pairs: readonly { prediction: string; reference: string }[]): MetricTotals {
  let em = 0;
  let es = 0;
  for (const p of pairs) {
    em += exactMatch(p.prediction, p.reference) ? 1 : 0;
    es += editSimilarity(p.prediction, p.reference);
  }
  const n = pairs.length;
  return { n, exactMatch: n ? (100 * em) / n : 0, editSimilarity: n ? es / n : 0 };
}
