// Our byte-level BPE trainer (src/lib/model/bpe-train.ts) on the built-in corpus: its merges equal a slow, obvious
// trainer's (recount every pair, every round); @huggingface/tokenizers loads the tokenizer.json and encodes exactly
// like a textbook BPE that applies the learned merges in rank order; any text round-trips; every FIM marker of every
// format is one special id; the merges shorten held-out code; training is deterministic and independent of the
// order of its input; and the `fim tokenizer` command writes the same files.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Tokenizer } from "@huggingface/tokenizers";
import { main } from "../../../node/export/src/cli/main.ts";
import { BUILTIN_CORPUS } from "../../../src/lib/fim/corpus/index.ts";
import { FORMATS, markersOf, Rng } from "../../../src/lib/fim/index.ts";
import {
  BpeTrainError, BYTE_CHARS, END_OF_TEXT, PAD_TOKEN, preTokenize, TOKENIZER_SPECIALS, tokenizerConfigOf, tokenizerJsonOf, trainBpe,
  trainBpeOnTexts, WordCounts, type BpeModel,
} from "../../../src/lib/model/bpe-train.ts";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";

const MERGES = 1000;
const VOCAB = 256 + MERGES + TOKENIZER_SPECIALS.length;
const texts = BUILTIN_CORPUS.map((f) => f.text);
const model = trainBpeOnTexts(texts, { vocabSize: VOCAB });
const tokenizerJson = tokenizerJsonOf(model);
const tokenizerConfig = tokenizerConfigOf(model);
const tok = loadTokenizer(tokenizerJson, tokenizerConfig);
const ALL_MARKERS = [...new Set(Object.values(FORMATS).flatMap(markersOf))];

const utf8 = new TextEncoder();
const toByteLevel = (s: string) => Array.from(utf8.encode(s), (b) => BYTE_CHARS[b]!).join("");

/** The slow, obvious trainer: every round, count every adjacent pair of every distinct piece and merge the best. */
function naiveTrain(counts: ReadonlyMap<string, number>, merges: number): [string, string][] {
  const words = [...counts].map(([w, c]) => ({ s: Array.from(utf8.encode(w), (b) => BYTE_CHARS[b]!), c }));
  const idOf = new Map(BYTE_CHARS.map((t, i) => [t, i]));
  const out: [string, string][] = [];
  while (out.length < merges) {
    const pairs = new Map<string, { a: string; b: string; n: number }>();
    for (const { s, c } of words) {
      for (let j = 0; j + 1 < s.length; j++) {
        const key = `${s[j]} ${s[j + 1]}`;
        const p = pairs.get(key) ?? pairs.set(key, { a: s[j]!, b: s[j + 1]!, n: 0 }).get(key)!;
        p.n += c;
      }
    }
    // most frequent; ties: smaller (id of left, id of right)
    let best: { a: string; b: string; n: number } | undefined;
    const rank = (p: { a: string; b: string }) => [idOf.get(p.a)!, idOf.get(p.b)!] as const;
    for (const p of pairs.values()) {
      if (!best || p.n > best.n || (p.n === best.n && (rank(p)[0] < rank(best)[0] || (rank(p)[0] === rank(best)[0] && rank(p)[1] < rank(best)[1])))) best = p;
    }
    if (!best || best.n < 2) break;
    out.push([best.a, best.b]);
    if (!idOf.has(best.a + best.b)) idOf.set(best.a + best.b, idOf.size);
    for (const w of words) {
      const s: string[] = [];
      for (let j = 0; j < w.s.length; j++) {
        if (j + 1 < w.s.length && w.s[j] === best.a && w.s[j + 1] === best.b) s.push(best.a + best.b), j++;
        else s.push(w.s[j]!);
      }
      w.s = s;
    }
  }
  return out;
}

/** Textbook BPE encoding: cut out the special tokens, pre-tokenize, spell each piece in bytes, then merge the pair
 * of lowest rank (all its occurrences, left to right) until no learned merge applies. */
