// playground-page.test.ts — the Playground in headless Chromium: the embedded (tiny, test-served) model loads in the
// inference worker, typing brings ghost text whose words are the model's own greedy completion (compared with the
// engine in Node), Tab inserts it; and the web-llm path with a fake engine implementing web-llm's interface
// (installed through the page's test hook), which receives the FIM prompt src/lib/fim builds.
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { memoryFiles } from "../../src/lib/model/files.ts";
import { CpuBackend } from "../../src/lib/train/cpu/index.ts";
import { loadEngine } from "../../src/lib/train/engine.ts";
import { inferenceWeights } from "../../src/lib/train/tables.ts";
import { complete } from "../../src/lib/train/complete.ts";
import { openPage } from "./browser.ts";
import { useAppWithModels } from "./fixtures/models-dir.ts";

const SHOTS_DIR = process.env.SHOTS_DIR || "/tmp/shots";

const env = useAppWithModels(() => mkdirSync(SHOTS_DIR, { recursive: true }));

const editorText = (page: Page) => page.evaluate(() => document.querySelector(".cm-content")!.textContent ?? "");

/** The document as typed: the editor's lines without the ghost text at its end (where typeAtEnd left the cursor). */
function withoutGhost(doc: string, shown: string): string {
  expect(doc.endsWith(shown)).toBe(true);
  return doc.slice(0, doc.length - shown.length);
}

/** Puts the cursor at the end of the document and types `text`. */
async function typeAtEnd(page: Page, text: string) {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(text, { delay: 20 });
}

/** A new page on the Playground, its model loaded. */
async function openPlayground() {
  const opened = await openPage(env.browser, env.app.url);
  await opened.page.goto(`${env.app.url}#/playground`);
  await opened.page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
  return opened;
}

