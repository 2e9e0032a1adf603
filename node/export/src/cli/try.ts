// `fim try model.gguf`: the pipeline seed's completion checks (binary search, an async function, a class method)
// run through llama.cpp itself (node-llama-cpp's prebuilt binaries), so an export is tried outside our engine.
// The prompt is built with the model's own FIM format (read from the GGUF); GGUFs from elsewhere use llama.cpp's
// infill tokens. Each completion gets a PASS/FAIL verdict against the check's expected middle (seed-checks.ts);
// --check makes a failure the exit code (1). --interactive then reads prefix/suffix pairs from the terminal.

import { createInterface } from "node:readline/promises";
import { existsSync } from "node:fs";
import { completionPlan } from "../../../../src/lib/fim/index.ts";
import { FORMAT_KEY } from "../../../../src/lib/export/gguf-export.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, type FlagSpec } from "./flags.ts";
import { formatVerdict, judgeSeedCheck, SEED_CHECKS, type SeedVerdict } from "./seed-checks.ts";
import type { Io } from "./main.ts";

export const TRY_FLAGS = [
  { name: "interactive", type: "boolean", help: "then read a prefix and a suffix per check (type \\n for a newline; an empty prefix ends)" },
  { name: "max-tokens", type: "int", min: 1, max: 65_536, default: 48, help: "tokens per completion at most" },
  { name: "check", type: "boolean", help: "exit with code 1 when a check fails (for scripts and CI)" },
] as const satisfies readonly FlagSpec[];

export const TRY_HELP = `Usage: fim try model.gguf [--check] [--interactive] [--max-tokens N]

Runs the pipeline seed's three completion checks (binary search, an async function, a class method) through
llama.cpp, prints what the model writes at each cursor and whether it is what the check expects (PASS/FAIL).

${flagHelp(TRY_FLAGS)}`;

/** Runs the seed's checks with `complete`, printing each completion at its cursor and its verdict; the verdicts. */
export async function runSeedChecks(complete: (prefix: string, suffix: string) => Promise<string>, io: Io): Promise<SeedVerdict[]> {
  const verdicts: SeedVerdict[] = [];
  for (const c of SEED_CHECKS) {
    const v = judgeSeedCheck(c, await complete(c.prefix, c.suffix));
    io.stdout.write(`--- ${c.name}\n${c.prefix}\x1b[1m${v.completion}\x1b[0m${c.suffix}${formatVerdict(v)}\n`);
    verdicts.push(v);
  }
  io.stdout.write(`${verdicts.filter((v) => v.pass).length} of ${verdicts.length} seed checks pass\n`);
  return verdicts;
}

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
  const verdicts = await runSeedChecks(run, io);
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
  return v.check && verdicts.some((x) => !x.pass) ? 1 : 0;
}
