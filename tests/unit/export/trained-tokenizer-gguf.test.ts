// A tokenizer trained by bpe-train.ts goes all the way to llama.cpp: a tiny random Llama checkpoint with it, exported
// to F32 GGUF by the `fim export` command, carries pre-tokenizer "qwen2", every FIM marker as a CONTROL token and
// the FIM ids of the chosen format; llama.cpp (node-llama-cpp's prebuilt binaries) then tokenizes code and random
// strings, with the FIM markers parsed as special, to exactly the ids @huggingface/tokenizers gives, and detokenizes
// them back. (Exported with another pre-tokenizer, gpt-2 say, many of the random strings differ: the check bites.)

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { main } from "../../../node/export/src/cli/main.ts";
import { TOKEN_TYPE } from "../../../src/lib/gguf/constants.ts";
import { parseGguf } from "../../../src/lib/gguf/reader.ts";
import { BUILTIN_CORPUS } from "../../../src/lib/fim/corpus/index.ts";
import { FORMATS, markersOf, Rng } from "../../../src/lib/fim/index.ts";
import { END_OF_TEXT, LLAMA_CPP_PRE, PAD_TOKEN, TOKENIZER_SPECIALS, tokenizerConfigOf, tokenizerJsonOf, trainBpeOnTexts } from "../../../src/lib/model/bpe-train.ts";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";
import type { SmallTokenizer } from "../../fixtures/small-tokenizer.ts";
import { writeTinyCheckpoint } from "../../fixtures/tiny-checkpoint.ts";
import { tmp } from "./export-helpers.ts";

const model = trainBpeOnTexts(BUILTIN_CORPUS.map((f) => f.text), { vocabSize: 256 + 1000 + TOKENIZER_SPECIALS.length });
const tokenizerJson = tokenizerJsonOf(model);
const tokenizerConfig = tokenizerConfigOf(model);
const tok = loadTokenizer(tokenizerJson, tokenizerConfig);
const ALL_MARKERS = [...new Set(Object.values(FORMATS).flatMap(markersOf))];
const trained: SmallTokenizer = {
  tokenizerJson, tokenizerConfig, baseSize: model.vocab.length, vocabSize: tok.vocabSize,
  addedId: (c) => tok.singleTokenId(c) ?? (() => { throw new Error(`no added token ${c}`); })(),
};

const CODE = [
  "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n",
  "const total = orders.reduce((sum, o) => sum + o.price * o.qty, 0);\r\n\tif (total > 1000) { console.log(`big: ${total}`); }\n",
  "SELECT id, name FROM users WHERE created_at >= '2024-01-01' AND name LIKE '%o''brien%';\n",
  "It's DON'T we'll   trailing   \n\n\n    x = 1234567890 + 3.14e-10  # numbers, one digit at a time\n",
  "# 日本語のコメント: naïve_café = \"Ünïcödé ✓ — ½\"  😀👍🏽\n",
  "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))<|fim_middle|>return a + b\n<|endoftext|>",
  "«CTX»x = 1\n«CURSOR»\n«/CTX»«PREFIX»def f():\n    «SUFFIX»\n«MIDDLE»return 42\n",
  "<fim_prefix>a<fim_suffix>b<fim_middle>c<|endoftext|><PRE> x <SUF>y <MID>z<EOT>[SUFFIX]s[PREFIX]p</s>",
  "<｜fim▁begin｜>int main() {<｜fim▁hole｜>}<｜fim▁end｜>  return 0;<｜end▁of▁sentence｜><|fim_pad|><|repo_name|>r<|file_sep|>f",
];

let llama: Llama;
let lm: LlamaModel;
let gguf: ReturnType<typeof parseGguf>;

beforeAll(async () => {
  const dir = join(tmp, "trained-tokenizer-model");
  await writeTinyCheckpoint(dir, { tokenizer: trained });
  const path = join(tmp, "trained-tokenizer.gguf");
  let stderr = "";
  const code = await main(["export", "--model", dir, "--quant", "f32", "--out", path, "--format", "psm", "--quiet"], {
    stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) },
  });
  expect(code, stderr).toBe(0);
  gguf = parseGguf(new Uint8Array(readFileSync(path)));
  llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
  lm = await llama.loadModel({ modelPath: path });
}, 120_000);
afterAll(async () => {
  await lm?.dispose();
  await llama?.dispose();
});

