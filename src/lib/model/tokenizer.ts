// A checkpoint's tokenizer: tokenizer.json (+ tokenizer_config.json) run by @huggingface/tokenizers (pure JS, the
// same code transformers.js uses), behind a small interface the engine, trainer and playground share. Never a BPE of
// our own. Decoding does not "clean up tokenization spaces" (that rewrites " ." to "." and would corrupt code), so
// decode(encode(code)) gives the code back. Not here: reading files (checkpoint.ts), chat templates.

import { Tokenizer } from "@huggingface/tokenizers";
import { TokenizerError } from "./errors.ts";

export const TOKENIZER_FILE = "tokenizer.json";
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

/** A token added on top of the model's vocabulary: specials such as <|endoftext|>, and markers like <|fim_prefix|>. */
export interface AddedTokenInfo {
  content: string;
  id: number;
  /** transformers' "special" flag: skipped by decode({ skipSpecialTokens: true }). */
  special: boolean;
}

export interface ModelTokenizer {
  /** Token ids of `text`. addSpecialTokens (default true, as in transformers) runs tokenizer.json's post-processor. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Highest id + 1, added tokens included (config.json's vocab_size may be larger: padded embeddings). */
  readonly vocabSize: number;
  /** From tokenizer_config.json's bos_token; undefined when it has none (Qwen). */
  readonly bosId: number | undefined;
  /** From tokenizer_config.json's eos_token (generation_config.json may add more: see Checkpoint.stopIds). */
  readonly eosIds: readonly number[];
  readonly specialTokens: readonly AddedTokenInfo[];
  /** The id when `marker` is exactly one added token, else undefined. */
  singleTokenId(marker: string): number | undefined;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** Highest token id + 1 we accept (as config.ts's vocab_size limit): larger ids are a damaged file, not a vocabulary. */
export const MAX_TOKEN_ID = 1 << 22;

const isTokenId = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < MAX_TOKEN_ID;

/**
 * The model section must be what its type needs, or the library builds a tokenizer that maps everything to one id
 * (a vocab given as an array to BPE trains at loss 0). BPE, WordPiece, WordLevel: vocab an object of token → id;
 * BPE also merges, a list of "a b" strings or [a, b] pairs; Unigram: vocab a list of [token, score]. O(vocabulary).
 */
function checkModel(model: Raw, file: string): void {
  const fail = (field: string, problem: string): never => {
    throw new TokenizerError(file, `${field}: ${problem}; download tokenizer.json again`);
  };
  const vocab = model.vocab;
  const type = typeof model.type === "string" ? model.type : Array.isArray(vocab) ? "Unigram" : undefined;
  const kind = type === undefined ? "this" : `a ${type}`;
  if (type === "Unigram") {
    if (!Array.isArray(vocab)) return fail("model.vocab", `is ${describe(vocab)}, but a Unigram model needs a list of [token, score] pairs`);
    if (vocab.length === 0) return fail("model.vocab", "is empty");
    if (vocab.length > MAX_TOKEN_ID) return fail("model.vocab", `has ${vocab.length} entries, above the limit of ${MAX_TOKEN_ID}`);
    vocab.forEach((e, i) => {
      if (!Array.isArray(e) || e.length < 2 || typeof e[0] !== "string" || typeof e[1] !== "number" || !Number.isFinite(e[1])) {
        fail(`model.vocab[${i}]`, `is ${JSON.stringify(e)?.slice(0, 60)}, not a [token, score] pair`);
      }
    });
    if (model.unk_id != null && !(isTokenId(model.unk_id) && (model.unk_id as number) < vocab.length)) {
      fail("model.unk_id", `${JSON.stringify(model.unk_id)} is not an index into model.vocab`);
    }
    return;
  }
  if (type !== undefined && !["BPE", "WordPiece", "WordLevel"].includes(type)) return; // the library names unknown types
  if (!isObject(vocab)) return fail("model.vocab", `is ${describe(vocab)}, but ${kind} model needs an object of token → id`);
  let n = 0;
  for (const token in vocab) {
    if (!isTokenId(vocab[token])) {
      fail(`model.vocab[${JSON.stringify(token)}]`, `${JSON.stringify(vocab[token])} is not a token id (an integer from 0 below ${MAX_TOKEN_ID})`);
    }
    n++;
  }
  if (n === 0) fail("model.vocab", "is empty");
  if (type === "BPE" || (type === undefined && model.merges !== undefined)) {
    const merges = model.merges;
    if (!Array.isArray(merges)) return fail("model.merges", `is ${describe(merges)}, but a BPE model needs a list of merges ("a b" or ["a", "b"])`);
    merges.forEach((m, i) => {
      const ok = typeof m === "string" ? m.includes(" ") : Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string";
      if (!ok) fail(`model.merges[${i}]`, `is ${JSON.stringify(m)?.slice(0, 60)}, not a merge ("a b" or ["a", "b"])`);
    });
  }
}

function checkAddedTokens(list: unknown, file: string): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new TokenizerError(file, `added_tokens: is ${describe(list)}, not a list; download tokenizer.json again`);
  list.forEach((t, i) => {
    if (!isObject(t) || typeof t.content !== "string" || !isTokenId(t.id)) {
      throw new TokenizerError(file, `added_tokens[${i}]: needs a "content" string and an "id" below ${MAX_TOKEN_ID}; download tokenizer.json again`);
    }
  });
}

function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** Build the tokenizer from the parsed JSON files. `file` names tokenizer.json in errors (e.g. with its folder). */
export function loadTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown = {}, file = TOKENIZER_FILE): ModelTokenizer {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new TokenizerError(file, 'has no "model" object: it is not a Hugging Face tokenizer.json; download it again');
  }
  if (!isObject(tokenizerConfig)) {
    throw new TokenizerError(TOKENIZER_CONFIG_FILE, "is not a JSON object: download it again");
  }
  checkModel(tokenizerJson.model, file);
  checkAddedTokens(tokenizerJson.added_tokens, file);
  // The library reads added_tokens unconditionally; older exports leave the list out.
  const json = { added_tokens: [], ...tokenizerJson };
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, tokenizerConfig);
  } catch (e) {
    throw new TokenizerError(file, `cannot be loaded (${(e as Error).message}): it needs a tokenizer type @huggingface/tokenizers supports`);
  }

  const added: AddedTokenInfo[] = [...tok.get_added_tokens_decoder().values()]
    .map((t) => ({ content: t.content, id: t.id, special: t.special }))
    .sort((a, b) => a.id - b.id);
  const addedByContent = new Map(added.map((t) => [t.content, t.id]));
  let vocabSize = 0;
  for (const id of tok.get_vocab(true).values()) vocabSize = Math.max(vocabSize, id + 1);

  const idOf = (field: string): number | undefined => {
    const v = tokenizerConfig[field];
    const content = typeof v === "string" ? v : isObject(v) && typeof v.content === "string" ? v.content : undefined;
    if (content === undefined) return undefined;
    const id = tok.token_to_id(content);
    if (id === undefined) {
      throw new TokenizerError(TOKENIZER_CONFIG_FILE, `${field} ${JSON.stringify(content)} is not a token of ${file}: the two files do not belong together`);
    }
    return id;
  };
  const bosId = idOf("bos_token");
  const eos = idOf("eos_token");

  return {
    encode: (text, opts = {}) => tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids,
    // @huggingface/tokenizers throws on an empty list
    decode: (ids, opts = {}) =>
      ids.length === 0 ? "" : tok.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false }),
    tokenToId: (token) => tok.token_to_id(token),
    idToToken: (id) => tok.id_to_token(id),
    vocabSize,
    bosId,
    eosIds: eos === undefined ? [] : [eos],
    specialTokens: added,
    singleTokenId: (marker) => addedByContent.get(marker),
  };
}
