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

/** Build the tokenizer from the parsed JSON files. `file` names tokenizer.json in errors (e.g. with its folder). */
export function loadTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown = {}, file = TOKENIZER_FILE): ModelTokenizer {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new TokenizerError(file, 'has no "model" object: it is not a Hugging Face tokenizer.json; download it again');
  }
  if (!isObject(tokenizerConfig)) {
    throw new TokenizerError(TOKENIZER_CONFIG_FILE, "is not a JSON object: download it again");
  }
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
