// GGUF tokenizer metadata for byte-level BPE tokenizers (tokenizer.json), as llama.cpp's converter writes it:
// model "gpt2", the pre-tokenizer name llama.cpp knows, every token id up to the embedding rows (missing ids as
// "[PAD{i}]", UNUSED), token types (added specials and FIM markers CONTROL, so llama.cpp treats them as control
// tokens), merges (both tokenizer.json layouts), bos/eos/pad ids, add_bos_token, chat template, FIM token ids.

import { FORMATS, getFormat, markersOf, parseTemplate, type FimFormat } from "../fim/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { KEY, TOKEN_TYPE, type KeyRow } from "../gguf/constants.ts";

type Raw = Record<string, unknown>;

export class TokenizerExportError extends Error {
  constructor(message: string) {
    super(`tokenizer.json: ${message}`);
    this.name = "TokenizerExportError";
  }
}

/**
 * Every tokenizer.ggml.pre name llama.cpp's BPE loader knows (llama-vocab.cpp, late 2025); any other name makes it
 * warn and fall back to "default", which splits text differently from the model's tokenizer. `--pre` takes these.
 */
export const LLAMA_CPP_PRE_NAMES = [
  "default", "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "deepseek-llm",
  "deepseek-coder", "deepseek-v3", "falcon", "mpt", "starcoder", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat",
  "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code", "roberta-bpe", "refact", "command-r", "qwen2",
  "deepseek-r1-qwen", "stablelm2", "olmo", "dbrx", "smaug-bpe", "poro-chat", "glm4", "chatglm-bpe", "viking", "jais",
  "tekken", "smollm", "codeshell", "bloom", "gpt3-finnish", "exaone", "exaone4", "chameleon", "minerva-7b", "megrez",
  "gpt-4o", "llama4", "superbpe", "trillion", "granite-docling", "bailingmoe", "bailingmoe2", "seed-coder", "hunyuan",
  "hunyuan-dense", "kimi-k2", "grok-2", "afmoe", "minimax-m2",
] as const;

/**
 * Pre-tokenizer names llama.cpp accepts (llama-vocab.cpp), recognised by the pre-tokenizer of tokenizer.json:
 * the split regex (Llama 3 keeps digit runs of up to 3, Qwen2 single digits), for SmolLM/StarCoder the
 * Digits(individual) + ByteLevel sequence, and a lone ByteLevel step that splits with GPT-2's own regex: the
 * GPT-NeoX tokenizer (Mamba, Pythia; NFC normalizer) is "olmo", the name convert_hf_to_gguf.py gives its hash
 * (the same as MPT's: both rows match and the later wins), and GPT-2's is "gpt-2". llama.cpp runs gpt-2, mpt and
 * olmo with the same regex.
 */
const PRE_TOKENIZERS: readonly { name: string; matches: (p: PreTokenizer) => boolean }[] = [
  { name: "llama-bpe", matches: (p) => p.regexes.some((r) => r.includes("\\p{N}{1,3}") && r.startsWith("(?i:'s|'t|'re|'ve|'m|'ll|'d)")) },
  { name: "qwen2", matches: (p) => p.regexes.some((r) => r.startsWith("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|")) },
  { name: "smollm", matches: (p) => p.types.includes("Digits") && p.types.includes("ByteLevel") && p.regexes.length === 0 },
  { name: "olmo", matches: (p) => gpt2Regex(p) && p.normalizers.includes("NFC") },
  { name: "gpt-2", matches: (p) => gpt2Regex(p) && p.normalizers.length === 0 },
];

interface PreTokenizer {
  types: string[];
  regexes: string[];
  /** ByteLevel steps that split with GPT-2's regex (use_regex, true when absent). */
  byteLevelRegex: number;
  /** The normalizer's step types (tokenizer.json "normalizer"). */
  normalizers: string[];
}

/** Nothing but one ByteLevel step with GPT-2's regex. */
const gpt2Regex = (p: PreTokenizer) => p.types.length === 1 && p.types[0] === "ByteLevel" && p.byteLevelRegex === 1 && p.regexes.length === 0;

/** The step types, split regexes and ByteLevel regex use of a (possibly nested) pre_tokenizer or normalizer. */
function stepsOf(node: unknown, out: PreTokenizer = { types: [], regexes: [], byteLevelRegex: 0, normalizers: [] }): PreTokenizer {
  if (Array.isArray(node)) node.forEach((n) => stepsOf(n, out));
  else if (node && typeof node === "object") {
    const o = node as Raw;
    if (typeof o.type === "string") out.types.push(o.type);
    if (o.type === "ByteLevel" && o.use_regex !== false) out.byteLevelRegex++;
    const re = (o.pattern as Raw | undefined)?.Regex;
    if (typeof re === "string") out.regexes.push(re);
    for (const v of Object.values(o)) if (typeof v === "object") stepsOf(v, out);
  }
  return out;
}

export function detectPre(tokenizerJson: Raw): string {
  const pre = stepsOf(tokenizerJson.pre_tokenizer);
  pre.normalizers = stepsOf(tokenizerJson.normalizer).types;
  const row = PRE_TOKENIZERS.find((r) => r.matches(pre));
  if (!row) {
    throw new TokenizerExportError(
      `its pre-tokenizer is none llama.cpp is known to run (${PRE_TOKENIZERS.map((r) => r.name).join(", ")}): pass the name with --pre if you know it`,
    );
  }
  return row.name;
}

