// samples.ts — the default model's training mixture, as JSONL: span samples in the Qwen layout (character-level
// spans, 30% in SPM order, 10% plain left-to-right, each ending in <|endoftext|>) and cursor samples in the `ctx`
// layout (35% incomplete), all cut from line windows of the files. One shuffled list; deterministic for a seed.

import { buildDataset, memorySource, Rng, toJsonl, type DatasetOptions, type MemoryFile, type SampleRecord } from "../../src/lib/fim/index.ts";

export interface MixPart {
  share: number;
  options: Partial<DatasetOptions>;
}

export const MIX: readonly MixPart[] = [
  { share: 0.5, options: { format: "qwen", spanUnit: "chars", fimRate: 0.9, spmRate: 0.3 } },
  { share: 0.5, options: { format: "ctx", incompleteRate: 0.35 } },
];

export async function mixedSamples(files: MemoryFile[], total: number, seed: number): Promise<string> {
  const records: SampleRecord[] = [];
  for (const [i, part] of MIX.entries()) {
    const count = Math.round(total * part.share);
    await buildDataset(memorySource(files), { ...part.options, count, seed: seed + i, evalFraction: 0 }, (r) => void records.push(r));
  }
  const rng = new Rng(seed);
  for (let i = records.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  return records.map(toJsonl).join("");
}

/** Samples in the app's default format (ctx, its default options) from whole files: the held-out measure. */
export async function ctxSamples(files: MemoryFile[], total: number, seed: number): Promise<string> {
  const records: SampleRecord[] = [];
  await buildDataset(memorySource(files), { format: "ctx", count: total, seed, evalFraction: 0 }, (r) => void records.push(r));
  return records.map(toJsonl).join("");
}
