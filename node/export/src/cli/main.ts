// The `fim` command: a table of subcommands, one dispatcher, and one place that turns errors into exit codes
// (2: usage — bad flag, unknown format, missing path, an output that would destroy something; 1: the job failed —
// no usable files, a bad checkpoint, adapter or JSONL line, a diverged run, a file-system fault).

import { NoUsableFilesError, UnknownFormatError } from "../../../../src/lib/fim/index.ts";
import { describeFsError, isFsError } from "../fs-errors.ts";
import { PathNotFoundError } from "../fs-source.ts";
import { UsageError } from "./errors.ts";
import { completeCommand, COMPLETE_HELP } from "./complete.ts";
import { evalCommand, EVAL_HELP } from "./eval.ts";
import { exportCommand, EXPORT_HELP } from "./export.ts";
import { kitCommand, KIT_HELP } from "./kit.ts";
import { tryCommand, TRY_HELP } from "./try.ts";
import { renderCommand, RENDER_HELP } from "./render.ts";
import { samplesCommand, SAMPLES_HELP } from "./samples.ts";
import { tokenizerCommand, TOKENIZER_HELP } from "./tokenizer.ts";
import { trainCommand, TRAIN_HELP } from "./train.ts";

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const COMMANDS: Record<string, { run: (argv: string[], io: Io) => Promise<number>; help: string; summary: string }> = {
  samples: { run: samplesCommand, help: SAMPLES_HELP, summary: "cut code into FIM training samples (JSONL)" },
  render: { run: renderCommand, help: RENDER_HELP, summary: "print the sample or prompt a format makes for one cursor" },
  train: { run: trainCommand, help: TRAIN_HELP, summary: "LoRA fine-tune a model folder on JSONL samples (PEFT adapter out)" },
  complete: { run: completeCommand, help: COMPLETE_HELP, summary: "the model's completion at a cursor" },
  eval: { run: evalCommand, help: EVAL_HELP, summary: "exact match, edit similarity, stops, latency on held-out samples (model, GGUF)" },
  export: { run: exportCommand, help: EXPORT_HELP, summary: "GGUF (f32/f16/q8_0/q4_0), Ollama Modelfile, LoRA GGUF" },
  kit: { run: kitCommand, help: KIT_HELP, summary: "a training kit for GPU machines: samples, Axolotl config, PEFT + TRL script, README" },
  try: { run: tryCommand, help: TRY_HELP, summary: "the seed's three completion checks through llama.cpp" },
  tokenizer: { run: tokenizerCommand, help: TOKENIZER_HELP, summary: "train a byte-level BPE tokenizer on code (tokenizer.json, FIM markers as single tokens)" },
};

const HELP = `FIM Studio command line

Usage: fim <command> [options]     (fim <command> --help for its options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join("\n")}
`;

/** Typed errors about the user's files (their messages name the file, tensor or line): exit code 1, no stack. */
const INPUT_ERRORS = new Set([
  "SafetensorsError", "ModelConfigError", "TokenizerError", "CheckpointError", "AdapterError", "DataError", "TrainingDivergedError",
  "TokenizerExportError", "GgufError", "KitError", "KitRowError", "QuantizeError", "EvalError", "NonFiniteLogitsError", "NonFiniteWeightsError",
]);

/** Node's parseArgs errors carry a code; these are the user's typing, so usage errors. */
function isArgError(e: unknown): e is Error {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" && rest[0] ? COMMANDS[rest[0]] : undefined;
    io.stdout.write(topic ? topic.help : HELP);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr.write(`fim: error: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof UnknownFormatError || e instanceof PathNotFoundError || isArgError(e);
    if (usage || e instanceof NoUsableFilesError || (e instanceof Error && INPUT_ERRORS.has(e.name))) {
      io.stderr.write(`fim ${name}: error: ${(e as Error).message}\n`);
      return usage ? 2 : 1;
    }
    if (isFsError(e)) {
      io.stderr.write(`fim ${name}: error: ${describeFsError(e)}\n`);
      return 1;
    }
    throw e;
  }
}