/** transformers-style special-looking names (convert_hf_to_gguf's does_token_look_special). */
function looksSpecial(t: string): boolean {
  return ["<pad>", "<mask>", "<cls>", "<sep>", "<unk>", "<s>", "</s>"].includes(t) ||
    (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"));
}

/** Every marker string of every format: single tokens among them are control tokens. */
const ALL_MARKERS = new Set(Object.values(FORMATS).flatMap(markersOf));

export interface KvEntry {
  row: KeyRow;
  value: string | number | boolean | readonly (string | number)[];
}

/** The FIM marker for llama.cpp's pre/suf/mid slots of a format: the literal before {prefix}, {suffix}, {middle}. */
function fimSlots(f: FimFormat): { pre?: string; suf?: string; mid?: string } {
  const t = parseTemplate(f.psm ?? f.spm!);
  const before = (p: string) => {
    const i = t.findIndex((x) => typeof x !== "string" && x.p === p);
    const lit = i > 0 ? t[i - 1] : undefined;
    if (typeof lit !== "string") return undefined;
    // the marker right before the placeholder: "«/CTX»«PREFIX»" → "«PREFIX»"
    const parts = lit.split(/(?<=[>»\]])(?=[<«[])/);
    return parts[parts.length - 1]!.trim();
  };
  return { pre: before("prefix"), suf: before("suffix"), mid: before("middle") };
}

export interface TokenizerKvOptions {
  /** The FIM format the model was trained with: its markers fill the fim_* token id keys when they are single tokens. */
  format?: string;
  /** Override the detected pre-tokenizer name. */
  pre?: string;
}

export function tokenizerKv(tokenizerJson: Raw, tokenizerConfig: Raw, config: ModelConfig, o: TokenizerKvOptions = {}): KvEntry[] {
  const model = tokenizerJson.model as Raw | undefined;
  if (!model || model.type !== "BPE" || typeof model.vocab !== "object") {
    throw new TokenizerExportError(`model.type is ${JSON.stringify(model?.type)}: only byte-level BPE tokenizers export to GGUF here`);
  }
  const V = config.vocab_size;
  const tokens: string[] = new Array(V);
  const types: number[] = new Array(V).fill(TOKEN_TYPE.UNUSED);
  for (const [tok, id] of Object.entries(model.vocab as Record<string, number>)) {
    if (id < V) {
      tokens[id] = tok;
      types[id] = TOKEN_TYPE.NORMAL;
    }
  }
  const added = (tokenizerJson.added_tokens ?? []) as { id: number; content: string; special?: boolean }[];
  for (const a of added) {
    if (a.id >= V) throw new TokenizerExportError(`added token ${JSON.stringify(a.content)} has id ${a.id}, beyond the ${V} embedding rows`);
    tokens[a.id] = a.content;
    types[a.id] = a.special || looksSpecial(a.content) || ALL_MARKERS.has(a.content) ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
  }
  for (let i = 0; i < V; i++) if (tokens[i] === undefined) tokens[i] = `[PAD${i}]`;
  const merges = ((model.merges ?? []) as (string | [string, string])[]).map((m) => (typeof m === "string" ? m : `${m[0]} ${m[1]}`));
  const idOf = (s: unknown): number | undefined => {
    const content = typeof s === "string" ? s : (s as Raw | null)?.content;
    if (typeof content !== "string") return undefined;
    const i = tokens.indexOf(content);
    return i >= 0 ? i : undefined;
  };
  const kv: KvEntry[] = [
    { row: KEY.TOKENIZER_MODEL, value: "gpt2" },
    { row: KEY.TOKENIZER_PRE, value: o.pre ?? detectPre(tokenizerJson) },
    { row: KEY.TOKENS, value: tokens },
    { row: KEY.TOKEN_TYPE, value: types },
    { row: KEY.MERGES, value: merges },
  ];
  const bos = idOf(tokenizerConfig.bos_token) ?? config.bos_token_id ?? undefined;
  const eos = idOf(tokenizerConfig.eos_token) ?? config.eos_token_ids[0];
  const pad = idOf(tokenizerConfig.pad_token);
  if (bos !== undefined && bos !== null) kv.push({ row: KEY.BOS_ID, value: bos });
  if (eos !== undefined) kv.push({ row: KEY.EOS_ID, value: eos });
  if (pad !== undefined) kv.push({ row: KEY.PAD_ID, value: pad });
  const postProcessor = JSON.stringify(tokenizerJson.post_processor ?? null);
  const addBos = typeof tokenizerConfig.add_bos_token === "boolean"
    ? tokenizerConfig.add_bos_token
    : bos !== undefined && bos !== null && postProcessor.includes(JSON.stringify(tokens[bos]));
  kv.push({ row: KEY.ADD_BOS, value: addBos });
  if (typeof tokenizerConfig.chat_template === "string") kv.push({ row: KEY.CHAT_TEMPLATE, value: tokenizerConfig.chat_template });
  if (o.format) {
    const f = getFormat(o.format);
    const slots = fimSlots(f);
    const single = (s: string | undefined) => {
      if (!s) return undefined;
      const i = added.find((a) => a.content === s);
      return i?.id;
    };
    const specials = (names: string[]) => names.map((n) => f.specials.find((s) => s.includes(n))).find((s) => s && single(s) !== undefined);
    const entries: [KeyRow, number | undefined][] = [
      [KEY.FIM_PRE_ID, single(slots.pre)], [KEY.FIM_SUF_ID, single(slots.suf)], [KEY.FIM_MID_ID, single(slots.mid)],
      [KEY.FIM_PAD_ID, single(specials(["pad"]))], [KEY.FIM_REP_ID, single(specials(["repo"]))], [KEY.FIM_SEP_ID, single(specials(["file_sep"]))],
    ];
    for (const [row, id] of entries) if (id !== undefined) kv.push({ row, value: id });
  }
  return kv;
}
