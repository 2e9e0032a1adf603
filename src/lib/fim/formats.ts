// The FIM formats as data: one row per format, with its exact template strings, end token and
// special tokens. Everything else (marker lists, stop strings, prompt templates) is derived from
// these rows, so adding a format is adding a row. Sources for each row are cited beside it.

import { CTX_BANNED_LANGUAGES, DATA_FORMAT_LANGUAGES } from "./languages.ts";

/** Placeholders a template may contain. {middle} must come last: the prompt is everything before it. */
export const PLACEHOLDERS = ["prefix", "suffix", "middle", "ctx_before", "ctx_after"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** A template cut into literal text and placeholders, e.g. ["<|fim_prefix|>", {p:"prefix"}, ...]. */
export type TemplatePart = string | { p: Placeholder };

export interface FimFormat {
  name: string;
  description: string;
  /** How samples are cut: "span" = prefix/middle/suffix spans (lines or chars); "cursor" = the ctx seed's cursor + line. */
  family: "span" | "cursor";
  /** Completions end at the end of the cursor's line (the format trains one line per sample): "\n" stops them. */
  lineOnly: boolean;
  /** Template in PSM order (prefix first), if the format has one. */
  psm?: string;
  /** Template in SPM order (suffix first), if the format has one. */
  spm?: string;
  /** Appended after the middle in training samples; a stop string at inference. */
  eot: string;
  /** Other special tokens of the family (padding, repo/file separators): stop strings, and never allowed in code. */
  specials: readonly string[];
  /** ctx-seed only: the suffix and ctx_after are *all* text after the cursor, as in the seed's examples. */
  suffixFromCursor?: boolean;
  /** Languages whose files are skipped for this format. */
  banned: readonly string[];
}

const CTX_TEMPLATE = "«CTX»{ctx_before}«CURSOR»{ctx_after}«/CTX»«PREFIX»{prefix}«SUFFIX»{suffix}«MIDDLE»{middle}";

/** The table. Order = the order shown in the CLI help and the app. */
const ROWS: readonly FimFormat[] = [
  {
    // seeds/fim-format-ctx.md with its suffix leak fixed: suffix and ctx_after start after the middle.
    name: "ctx",
    description: "Cursor-context format of the ctx seed, leak fixed: prefix + middle + suffix rebuilds the file (default)",
    family: "cursor",
    lineOnly: true,
    psm: CTX_TEMPLATE,
    eot: "",
    specials: [],
    banned: CTX_BANNED_LANGUAGES,
  },
  {
    // seeds/fim-format-ctx.md exactly: suffix = all code after the cursor (it starts with the middle).
    name: "ctx-seed",
    description: "The ctx seed byte for byte, including its suffix that repeats the middle (for models already trained on it)",
    family: "cursor",
    lineOnly: true,
    psm: CTX_TEMPLATE,
    eot: "",
    specials: [],
    suffixFromCursor: true,
    banned: CTX_BANNED_LANGUAGES,
  },
  {
    // seeds/fim-pipeline-summary.md: <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>{middle}, plus an
    // end token the seed forgot. SPM order as llama.cpp's --spm-infill builds it (suffix, prefix, middle).
    name: "psm",
    description: "The pipeline seed's <|fim_prefix|> format, line spans, with an end token (configurable)",
    family: "span",
    lineOnly: false,
    psm: "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>{middle}",
    spm: "<|fim_suffix|>{suffix}<|fim_prefix|>{prefix}<|fim_middle|>{middle}",
    eot: "<|endoftext|>",
    specials: ["<|fim_pad|>"],
    banned: DATA_FORMAT_LANGUAGES,
  },
  {
    // Qwen2.5-Coder technical report and its tokenizer_config.json (PSM only).
    name: "qwen",
    description: "Qwen2.5-Coder native FIM tokens",
    family: "span",
    lineOnly: false,
    psm: "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>{middle}",
    eot: "<|endoftext|>",
    specials: ["<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|im_start|>", "<|im_end|>"],
    banned: DATA_FORMAT_LANGUAGES,
  },
  {
    // StarCoder / StarCoder2 / SmolLM tokenizers; SPM as in bigcode's training code (prefix token, then suffix).
    name: "starcoder",
    description: "StarCoder, StarCoder2 and SmolLM FIM tokens (<fim_prefix> with underscores)",
    family: "span",
    lineOnly: false,
    psm: "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>{middle}",
    spm: "<fim_prefix><fim_suffix>{suffix}<fim_middle>{prefix}{middle}",
    eot: "<|endoftext|>",
    specials: ["<fim_pad>", "<repo_name>", "<reponame>", "<file_sep>", "<filename>"],
    banned: DATA_FORMAT_LANGUAGES,
  },
  {
    // Code Llama paper, section 2.3: "<PRE> {pre} <SUF>{suf} <MID>", end "<EOT>".
    name: "codellama",
    description: "Code Llama infilling: <PRE> , <SUF>, <MID>, <EOT>",
    family: "span",
    lineOnly: false,
    psm: "<PRE> {prefix} <SUF>{suffix} <MID>{middle}",
    eot: "<EOT>",
    specials: [],
    banned: DATA_FORMAT_LANGUAGES,
  },
  {
    // DeepSeek-Coder README: full-width bars U+FF5C and U+2581 lower one-eighth block.
    name: "deepseek",
    description: "DeepSeek-Coder FIM tokens (<｜fim▁begin｜> with full-width bars)",
    family: "span",
    lineOnly: false,
    psm: "<\uff5cfim\u2581begin\uff5c>{prefix}<\uff5cfim\u2581hole\uff5c>{suffix}<\uff5cfim\u2581end\uff5c>{middle}",
    eot: "<\uff5cend\u2581of\u2581sentence\uff5c>",
    specials: [],
    banned: DATA_FORMAT_LANGUAGES,
  },
  {
    // Mistral's Codestral (mistral-common FIM request): SPM only, [SUFFIX] then [PREFIX], end "</s>".
    name: "codestral",
    description: "Codestral, suffix first: [SUFFIX]…[PREFIX]…",
    family: "span",
    lineOnly: false,
    spm: "[SUFFIX]{suffix}[PREFIX]{prefix}{middle}",
    eot: "</s>",
    specials: [],
    banned: DATA_FORMAT_LANGUAGES,
  },
];

export const FORMATS: Readonly<Record<string, FimFormat>> = Object.fromEntries(ROWS.map((r) => [r.name, r]));
export const FORMAT_NAMES: readonly string[] = ROWS.map((r) => r.name);
export const DEFAULT_FORMAT = "ctx";

export class UnknownFormatError extends Error {
  constructor(name: string) {
    super(`unknown format "${name}": use one of ${FORMAT_NAMES.join(", ")}`);
    this.name = "UnknownFormatError";
  }
}

export function getFormat(name: string): FimFormat {
  const f = FORMATS[name];
  if (!f) throw new UnknownFormatError(name);
  return f;
}

/** Splits "a{prefix}b" into ["a", {p:"prefix"}, "b"]. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const re = /\{(prefix|suffix|middle|ctx_before|ctx_after)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push({ p: m[1] as Placeholder });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

/** The literal marker strings of a format (trimmed), its end token and specials: none may appear in code. */
export function markersOf(f: FimFormat): string[] {
  const set = new Set<string>();
  for (const t of [f.psm, f.spm]) {
    if (!t) continue;
    for (const part of parseTemplate(t)) {
      if (typeof part !== "string") continue;
      // adjacent markers ("«/CTX»«PREFIX»", "<fim_prefix><fim_suffix>") are separate tokens
      for (const m of part.split(/(?<=[>»\]])(?=[<«[])/)) if (m.trim()) set.add(m.trim());
    }
  }
  for (const s of [f.eot, ...f.specials]) if (s) set.add(s);
  return [...set];
}

/**
 * Every marker string of every format in the table (template markers, end tokens, specials), in table order. A model
 * may emit another format's markers than the one it is prompted with (one trained on several formats does), so a
 * completion ends at any of them, and none is ever shown as code.
 */
export const ALL_MARKERS: readonly string[] = [...new Set(ROWS.flatMap((f) => markersOf(f)))];

/** Strings that end a generation: the end token, every marker, and the specials. */
export function stopStringsOf(f: FimFormat, eot = f.eot): string[] {
  return [...new Set([eot, ...markersOf(f)].filter((s) => s.length > 0))];
}

/** The template for an order, or an error naming what the format supports. */
export function templateOf(f: FimFormat, order: "psm" | "spm"): string {
  const t = order === "psm" ? f.psm : f.spm;
  if (!t) throw new Error(`format "${f.name}" has no ${order.toUpperCase()} order`);
  return t;
}

/** The order a format uses when the caller has no preference: PSM when it has one. */
export function defaultOrder(f: FimFormat): "psm" | "spm" {
  return f.psm ? "psm" : "spm";
}
