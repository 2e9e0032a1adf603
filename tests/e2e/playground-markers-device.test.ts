// playground-markers-device.test.ts — the Playground in headless Chromium (WebGPU here is SwiftShader, a software
// adapter): typing never shows FIM marker text as ghost text, and the device choice names the adapter as software and
// defaults to the CPU; the median time per suggestion appears after a few; a GPU choice survives a reload.
//
// The model is rigged to answer as the default model once did: a tiny Llama over the default model's tokenizer whose
// blocks are zero, so each next token depends on the last one only (embedding row = a one-hot slot, lm_head row =
// the slot before it): after any prompt it writes `total = a + b«SUFFIX»«MIDDLE»    }`, markers of the ctx format
// while it is prompted in qwen (its tokenizer's native format), each marker its own token.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ALL_MARKERS } from "../../src/lib/fim/index.ts";
import { loadTokenizer } from "../../src/lib/model/tokenizer.ts";
import { DEVICE_KEY, MIN_SAMPLES } from "../../src/routes/playground/device.ts";
import type { SmallTokenizer } from "../fixtures/small-tokenizer.ts";
import type { TinyTensor } from "../fixtures/tiny-checkpoint.ts";
import { launchBrowser, openPage, ROOT, startApp, type RunningApp } from "./browser.ts";
import { makeModelsDir, type ModelsDir } from "./fixtures/models-dir.ts";

/** The default model's tokenizer (every marker of every format is one token of it), as the checkpoint fixture takes it. */
function defaultModelTokenizer(): SmallTokenizer {
  const dir = join(ROOT, "public/models/fim-tiny-code");
  const tokenizerJson = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")) as Record<string, unknown>;
  const tokenizerConfig = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  const added = tokenizerJson.added_tokens as { id: number; content: string }[];
  const vocabSize = loadTokenizer(tokenizerJson, tokenizerConfig).vocabSize;
  const addedId = (content: string) => {
    const t = added.find((a) => a.content === content);
    if (!t) throw new Error(`no added token ${content}`);
    return t.id;
  };
  return { tokenizerJson, tokenizerConfig, baseSize: Math.min(...added.map((a) => a.id)), vocabSize, addedId };
}

const CODE = "total = a + b";
const tok = defaultModelTokenizer();
const tk = loadTokenizer(tok.tokenizerJson, tok.tokenizerConfig);
const CHAIN = [...tk.encode(CODE, { addSpecialTokens: false }), tok.addedId("«SUFFIX»"), tok.addedId("«MIDDLE»"), ...tk.encode("    }", { addSpecialTokens: false })];
const EOS = tok.addedId("<|endoftext|>");

/** Zero blocks, one-hot embeddings: after a token of slot s comes CHAIN[s] (slot 0: every token not in the chain), then the end token. */
function bigram(tensors: TinyTensor[]): TinyTensor[] {
  if (new Set(CHAIN).size !== CHAIN.length) throw new Error("the chain repeats a token: a bigram model cannot say it");
  const slot = new Map(CHAIN.map((id, i) => [id, i + 1]));
  return tensors.map((t) => {
    const data = new Float32Array(t.data.length);
    const C = t.shape[1]!;
    if (t.name === "model.embed_tokens.weight") for (let v = 0; v < t.shape[0]!; v++) data[v * C + (slot.get(v) ?? 0)] = 1;
    else if (t.name === "lm_head.weight") {
      CHAIN.forEach((id, i) => (data[id * C + i] = 1));
      data[EOS * C + CHAIN.length] = 1;
    } else if (t.name.endsWith("norm.weight")) data.fill(1);
    return { ...t, data };
  });
}

let models: ModelsDir;
let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  models = makeModelsDir({ architecture: "llama", tokenizer: tok, mutate: bigram }, "marker-model", "Marker model (test)");
  [app, browser] = await Promise.all([startApp("dev", { modelsDir: models.dir }), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  models?.remove();
});

/** Every text the ghost text has shown since the page opened (a repeat right after itself counted once). */
const ghostsSeen = (page: Page) => page.evaluate(() => (globalThis as unknown as { __ghosts: string[] }).__ghosts);
/** Suggestions the editor has shown (the page's User Timing measures, one per suggestion, cached ones included). */
const suggestions = (page: Page) => page.evaluate(() => performance.getEntriesByName("fim:suggestion").length);

async function openPlayground() {
  const opened = await openPage(browser, app.url);
  await opened.context.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as unknown as { __ghosts: string[] }).__ghosts = seen;
    new MutationObserver(() => {
      for (const g of document.querySelectorAll(".cm-ghost-text")) if (seen.at(-1) !== g.textContent) seen.push(g.textContent ?? "");
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await opened.page.goto(`${app.url}#/playground`);
  await opened.page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
  return opened;
}

describe("Playground: no marker text, and the device", () => {
  test("typing: every ghost text is cut before the markers; the device is the CPU, the SwiftShader adapter named as software", async () => {
    const { page, context, errors } = await openPlayground();
    const select = page.getByTestId("pg-device");
    expect(await select.inputValue()).toBe("cpu");
    expect(await page.getByTestId("inference-ready").textContent()).toMatch(/on the CPU/);
    expect(await select.locator('option[value="gpu"]').textContent()).toMatch(/SwiftShader \(software\)/);
    const note = (await page.getByTestId("pg-device-note").textContent())!;
    expect(note).toMatch(/SwiftShader \(software\): a software rasterizer.*so the CPU is the default/);

    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+End");
    for (const typed of ["\n", "x", "y", "z", " "]) {
      const before = await suggestions(page);
      await page.keyboard.type(typed, { delay: 20 });
      await expect.poll(() => suggestions(page), { timeout: 30_000 }).toBeGreaterThan(before);
    }
    expect(await suggestions(page)).toBeGreaterThanOrEqual(MIN_SAMPLES);
    const ghosts = await ghostsSeen(page);
    for (const g of ghosts) for (const m of ALL_MARKERS) expect(g, `ghost text "${g}" holds ${m}`).not.toContain(m);
    expect(ghosts).toContain(CODE);

    // the median time per suggestion of the device used, once it has answered a few
    await expect.poll(() => page.getByTestId("pg-device-latency").textContent()).toMatch(/^Time per suggestion: CPU \d+ ms \(median of \d+\)\.$/);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  test("choosing the GPU reloads the model on WebGPU, and the choice survives a reload; the CPU again", async () => {
    const { page, context, errors } = await openPlayground();
    await page.getByTestId("pg-device").selectOption("gpu");
    await expect.poll(() => page.getByTestId("inference-ready").textContent({ timeout: 60_000 }), { timeout: 60_000 }).toMatch(/on the GPU/);
    expect(JSON.parse((await page.evaluate((k) => localStorage.getItem(k), DEVICE_KEY))!)).toMatchObject({ chosen: "gpu" });
    await page.reload();
    await page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("pg-device").inputValue()).toBe("gpu");
    expect(await page.getByTestId("inference-ready").textContent()).toMatch(/on the GPU/);
    expect(await page.getByTestId("pg-device-note").textContent()).not.toMatch(/so the CPU is the default/);
    await page.getByTestId("pg-device").selectOption("cpu");
    await expect.poll(() => page.getByTestId("inference-ready").textContent({ timeout: 60_000 }), { timeout: 60_000 }).toMatch(/on the CPU/);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
