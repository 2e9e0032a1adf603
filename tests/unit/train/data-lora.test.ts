// Training data (loss mask on middle + end token, truncation that keeps the target) and LoRA set-up
// (initialisation, scale, the base/fine-tuned switch).

import { describe, expect, it } from "vitest";
import { sampleAtCursor } from "../../../src/lib/fim/index.ts";
import { memoryFiles } from "../../../src/lib/model/files.ts";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { DataError, parseJsonl, tokenizeSample } from "../../../src/lib/train/data.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { attachLora, DEFAULT_LORA, loraScale, setLoraEnabled } from "../../../src/lib/train/lora.ts";
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
