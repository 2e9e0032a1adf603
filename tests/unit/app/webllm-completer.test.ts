// The web-llm path against a fake engine with web-llm's interface: the prompt is the FIM prompt src/lib/fim builds for
// the cursor, stop strings reach the engine, the answer is cut at the first stop string, and an abort interrupts it.
import { describe, expect, it } from "vitest";
import { buildPrompt } from "../../../src/lib/fim/index.ts";
import { webLlmComplete, type WebLlmEngine } from "../../../src/lib/webllm/completer.ts";

function fakeEngine(answer: string, delayMs = 0) {
  const calls: { prompt: string; stop?: string[]; max_tokens: number; temperature: number }[] = [];
  let interrupted = 0;
  const engine: WebLlmEngine = {
    completions: {
      async create(req) {
        calls.push(req);
        await new Promise((ok) => setTimeout(ok, delayMs));
        return { choices: [{ text: interrupted ? answer.slice(0, 2) : answer, finish_reason: interrupted ? "abort" : "stop" }] };
      },
    },
    interruptGenerate: () => void interrupted++,
    unload: async () => {},
  };
  return { engine, calls, interrupted: () => interrupted };
}

describe("web-llm completer", () => {
  it("sends the qwen FIM prompt of the cursor and cuts the answer at a stop string", async () => {
    const prefix = "def add(a, b):\n    return ";
    const suffix = "\n\nprint(add(1, 2))\n";
    const { engine, calls } = fakeEngine("a + b\n    # more<|endoftext|>");
    const r = await webLlmComplete(engine, { prefix, suffix, mode: "line" });
    expect(r.text).toBe("a + b");
    expect(calls).toHaveLength(1);
    const expected = buildPrompt({ format: "qwen", document: prefix + suffix, cursor: prefix.length, budget: { max: 6000, measure: (s) => s.length } });
    expect(calls[0]!.prompt).toBe(expected.prompt);
    expect(calls[0]!.prompt).toBe(`<|fim_prefix|>${prefix}<|fim_suffix|>${suffix}<|fim_middle|>`);
    expect(calls[0]!.stop).toContain("\n");
    expect(calls[0]!.temperature).toBe(0);
  });

  it("multi-line mode keeps newlines and stops at the format's end token", async () => {
    const { engine, calls } = fakeEngine("a = 1\nb = 2\n<|fim_pad|>junk");
    const r = await webLlmComplete(engine, { prefix: "x = 0\n", suffix: "", mode: "multiline" });
    expect(r.text).toBe("a = 1\nb = 2\n");
    expect(calls[0]!.stop).not.toContain("\n");
  });

  it("an abort interrupts the engine", async () => {
    const { engine, interrupted } = fakeEngine("abcdef", 50);
    const ctl = new AbortController();
    const p = webLlmComplete(engine, { prefix: "a", suffix: "", mode: "line" }, ctl.signal);
    ctl.abort();
    await p;
    expect(interrupted()).toBe(1);
  });
});
