// `fim samples`: files or the built-in corpus → FIM samples as JSONL (train, and eval: split by file, or by sample
// with fewer than 5 usable files — the library's one rule, src/lib/fim/eval-split.ts, as on the Data page).

import {
  buildDataset, DatasetOptionError, DEFAULT_DATASET_OPTIONS, FORMAT_NAMES, SKIP_REASONS, toJsonl,
  type DatasetOptions, type DatasetProgress, type DatasetStats, type FileSource,
} from "../../../../src/lib/fim/index.ts";
import { builtinSource } from "../../../../src/lib/fim/builtin.ts";
import { openAtomic, type AtomicFile } from "../atomic-writer.ts";
import { directorySource } from "../fs-source.ts";
import { checkOutputFile, checkOutputs } from "../output-paths.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, type FlagSpec } from "./flags.ts";
import type { Io } from "./main.ts";

const D = DEFAULT_DATASET_OPTIONS;
/** Bounds here keep typing slips from running away; the library checks the options again (DatasetOptionError). */
export const SAMPLES_FLAGS = [
  { name: "format", type: "string", choices: FORMAT_NAMES, default: D.format, help: "the FIM format" },
  { name: "count", type: "int", min: 1, max: 10_000_000, default: D.count, help: "total samples over all files" },
  { name: "per-file", type: "int", min: 1, max: 100_000, arg: "K", help: "K samples per usable file instead of a total" },
  { name: "seed", type: "int", min: 0, max: 2 ** 32 - 1, default: D.seed, help: "PRNG seed; same input + seed = identical output" },
  { name: "eval-fraction", type: "number", min: 0, max: 1, default: D.evalFraction, help: "share held out for eval: of files, or of each file's samples with fewer than 5 files" },
  { name: "out", type: "string", arg: "FILE", help: "train samples (default: all samples to stdout)" },
  { name: "eval-out", type: "string", arg: "FILE", help: "eval samples (default: FILE with .eval.jsonl)" },
  { name: "builtin", type: "boolean", help: "use the built-in synthetic corpus (Python, JavaScript, SQL)" },
  { name: "span", type: "string", choices: ["lines", "chars"], default: D.spanUnit, help: "psm-family split unit" },
  { name: "fim-rate", type: "number", min: 0, max: 1, default: D.fimRate, help: "psm family: share of FIM samples, the rest plain" },
  { name: "spm-rate", type: "number", min: 0, max: 1, default: D.spmRate, help: "psm family: share of FIM samples in SPM order" },
  { name: "incomplete-rate", type: "number", min: 0, max: 1, default: D.incompleteRate, help: "ctx family: share of incomplete-mode samples" },
  { name: "eot", type: "string", arg: "TOKEN", help: "end-of-text token after the middle (default: the format's)" },
  { name: "max-file-bytes", type: "int", min: 1, max: 1 << 30, default: D.maxFileBytes, help: "skip larger files" },
  { name: "near-dup-threshold", type: "number", above: 0, max: 1, default: D.nearDupThreshold, arg: "T", help: "drop eval files whose token 5-gram Jaccard similarity to a train file is >= T (counted as skipped near-duplicate)" },
  { name: "keep-near-duplicates", type: "boolean", help: "keep them instead" },
  { name: "quiet", type: "boolean", help: "no progress or summary on stderr" },
] as const satisfies readonly FlagSpec[];

export const SAMPLES_HELP = `Usage: fim samples <dir|file...> [options]
       fim samples --builtin [options]

Cuts code into fill-in-the-middle training samples and writes them as JSONL
(one record per line: text, prefix, middle, suffix, format, mode, language, path, split).
Unreadable files are skipped and counted; outputs are written whole or not at all.

${flagHelp(SAMPLES_FLAGS)}`;

/** Option field → its flag, so library errors name what the user typed. */
const FLAG_OF: Partial<Record<keyof DatasetOptions, string>> = {
  count: "--count", perFile: "--per-file", seed: "--seed", evalFraction: "--eval-fraction", spanUnit: "--span",
  fimRate: "--fim-rate", spmRate: "--spm-rate", incompleteRate: "--incomplete-rate", maxFileBytes: "--max-file-bytes",
  nearDupThreshold: "--near-dup-threshold",
};

/** Where the held-out samples of `out` go (and where fim train and fim kit look for them): FILE with .eval.jsonl. */
export function evalPathFor(out: string): string {
  return out.endsWith(".jsonl") ? out.slice(0, -".jsonl".length) + ".eval.jsonl" : out + ".eval.jsonl";
}

