// One table of flag specs per command drives the parsing, the range checks and the "Options:" part of its help.
// A number flag is parsed strictly ("12abc", "", "2^60" are errors) and checked against its range; every error
// names the flag, the range and what was typed, and exits with code 2 (UsageError).

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

export interface FlagSpec {
  /** The flag without its dashes: "max-tokens". */
  readonly name: string;
  readonly type: "boolean" | "string" | "int" | "number";
  /** The value's placeholder in the help ("N", "DIR"). */
  readonly arg?: string;
  readonly help: string;
  /** Shown in the help as "(default X)"; the command applies its own defaults. */
  readonly default?: string | number;
  /** Inclusive bounds of a number flag. */
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound (e.g. a learning rate: above 0). */
  readonly above?: number;
  /** The values a string flag may take. */
  readonly choices?: readonly string[];
  readonly multiple?: boolean;
  readonly short?: string;
  /** Left out of the help (aliases). */
  readonly hidden?: boolean;
}

type ValueOf<F extends FlagSpec> = F["type"] extends "boolean" ? boolean
  : F["type"] extends "int" | "number" ? number
  : F extends { multiple: true } ? string[]
  : F extends { choices: readonly (infer C)[] } ? C
  : string;

export type FlagValues<S extends readonly FlagSpec[]> = { -readonly [F in S[number] as F["name"]]?: ValueOf<F> } & { help?: boolean };

/** Integers above this print imprecisely (2^53); no count, seed or size flag needs more. */
const MAX_INT = Number.MAX_SAFE_INTEGER;

function range(f: FlagSpec): string {
  const kind = f.type === "int" ? "an integer" : "a number";
  const lo = f.above !== undefined ? `above ${f.above}` : f.min !== undefined ? `from ${f.min}` : undefined;
  const hi = f.max !== undefined ? `${lo?.startsWith("from") ? "to" : lo ? "and at most" : "at most"} ${f.max}` : undefined;
  return [kind, lo, hi].filter(Boolean).join(" ");
}

/** A number flag's value, checked against its spec. */
export function parseNumber(f: FlagSpec, raw: string): number {
  const text = raw.trim();
  // Number() takes hex, binary, "Infinity" and "1e3"; we take decimal and exponent forms only
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
  const bad = !Number.isFinite(n)
    || (f.type === "int" && !(Number.isInteger(n) && Math.abs(n) <= MAX_INT))
    || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max) || (f.above !== undefined && !(n > f.above));
  if (bad) throw new UsageError(`--${f.name} must be ${range(f)}, got "${raw}"`);
  return n;
}

/**
 * Parses argv against the table: unknown flags, missing values, out-of-range numbers and values outside `choices`
 * are UsageErrors naming the flag. `--help` / `-h` is always known.
 */
export function parseFlags<const S extends readonly FlagSpec[]>(specs: S, argv: string[], o: { positionals?: boolean } = {}): { values: FlagValues<S>; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const f of specs) options[f.name] = { type: f.type === "boolean" ? "boolean" : "string", ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  // "--warmup -1" would read as two flags: join a number flag with a value that starts with a dash
  const numeric = new Set(specs.filter((f) => f.type === "int" || f.type === "number").map((f) => `--${f.name}`));
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (numeric.has(argv[i]!) && /^-[\d.]/.test(argv[i + 1] ?? "")) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]!);
  }
  const parsed = parseArgs({ args, options, allowPositionals: o.positionals === true, strict: true });
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    const f = specs.find((s) => s.name === name);
    if (!f || f.type === "boolean") {
      values[name] = raw;
    } else if (f.type === "int" || f.type === "number") {
      values[name] = parseNumber(f, raw as string);
    } else {
      for (const x of Array.isArray(raw) ? raw : [raw]) {
        if (f.choices && !f.choices.includes(x as string)) throw new UsageError(`--${f.name} must be one of ${f.choices.join(", ")}, got "${x}"`);
      }
      values[name] = raw;
    }
  }
  return { values: values as FlagValues<S>, positionals: parsed.positionals };
}

/** The "Options:" lines of a command's help, from its table. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.filter((f) => !f.hidden).map((f) => {
    const arg = f.type === "boolean" ? "" : ` ${f.arg ?? (f.choices ? f.choices.join("|") : f.type === "string" ? "VALUE" : "N")}`;
    const notes = [f.default !== undefined ? `default ${f.default}` : "", f.type === "int" || f.type === "number" ? range(f) : ""].filter(Boolean);
    return [`  --${f.name}${arg}`, `${f.help}${notes.length ? ` (${notes.join("; ")})` : ""}`] as const;
  });
  const w = Math.min(26, Math.max(...rows.map(([l]) => l.length)) + 2);
  return "Options:\n" + rows.map(([l, h]) => (l.length + 1 > w ? `${l}\n${" ".repeat(w)}${h}` : `${l.padEnd(w)}${h}`)).join("\n") + "\n";
}

/** Throws a UsageError naming the first missing required flag (and the help). */
export function requireFlags(values: Record<string, unknown>, names: readonly string[], help: string): void {
  for (const k of names) if (values[k] === undefined) throw new UsageError(`--${k} is required\n\n${help}`);
}
