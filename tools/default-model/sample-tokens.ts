// sample-tokens.ts — the mean length in tokens of the training samples as the trainer sees them (cut to the
// context), from the first records of a JSONL file: what turns steps × batch into the tokens a run trained on.

import { readFileSync } from "node:fs";
import { parseJsonl, tokenizeSample } from "../../src/lib/train/data.ts";
import { loadModel } from "../../node/export/src/cli/load.ts";

export async function meanSampleTokens(jsonl: string, modelDir: string, contextLength: number, first = 2000): Promise<number> {
  const { engine } = await loadModel(modelDir);
  const lines = readFileSync(jsonl, "utf8").split("\n", first).join("\n");
  let n = 0;
  let tokens = 0;
  for (const r of parseJsonl(lines, jsonl)) {
    const t = tokenizeSample(r, engine.checkpoint.tokenizer, { contextLength, lossOn: "all" });
    if (!t) continue;
    n++;
    tokens += t.ids.length;
  }
  return tokens / Math.max(1, n);
}
