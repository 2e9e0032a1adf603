// The README's walkthrough screenshots (docs/screenshots/*.png): a newcomer's first hour in headless Chromium, on the
// embedded default model and the CPU, exactly as the walkthrough tells it — paste one file on the Data page and
// Generate; train on the Train page and Stop after a few steps (the adapter is saved); type in the Playground and get
// ghost text from the tuned model; the Export page with this session's model and adapter.
// Usage: npx tsx tools/screenshots/first-hour.ts [OUT_DIR]   (default docs/screenshots; needs Debian's chromium)

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, openPage, ROOT, startApp } from "../../tests/e2e/browser.ts";
import { PYTHON } from "../../tests/e2e/fixtures/python-sample.ts";

const out = process.argv[2] ?? join(ROOT, "docs/screenshots");
mkdirSync(out, { recursive: true });
const VIEW = { width: 1280, height: 860 };

const app = await startApp("dev");
const browser = await launchBrowser({ webgpu: false });
try {
  const { page, errors } = await openPage(browser, app.url, VIEW);
  const shot = async (name: string) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(300); // let the last frame paint
    await page.screenshot({ path: join(out, `${name}.png`) });
    process.stderr.write(`  ${name}.png\n`);
  };

  // Data: one pasted file, the default settings
  await page.goto(`${app.url}#/data`);
  await page.getByTestId("generate-button").waitFor({ timeout: 120_000 });
  await page.getByTestId("paste-textarea").fill(PYTHON);
  await page.getByTestId("filename-input").fill("utils.py");
  await page.getByTestId("generate-button").click();
  await page.getByTestId("split-counts").waitFor({ timeout: 60_000 });
  await shot("1-data");

  // Train: 200 steps asked for, stopped after a few (the adapter of that step is saved)
  await page.getByTestId("nav-train").click();
  await page.getByTestId("train-start").waitFor({ timeout: 60_000 });
  await page.getByTestId("set-steps").fill("200");
  await page.getByTestId("estimate-eta").waitFor();
  const step = async () => Number((await page.getByTestId("train-step").textContent())?.split(" /")[0]) || 0;
  await page.getByTestId("train-start").click();
  for (let t = Date.now(); (await step()) < 12 && Date.now() - t < 300_000; ) await page.waitForTimeout(500);
  await page.getByTestId("train-stop").click();
  await page.getByTestId("train-stopped").waitFor({ timeout: 60_000 });
  await shot("2-train");

  // Playground: ghost text from the tuned model
  await page.getByTestId("nav-playground").click();
  await page.getByTestId("inference-ready").waitFor({ timeout: 120_000 });
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type("        a, b = b, a", { delay: 30 });
  await page.locator(".cm-ghost-text").waitFor({ timeout: 60_000 });
  await shot("3-playground");

  // Export: this session's model and adapter
  await page.getByTestId("nav-export").click();
  await page.getByTestId("export-session").waitFor({ timeout: 60_000 });
  await shot("4-export");
  if (errors.length > 0) throw new Error(`the page reported errors:\n${errors.join("\n")}`);
} finally {
  await browser.close();
  await app.close();
}
