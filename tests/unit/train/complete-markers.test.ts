// complete() never lets a FIM marker through: for every format of the table, on a base model and on the same model
// with a LoRA adapter switched on, a completion ends at the first marker or end token of ANY format (a model trained
// on several formats answers in another one's: the default model, prompted in qwen, wrote «SUFFIX»«MIDDLE»), whether
// the model emits the marker as its own token or spells it in ordinary tokens. The model is a tiny random Llama over
// the default model's tokenizer (every marker of every format is one token of it), run for real; a large bias on the
// scripted token decides what it "says".

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_MARKERS, FORMAT_NAMES, markersOf, getFormat } from "../../../src/lib/fim/index.ts";
import { shapeSuggestion } from "../../../src/lib/editor/suggestion.ts";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";
import type { Decoder } from "../../../src/lib/train/causal-lm.ts";
import { complete } from "../../../src/lib/train/complete.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { Generator } from "../../../src/lib/train/generate.ts";
import { attachLora, setLoraEnabled } from "../../../src/lib/train/lora.ts";
import { BLOCK_LINEARS, type Transformer } from "../../../src/lib/train/model.ts";
import { buildModel, randomWeights, tinyConfig } from "./tiny-model.ts";

const DIR = new URL("../../../public/models/fim-tiny-code/", import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, DIR), "utf8")) as unknown;
const tk = loadTokenizer(read("tokenizer.json"), read("tokenizer_config.json"));
const EOT = tk.tokenToId("<|endoftext|>")!;
/** An end token of the model that is no format's marker: it must stop the completion as an id and as text too. */
const PAD = tk.tokenToId("<|pad|>")!;
const EOS_IDS = [EOT, PAD];

const ids = (s: string) => tk.encode(s, { addSpecialTokens: false });
/** The marker as ordinary tokens: its two halves encoded apart, so no half is the marker's own token. */
const spelled = (m: string) => [...ids(m.slice(0, m.length >> 1)), ...ids(m.slice(m.length >> 1))];

const CODE = "total = add(a, b)";
const PREFIX = "function f(a, b) {\n  const ";
const SUFFIX = "\n  return total;\n}\n";

const be = new CpuBackend("f32", { wasm: null });
const config = tinyConfig({ vocab_size: tk.vocabSize, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, max_position_embeddings: 512 });
let model: Transformer<Float32Array, Int32Array>;
let generator: Generator<Float32Array, Int32Array>;

beforeAll(async () => {
  model = await buildModel(be, config, randomWeights(config, 7));
  const params = attachLora(be, model.w, { r: 4, alpha: 8, rslora: false, targets: BLOCK_LINEARS }, 3);
  for (const p of params) if (p.name.includes("lora_B")) (p.buf as Float32Array).fill(0.05); // B = 0 would change nothing
  generator = new Generator(model, 512);
});

/** The real decoder, with the logit of the script's next token (then an end token) raised far above the rest. */
function scripted(script: readonly number[]): Decoder<Float32Array, Int32Array> {
  let i = 0;
  const steer = (logits: Float32Array) => {
    const out = Float32Array.from(logits);
    out[i < script.length ? script[i]! : EOT]! += 1e4;
    i++;
    return out;
  };
  return {
    be, maxContext: generator.maxContext,
    get length() { return generator.length; },
    get lastRun() { return generator.lastRun; },
    reset: () => generator.reset(),
    prompt: async (p) => steer(await generator.prompt(p)),
    append: async (a) => steer(await generator.append(a)),
  };
}

async function run(format: string, script: readonly number[]) {
  const it = complete({ tokenizer: tk, generator: scripted(script), eosIds: EOS_IDS }, { prefix: PREFIX, suffix: SUFFIX, format, mode: "multiline", maxTokens: 40, heal: false }); // the script is the completion at the cursor
  const pieces: string[] = [];
  let r = await it.next();
  while (!r.done) {
    pieces.push(r.value);
    r = await it.next();
  }
  return { text: pieces.join(""), pieces, reason: r.value };
}

const PATHS = [
  { path: "base model", lora: false },
  { path: "fine-tuned model (LoRA on)", lora: true },
] as const;

describe("every marker of every format ends a completion", () => {
  it("the tokenizer has every marker as one token, and the adapter changes the model's logits", async () => {
    for (const m of ALL_MARKERS) expect(tk.singleTokenId(m), m).toBeDefined();
    const prompt = ids(PREFIX);
    setLoraEnabled(model.w, false);
    const base = await generator.prompt(prompt);
    generator.reset();
    setLoraEnabled(model.w, true);
    const tuned = await generator.prompt(prompt);
    generator.reset();
    expect(tuned).not.toEqual(base);
  });

  for (const format of FORMAT_NAMES) {
    for (const { path, lora } of PATHS) {
      it(`${format}, ${path}: cut before any format's marker or end token, as a token and spelled as text`, async () => {
        setLoraEnabled(model.w, lora);
        generator.reset();
        const own = new Set(markersOf(getFormat(format)));
        const ends = [...ALL_MARKERS, ...EOS_IDS.map((id) => tk.decode([id]))];
        for (const m of ends) {
          for (const [how, marker] of [["as its token", [tk.singleTokenId(m)!]], ["spelled", spelled(m)]] as const) {
            const r = await run(format, [...ids(CODE), ...marker, ...ids("  junk();")]);
            const what = `${m} ${how} (${own.has(m) ? "this format's" : "another format's"})`;
            expect(r.text, what).toBe(CODE);
            expect(r.reason, what).toBe(how === "spelled" ? "stop-string" : "stop-token");
            for (const x of ends) expect(r.pieces.some((p) => p.includes(x)), what).toBe(false);
          }
        }
      });
    }
  }

  it("a marker right at the start leaves no suggestion (nothing for the editor to show)", async () => {
    setLoraEnabled(model.w, false);
    const r = await run("qwen", [tk.singleTokenId("«SUFFIX»")!, tk.singleTokenId("«MIDDLE»")!, ...ids("    }")]);
    expect(r.text).toBe("");
    expect(shapeSuggestion(r.text, "line")).toBe("");
  });
});
