// Training a byte-level BPE tokenizer of our own on code, written out as tokenizer.json + tokenizer_config.json that
// @huggingface/tokenizers runs and that GGUF export hands to llama.cpp (pre-tokenizer "qwen2"). Pure TypeScript,
// isomorphic. Not here: encoding (tokenizer.ts runs the result through @huggingface/tokenizers), reading files (the
// `fim tokenizer` command).
//
// The recipe is GPT-2's as Hugging Face's BpeTrainer runs it: split text on the special tokens, pre-tokenize the
// rest with Qwen2's regex (digits one by one, letters with one leading non-letter, punctuation runs with one leading
// space, newline runs), count the distinct pieces, spell each piece in bytes (ids 0..255 are the bytes themselves,
// so any text encodes), then repeatedly merge the most frequent adjacent pair. Pair counts are updated incrementally
// (only the words holding the merged pair are touched) and kept in a max-heap with lazy deletion: a popped entry
// whose count went stale is pushed back with its current count. Ties go to the smaller (left id, right id), so the
// result depends only on the multiset of pieces, not on their order.

import { utf8Length } from "../fim/filters.ts";
import { FORMATS, markersOf } from "../fim/formats.ts";

/** Qwen2's split regex as tokenizer.json carries it; llama.cpp runs it as pre-tokenizer "qwen2" (llama-vocab.cpp). */
export const PRE_TOKENIZER_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** The llama.cpp pre-tokenizer name that GGUF export writes (tokenizer-kv.ts recognises the regex above). */
export const LLAMA_CPP_PRE = "qwen2";

/**
 * The same regex in JavaScript's syntax, as @huggingface/tokenizers rewrites it: the inline (?i:) spelled out in
 * ASCII classes, and \s as Unicode White_Space (Rust's \s; JavaScript's adds U+FEFF and lacks U+0085).
 */
const SPLIT_RE =
  /'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*|\p{White_Space}*[\r\n]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other 68 for U+0100.. in byte order. */
export const BYTE_CHARS: readonly string[] = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : next++));
})();

export const END_OF_TEXT = "<|endoftext|>";
/** Its own padding token, so a collator that masks padding out of the loss never masks the end token. */
export const PAD_TOKEN = "<|pad|>";
/** The added tokens, in id order: end of text, padding, then every marker of every FIM format (FORMATS order). */
export const TOKENIZER_SPECIALS: readonly string[] = [...new Set([END_OF_TEXT, PAD_TOKEN, ...Object.values(FORMATS).flatMap(markersOf)])];

export class BpeTrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BpeTrainError";
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Text → the pieces BPE works within: special tokens cut out (and dropped), the rest split by the Qwen2 regex. */
export function preTokenize(text: string, specials: readonly string[] = TOKENIZER_SPECIALS, out: string[] = []): string[] {
  forEachPiece(text, specialsRe(specials), (p) => out.push(p));
  return out;
}

function specialsRe(specials: readonly string[]): RegExp | undefined {
  if (specials.length === 0) return undefined;
  // longest first, so a marker that starts another one never wins over it
  return new RegExp([...specials].sort((a, b) => b.length - a.length).map(escapeRe).join("|"), "gu");
}

function forEachPiece(text: string, specials: RegExp | undefined, f: (piece: string) => void): void {
  // Each stretch between special tokens is pre-tokenized on its own, as the tokenizers library does (a lookahead
  // such as \s+(?!\S) must see the stretch's end, not the marker after it). Split's behavior is "Isolated":
  // text between matches would be a piece too (this regex leaves none, but be exact).
  const segment = (seg: string) => {
    let last = 0;
    SPLIT_RE.lastIndex = 0;
    for (let m = SPLIT_RE.exec(seg); m; m = SPLIT_RE.exec(seg)) {
      if (m.index > last) f(seg.slice(last, m.index));
      f(m[0]);
      last = m.index + m[0].length;
    }
    if (last < seg.length) f(seg.slice(last));
  };
  if (!specials) return segment(text);
  let start = 0;
  specials.lastIndex = 0;
  for (let m = specials.exec(text); m; m = specials.exec(text)) {
    if (m.index > start) segment(text.slice(start, m.index));
    start = m.index + m[0].length;
  }
  segment(start === 0 ? text : text.slice(start));
}

/** How often each pre-tokenized piece occurs: feed texts one by one (memory grows with distinct pieces only). */
export class WordCounts {
  readonly counts = new Map<string, number>();
  /** UTF-8 bytes and texts seen, special tokens included. */
  bytes = 0;
  texts = 0;
  private readonly specials: RegExp | undefined;

  constructor(readonly specialTokens: readonly string[] = TOKENIZER_SPECIALS) {
    this.specials = specialsRe(specialTokens);
  }

