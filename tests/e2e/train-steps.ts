// The Train page's steps as a user takes them, shared by its tests: fill in settings, take the built-in samples.
import { expect } from "vitest";
import type { Page } from "playwright-core";

/** Types each setting into its field (the backend is a select). */
export async function setSettings(page: Page, values: Record<string, number | string>) {
  for (const [k, v] of Object.entries(values)) {
    if (k === "backend") await page.getByTestId("set-backend").selectOption(String(v));
    else await page.getByTestId(`set-${k}`).fill(String(v));
  }
}

/**
 * Opens the Train page on the served model `modelId` and generates the built-in samples, unless samples are there
 * already (the Data page keeps the last ones across reloads: a second tab of the same browser has them).
 */
export async function withSamples(page: Page, appUrl: string, modelId: string) {
  await page.goto(`${appUrl}#/train`);
  await expect.poll(() => page.getByTestId("embedded-select").inputValue()).toBe(modelId);
  const builtin = page.getByTestId("use-builtin");
  const data = page.getByTestId("train-data");
  await builtin.or(data).first().waitFor({ timeout: 60_000 });
  // (samples restored meanwhile take the button away: they are as good)
  if (await builtin.isVisible()) await builtin.click({ timeout: 5_000 }).catch(() => {});
  await data.waitFor({ timeout: 60_000 });
}