describe("Playground", () => {
  test("the embedded model's ghost text is its greedy completion, and Tab inserts it", async () => {
    const { page, errors } = await openPlayground();
    expect(await page.getByTestId("no-adapter").isVisible()).toBe(true);
    await typeAtEnd(page, "        a, b = b, a");
    const ghost = page.locator(".cm-ghost-text");
    await ghost.waitFor({ timeout: 60_000 });
    const shown = (await ghost.textContent()) ?? "";
    expect(shown.length).toBeGreaterThan(0);

    // the same request through the engine in Node (format: the model's own, qwen; line mode; 48 tokens)
    const engine = await loadEngine(new CpuBackend(), memoryFiles(env.models.files));
    const doc = await page.evaluate(() => [...document.querySelectorAll(".cm-line")].map((l) => l.textContent).join("\n"));
    const prefix = withoutGhost(doc, shown);
    let expected = "";
    for await (const piece of complete({ tokenizer: engine.checkpoint.tokenizer, generator: engine.generator(), eosIds: engine.checkpoint.stopIds }, { prefix, suffix: "", format: "qwen", mode: "line", maxTokens: 48 })) expected += piece;
    // line mode shows the first line (CodeMirror also breaks lines at "\r", which the engine's "\n" stop does not)
    expect(shown).toBe(expected.split(/\r\n?|\n/)[0]);

    const before = await editorText(page);
    await page.keyboard.press("Tab");
    await expect.poll(() => editorText(page)).toBe(before.replace(shown, "") + shown);
    expect(await page.locator(".cm-ghost-text").count()).toBe(0);
    expect(await page.getByTestId("ghost-latency").textContent()).toMatch(/\d+ ms/);
    await page.screenshot({ path: join(SHOTS_DIR, "playground-1280.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  test("int4 weights: the model reloads kept quantized, and its ghost text is the Node engine's int4 completion", async () => {
    const { page, errors } = await openPlayground();
    await page.getByTestId("pg-weights").selectOption("int4");
    await page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
    await typeAtEnd(page, "        a, b = b, a");
    const ghost = page.locator(".cm-ghost-text");
    await ghost.waitFor({ timeout: 60_000 });
    const shown = (await ghost.textContent()) ?? "";
    const engine = await loadEngine(new CpuBackend(), memoryFiles(env.models.files), inferenceWeights("int4"));
    const doc = await page.evaluate(() => [...document.querySelectorAll(".cm-line")].map((l) => l.textContent).join("\n"));
    let expected = "";
    for await (const piece of complete({ tokenizer: engine.checkpoint.tokenizer, generator: engine.generator(), eosIds: engine.checkpoint.stopIds }, { prefix: withoutGhost(doc, shown), suffix: "", format: "qwen", mode: "line", maxTokens: 48 })) expected += piece;
    expect(shown).toBe(expected.split(/\r\n?|\n/)[0]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  test("Max tokens: with a limit of 4 the ghost text is the Node engine's 4-token completion", async () => {
    const { page, errors } = await openPlayground();
    await page.getByTestId("mode-multiline").check(); // multi-line answers do not end at the first line break
    await page.getByTestId("pg-max-tokens").selectOption("4");
    await typeAtEnd(page, "        x = ");
    const ghost = page.locator(".cm-ghost-text");
    await ghost.waitFor({ timeout: 60_000 });
    const shown = (await ghost.textContent()) ?? "";
    const engine = await loadEngine(new CpuBackend(), memoryFiles(env.models.files));
    const doc = await page.evaluate(() => [...document.querySelectorAll(".cm-line")].map((l) => l.textContent).join("\n"));
    const run = async (maxTokens: number) => {
      let text = "";
      for await (const piece of complete({ tokenizer: engine.checkpoint.tokenizer, generator: engine.generator(), eosIds: engine.checkpoint.stopIds }, { prefix: withoutGhost(doc, shown), suffix: "", format: "qwen", mode: "multiline", maxTokens })) text += piece;
      return text.replace(/\r\n?/g, "\n"); // CodeMirror shows line breaks as "\n"
    };
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).toBe(await run(4));
    expect((await run(160)).length).toBeGreaterThan(shown.length); // the limit cut a longer answer
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  test("web-llm: a fake engine with web-llm's interface gets the FIM prompt and its answer becomes ghost text", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    await context.addInitScript(() => {
      const calls: { prompt: string; stop?: string[] }[] = [];
      (globalThis as Record<string, unknown>).__fimWebLlmCalls = calls;
      (globalThis as Record<string, unknown>).__fimWebLlmFactory = async (id: string, onProgress: (p: { progress: number; text: string }) => void) => {
        onProgress({ progress: 1, text: `fake ${id} ready` });
        return {
          completions: { create: async (req: { prompt: string; stop?: string[] }) => (calls.push(req), { choices: [{ text: "print(a)<|endoftext|>", finish_reason: "stop" }] }) },
          interruptGenerate() {},
          async unload() {},
        };
      };
    });
    await page.goto(`${env.app.url}#/playground`);
    await page.getByTestId("kind-webllm").check();
    await page.getByTestId("webllm-select").selectOption("Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC");
    await expect.poll(() => page.getByTestId("inference-ready").textContent({ timeout: 30_000 })).toContain("Qwen2.5-Coder 0.5B");
    await typeAtEnd(page, "        ");
    await page.locator(".cm-ghost-text").waitFor({ timeout: 30_000 });
    expect(await page.locator(".cm-ghost-text").textContent()).toBe("print(a)");
    const calls = (await page.evaluate(() => (globalThis as Record<string, unknown>).__fimWebLlmCalls)) as { prompt: string; stop: string[] }[];
    expect(calls.length).toBeGreaterThanOrEqual(1);
    const prompt = calls.at(-1)!.prompt;
    expect(prompt.startsWith("<|fim_prefix|>def binary_search(items, target):")).toBe(true);
    expect(prompt.endsWith("for _ in range(n):\n        <|fim_suffix|><|fim_middle|>")).toBe(true);
    expect(calls.at(-1)!.stop).toContain("\n");
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
