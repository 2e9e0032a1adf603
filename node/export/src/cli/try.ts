// `fim try model.gguf`: the pipeline seed's completion checks (binary search, an async function, a class method)
// run through llama.cpp itself (node-llama-cpp's prebuilt binaries), so an export is tried outside our engine.
// The prompt is built with the model's own FIM format (read from the GGUF); GGUFs from elsewhere use llama.cpp's
// infill tokens. --interactive reads prefix/suffix pairs from the terminal.

import { createInterface } from "node:readline/promises";
import { existsSync } from "node:fs";
import { completionPlan } from "../../../../src/lib/fim/index.ts";
import { FORMAT_KEY } from "../../../../src/lib/export/gguf-export.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, type FlagSpec } from "./flags.ts";
import type { Io } from "./main.ts";

export const TRY_FLAGS = [
  { name: "interactive", type: "boolean", help: "then read a prefix and a suffix per check (type \\n for a newline; an empty prefix ends)" },
  { name: "max-tokens", type: "int", min: 1, max: 65_536, default: 48, help: "tokens per completion at most" },
] as const satisfies readonly FlagSpec[];

export const TRY_HELP = `Usage: fim try model.gguf [--interactive] [--max-tokens N]

Runs three completion checks through llama.cpp and prints what the model writes at each cursor.

${flagHelp(TRY_FLAGS)}`;

/** The seed's test scenarios: Python binary search, a JavaScript async function, a Python class method. */
export const SEED_CHECKS: readonly { name: string; prefix: string; suffix: string }[] = [
  {
    name: "binary search (Python)",
    prefix: "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        ",
    suffix: "\n        elif items[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1\n",
  },
  {
    name: "async function (JavaScript)",
    prefix: "async function fetchJson(url) {\n  const response = await fetch(url);\n  ",
    suffix: "\n  return response.json();\n}\n",
  },
  {
    name: "class method (Python)",
    prefix: "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n        ",
    suffix: "\n\n    def pop(self):\n        return self.items.pop()\n",
  },
];

export async function tryCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseFlags(TRY_FLAGS, argv, { positionals: true });
  if (v.help) {
    io.stdout.write(TRY_HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path) throw new UsageError(`give the GGUF file\n\n${TRY_HELP}`);
  if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
  const maxTokens = v["max-tokens"] ?? 48;
  const { getLlama, LlamaCompletion, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: Math.min(2048, model.trainContextSize) });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  const metaFormat = (model.fileInfo.metadata as unknown as Record<string, unknown>)[FORMAT_KEY.split(".")[0]!] as Record<string, unknown> | undefined;
  const format = typeof metaFormat?.[FORMAT_KEY.split(".")[1]!] === "string" ? (metaFormat[FORMAT_KEY.split(".")[1]!] as string) : undefined;
  if (!format && !completion.infillSupported) throw new UsageError(`${path} has neither a FIM Studio format nor llama.cpp infill tokens`);
  io.stderr.write(format ? `FIM format ${format} (from the GGUF)\n` : "llama.cpp infill tokens (no FIM Studio format in the GGUF)\n");

  const run = async (prefix: string, suffix: string): Promise<string> => {
    if (!format) return completion.generateInfillCompletion(prefix, suffix, { maxTokens, temperature: 0 });
    const plan = completionPlan({ format, document: prefix + suffix, cursor: prefix.length, mode: "multiline" });
    const out = await completion.generateCompletion(model.tokenize(plan.prompt, true), { maxTokens, temperature: 0, customStopTriggers: plan.stopStrings });
    return out;
  };
  const checks = [...SEED_CHECKS];
  for (const c of checks) {
    const text = await run(c.prefix, c.suffix);
    io.stdout.write(`--- ${c.name}\n${c.prefix}\x1b[1m${text}\x1b[0m${c.suffix}\n`);
  }
  if (v.interactive) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    for (;;) {
      const prefix = (await rl.question("prefix> ")).replace(/\\n/g, "\n");
      if (!prefix) break;
      const suffix = (await rl.question("suffix> ")).replace(/\\n/g, "\n");
      io.stdout.write(`${await run(prefix, suffix)}\n`);
    }
    rl.close();
  }
  await context.dispose();
  await model.dispose();
  return 0;
}
