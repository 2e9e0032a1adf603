// Training data (loss mask on middle + end token, truncation that keeps the target) and LoRA set-up
// (initialisation, scale, the base/fine-tuned switch).

import { describe, expect, it } from "vitest";
import { FORMAT_NAMES, getFormat, renderSample, sampleAtCursor, sampleFile } from "../../../src/lib/fim/index.ts";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { DataError, parseJsonl, tokenizeSample } from "../../../src/lib/train/data.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { AdapterError } from "../../../src/lib/train/adapter.ts";
import { attachLora, checkRank, DEFAULT_LORA, loraScale, setLoraEnabled } from "../../../src/lib/train/lora.ts";
import { smallTokenizer } from "../../fixtures/small-tokenizer.ts";
import { tinyCheckpointFiles } from "../../fixtures/tiny-checkpoint.ts";

const small = smallTokenizer("qwen3");
const tk = loadTokenizer(small.tokenizerJson, small.tokenizerConfig);
const FILE = { path: "a.py", language: "python", text: "def add(a, b):\n    total = a + b\n    return total\n" };

describe("tokenizeSample", () => {
  it("puts the loss on the middle and the end token only", () => {
    const r = sampleAtCursor(FILE, "qwen", 1, 4);
    const s = tokenizeSample(r, tk, { contextLength: 512, lossOn: "middle" })!;
    const targets = Array.from(s.targets).filter((t) => t >= 0);
    expect(tk.decode(targets)).toBe("total = a + b\n<|endoftext|>");
    expect(s.lossTokens).toBe(targets.length);
    // the ids are the prompt encoded alone, then the target: what inference will see
    expect(tk.decode(Array.from(s.ids))).toBe(r.text);
    expect(Array.from(s.ids.subarray(0, s.ids.length - targets.length))).toEqual(tk.encode(r.text.slice(0, r.text.length - r.middle.length - "<|endoftext|>".length)));
  });
  it("--loss-on all puts loss on every next token", () => {
    const s = tokenizeSample(sampleAtCursor(FILE, "qwen", 1, 4), tk, { contextLength: 512, lossOn: "all" })!;
    expect(s.lossTokens).toBe(s.ids.length - 1);
  });
  it("a long prompt loses far lines, never the target", () => {
    const long = { ...FILE, text: "# filler line\n".repeat(200) + FILE.text + "# tail line\n".repeat(100) };
    const r = sampleAtCursor(long, "qwen", 201, 4);
    const s = tokenizeSample(r, tk, { contextLength: 120, lossOn: "middle" })!;
    expect(s.ids.length).toBeLessThanOrEqual(120);
    const text = tk.decode(Array.from(s.ids));
    expect(text.endsWith("<|fim_middle|>total = a + b\n<|endoftext|>")).toBe(true);
    expect(text).toContain("def add(a, b):\n    <|fim_suffix|>    return total\n"); // the lines next to the cursor stay
  });
  it("a 20 MB prefix costs no more than a full context: the kept tokens are those nearest the middle", () => {
    const qwen = getFormat("qwen");
    const filler = Array.from({ length: 1000 }, (_, i) => `# filler line ${String(i).padStart(6, "0")}\n`).join("");
    const big = filler.repeat(Math.ceil(20e6 / filler.length)); // ~20 MB of lines
    const parts = { prefix: big + "def add(a, b):\n    ", middle: "total = a + b\n", suffix: "    return total\n" + big };
    const r = { ...sampleAtCursor(FILE, "qwen", 1, 4), ...parts, text: renderSample(qwen, parts, "psm") };
    const s = tokenizeSample(r, tk, { contextLength: 120, lossOn: "middle" })!;
    expect(s.ids.length).toBeLessThanOrEqual(120);
    const text = tk.decode(Array.from(s.ids));
    expect(text.endsWith("<|fim_middle|>total = a + b\n<|endoftext|>")).toBe(true);
    expect(text).toMatch(/^<\|fim_prefix\|>(# filler line \d{6}\n)+def add\(a, b\):\n {4}<\|fim_suffix\|> {4}return total\n(# filler line \d{6}\n)+<\|fim_middle\|>/);
    expect(text).toContain("# filler line 000999\ndef add"); // the line right before the middle's is kept
    expect(text).toContain("return total\n# filler line 000000\n"); // and the one right after

    // one line of 20 MB in the ctx format: windows and prefix cut inside the line, at the cursor's side
    const line = "x".repeat(20e6);
    const ctxParts = { prefix: line + " = ", middle: "compute()\n", suffix: "done()\n", ctx_before: line + " = ", ctx_after: "done()" };
    const ctx = { ...r, ...ctxParts, format: "ctx", mode: "normal" as const, text: renderSample(getFormat("ctx"), ctxParts, "psm") };
    const c = tokenizeSample(ctx, tk, { contextLength: 200, lossOn: "middle" })!;
    expect(c.ids.length).toBeLessThanOrEqual(200);
    const ctext = tk.decode(Array.from(c.ids));
    expect(ctext).toMatch(/^«CTX»x+ = «CURSOR»done\(\)«\/CTX»«PREFIX»x+ = «SUFFIX»done\(\)\n«MIDDLE»compute\(\)\n$/);

    // a 20 MB middle cannot fit and is not tokenized; a 20 MB plain sample keeps its start
    const hugeMiddle = { ...r, middle: big, text: renderSample(qwen, { ...parts, middle: big }, "psm") };
    expect(tokenizeSample(hugeMiddle, tk, { contextLength: 120, lossOn: "middle" })).toBeUndefined();
    const plain = tokenizeSample({ ...r, mode: "plain", prefix: "", suffix: "", middle: big, text: big + "<|endoftext|>" }, tk, { contextLength: 64, lossOn: "middle" })!;
    expect(plain.ids.length).toBe(64);
    expect(big.startsWith(tk.decode(Array.from(plain.ids)))).toBe(true);
  }, 30_000);
  it("a target longer than the context gives no sample", () => {
    expect(tokenizeSample(sampleAtCursor(FILE, "qwen", 1, 4), tk, { contextLength: 4, lossOn: "middle" })).toBeUndefined();
  });
});

describe("parseJsonl", () => {
  it("names the file and line of a bad record", () => {
    expect(() => parseJsonl('{"text":"a"}\n', "s.jsonl")).toThrow(new DataError("s.jsonl", 1, 'field "prefix" is missing or not a string (records come from `fim samples`)'));
    expect(() => parseJsonl("\n\n{oops\n", "s.jsonl")).toThrow(/^s\.jsonl:3: not valid JSON/);
    const ok = JSON.stringify(sampleAtCursor(FILE, "qwen", 1, 4));
    expect(() => parseJsonl(ok + "\n" + ok.replace('"format":"qwen"', '"format":"gpt"'), "s.jsonl")).toThrow(/^s\.jsonl:2: unknown format "gpt"/);
    expect(parseJsonl(ok + "\n\n" + ok + "\n", "s.jsonl")).toHaveLength(2);
  });
  it("a record whose text and parts disagree is refused naming the file and line", () => {
    const rec = sampleAtCursor(FILE, "qwen", 1, 4);
    const ok = JSON.stringify(rec);
    const bad = (edit: Partial<typeof rec>, line = 2) => () => parseJsonl(`${ok}\n${JSON.stringify({ ...rec, ...edit })}\n`, "/d/s.jsonl");
    const disagree = '"text" and the parts disagree: ';
    const how = " (edit records through `fim samples`, or change text and parts together)";
    expect(bad({ prefix: "def plus(a, b):\n    " })).toThrow(new DataError("/d/s.jsonl", 2, `${disagree}"text" does not start with the qwen prompt built from prefix, suffix${how}`));
    expect(bad({ middle: "total = a - b\n" })).toThrow(new DataError("/d/s.jsonl", 2, `${disagree}"middle" does not follow the prompt in "text"${how}`));
    expect(bad({ text: "something else" })).toThrow(/^\/d\/s\.jsonl:2: "text" and the parts disagree: /);
    const ctx = sampleAtCursor(FILE, "ctx", 1, 4);
    expect(() => parseJsonl(JSON.stringify({ ...ctx, ctx_before: "nope" }), "c.jsonl")).toThrow(
      new DataError("c.jsonl", 1, `${disagree}"text" does not start with the ctx prompt built from prefix, suffix, ctx_before and ctx_after${how}`),
    );
    expect(bad({ mode: "normal" })).toThrow(new DataError("/d/s.jsonl", 2, 'mode "normal" is not a mode of format "qwen" (psm, spm or plain)'));
    expect(bad({ mode: "spm" })).toThrow(new DataError("/d/s.jsonl", 2, 'format "qwen" has no SPM order'));
    expect(bad({ mode: "sideways" as "psm" })).toThrow(new DataError("/d/s.jsonl", 2, 'mode "sideways" is not one of normal, incomplete, psm, spm, plain'));
    expect(bad({ mode: "plain", text: "x" })).toThrow(new DataError("/d/s.jsonl", 2, `${disagree}a plain record's text must start with its "middle"${how}`));
    // every record fim samples writes passes, in every format and mode
    for (const format of FORMAT_NAMES) {
      const recs = sampleFile({ ...FILE, text: FILE.text.repeat(5) }, 20, format, { seed: 3, spanUnit: "chars", fimRate: 0.7, spmRate: 0.5, incompleteRate: 0.4 }, "train");
      expect(parseJsonl(recs.map((x) => JSON.stringify(x)).join("\n"), `${format}.jsonl`)).toHaveLength(recs.length);
    }
  });
});

describe("LoRA set-up", () => {
  it("A is uniform within ±1/sqrt(in), B is zero, so the adapted model starts equal to the base", async () => {
    const be = new CpuBackend();
    const engine = await loadEngine(be, memoryFiles(tinyCheckpointFiles()));
    const ids = engine.checkpoint.tokenizer.encode("x = 1\n");
    const base = await engine.generator(32).prompt(ids);
    const params = attachLora(be, engine.model.w, DEFAULT_LORA, 1);
    const a = params.find((p) => p.name.endsWith("layers.0.self_attn.q_proj.lora_A.weight"))!;
    const bound = 1 / Math.sqrt(64);
    expect(Math.max(...Array.from(a.buf, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(a.buf, Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(params.filter((p) => p.name.includes("lora_B")).every((p) => p.buf.every((x) => x === 0))).toBe(true);
    engine.generator(32).reset();
    expect(Array.from(await engine.generator(32).prompt(ids))).toEqual(Array.from(base));
  });
  it("a rank above the smallest dimension of the largest target linear is refused before allocating, naming rank and the limit", async () => {
    const be = new CpuBackend();
    const engine = await loadEngine(be, memoryFiles(tinyCheckpointFiles()));
    const w = engine.model.w;
    const refuse = (lora: Partial<typeof DEFAULT_LORA>, message: string) => {
      let error: unknown;
      try {
        attachLora(be, w, { ...DEFAULT_LORA, ...lora }, 1);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AdapterError);
      expect((error as Error).message).toBe(message);
      expect(w.blocks.every((b) => Object.values(b.lin).every((l) => l.lora === undefined))).toBe(true); // nothing attached
    };
    refuse({ r: 100000 }, "rank: 100000 is above the limit of 64, the smallest dimension of the largest target linear (q_proj: 64 in, 64 out): a larger rank adds nothing; use 64 or less");
    refuse({ r: 33, targets: ["k_proj", "v_proj"] }, "rank: 33 is above the limit of 32, the smallest dimension of the largest target linear (k_proj: 64 in, 32 out): a larger rank adds nothing; use 32 or less");
    refuse({ r: 0 }, "rank: 0 is not a positive integer");
    refuse({ r: 2.5 }, "rank: 2.5 is not a positive integer");
    expect(() => checkRank(w, { r: 64, targets: DEFAULT_LORA.targets })).not.toThrow();
    expect(attachLora(be, w, { ...DEFAULT_LORA, r: 64 }, 1)).toHaveLength(2 * 7 * 2);
  });
  it("the generator refuses a context beyond max_position_embeddings before allocating its cache", async () => {
    const engine = await loadEngine(new CpuBackend(), memoryFiles(tinyCheckpointFiles()));
    expect(() => engine.generator(1e9)).toThrow("context length 1000000000 is not an integer from 1 to 2048, the model's limit (max_position_embeddings in config.json)");
    expect(() => engine.generator(0)).toThrow(RangeError);
    expect(engine.generator(2048).maxContext).toBe(2048);
  });
  it("scale is alpha/r, or alpha/sqrt(r) with rsLoRA", () => {
    expect(loraScale({ ...DEFAULT_LORA })).toBe(2);
    expect(loraScale({ ...DEFAULT_LORA, rslora: true })).toBe(8);
  });
  it("switching the adapter off gives the base model's logits without reloading", async () => {
    const be = new CpuBackend();
    const engine = await loadEngine(be, memoryFiles(tinyCheckpointFiles()));
    const ids = engine.checkpoint.tokenizer.encode("x = 1\n");
    const gen = engine.generator(32);
    const base = Array.from(await gen.prompt(ids));
    const params = attachLora(be, engine.model.w, DEFAULT_LORA, 1);
    for (const p of params) p.buf.fill(0.05);
    gen.reset();
    const tuned = Array.from(await gen.prompt(ids));
    expect(tuned).not.toEqual(base);
    setLoraEnabled(engine.model.w, false);
    gen.reset();
    expect(Array.from(await gen.prompt(ids))).toEqual(base);
  });
});
