// `fim render`: the one sample (or inference prompt) a format makes for a given cursor, to check a format by hand.

import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { buildPrompt, decodeText, detectLanguage, FORMAT_NAMES, sampleAtCursor } from "../../../../src/lib/fim/index.ts";
import { PathNotFoundError } from "../fs-source.ts";
import { cursorOffset, UsageError } from "./errors.ts";
import { flagHelp, parseFlags, type FlagSpec } from "./flags.ts";
import type { Io } from "./main.ts";

export const RENDER_FLAGS = [
  { name: "format", type: "string", choices: FORMAT_NAMES, help: "the FIM format" },
  { name: "file", type: "string", arg: "PATH", help: "the source file" },
  { name: "line", type: "int", min: 1, max: 100_000_000, help: "the cursor's line, 1-based" },
  { name: "col", type: "int", min: 1, max: 100_000_000, help: "the cursor's column, 1-based" },
  { name: "incomplete", type: "boolean", help: "incomplete mode: no text after the cursor (empty suffix and ctx_after)" },
  { name: "eot", type: "string", arg: "TOKEN", help: "end-of-text token (default: the format's)" },
  { name: "prompt", type: "boolean", help: "print the inference prompt for the cursor instead (what a model is given)" },
  { name: "json", type: "boolean", help: "print the whole record as JSON" },
] as const satisfies readonly FlagSpec[];

export const RENDER_HELP = `Usage: fim render --format F --file PATH --line L --col C [options]

Prints the training sample the format makes for a cursor at line L, column C (both 1-based, as editors
count: column 1 is before the first character). The middle is the rest of that line, or the whole next line
when the cursor is at the end of a line.

${flagHelp(RENDER_FLAGS)}`;

export async function renderCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseFlags(RENDER_FLAGS, argv);
  if (v.help) {
    io.stdout.write(RENDER_HELP);
    return 0;
  }
  for (const k of ["format", "file", "line", "col"] as const) {
    if (v[k] === undefined) throw new UsageError(`--${k} is required\n\n${RENDER_HELP}`);
  }
  const line = v.line!;
  const col = v.col!;
  const path = v.file!;
  const bytes = await readFile(path).catch(() => {
    throw new PathNotFoundError(path);
  });
  const text = decodeText(bytes);
  if (text === undefined) throw new UsageError(`${path} is not a UTF-8 text file`);
  const file = { path: basename(path), text, language: detectLanguage(path, text) ?? "unknown" };
  if (v.prompt) {
    const cursor = cursorOffset(text, line, col, path);
    const p = buildPrompt({ format: v.format!, document: text, cursor });
    io.stdout.write(v.json ? JSON.stringify(p, null, 2) + "\n" : p.prompt);
    return 0;
  }
  let r;
  try {
    r = sampleAtCursor(file, v.format!, line - 1, col - 1, { incomplete: v.incomplete, eot: v.eot });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
  io.stdout.write(v.json ? JSON.stringify(r, null, 2) + "\n" : r.text);
  return 0;
}
