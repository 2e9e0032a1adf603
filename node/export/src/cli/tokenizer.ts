// `fim tokenizer`: trains a byte-level BPE tokenizer on code (files, folders, samples JSONL or the built-in corpus)
// and writes tokenizer.json + tokenizer_config.json into a folder. The training is src/lib/model/bpe-train.ts;
// this file only reads the inputs and reports.

import { readFileSync, statSync } from "node:fs";
import { classifyFile, DEFAULT_DATASET_OPTIONS, SKIP_REASONS, type SkipReason } from "../../../../src/lib/fim/index.ts";
import { BUILTIN_CORPUS } from "../../../../src/lib/fim/builtin.ts";
import {
  LLAMA_CPP_PRE, TOKENIZER_SPECIALS, tokenizerConfigOf, tokenizerJsonOf, trainBpe, WordCounts,
} from "../../../../src/lib/model/bpe-train.ts";
import { TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "../../../../src/lib/model/tokenizer.ts";
import { DataError } from "../../../../src/lib/train/data.ts";
import { writeDirAtomic } from "../atomic-dir.ts";
import { directorySource } from "../fs-source.ts";
import { checkOutputDir, checkOutputs } from "../output-paths.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, type FlagSpec } from "./flags.ts";
import type { Io } from "./main.ts";

const DEFAULT_VOCAB = 6144;

export const TOKENIZER_FLAGS = [
  { name: "input", type: "string", multiple: true, arg: "PATH", help: "a file, folder or JSONL (repeatable; the same as a positional path)" },
  { name: "builtin", type: "boolean", help: "also the built-in corpus" },
  { name: "vocab-size", type: "int", min: 256 + TOKENIZER_SPECIALS.length, max: 1 << 20, default: DEFAULT_VOCAB, help: "tokens in all, specials included" },
  { name: "min-frequency", type: "int", min: 1, max: 1 << 30, default: 2, help: "stop early when the best pair occurs fewer times" },
  { name: "max-length", type: "int", min: 1, max: 1 << 24, default: 2048, help: `model_max_length in ${TOKENIZER_CONFIG_FILE}` },
  { name: "max-file-bytes", type: "int", min: 1, max: 1 << 30, default: DEFAULT_DATASET_OPTIONS.maxFileBytes, help: "skip larger files" },
  { name: "out", type: "string", arg: "DIR", help: "the folder to write: new, empty, or an earlier output of this command (replaced whole at the end)" },
  { name: "quiet", type: "boolean", help: "no progress or summary on stderr" },
] as const satisfies readonly FlagSpec[];

export const TOKENIZER_HELP = `Usage: fim tokenizer <dir|file|samples.jsonl...> --out DIR [options]
       fim tokenizer --builtin --out DIR [options]

Trains a byte-level BPE tokenizer on code and writes DIR/${TOKENIZER_FILE} and DIR/${TOKENIZER_CONFIG_FILE}.
Pre-tokenizer: Qwen2's regex (llama.cpp "${LLAMA_CPP_PRE}": digits one by one), so \`fim export\` makes a GGUF
llama.cpp tokenizes identically. Vocabulary: the 256 bytes (any text encodes), the learned merges, then
${TOKENIZER_SPECIALS.length} special tokens, each one id: <|endoftext|> (eos), <|pad|> and every marker of every FIM format.
Files are filtered as \`fim samples\` filters them (binary, unknown language, generated, minified, too small,
too large); a *.jsonl argument is read as records, and their "text" is trained on (markers cut out).

${flagHelp(TOKENIZER_FLAGS)}`;

export async function tokenizerCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseFlags(TOKENIZER_FLAGS, argv, { positionals: true });
  if (v.help) {
    io.stdout.write(TOKENIZER_HELP);
    return 0;
  }
  const inputs = [...(v.input ?? []), ...positionals];
  if (inputs.length === 0 && !v.builtin) throw new UsageError(`give files, folders or JSONL, or --builtin\n\n${TOKENIZER_HELP}`);
  if (!v.out) throw new UsageError(`--out DIR is required\n\n${TOKENIZER_HELP}`);
  checkOutputs([{ flag: "--out", path: v.out, dir: true }], inputs.map((p) => ({ flag: "the input", path: p })));
  checkOutputDir("--out", v.out, (name) => name === TOKENIZER_FILE || name === TOKENIZER_CONFIG_FILE, TOKENIZER_FILE);
  const vocabSize = v["vocab-size"] ?? DEFAULT_VOCAB;
  const minFrequency = v["min-frequency"];
  const maxLength = v["max-length"];
  const maxFileBytes = v["max-file-bytes"] ?? DEFAULT_DATASET_OPTIONS.maxFileBytes;
  const log = (s: string) => void (!v.quiet && io.stderr.write(s));

  const started = Date.now();
  const counts = new WordCounts();
  const skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
  let files = 0;
  let records = 0;
  let lastLine = started;
  const progress = () => {
    if (Date.now() - lastLine < 1000) return;
    lastLine = Date.now();
    log(`counting: ${files} files, ${records} records, ${(counts.bytes / 1e6).toFixed(1)} MB, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  };
  if (v.builtin) for (const f of BUILTIN_CORPUS) (counts.add(f.text), files++);
  const jsonl = inputs.filter((p) => p.endsWith(".jsonl"));
  const paths = inputs.filter((p) => !p.endsWith(".jsonl"));
  for (const p of jsonl) {
    if (!statSync(p, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`no such file: ${p}`);
    readFileSync(p, "utf8").split("\n").forEach((line, i) => {
      if (!line.trim()) return;
      let text: unknown;
      try {
        text = (JSON.parse(line) as { text?: unknown }).text;
      } catch {
        throw new DataError(p, i + 1, "not JSON");
      }
      if (typeof text !== "string") throw new DataError(p, i + 1, 'no "text" string');
      counts.add(text);
      records++;
      progress();
    });
  }
  if (paths.length > 0) {
    for await (const f of (await directorySource(paths)).files()) {
      if (f.size !== undefined && f.size > maxFileBytes) { // never read
        skipped["too-large"]++;
        continue;
      }
      const c = classifyFile(f.path, await f.read(), { banned: [], markers: [], maxFileBytes });
      if (!c.ok) {
        skipped[c.reason]++;
        continue;
      }
      counts.add(c.text);
      files++;
      progress();
    }
  }
  const skips = SKIP_REASONS.filter((r) => skipped[r] > 0).map((r) => `${r} ${skipped[r]}`);
  log(`read ${files} files and ${records} records, ${(counts.bytes / 1e6).toFixed(2)} MB (skipped: ${skips.length ? skips.join(", ") : "none"}); ` +
    `${counts.counts.size} distinct pieces, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (counts.bytes === 0) {
    io.stderr.write(`fim tokenizer: error: no text to train on (skipped: ${skips.join(", ") || "none"})\n`);
    return 1;
  }

  const trainStart = Date.now();
  let printed = 0;
  const model = trainBpe(counts, {
    vocabSize, minFrequency,
    onProgress: (p) => {
      if (p.merges < printed + 1000) return;
      printed = p.merges;
      log(`merges: ${p.merges}, vocabulary ${p.vocab}/${p.target}, ${((Date.now() - trainStart) / 1000).toFixed(1)} s\n`);
    },
  });
  const enc = new TextEncoder();
  writeDirAtomic(v.out, new Map([
    [TOKENIZER_FILE, enc.encode(JSON.stringify(tokenizerJsonOf(model)))],
    [TOKENIZER_CONFIG_FILE, enc.encode(JSON.stringify(tokenizerConfigOf(model, { modelMaxLength: maxLength }), null, 2) + "\n")],
  ]));
  const total = model.vocab.length + model.specialTokens.length;
  const s = model.stats;
  log(`${model.merges.length} merges in ${((Date.now() - trainStart) / 1000).toFixed(1)} s: vocabulary ${total}` +
    `${total < vocabSize ? ` (stopped early: no pair occurs ${minFrequency ?? 2} times)` : ""}, last merge seen ${s.lastMergeCount} times; ` +
    `${(s.bytes / s.tokens).toFixed(2)} bytes per token on the training text\n` +
    `wrote ${v.out}/${TOKENIZER_FILE} and ${TOKENIZER_CONFIG_FILE} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}