const kv = (key: string) => gguf.kvs.get(key)?.value;

describe("a trained tokenizer in GGUF", () => {
  it("carries gpt2 / qwen2, the tokens, the merges, eos, pad and the psm FIM ids", () => {
    expect(kv("tokenizer.ggml.model")).toBe("gpt2");
    expect(kv("tokenizer.ggml.pre")).toBe(LLAMA_CPP_PRE); // recognised from the regex, no --pre
    const tokens = kv("tokenizer.ggml.tokens") as string[];
    expect(tokens.slice(0, tok.vocabSize)).toEqual([...model.vocab, ...model.specialTokens]);
    expect((kv("tokenizer.ggml.merges") as string[]).length).toBe(model.merges.length);
    expect(kv("tokenizer.ggml.eos_token_id")).toBe(tok.singleTokenId(END_OF_TEXT));
    expect(kv("tokenizer.ggml.padding_token_id")).toBe(tok.singleTokenId(PAD_TOKEN));
    expect(kv("tokenizer.ggml.add_bos_token")).toBe(false);
    expect(kv("tokenizer.ggml.fim_pre_token_id")).toBe(tok.singleTokenId("<|fim_prefix|>"));
    expect(kv("tokenizer.ggml.fim_suf_token_id")).toBe(tok.singleTokenId("<|fim_suffix|>"));
    expect(kv("tokenizer.ggml.fim_mid_token_id")).toBe(tok.singleTokenId("<|fim_middle|>"));
  });

  it("marks every FIM marker (and eos, pad) CONTROL, the learned tokens NORMAL, the padded rows UNUSED", () => {
    const types = kv("tokenizer.ggml.token_type") as number[];
    for (const m of [...ALL_MARKERS, END_OF_TEXT, PAD_TOKEN]) {
      const id = tok.singleTokenId(m)!;
      expect(types[id], m).toBe(TOKEN_TYPE.CONTROL);
      expect(lm.getTokenAttributes(id as never).control, m).toBe(true);
    }
    expect(types.slice(0, model.vocab.length).every((t) => t === TOKEN_TYPE.NORMAL)).toBe(true);
    expect(types.slice(tok.vocabSize).every((t) => t === TOKEN_TYPE.UNUSED)).toBe(true);
    expect(types.length % 64).toBe(0);
  });
});

describe("llama.cpp tokenizes like @huggingface/tokenizers", () => {
  it("code with FIM markers parsed as special: the very same ids", () => {
    for (const text of CODE) expect(Array.from(lm.tokenize(text, true)), JSON.stringify(text.slice(0, 30))).toEqual(tok.encode(text));
  });

  it("random strings of code pieces, odd whitespace (U+0085, U+00A0, U+2028, U+3000, U+FEFF), unicode and markers", () => {
    const pool = ["a", "Z", "_", "0", "9", " ", "  ", "\n", "\r\n", "\t", "\v", "\f", "'s", "'LL", "(", "}", ";", "é", "ß", "日", "😀", "\u0301",
      "\u00a0", "\u0085", "\u2028", "\u3000", "\u200b", "\ufeff", ...ALL_MARKERS];
    const rng = new Rng(5);
    for (let i = 0; i < 500; i++) {
      let text = "";
      for (let j = 0; j < 12; j++) text += pool[rng.int(0, pool.length - 1)];
      expect(Array.from(lm.tokenize(text, true)), JSON.stringify(text)).toEqual(tok.encode(text));
    }
  });

  it("each marker alone is its one id", () => {
    for (const m of ALL_MARKERS) expect(Array.from(lm.tokenize(m, true)), m).toEqual([tok.singleTokenId(m)]);
  });

  it("detokenizes our ids back to the text", () => {
    for (const text of CODE) expect(lm.detokenize(tok.encode(text) as never, true)).toBe(text);
  });

  it("finds the psm format's FIM tokens for its infill API", () => {
    expect(lm.tokens.infill.prefix).toBe(tok.singleTokenId("<|fim_prefix|>"));
    expect(lm.tokens.infill.suffix).toBe(tok.singleTokenId("<|fim_suffix|>"));
    expect(lm.tokens.infill.middle).toBe(tok.singleTokenId("<|fim_middle|>"));
  });
});
