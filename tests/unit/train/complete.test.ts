// complete(): the stop rules, streaming, and the repeated-suffix rule, driven by a scripted generator over the
// small real Qwen tokenizer, so every token the "model" emits is chosen by the test.

import { describe, expect, it } from "vitest";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";
import { complete, nativeFormats, type CompletionRequest } from "../../../src/lib/train/complete.ts";
import { fakeGenerator } from "./fake-generator.ts";
import { smallTokenizer } from "../../fixtures/small-tokenizer.ts";

const small = smallTokenizer("qwen3");
const tk = loadTokenizer(small.tokenizerJson, small.tokenizerConfig);
const EOT = tk.tokenToId("<|endoftext|>")!;

/** A generator that emits the tokens of `script` in order, then <|endoftext|>; records the prompts it saw. */
function scripted(script: number[], maxContext = 512) {
  return fakeGenerator((i) => {
    const logits = new Float32Array(tk.vocabSize).fill(-10);
    logits[i < script.length ? script[i]! : EOT] = 10;
    return logits;
  }, maxContext);
}

/** Completes with a model that emits the tokens of `text`; not healed unless `req` asks (the script is the completion). */
async function run(text: string, req: Partial<CompletionRequest> = {}) {
  const { gen, seen } = scripted(tk.encode(text, { addSpecialTokens: false }));
  const it = complete({ tokenizer: tk, generator: gen, eosIds: [EOT] }, { prefix: "x = ", suffix: "\nprint(x)\n", format: "qwen", heal: false, ...req });
  const pieces: string[] = [];
  let r = await it.next();
  while (!r.done) {
    pieces.push(r.value);
    r = await it.next();
  }
  return { text: pieces.join(""), pieces, reason: r.value, seen };
}

describe("complete()", () => {
  it("builds the format's prompt and stops on the end token (multi-line)", async () => {
    const r = await run("foo(1)\nbar(2)", { mode: "multiline" });
    expect(r.text).toBe("foo(1)\nbar(2)");
    expect(r.reason).toBe("stop-token");
    expect(tk.decode(r.seen[0]!)).toBe("<|fim_prefix|>x = <|fim_suffix|>\nprint(x)\n<|fim_middle|>");
  });
  it("single-line mode stops at the first newline", async () => {
    const r = await run("foo(1)\nbar(2)", { mode: "line" });
    expect(r.text).toBe("foo(1)");
    expect(r.reason).toBe("stop-string");
  });
  it("ctx formats are always single-line", async () => {
    const r = await run("a + b\nmore", { format: "ctx", mode: "multiline" });
    expect(r.text).toBe("a + b");
  });
  it("stops at a marker string that the model spells out in pieces", async () => {
    const r = await run("done<|file_sep|>junk", { mode: "multiline" });
    expect(r.text).toBe("done");
  });
  it("stops at the token limit", async () => {
    const r = await run("a b c d e f g h", { mode: "multiline", maxTokens: 3 });
    expect(r.reason).toBe("max-tokens");
    expect(tk.encode(r.text, { addSpecialTokens: false }).length).toBe(3);
  });
  it("drops a suggestion that only repeats the text after the cursor", async () => {
    const r = await run("print(x)", { prefix: "x = 1\n", suffix: "print(x)\n", mode: "line" });
    expect(r.text).toBe("");
    expect(r.reason).toBe("repeats-suffix");
  });
  it("keeps a suggestion that starts like the suffix but goes on differently", async () => {
    const r = await run("print(y)", { prefix: "x = 1\n", suffix: "print(x)\n", mode: "line" });
    expect(r.text).toBe("print(y)");
  });
  it("streams in pieces that add up to the text", async () => {
    const r = await run("alpha beta gamma", { mode: "multiline" });
    expect(r.pieces.length).toBeGreaterThan(1);
    expect(r.pieces.join("")).toBe("alpha beta gamma");
  });
  it("sees every sampled token, and stops between tokens once cancelled", async () => {
    const seen: number[] = [];
    const ac = new AbortController();
    const r = await run("a b c d e f g h", {
      mode: "multiline",
      signal: ac.signal,
      onToken: (id) => {
        seen.push(id);
        if (seen.length === 3) ac.abort();
      },
    });
    expect(r.reason).toBe("cancelled");
    expect(seen).toEqual(tk.encode("a b c", { addSpecialTokens: false }));
    expect(tk.encode(r.text, { addSpecialTokens: false }).length).toBeLessThanOrEqual(2);
  });
  it("a request cancelled before it starts runs nothing", async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await run("a b", { signal: ac.signal });
    expect(r).toMatchObject({ text: "", reason: "cancelled", seen: [] });
  });
});