export function formatStats(s: DatasetStats): string {
  const lines = [
    `format ${s.format}: ${s.samples.train + s.samples.eval} samples (train ${s.samples.train}, eval ${s.samples.eval}` +
      `${s.split === "samples" && s.samples.eval > 0 ? "; eval held out from each file's samples: fewer than 5 files" : ""})`,
    `files: ${s.files.seen} seen, ${s.files.usable} usable, ${s.files.used} used (train ${s.files.train}, eval ${s.files.eval}); ` +
      `${(s.bytes / 1e6).toFixed(2)} MB read`,
  ];
  const skipped = SKIP_REASONS.filter((r) => s.skipped[r] > 0).map((r) => `${r} ${s.skipped[r]}`);
  lines.push(`skipped: ${skipped.length ? skipped.join(", ") : "none"}`);
  const langs = Object.entries(s.byLanguage).sort((a, b) => b[1].samples - a[1].samples);
  lines.push(`languages: ${langs.map(([l, v]) => `${l} ${v.samples} (${v.files} files)`).join(", ")}`);
  lines.push(`modes: ${Object.entries(s.byMode).map(([m, n]) => `${m} ${n}`).join(", ")}`);
  return lines.join("\n") + "\n";
}

export async function samplesCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseFlags(SAMPLES_FLAGS, argv, { positionals: true });
  if (v.help) {
    io.stdout.write(SAMPLES_HELP);
    return 0;
  }
  if (positionals.length === 0 && !v.builtin) throw new UsageError("give files or directories, or --builtin\n\n" + SAMPLES_HELP);
  if (positionals.length > 0 && v.builtin) throw new UsageError("give files or --builtin, not both");
  if (v["eval-out"] && !v.out) throw new UsageError("--eval-out needs --out");
  const options: Partial<DatasetOptions> = Object.fromEntries(
    Object.entries({
      format: v.format, count: v.count, perFile: v["per-file"], seed: v.seed, evalFraction: v["eval-fraction"],
      spanUnit: v.span, fimRate: v["fim-rate"], spmRate: v["spm-rate"], incompleteRate: v["incomplete-rate"], eot: v.eot,
      maxFileBytes: v["max-file-bytes"], nearDupThreshold: v["near-dup-threshold"],
      dropNearDuplicates: v["keep-near-duplicates"] ? false : undefined,
    }).filter(([, x]) => x !== undefined),
  );
  const evalOut = v.out ? (v["eval-out"] ?? evalPathFor(v.out)) : undefined;
  if (v.out) {
    const outputs = [{ flag: "--out", path: v.out }, { flag: v["eval-out"] ? "--eval-out" : "the eval file", path: evalOut! }];
    outputs.forEach(checkOutputFile);
    checkOutputs(outputs, positionals.map((p) => ({ flag: "the input", path: p })));
  }
  const source: FileSource = v.builtin ? builtinSource() : await directorySource(positionals);
  const outs: AtomicFile[] = [];
  let train: (s: string) => Promise<void> | void;
  let evalW: (s: string) => Promise<void> | void;
  if (v.out) {
    const t = openAtomic(v.out);
    const e = openAtomic(evalOut!);
    outs.push(t, e);
    train = (s) => t.write(s);
    evalW = (s) => e.write(s);
  } else {
    train = evalW = (s) => void io.stdout.write(s);
  }
  const started = Date.now();
  let lastLine = started; // first line after a second: short runs print only the summary
  const progress = (p: DatasetProgress) => {
    if (v.quiet || Date.now() - lastLine < 1000) return;
    lastLine = Date.now();
    const secs = (Date.now() - started) / 1000;
    io.stderr.write(
      `${p.phase}: ${p.files} files, ${(p.bytes / 1e6).toFixed(1)} MB, ${p.samples} samples, ${secs.toFixed(1)} s\n`,
    );
  };
  try {
    const stats = await buildDataset(source, options, (r) => (r.split === "train" ? train : evalW)(toJsonl(r)), progress);
    for (const o of outs) await o.commit();
    if (!v.quiet) {
      io.stderr.write(formatStats(stats));
      if (v.out) io.stderr.write(`wrote ${outs.map((o) => o.path).join(" and ")} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
    return 0;
  } catch (e) {
    for (const o of outs) await o.abort();
    if (e instanceof DatasetOptionError) {
      const flag = FLAG_OF[e.field as keyof DatasetOptions];
      throw new UsageError(flag ? e.message.replace(`option ${e.field}`, flag) : e.message);
    }
    throw e;
  }
}