  add(text: string): void {
    this.texts++;
    this.bytes += utf8Length(text);
    const c = this.counts;
    forEachPiece(text, this.specials, (p) => {
      const n = c.get(p);
      // A new key is copied: V8's slices of 13+ characters point into the text and would keep every file alive.
      if (n === undefined) c.set(p.length < 13 ? p : (" " + p).slice(1), 1);
      else c.set(p, n + 1);
    });
  }
}

export interface BpeTrainOptions {
  /** Total tokens: 256 bytes + merges + the special tokens. */
  vocabSize: number;
  /** Stop early when the best pair occurs fewer times than this (default 2: a pair seen once teaches nothing). */
  minFrequency?: number;
  /** Called every 100 merges and at the end. */
  onProgress?: (p: { merges: number; vocab: number; target: number }) => void;
}

export interface BpeModel {
  /** id → token in byte-level symbols (GPT-2's alphabet): the 256 bytes, then one per new merge result. */
  vocab: string[];
  /** In rank order. Can outnumber vocab.length - 256 when two merges spell the same string. */
  merges: [string, string][];
  /** Added tokens, ids vocab.length.. */
  specialTokens: string[];
  stats: {
    /** Piece occurrences and distinct pieces counted. */
    pieces: number;
    distinctPieces: number;
    /** UTF-8 bytes of the pieces (special tokens excluded), and the tokens they take with the learned merges. */
    bytes: number;
    tokens: number;
    /** Count of the last merge (the frequency the vocabulary ended at). */
    lastMergeCount: number;
  };
}