function referenceEncode(m: BpeModel, text: string): number[] {
  const rank = new Map(m.merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const vocab = new Map(m.vocab.map((t, i) => [t, i]));
  const specials = [...m.specialTokens].sort((a, b) => b.length - a.length);
  const ids: number[] = [];
  const encodePiece = (piece: string) => {
    let s = Array.from(utf8.encode(piece), (b) => BYTE_CHARS[b]!);
    for (;;) {
      let best = -1;
      for (let j = 0; j + 1 < s.length; j++) {
        const r = rank.get(`${s[j]} ${s[j + 1]}`);
        if (r !== undefined && (best < 0 || r < rank.get(`${s[best]} ${s[best + 1]}`)!)) best = j;
      }
      if (best < 0) break;
      const [a, b] = [s[best]!, s[best + 1]!];
      const next: string[] = [];
      for (let j = 0; j < s.length; j++) {
        if (j + 1 < s.length && s[j] === a && s[j + 1] === b) next.push(a + b), j++;
        else next.push(s[j]!);
      }
      s = next;
    }
    for (const t of s) ids.push(vocab.get(t)!);
  };
  let rest = text;
  while (rest.length > 0) {
    let at = rest.length;
    let hit = "";
    for (const sp of specials) {
      const i = rest.indexOf(sp);
      if (i >= 0 && (i < at || (i === at && sp.length > hit.length))) [at, hit] = [i, sp];
    }
    for (const p of preTokenize(rest.slice(0, at), [])) encodePiece(p);
    if (hit) ids.push(m.vocab.length + m.specialTokens.indexOf(hit));
    rest = rest.slice(at + hit.length);
  }
  return ids;
}

/** Code the model never saw, in the corpus's languages, plus the edge cases of the pre-tokenizer. */
const HELD_OUT = [
  "def merge_intervals(intervals):\n    intervals.sort(key=lambda iv: iv[0])\n    out = []\n    for start, end in intervals:\n        if out and start <= out[-1][1]:\n            out[-1][1] = max(out[-1][1], end)\n        else:\n            out.append([start, end])\n    return out\n",
  "export async function fetchJson(url, { retries = 3, timeoutMs = 5000 } = {}) {\n  for (let attempt = 0; attempt < retries; attempt++) {\n    const ctrl = new AbortController();\n    const timer = setTimeout(() => ctrl.abort(), timeoutMs);\n    try {\n      const res = await fetch(url, { signal: ctrl.signal });\n      if (!res.ok) throw new Error(`HTTP ${res.status}`);\n      return await res.json();\n    } finally {\n      clearTimeout(timer);\n    }\n  }\n}\n",
  "SELECT c.name, COUNT(o.id) AS orders, SUM(o.total) AS revenue\nFROM customers c\nLEFT JOIN orders o ON o.customer_id = c.id\nWHERE o.created_at >= '2024-01-01'\nGROUP BY c.name\nHAVING COUNT(o.id) > 10\nORDER BY revenue DESC;\n",
  "It's 'quoted' -- DON'T, we'LL see\r\n\ttabs\t\tand   trailing   \n\n\n  x = 1234567890 + 3.14e-10\u00a0nbsp\u2003em\u0085nel\ufeffbom  ",
  "# 日本語のコメント\nnaïve_café = \"Ünïcödé ✓ — ½ ² ٣\"  # emoji 😀👍🏽 and 𝔘𝔫𝔦 \u0301combining\n",
];

function randomText(rng: Rng, n: number): string {
  const pool = ["a", "Z", "_", "0", "9", " ", "  ", "\n", "\r\n", "\t", "'s", "'LL", "(", "}", ";", "é", "ß", "日", "😀", "\u0301", "\u00a0", "\u0085", "\ufeff", "\u2028", ...ALL_MARKERS];
  let s = "";
  for (let i = 0; i < n; i++) s += pool[rng.int(0, pool.length - 1)];
  return s;
}

describe("training", () => {
  it(`learns ${MERGES} merges on the built-in corpus, after the 256 bytes, with the specials after them`, () => {
    expect(model.merges.length).toBe(MERGES);
    expect(model.vocab.length).toBe(256 + MERGES);
    expect(model.vocab.slice(0, 256)).toEqual(BYTE_CHARS);
    expect(new Set(model.vocab).size).toBe(model.vocab.length);
    expect(model.specialTokens).toEqual(TOKENIZER_SPECIALS);
    expect(model.specialTokens.slice(0, 2)).toEqual([END_OF_TEXT, PAD_TOKEN]);
    for (const m of ALL_MARKERS) expect(model.specialTokens).toContain(m);
  });

  it("gives the very merges of the slow trainer that recounts every pair every round", () => {
    const counts = new WordCounts();
    for (const t of texts) counts.add(t);
    expect(model.merges).toEqual(naiveTrain(counts.counts, MERGES));
  });

  it("is deterministic and does not depend on the order of the texts", () => {
    const again = trainBpeOnTexts(texts, { vocabSize: VOCAB });
    const reversed = trainBpeOnTexts([...texts].reverse(), { vocabSize: VOCAB });
    expect(JSON.stringify(tokenizerJsonOf(again))).toBe(JSON.stringify(tokenizerJson));
    expect(JSON.stringify(tokenizerJsonOf(reversed))).toBe(JSON.stringify(tokenizerJson));
  });

  it("leaves text inside special tokens out of the counts", () => {
    const counts = new WordCounts();
    counts.add("<|fim_prefix|>ab<|fim_suffix|>«CTX»ab");
    expect([...counts.counts]).toEqual([["ab", 2]]);
  });

  it("stops early when no pair occurs minFrequency times, and refuses a vocabulary without room for the bytes", () => {
    const small = trainBpeOnTexts(["abab cd"], { vocabSize: 5000 });
    expect(small.merges).toEqual([["a", "b"]]);
    expect(small.stats.lastMergeCount).toBe(2);
    expect(() => trainBpeOnTexts(texts, { vocabSize: 256 })).toThrow(BpeTrainError);
  });

  it("takes a plain Map of piece counts too", () => {
    expect(trainBpe(new Map([["abab", 3]]), { vocabSize: 400 }).merges).toEqual([["a", "b"], ["ab", "ab"]]);
  });

  it("pre-tokenizes exactly as the tokenizers library runs the tokenizer.json's pre-tokenizer", () => {
    const lib = new Tokenizer(tokenizerJson as never, tokenizerConfig as never) as unknown as {
      pre_tokenizer: { pre_tokenize_text(text: string): string[] };
    };
    const rng = new Rng(3);
    for (const text of [...HELD_OUT, ...Array.from({ length: 50 }, () => randomText(rng, 60))]) {
      for (const seg of text.split(new RegExp(ALL_MARKERS.map((m) => m.replace(/[|[\]\\]/g, "\\$&")).join("|")))) {
        if (seg) expect(preTokenize(seg, []).map(toByteLevel)).toEqual(lib.pre_tokenizer.pre_tokenize_text(seg));
      }
    }
  });
});

describe("the trained tokenizer.json, run by @huggingface/tokenizers", () => {
  it("has the vocabulary, eos, pad and every FIM marker as one special id", () => {
    expect(tok.vocabSize).toBe(VOCAB);
    expect(tok.eosIds).toEqual([tok.singleTokenId(END_OF_TEXT)]);
    expect(tok.tokenToId(PAD_TOKEN)).toBe(256 + MERGES + 1); // right after <|endoftext|>
    expect(tok.specialTokens.every((t) => t.special)).toBe(true);
    for (const m of ALL_MARKERS) {
      const id = tok.singleTokenId(m);
      expect(id, m).toBeGreaterThanOrEqual(256 + MERGES);
      expect(tok.encode(m)).toEqual([id]);
      expect(tok.encode(`x = 1${m}y`)).toContain(id);
    }
  });

  it("round-trips any text: unicode, odd whitespace, every marker, random strings", () => {
    const rng = new Rng(7);
    const cases = [...HELD_OUT, ALL_MARKERS.join(""), ALL_MARKERS.join(" x\n"), " ", "\n", ...Array.from({ length: 200 }, () => randomText(rng, 40))];
    for (const text of cases) expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it("encodes like textbook BPE applying the learned merges in rank order", () => {
    const rng = new Rng(11);
    const fim = Object.values(FORMATS).map((f) =>
      (f.psm ?? f.spm!).replace("{prefix}", HELD_OUT[0]!.slice(0, 90)).replace("{suffix}", HELD_OUT[1]!.slice(40, 160))
        .replace("{middle}", HELD_OUT[4]!).replace("{ctx_before}", "ctx = 1\n").replace("{ctx_after}", "  # after") + f.eot);
    const cases = [...HELD_OUT, ...fim, ...texts.slice(0, 4), ...Array.from({ length: 100 }, () => randomText(rng, 50))];
    for (const text of cases) expect(tok.encode(text), JSON.stringify(text.slice(0, 40))).toEqual(referenceEncode(model, text));
  });

  it("shortens held-out code at least 2.2x against its UTF-8 bytes (2.37x measured; merges learned on the other files)", () => {
    const heldOut = BUILTIN_CORPUS.filter((_, i) => i % 5 === 0).map((f) => f.text);
    const train = BUILTIN_CORPUS.filter((_, i) => i % 5 !== 0).map((f) => f.text);
    const m = trainBpeOnTexts(train, { vocabSize: VOCAB });
    const t = loadTokenizer(tokenizerJsonOf(m), tokenizerConfigOf(m));
    const bytes = heldOut.reduce((n, s) => n + utf8.encode(s).length, 0);
    const tokens = heldOut.reduce((n, s) => n + t.encode(s).length, 0);
    expect(bytes / tokens).toBeGreaterThanOrEqual(2.2);
  });
});

describe("fim tokenizer", () => {
  const run = async (argv: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
    return { code, stdout, stderr };
  };
  const dir = mkdtempSync(join(tmpdir(), "fim-bpe-"));

  it("writes the same tokenizer.json as the library for the built-in corpus, and a tokenizer_config.json", async () => {
    const r = await run(["tokenizer", "--builtin", "--vocab-size", String(VOCAB), "--out", join(dir, "tok")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1000 merges in .* vocabulary 1291/);
    expect(JSON.parse(readFileSync(join(dir, "tok", "tokenizer.json"), "utf8"))).toEqual(tokenizerJson);
    const config = JSON.parse(readFileSync(join(dir, "tok", "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ eos_token: END_OF_TEXT, pad_token: PAD_TOKEN, add_bos_token: false, model_max_length: 2048 });
  });

  it("reads files, folders and samples JSONL (its markers cut out)", async () => {
    writeFileSync(join(dir, "a.py"), texts[0]!);
    writeFileSync(join(dir, "s.jsonl"), texts.slice(1, 3).map((t) => JSON.stringify({ text: `<|fim_prefix|>${t}<|fim_middle|>` })).join("\n") + "\n");
    const r = await run(["tokenizer", "--input", join(dir, "a.py"), join(dir, "s.jsonl"), "--vocab-size", "400", "--max-length", "512", "--out", join(dir, "tok2"), "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const m = trainBpeOnTexts([texts[1]!, texts[2]!, texts[0]!], { vocabSize: 400 });
    expect(JSON.parse(readFileSync(join(dir, "tok2", "tokenizer.json"), "utf8"))).toEqual(tokenizerJsonOf(m));
    expect(JSON.parse(readFileSync(join(dir, "tok2", "tokenizer_config.json"), "utf8")).model_max_length).toBe(512);
  });

  it("usage errors exit 2 and name the flag", async () => {
    expect((await run(["tokenizer", "--out", join(dir, "x")])).code).toBe(2);
    expect((await run(["tokenizer", "--builtin"])).code).toBe(2);
    const r = await run(["tokenizer", "--builtin", "--vocab-size", "100", "--out", join(dir, "x")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vocab-size must be an integer from 291 to 1048576, got "100"');
  });

  it("a bad JSONL line exits 1 naming the file and line", async () => {
    writeFileSync(join(dir, "bad.jsonl"), '{"text": "x"}\n{"prefix": 1}\n');
    const r = await run(["tokenizer", join(dir, "bad.jsonl"), "--out", join(dir, "x")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.jsonl:2: no \"text\" string");
  });
});
