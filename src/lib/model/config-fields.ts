// The field readers every config.json parser shares (config.ts for transformers, mamba-config.ts for Mamba): the
// bounds on sizes, typed reads that name the field, token-id lists. Apart from config.ts so that both parsers use
// them without importing each other.

/**
 * Upper bounds on the sizes in config.json, far above any released model (Llama 3.1 405B: hidden 16384, 126 layers,
 * MLP 53248; the largest vocabularies are about 256k). A size past its bound is a damaged or hostile file: refused
 * before anything is allocated from it. The checkpoint's tensors are checked against the sizes afterwards.
 */
export const CONFIG_LIMITS: Readonly<Record<string, number>> = {
  vocab_size: 1 << 22,
  hidden_size: 1 << 16,
  intermediate_size: 1 << 20,
  num_hidden_layers: 1024,
  num_attention_heads: 1024,
  num_key_value_heads: 1024,
  head_dim: 4096,
  max_position_embeddings: 1 << 24,
  // Mamba
  expand: 64,
  state_size: 1024,
  conv_kernel: 256,
  time_step_rank: 1 << 16,
};

export type Raw = Record<string, unknown>;

export type Fail = (field: string, problem: string) => never;

export interface FieldReaders {
  /** A positive integer at most CONFIG_LIMITS[field]; `fallback` when absent, else a "missing" error. */
  int(field: string, fallback?: number): number;
  num(field: string, fallback: number): number;
  bool(field: string, fallback: boolean): boolean;
}

export function fieldReaders(raw: Raw, fail: Fail): FieldReaders {
  return {
    int(field, fallback) {
      const v = raw[field] ?? fallback;
      if (v === undefined) return fail(field, "missing: every config.json saved by transformers has it; download the file again");
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) return fail(field, `${JSON.stringify(v)} is not a positive integer`);
      const limit = CONFIG_LIMITS[field];
      if (limit !== undefined && v > limit) {
        return fail(field, `${v} is above the limit of ${limit} (far beyond any released model): config.json is damaged or not a model's config`);
      }
      return v;
    },
    num(field, fallback) {
      const v = raw[field] ?? fallback;
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return fail(field, `${JSON.stringify(v)} is not a positive number`);
      return v;
    },
    bool(field, fallback) {
      const v = raw[field] ?? fallback;
      if (typeof v !== "boolean") return fail(field, `${JSON.stringify(v)} is not true or false`);
      return v;
    },
  };
}

/** bos_token_id / eos_token_id / generation_config ids: absent or null -> [], an id -> [id], a list -> the list. */
export function tokenIds(raw: Raw, field: string, fail: Fail): number[] {
  const v = raw[field];
  if (v == null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0)) {
    return fail(field, `${JSON.stringify(v)} is not a token id or a list of token ids`);
  }
  return list as number[];
}