describe("complete() heals a cursor after typed text", () => {
  // the script is now the whole line as the model would write it from the line's start
  it("writes the line from its start and returns what follows the typed text, across a token boundary", async () => {
    const r = await run("    return x * 2", { prefix: "def f(x):\n    ret", suffix: "\n", mode: "line", heal: true });
    expect(tk.encode("    ret", { addSpecialTokens: false }).map((id) => tk.decode([id]))).not.toContain(" return"); // typed text ends inside a token
    expect(r.text).toBe("urn x * 2");
    expect(r.reason).toBe("stop-token");
    // the prompt is the one for a cursor at the line's start: the typed text is not in it
    expect(tk.decode(r.seen[0]!)).toBe("<|fim_prefix|>def f(x):\n<|fim_suffix|>\n<|fim_middle|>");
  });
  it("is on by default and samples only tokens that agree with the typed text", async () => {
    // the model wants "print" but "ret" was typed: it must still spell "ret" first
    const r = await run("    print(x)", { prefix: "def f(x):\n    ret", suffix: "\n", mode: "line", heal: undefined });
    const line = "    ret" + r.text;
    expect(line.startsWith("    ret")).toBe(true);
    expect(r.text).not.toContain("print");
  });
  it("a cursor at a line's start, or after a line too long to heal, is completed as it stands", async () => {
    const atStart = await run("return 1", { prefix: "def f():\n", suffix: "", mode: "line", heal: true });
    expect(atStart.text).toBe("return 1");
    const long = "y = " + "1 + ".repeat(60);
    const r = await run("2", { prefix: long, suffix: "", mode: "line", heal: true });
    expect(tk.decode(r.seen[0]!)).toContain(long);
    expect(r.text).toBe("2");
  });
  it("feeds the typed text as tokens when no single token spells its next character", async () => {
    // U+1D11E is four bytes: the small vocabulary only has byte pieces for it, which decode alone to U+FFFD
    const typed = "s = '\u{1d11e}";
    expect(tk.encode("\u{1d11e}", { addSpecialTokens: false }).every((id) => tk.decode([id]).includes("\uFFFD"))).toBe(true);
    const r = await run("s = 'ab'", { prefix: typed, suffix: "\n", mode: "line", heal: true });
    expect(r.text).not.toContain("\uFFFD");
    expect(r.reason).not.toBe("cancelled");
  });
});

describe("nativeFormats()", () => {
  it("finds the formats whose markers are single tokens, the fullest first", () => {
    const found = nativeFormats(tk);
    expect(found.map((f) => f.format)).toEqual(["qwen", "psm"]);
    expect(found[0]!.tokens).toMatchObject({ "<|fim_prefix|>": tk.tokenToId("<|fim_prefix|>"), "<|endoftext|>": EOT, "<|file_sep|>": tk.tokenToId("<|file_sep|>") });
  });
  it("finds none in a tokenizer without FIM tokens", () => {
    const llama = smallTokenizer("llama3");
    expect(nativeFormats(loadTokenizer(llama.tokenizerJson, llama.tokenizerConfig))).toEqual([]);
  });
});
