// `fim samples`: files or the built-in corpus → FIM samples as JSONL (train, and eval split by file).

import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  buildDataset, DatasetOptionError, DEFAULT_DATASET_OPTIONS, FORMAT_NAMES, SKIP_REASONS, toJsonl,
  type DatasetOptions, type DatasetProgress, type DatasetStats, type FileSource,
} from "../../../../src/lib/fim/index.ts";
import { builtinSource } from "../../../../src/lib/fim/builtin.ts";
import { openAtomic, type AtomicFile } from "../atomic-writer.ts";
import { directorySource } from "../fs-source.ts";
import { numberFlag, UsageError } from "./errors.ts";
import type { Io } from "./main.ts";

const D = DEFAULT_DATASET_OPTIONS;
export const SAMPLES_HELP = `Usage: fim samples <dir|file...> [options]
       fim samples --builtin [options]

Cuts code into fill-in-the-middle training samples and writes them as JSONL
(one record per line: text, prefix, middle, suffix, format, mode, language, path, split).

Options:
  --format F            ${FORMAT_NAMES.join("|")} (default ${D.format})
  --count N             total samples over all files (default ${D.count})
  --per-file K          K samples per usable file instead of a total
  --seed S              PRNG seed; same input + seed = identical output (default ${D.seed})
  --eval-fraction F     fraction of files held out for eval (default ${D.evalFraction})
  --out FILE            train samples (default: all samples to stdout)
  --eval-out FILE       eval samples (default: FILE with .eval.jsonl)
  --builtin             use the built-in synthetic corpus (Python, JavaScript, SQL)
  --span lines|chars    psm-family split unit (default ${D.spanUnit})
  --fim-rate R          psm family: share of FIM samples, the rest plain (default ${D.fimRate})
  --spm-rate R          psm family: share of FIM samples in SPM order (default ${D.spmRate})
  --incomplete-rate R   ctx family: share of incomplete-mode samples (default ${D.incompleteRate})
  --eot TOKEN           end-of-text token after the middle (default: the format's)
  --max-file-bytes N    skip larger files (default ${D.maxFileBytes})
  --near-dup-threshold T  drop eval files whose token 5-gram Jaccard similarity to a train file is >= T
                        (default ${D.nearDupThreshold}; counted as skipped near-duplicate)
  --keep-near-duplicates  keep them instead
  --quiet               no progress or summary on stderr
`;

/** Option field → its flag, so library errors name what the user typed. */
const FLAG_OF: Partial<Record<keyof DatasetOptions, string>> = {
  count: "--count", perFile: "--per-file", seed: "--seed", evalFraction: "--eval-fraction", spanUnit: "--span",
  fimRate: "--fim-rate", spmRate: "--spm-rate", incompleteRate: "--incomplete-rate", maxFileBytes: "--max-file-bytes",
  nearDupThreshold: "--near-dup-threshold",
};

function evalPathFor(out: string): string {
  return out.endsWith(".jsonl") ? out.slice(0, -".jsonl".length) + ".eval.jsonl" : out + ".eval.jsonl";
}

async function checkWritable(path: string): Promise<void> {
  const dir = dirname(path);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`cannot write ${path}: directory ${dir} does not exist`);
}

export function formatStats(s: DatasetStats): string {
  const lines = [
    `format ${s.format}: ${s.samples.train + s.samples.eval} samples (train ${s.samples.train}, eval ${s.samples.eval})`,
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
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string" }, count: { type: "string" }, "per-file": { type: "string" }, seed: { type: "string" },
      "eval-fraction": { type: "string" }, out: { type: "string" }, "eval-out": { type: "string" },
      builtin: { type: "boolean" }, span: { type: "string" }, "fim-rate": { type: "string" },
      "spm-rate": { type: "string" }, "incomplete-rate": { type: "string" }, eot: { type: "string" },
      "max-file-bytes": { type: "string" }, "near-dup-threshold": { type: "string" }, "keep-near-duplicates": { type: "boolean" },
      quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    io.stdout.write(SAMPLES_HELP);
    return 0;
  }
  if (positionals.length === 0 && !v.builtin) throw new UsageError("give files or directories, or --builtin\n\n" + SAMPLES_HELP);
  if (positionals.length > 0 && v.builtin) throw new UsageError("give files or --builtin, not both");
  if (v.span !== undefined && v.span !== "lines" && v.span !== "chars") {
    throw new UsageError(`--span must be "lines" or "chars", got "${v.span}"`);
  }
  const options: Partial<DatasetOptions> = Object.fromEntries(
    Object.entries({
      format: v.format, count: numberFlag("count", v.count), perFile: numberFlag("per-file", v["per-file"]),
      seed: numberFlag("seed", v.seed), evalFraction: numberFlag("eval-fraction", v["eval-fraction"]),
      spanUnit: v.span, fimRate: numberFlag("fim-rate", v["fim-rate"]), spmRate: numberFlag("spm-rate", v["spm-rate"]),
      incompleteRate: numberFlag("incomplete-rate", v["incomplete-rate"]), eot: v.eot,
      maxFileBytes: numberFlag("max-file-bytes", v["max-file-bytes"]),
      nearDupThreshold: numberFlag("near-dup-threshold", v["near-dup-threshold"]),
      dropNearDuplicates: v["keep-near-duplicates"] ? false : undefined,
    }).filter(([, x]) => x !== undefined),
  );
  const source: FileSource = v.builtin ? builtinSource() : await directorySource(positionals);
  const outs: AtomicFile[] = [];
  let train: (s: string) => Promise<void> | void;
  let evalW: (s: string) => Promise<void> | void;
  if (v.out) {
    const evalOut = v["eval-out"] ?? evalPathFor(v.out);
    await checkWritable(v.out);
    await checkWritable(evalOut);
    const t = openAtomic(v.out);
    const e = openAtomic(evalOut);
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
