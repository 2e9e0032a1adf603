// tokenizer.ts — step 2 of train-default.ts: a byte-level BPE (src/lib/model/bpe-train.ts, the same code as
// `fim tokenizer`) trained on the corpus's training files, written as tokenizer.json + tokenizer_config.json, and
// tokenizer_meta.json with the figures the model initialisation needs (vocabulary size, bos and eos ids).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { END_OF_TEXT, tokenizerConfigOf, tokenizerJsonOf, trainBpeOnTexts } from "../../src/lib/model/bpe-train.ts";

export interface TokenizerMeta {
  vocabSize: number;
  bos: number;
  eos: number;
  merges: number;
  bytesPerToken: number;
}

export function trainTokenizer(texts: Iterable<string>, vocabSize: number, dir: string): TokenizerMeta {
  const model = trainBpeOnTexts(texts, { vocabSize });
  const eos = model.vocab.length + model.specialTokens.indexOf(END_OF_TEXT);
  const meta: TokenizerMeta = {
    vocabSize: model.vocab.length + model.specialTokens.length,
    bos: eos, // as GPT-2's and Qwen2's: end of text doubles as bos, never added
    eos,
    merges: model.merges.length,
    bytesPerToken: model.stats.bytes / model.stats.tokens,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(tokenizerConfigOf(model, { modelMaxLength: 1024 }), null, 2) + "\n");
  writeFileSync(join(dir, "tokenizer_meta.json"), JSON.stringify(meta, null, 2) + "\n");
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizerJsonOf(model))); // last: its presence marks the step done
  return meta;
}
