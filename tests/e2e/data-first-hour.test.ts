// data-first-hour.test.ts — a newcomer's first steps on the Data page, in headless Chromium, exactly as they take
// them: paste one file and Generate with the default settings (training samples, and some held out for eval);
// reload (the code and the samples are still there, and the Train page sees them); a Generate that fails (the
// samples made before are still shown, with the error). Picked files and options are kept too, until Clear.
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { openPage, useApp } from "./browser.ts";
import { PYTHON } from "./fixtures/python-sample.ts";

const env = useApp();

/** A name that a split by whole files would send to eval with the default seed and eval fraction. */
const FILE_NAME = "utils.py";

async function gotoData(page: Page): Promise<void> {
  await page.goto(`${env.app.url}#/data`);
  await page.getByTestId("generate-button").waitFor();
}

async function count(page: Page, id: string): Promise<number> {
  return Number(await page.getByTestId(id).getAttribute("data-value"));
}

/** What the page shows of the samples: the two counts and the preview's training texts. */
async function shownSamples(page: Page) {
  await page.getByTestId("stats").waitFor({ timeout: 60_000 });
  return {
    train: await count(page, "stat-train-samples"),
    eval: await count(page, "stat-eval-samples"),
    preview: await page.getByTestId("sample").evaluateAll((els) => els.map((el) => el.querySelector("pre")?.textContent)),
  };
}

describe("Data page: a newcomer's first hour", () => {
  test("paste one file → Generate → reload → a failed Generate: the code and the samples stay", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      // Paste one file, name it, Generate with the default settings.
      await gotoData(page);
      await page.getByTestId("paste-textarea").fill(PYTHON);
      await page.getByTestId("filename-input").fill(FILE_NAME);
      await page.getByTestId("generate-button").click();
      const made = await shownSamples(page);
      expect(made.train).toBeGreaterThan(0);
      expect(made.eval).toBeGreaterThan(0);
      expect(made.preview.length).toBeGreaterThan(0);
      const counts = page.getByTestId("split-counts");
      await expect(counts.textContent()).resolves.toMatch(/^train [\d,]+ \/ eval [\d,]+$/);
      expect(Number(await counts.getAttribute("data-train"))).toBe(made.train);
      expect(Number(await counts.getAttribute("data-eval"))).toBe(made.eval);
      await expect(page.getByTestId("split-warning").count()).resolves.toBe(0);

      // Reload: the code, its name and the samples are still there.
      await page.reload();
      await page.getByTestId("generate-button").waitFor();
      await expect.poll(() => page.getByTestId("paste-textarea").inputValue()).toBe(PYTHON);
      await expect(page.getByTestId("filename-input").inputValue()).resolves.toBe(FILE_NAME);
      expect(await shownSamples(page)).toEqual(made);
      await expect(page.getByTestId("download-train").getAttribute("href")).resolves.toMatch(/^blob:/);

      // ...and the Train page sees them.
      await page.getByTestId("nav-train").click();
      await expect
        .poll(() => page.getByTestId("train-data").textContent(), { timeout: 30_000 })
        .toMatch(new RegExp(`^\\s*${made.train.toLocaleString("en-US")} training and ${made.eval.toLocaleString("en-US")} held-out samples`));
      await page.getByTestId("nav-data").click();
      await page.getByTestId("generate-button").waitFor();

      // A Generate that fails (code too short to use): the error is shown, and so are the samples made before.
      await page.getByTestId("paste-textarea").fill("x = 1\n");
      await page.getByTestId("generate-button").click();
      const error = page.getByTestId("error");
      await error.waitFor({ timeout: 30_000 });
      await expect(error.textContent()).resolves.toMatch(/no usable files.*too-small/i);
      expect(await shownSamples(page)).toEqual(made);
      await page.getByTestId("previous-samples").waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("picked files and options stay across a reload; Clear forgets them, the code and the samples", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await gotoData(page);
      await page.getByTestId("paste-textarea").fill(PYTHON);
      await page.getByTestId("file-input").setInputFiles({
        name: "picked.py",
        mimeType: "text/x-python",
        buffer: Buffer.from(PYTHON.replace(/Item/g, "Thing")),
      });
      await page.getByTestId("count-input").fill("40");
      await page.getByTestId("generate-button").click();
      const made = await shownSamples(page);
      expect(made.train + made.eval).toBe(40);

      // After a reload the picked file is still there, and Generate reads it again.
      await page.reload();
      await page.getByTestId("generate-button").waitFor();
      await expect.poll(() => page.getByTestId("paste-textarea").inputValue()).toBe(PYTHON);
      await expect(page.getByTestId("picked-files").textContent()).resolves.toContain("1 file");
      await expect(page.getByTestId("count-input").inputValue()).resolves.toBe("40");
      expect(await shownSamples(page)).toEqual(made);
      await page.getByTestId("generate-button").click();
      await page.getByTestId("generate-button").and(page.locator(":enabled")).waitFor({ timeout: 60_000 });
      await expect(page.getByTestId("stat-files-used").getAttribute("data-value")).resolves.toBe("2");
      expect(await shownSamples(page)).toEqual(made); // the same inputs and seed give the same samples

      await page.getByTestId("clear-button").click();
      await expect(page.getByTestId("paste-textarea").inputValue()).resolves.toBe("");
      await expect(page.getByTestId("count-input").inputValue()).resolves.toBe("2000");
      await expect(page.getByTestId("picked-files").count()).resolves.toBe(0);
      await expect(page.getByTestId("stats").count()).resolves.toBe(0);

      await page.reload();
      await page.getByTestId("generate-button").waitFor();
      await page.waitForTimeout(500); // what was kept would be back by now
      await expect(page.getByTestId("paste-textarea").inputValue()).resolves.toBe("");
      await expect(page.getByTestId("count-input").inputValue()).resolves.toBe("2000");
      await expect(page.getByTestId("picked-files").count()).resolves.toBe(0);
      await expect(page.getByTestId("stats").count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
