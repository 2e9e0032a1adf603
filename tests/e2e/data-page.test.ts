// data-page.test.ts — e2e tests of the Data page in headless Chromium: generate ctx samples from pasted code,
// check the preview parts and the downloaded JSONL; the page stays responsive on a few MB of files; unusable
// input gives a clear error. Also saves screenshots at 1280×720 and 390×844 (to $SHOTS_DIR or /tmp/shots).
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { openPage, useApp } from "./browser.ts";
import { PYTHON } from "./fixtures/python-sample.ts";

const SHOTS_DIR = process.env.SHOTS_DIR || "/tmp/shots";


const env = useApp();

async function gotoData(page: Page): Promise<void> {
  await page.goto(`${env.app.url}#/data`);
  await page.getByTestId("generate-button").waitFor();
}

/** Text of all of a preview sample's elements for one part, joined. */
async function partText(page: Page, sampleIndex: number, part: "prefix" | "middle" | "suffix"): Promise<string> {
  const texts = await page
    .getByTestId("sample")
    .nth(sampleIndex)
    .getByTestId(`part-${part}`)
    .allTextContents();
  return texts.join("");
}

/** A Python file of about `bytes` bytes, different for every `n`. */
function bigPython(n: number, bytes: number): string {
  const lines: string[] = [`"""Module ${n}: generated for the responsiveness test."""`, ""];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const block = [
      `def compute_${n}_${i}(values, scale=${i % 7 + 1}):`,
      `    total = 0`,
      `    for index, value in enumerate(values):`,
      `        if value % ${(i % 5) + 2} == 0:`,
      `            total += value * scale + index`,
      `        else:`,
      `            total -= value // scale`,
      `    return total`,
      ``,
      ``,
    ].join("\n");
    lines.push(block);
    size += block.length + 1;
  }
  return lines.join("\n");
}

/** `count` Python files of about `bytes` bytes each, for setInputFiles. */
function pythonFiles(count: number, bytes: number) {
  return Array.from({ length: count }, (_, n) => ({
    name: `module_${String(n).padStart(3, "0")}.py`,
    mimeType: "text/x-python",
    buffer: Buffer.from(bigPython(n, bytes)),
  }));
}

