// `fim complete`: the model's completion at a cursor, streamed to stdout.

import { FORMAT_NAMES, getFormat } from "../../../../src/lib/fim/index.ts";
import { loadAdapter } from "../../../../src/lib/train/adapter.ts";
import { readAdapterFolder } from "./adapter-folder.ts";
import { cursorOffset, UsageError } from "./errors.ts";
import { flagHelp, parseFlags, type FlagSpec } from "./flags.ts";
import { loadModel, readText } from "./load.ts";
import type { Io } from "./main.ts";
import type { WeightFormat } from "../../../../src/lib/train/quant.ts";

export const COMPLETE_FLAGS = [
  { name: "model", type: "string", arg: "DIR", help: "the Hugging Face model folder" },
  { name: "adapter", type: "string", arg: "DIR", help: "a LoRA adapter folder (PEFT) to apply" },
  { name: "format", type: "string", choices: FORMAT_NAMES, help: "the FIM format the model was trained with (default: the adapter's trainer_state.json)" },
  { name: "file", type: "string", arg: "PATH", help: "the file the cursor is in (with --line and --col)" },
  { name: "line", type: "int", min: 1, max: 100_000_000, help: "the cursor's line, 1-based" },
  { name: "col", type: "int", min: 1, max: 100_000_000, help: "the cursor's column, 1-based" },
  { name: "prefix", type: "string", arg: "TEXT", help: "the text before the cursor (instead of --file)" },
  { name: "suffix", type: "string", arg: "TEXT", help: "the text after the cursor" },
  { name: "mode", type: "string", choices: ["line", "multiline"], default: "line", help: "stop at the end of the line (always so for ctx formats) or at an end token" },
  { name: "max-tokens", type: "int", min: 1, max: 65_536, default: 64, help: "tokens to generate at most" },
  { name: "temperature", type: "number", min: 0, max: 100, default: 0, help: "0 = greedy" },
  { name: "top-p", type: "number", above: 0, max: 1, default: 1, help: "nucleus sampling" },
  { name: "seed", type: "int", min: 0, max: 2 ** 32 - 1, help: "sampling seed" },
  { name: "weights", type: "string", choices: ["f32", "int8", "int4"], default: "f32", help: "how our engine holds the model's block weights: f32 (exact), or int8 / int4 (the values of GGUF Q8_0 / Q4_0: 3.6x / 6.4x less memory for them, and faster decoding)" },
  { name: "verbose", type: "boolean", help: "the stop reason on stderr" },
] as const satisfies readonly FlagSpec[];

export const COMPLETE_HELP = `Usage: fim complete --model DIR [--adapter DIR] [--format F] (--file PATH --line L --col C | --prefix P [--suffix S])

Prints the model's completion for a cursor (line and column 1-based, as in editors).

${flagHelp(COMPLETE_FLAGS)}`;

export async function completeCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseFlags(COMPLETE_FLAGS, argv);
  if (v.help) {
    io.stdout.write(COMPLETE_HELP);
    return 0;
  }
  let prefix: string;
  let suffix: string;
  if (v.file !== undefined) {
    const text = readText(v.file, "--file");
    const { line, col } = v;
    if (line === undefined || col === undefined) throw new UsageError("--file needs --line and --col");
    const at = cursorOffset(text, line, col, v.file);
    prefix = text.slice(0, at);
    suffix = text.slice(at);
  } else if (v.prefix !== undefined) {
    prefix = v.prefix;
    suffix = v.suffix ?? "";
  } else throw new UsageError(`give --file with --line and --col, or --prefix\n\n${COMPLETE_HELP}`);
  if (!v.model) throw new UsageError(`--model DIR is required\n\n${COMPLETE_HELP}`);
  const warn = (line: string) => io.stderr.write(line + "\n");
  const adapter = v.adapter ? await readAdapterFolder(v.adapter, v.model, warn) : undefined;
  const format = v.format ?? adapter?.format;
  if (!format) throw new UsageError(`--format is required${v.adapter ? ` (${v.adapter} records no training format)` : ""}\n\n${COMPLETE_HELP}`);
  getFormat(format);
  const { be, engine } = await loadModel(v.model, warn, v.weights as WeightFormat);
  if (adapter) await loadAdapter(be, engine.model.w, adapter);
  const it = engine.complete({
    prefix, suffix, format, mode: v.mode ?? "line",
    maxTokens: v["max-tokens"], temperature: v.temperature, topP: v["top-p"], seed: v.seed,
  });
  for (;;) {
    const r = await it.next();
    if (r.done) {
      if (v.verbose) io.stderr.write(`\n[stopped: ${r.value}]\n`);
      break;
    }
    io.stdout.write(r.value);
  }
  io.stdout.write("\n");
  return 0;
}