/** A max-heap of (count, pair key): higher count first, then the smaller key. Entries may be stale (lazy). */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];

  get size(): number {
    return this.c.length;
  }

  private above(i: number, j: number): boolean {
    return this.c[i]! > this.c[j]! || (this.c[i] === this.c[j] && this.k[i]! < this.k[j]!);
  }

  private swap(i: number, j: number): void {
    [this.c[i], this.c[j]] = [this.c[j]!, this.c[i]!];
    [this.k[i], this.k[j]] = [this.k[j]!, this.k[i]!];
  }

  push(count: number, key: number): void {
    this.c.push(count);
    this.k.push(key);
    for (let i = this.c.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the top; returns [count, key]. */
  pop(): [number, number] {
    const top: [number, number] = [this.c[0]!, this.k[0]!];
    const lc = this.c.pop()!;
    const lk = this.k.pop()!;
    const n = this.c.length;
    if (n > 0) {
      this.c[0] = lc;
      this.k[0] = lk;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < n && this.above(l, m)) m = l;
        if (r < n && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** Learns merges until vocabSize tokens (specials included) or until no pair occurs minFrequency times. */
export function trainBpe(counts: WordCounts | ReadonlyMap<string, number>, opts: BpeTrainOptions): BpeModel {
  const specialTokens = counts instanceof WordCounts ? [...counts.specialTokens] : [...TOKENIZER_SPECIALS];
  const map = counts instanceof WordCounts ? counts.counts : counts;
  const target = opts.vocabSize - specialTokens.length;
  if (!Number.isInteger(opts.vocabSize) || target < 256) {
    throw new BpeTrainError(`vocabulary size must be an integer of at least ${256 + specialTokens.length} (256 bytes + ${specialTokens.length} special tokens), got ${opts.vocabSize}`);
  }
  const minFrequency = Math.max(1, opts.minFrequency ?? 2);
  const K = target; // pair key = left * K + right: a small integer (V8 Smi) while target <= 32768

  // Distinct pieces spelled in bytes (ids 0..255); merges rewrite them in place.
  const n = map.size;
  const words: Int32Array[] = new Array(n);
  const len = new Int32Array(n);
  const freq = new Float64Array(n);
  const enc = new TextEncoder();
  let w = 0;
  let pieces = 0;
  let bytes = 0;
  for (const [piece, count] of map) {
    const b = enc.encode(piece);
    words[w] = Int32Array.from(b);
    len[w] = b.length;
    freq[w] = count;
    pieces += count;
    bytes += b.length * count;
    w++;
  }

  // Pair counts and, per pair, the words it occurs in (duplicates allowed; skipped with a per-merge stamp).
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addWhere = (key: number, word: number) => {
    const list = where.get(key);
    if (!list) where.set(key, [word]);
    else if (list[list.length - 1] !== word) list.push(word);
  };
  for (let i = 0; i < n; i++) {
    const s = words[i]!;
    for (let j = 0; j + 1 < len[i]!; j++) {
      const key = s[j]! * K + s[j + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + freq[i]!);
      addWhere(key, i);
    }
  }
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const vocab = [...BYTE_CHARS];
  const idOf = new Map(vocab.map((t, i) => [t, i]));
  const merges: [string, string][] = [];
  const seen = new Int32Array(n).fill(-1);
  let lastMergeCount = 0;
  const progress = () => opts.onProgress?.({ merges: merges.length, vocab: vocab.length + specialTokens.length, target: opts.vocabSize });

  while (vocab.length < target && heap.size > 0) {
    const [stored, key] = heap.pop();
    const count = pairCount.get(key) ?? 0;
    if (count !== stored) {
      if (count > 0) heap.push(count, key); // stale: counts of other pairs only fall, so this is still an upper bound
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(key / K);
    const b = key - a * K;
    const text = vocab[a]! + vocab[b]!;
    let c = idOf.get(text);
    if (c === undefined) {
      c = vocab.length;
      vocab.push(text);
      idOf.set(text, c);
    }
    const m = merges.length;
    merges.push([vocab[a]!, vocab[b]!]);
    lastMergeCount = count;

    const touched = new Set<number>(); // pairs that gained occurrences: all hold c
    for (const i of where.get(key) ?? []) {
      if (seen[i] === m) continue;
      seen[i] = m;
      const s = words[i]!;
      const L = len[i]!;
      let at = -1;
      for (let j = 0; at < 0 && j + 1 < L; j++) if (s[j] === a && s[j + 1] === b) at = j;
      if (at < 0) continue; // a stale entry: an earlier merge consumed the pair here
      const f = freq[i]!;
      // Only pairs from the first merge site on can change: take them out, rewrite, put the new ones in.
      const from = Math.max(0, at - 1);
      for (let j = from; j + 1 < L; j++) {
        const k = s[j]! * K + s[j + 1]!;
        const left = pairCount.get(k)! - f;
        if (left > 0) pairCount.set(k, left);
        else pairCount.delete(k);
      }
      let o = at;
      for (let j = at; j < L; ) {
        if (j + 1 < L && s[j] === a && s[j + 1] === b) {
          s[o++] = c;
          j += 2;
        } else s[o++] = s[j++]!;
      }
      len[i] = o;
      for (let j = from; j + 1 < o; j++) {
        const k = s[j]! * K + s[j + 1]!;
        pairCount.set(k, (pairCount.get(k) ?? 0) + f);
        if (s[j] === c || s[j + 1] === c) {
          addWhere(k, i);
          touched.add(k);
        }
      }
    }
    where.delete(key);
    for (const k of touched) {
      const cnt = pairCount.get(k);
      if (cnt !== undefined) heap.push(cnt, k);
    }
    if (merges.length % 100 === 0) progress();
  }
  progress();

  let tokens = 0;
  for (let i = 0; i < n; i++) tokens += len[i]! * freq[i]!;
  return {
    vocab,
    merges,
    specialTokens,
    stats: { pieces, distinctPieces: n, bytes, tokens, lastMergeCount },
  };
}

/** Counts the texts and trains: the one-call form. */
export function trainBpeOnTexts(texts: Iterable<string>, opts: BpeTrainOptions & { specialTokens?: readonly string[] }): BpeModel {
  const counts = new WordCounts(opts.specialTokens);
  for (const t of texts) counts.add(t);
  return trainBpe(counts, opts);
}

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };

/**
 * tokenizer.json in the layout of Qwen2's (the tokenizers library's own): no normalizer (llama.cpp applies none,
 * and NFC would break decode(encode(text)) === text), Split + ByteLevel pre-tokenizer, BPE with vocab and merges
 * (pairs), byte-level decoder, every special token as a special added token.
 */
export function tokenizerJsonOf(model: BpeModel): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  model.vocab.forEach((t, i) => (vocab[t] = i));
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: model.specialTokens.map((content, j) => ({
      id: model.vocab.length + j, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PRE_TOKENIZER_REGEX }, behavior: "Isolated", invert: false },
        BYTE_LEVEL,
      ],
    },
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "",
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: model.merges,
    },
  };
}

/** tokenizer_config.json: end of text as eos (and bos, never added, as GPT-2's), its own pad, the added tokens. */
export function tokenizerConfigOf(model: BpeModel, o: { modelMaxLength?: number } = {}): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  model.specialTokens.forEach((content, j) => {
    decoder[String(model.vocab.length + j)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  });
  return {
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: model.specialTokens.filter((t) => t !== END_OF_TEXT && t !== PAD_TOKEN),
    bos_token: model.specialTokens.includes(END_OF_TEXT) ? END_OF_TEXT : null,
    clean_up_tokenization_spaces: false,
    eos_token: model.specialTokens.includes(END_OF_TEXT) ? END_OF_TEXT : null,
    errors: "replace",
    model_max_length: o.modelMaxLength ?? 2048,
    pad_token: model.specialTokens.includes(PAD_TOKEN) ? PAD_TOKEN : null,
    split_special_tokens: false,
    tokenizer_class: "PreTrainedTokenizerFast",
    unk_token: null,
  };
}