describe("Data page", () => {
  test("generates ctx samples from pasted code, previews their parts and downloads matching JSONL", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await gotoData(page);
      await page.getByTestId("paste-textarea").fill(PYTHON);
      await expect(page.getByTestId("filename-input").inputValue()).resolves.toBe("pasted.py");
      await expect(page.getByTestId("paste-language").textContent()).resolves.toContain("python");
      await page.getByTestId("format-select").selectOption("ctx");
      await page.getByTestId("count-input").fill("50");
      await page.getByTestId("seed-input").fill("7");
      // One file goes wholly to train or eval; keep it in train so the download has all samples.
      await page.getByTestId("eval-input").fill("0");
      await page.getByTestId("generate-button").click();

      const stats = page.getByTestId("stats");
      await stats.waitFor({ timeout: 60_000 });
      const trainCount = Number(await page.getByTestId("stat-train-samples").getAttribute("data-value"));
      const evalCount = Number(await page.getByTestId("stat-eval-samples").getAttribute("data-value"));
      expect(trainCount).toBe(50);
      expect(evalCount).toBe(0);
      await expect(stats.textContent()).resolves.toMatch(/python/);

      // Preview: up to 20 samples, each with its three parts, which rebuild the pasted file.
      const samples = page.getByTestId("sample");
      const shown = await samples.count();
      expect(shown).toBe(20);
      for (let i = 0; i < shown; i++) {
        const sample = samples.nth(i);
        await expect(sample.getByTestId("part-prefix").count()).resolves.toBeGreaterThan(0);
        await expect(sample.getByTestId("part-middle").count()).resolves.toBeGreaterThan(0);
        await expect(sample.getByTestId("part-suffix").count()).resolves.toBeGreaterThan(0);
        await expect(sample.getByTestId("marker").count()).resolves.toBeGreaterThan(0);
        await expect(sample.getByTestId("sample-path").textContent()).resolves.toBe("pasted.py");
        await expect(sample.getByTestId("sample-split").textContent()).resolves.toBe("train");
      }
      // "incomplete" samples drop the suffix by design (the ctx seed's Incomplete Suffix Mode): use a normal one.
      const modes = await samples.evaluateAll((els) => els.map((el) => el.getAttribute("data-mode")));
      const normal = modes.indexOf("normal");
      expect(normal).toBeGreaterThanOrEqual(0);
      const rebuilt =
        (await partText(page, normal, "prefix")) +
        (await partText(page, normal, "middle")) +
        (await partText(page, normal, "suffix"));
      expect(rebuilt).toBe(PYTHON);
      // Part backgrounds differ, so the parts are visibly distinguished.
      const colours = await page
        .getByTestId("sample")
        .first()
        .evaluate((el) =>
          ["prefix", "middle", "suffix"].map((p) => {
            const part = el.querySelector(`[data-testid="part-${p}"]`);
            return part ? getComputedStyle(part).backgroundColor : "";
          }),
        );
      expect(new Set(colours).size).toBe(3);

      // Download: JSONL, one record per train sample, each rebuilding the file.
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-train").click()]);
      expect(download.suggestedFilename()).toMatch(/\.jsonl$/);
      const path = await download.path();
      const text = await readFile(path, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      const lines = text.split("\n").slice(0, -1);
      expect(lines.length).toBe(trainCount);
      // The preview shows the first records in order, their training text exactly (whitespace included).
      const previewTexts = await samples.evaluateAll((els) => els.map((el) => el.querySelector("pre")?.textContent));
      expect(previewTexts).toEqual(lines.slice(0, shown).map((line) => JSON.parse(line).text));
      for (const line of lines) {
        const record = JSON.parse(line);
        expect(record.format).toBe("ctx");
        expect(record.split).toBe("train");
        expect(record.path).toBe("pasted.py");
        if (record.mode === "normal") {
          expect(record.prefix + record.middle + record.suffix).toBe(PYTHON);
        } else {
          // incomplete: the code after the middle is cut off, so prefix + middle is the start of the file.
          expect(record.mode).toBe("incomplete");
          expect(record.suffix).toBe("");
          expect(PYTHON.startsWith(record.prefix + record.middle)).toBe(true);
        }
        expect(typeof record.text).toBe("string");
      }

      await mkdir(SHOTS_DIR, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS_DIR, "data-1280x720.png") });
      await page.screenshot({ path: join(SHOTS_DIR, "data-1280-full.png"), fullPage: true });
      await page.getByTestId("preview").evaluate((el) => el.scrollIntoView());
      await page.screenshot({ path: join(SHOTS_DIR, "data-1280x720-preview.png") });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS_DIR, "data-390x844.png") });
      await page.getByTestId("stats").evaluate((el) => el.scrollIntoView());
      await page.screenshot({ path: join(SHOTS_DIR, "data-390x844-stats.png") });
      await page.screenshot({ path: join(SHOTS_DIR, "data-390-full.png"), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("stays responsive while generating from a few MB of files", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await gotoData(page);
      await page.getByTestId("file-input").setInputFiles(pythonFiles(100, 40_000));
      await expect(page.getByTestId("picked-files").textContent()).resolves.toContain("100 files");
      await page.getByTestId("count-input").fill("1000");

      // A main-thread timer: if generation blocked the page, its ticks would stall.
      await page.evaluate(() => {
        const w = window as unknown as { ticks: number[] };
        w.ticks = [];
        setInterval(() => w.ticks.push(performance.now()), 20);
      });
      await page.getByTestId("generate-button").click();
      await page.getByTestId("progress").waitFor({ timeout: 10_000 });
      await page.getByTestId("stats").waitFor({ timeout: 90_000 });

      const { ticks, maxGap } = await page.evaluate(() => {
        const t = (window as unknown as { ticks: number[] }).ticks;
        let gap = 0;
        for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i]! - t[i - 1]!);
        return { ticks: t.length, maxGap: gap };
      });
      expect(ticks).toBeGreaterThan(10);
      expect(maxGap).toBeLessThan(500);
      const total =
        Number(await page.getByTestId("stat-train-samples").getAttribute("data-value")) +
        Number(await page.getByTestId("stat-eval-samples").getAttribute("data-value"));
      expect(total).toBe(1000);
      await expect(page.getByTestId("stat-files-seen").getAttribute("data-value")).resolves.toBe("100");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("cancels a running generation and can generate again", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await gotoData(page);
      await page.getByTestId("file-input").setInputFiles(pythonFiles(200, 50_000));
      await page.getByTestId("count-input").fill("100000");
      await page.getByTestId("generate-button").click();
      await page.getByTestId("progress").waitFor({ timeout: 10_000 });
      await page.getByTestId("cancel-button").click();
      await page.getByTestId("cancelled").waitFor({ timeout: 10_000 });
      await expect(page.getByTestId("progress").count()).resolves.toBe(0);
      await expect(page.getByTestId("generate-button").isEnabled()).resolves.toBe(true);

      await page.getByTestId("count-input").fill("100");
      await page.getByTestId("generate-button").click();
      await page.getByTestId("stats").waitFor({ timeout: 60_000 });
      const total =
        Number(await page.getByTestId("stat-train-samples").getAttribute("data-value")) +
        Number(await page.getByTestId("stat-eval-samples").getAttribute("data-value"));
      expect(total).toBe(100);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("accepts files dropped on the drop zone", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await gotoData(page);
      const dataTransfer = await page.evaluateHandle((code) => {
        const dt = new DataTransfer();
        dt.items.add(new File([code], "dropped_a.py", { type: "text/x-python" }));
        dt.items.add(new File([code.replace(/Item/g, "Thing")], "dropped_b.py", { type: "text/x-python" }));
        return dt;
      }, PYTHON);
      await page.getByTestId("drop-zone").dispatchEvent("drop", { dataTransfer });
      await expect(page.getByTestId("picked-files").textContent()).resolves.toContain("2 files");
      await page.getByTestId("count-input").fill("10");
      await page.getByTestId("generate-button").click();
      await page.getByTestId("stats").waitFor({ timeout: 60_000 });
      await expect(page.getByTestId("stat-files-used").getAttribute("data-value")).resolves.toBe("2");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("shows a clear error with the skip reason when no input is usable", async () => {
    const { page, context } = await openPage(env.browser, env.app.url);
    try {
      await gotoData(page);
      await page.getByTestId("file-input").setInputFiles({
        name: "tiny.py",
        mimeType: "text/x-python",
        buffer: Buffer.from("x = 1\ny=2\n"),
      });
      await page.getByTestId("generate-button").click();
      const error = page.getByTestId("error");
      await error.waitFor({ timeout: 30_000 });
      const message = (await error.textContent()) ?? "";
      expect(message).toMatch(/no usable files/i);
      expect(message).toContain("too-small");
      await expect(page.getByTestId("stats").count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });
});
