// `fim complete`: the model's completion at a cursor, streamed to stdout.

import { parseArgs } from "node:util";
import { loadAdapter } from "../../../../src/lib/train/adapter.ts";
import { cursorOffset, numberFlag, UsageError } from "./errors.ts";
import { loadModel, readFolder, readText } from "./load.ts";
import type { Io } from "./main.ts";

export const COMPLETE_HELP = `Usage: fim complete --model DIR [--adapter DIR] --format F (--file PATH --line L --col C | --prefix P [--suffix S])

Prints the model's completion for a cursor (line and column 1-based, as in editors).

Options:
  --mode line|multiline   stop at the end of the line (default; always so for ctx formats) or at an end token
  --max-tokens N          (default 64)
  --temperature T         0 = greedy (default)
  --top-p P  --seed S
  --verbose               the stop reason on stderr
`;

export async function completeCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      model: { type: "string" }, adapter: { type: "string" }, format: { type: "string" }, file: { type: "string" },
      line: { type: "string" }, col: { type: "string" }, prefix: { type: "string" }, suffix: { type: "string" },
      mode: { type: "string" }, "max-tokens": { type: "string" }, temperature: { type: "string" }, "top-p": { type: "string" },
      seed: { type: "string" }, verbose: { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    io.stdout.write(COMPLETE_HELP);
    return 0;
  }
  if (!v.format) throw new UsageError(`--format is required\n\n${COMPLETE_HELP}`);
  if (v.mode !== undefined && v.mode !== "line" && v.mode !== "multiline") throw new UsageError(`--mode must be "line" or "multiline", got "${v.mode}"`);
  let prefix: string;
  let suffix: string;
  if (v.file !== undefined) {
    const text = readText(v.file, "--file");
    const line = numberFlag("line", v.line);
    const col = numberFlag("col", v.col);
    if (line === undefined || col === undefined) throw new UsageError("--file needs --line and --col");
    const at = cursorOffset(text, line, col, v.file);
    prefix = text.slice(0, at);
    suffix = text.slice(at);
  } else if (v.prefix !== undefined) {
    prefix = v.prefix;
    suffix = v.suffix ?? "";
  } else throw new UsageError(`give --file with --line and --col, or --prefix\n\n${COMPLETE_HELP}`);
  const { be, engine } = await loadModel(v.model);
  if (v.adapter) await loadAdapter(be, engine.model.w, readFolder(v.adapter, "--adapter"));
  const it = engine.complete({
    prefix, suffix, format: v.format, mode: (v.mode as "line" | "multiline" | undefined) ?? "line",
    maxTokens: numberFlag("max-tokens", v["max-tokens"]), temperature: numberFlag("temperature", v.temperature),
    topP: numberFlag("top-p", v["top-p"]), seed: numberFlag("seed", v.seed),
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
