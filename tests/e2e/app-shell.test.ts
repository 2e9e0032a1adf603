// app-shell.test.ts — e2e tests of the app frame in headless Chromium: default route, hash navigation with
// aria-current (every page in the nav), keyboard access to the nav, the placeholder page, and a production build served by preview.
import { describe, expect, test } from "vitest";
import { openPage, startApp, useApp } from "./browser.ts";

const env = useApp();

describe("app shell", () => {
  test("opens on #/data and switches pages from the nav, marking the active link", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await page.goto(env.app.url);
      await page.getByRole("heading", { level: 1, name: "Data" }).waitFor();
      expect(new URL(page.url()).hash).toBe("#/data");
      await expect(page.getByTestId("nav-data").getAttribute("aria-current")).resolves.toBe("page");

      const pages = [["train", "Train"], ["playground", "Playground"], ["export", "Export"], ["benchmark", "Benchmark"]] as const;
      for (const [id, title] of pages) {
        await page.getByTestId(`nav-${id}`).click();
        await page.getByRole("heading", { level: 1, name: title }).waitFor();
        expect(new URL(page.url()).hash).toBe(`#/${id}`);
        await expect(page.getByTestId(`nav-${id}`).getAttribute("aria-current")).resolves.toBe("page");
        await expect(page.getByTestId("nav-data").getAttribute("aria-current")).resolves.toBeNull();
        await expect(page.title()).resolves.toContain(title);
      }

      // Unknown routes fall back to the Data page.
      await page.goto(`${env.app.url}#/nowhere`);
      await page.getByRole("heading", { level: 1, name: "Data" }).waitFor();
      expect(new URL(page.url()).hash).toBe("#/data");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("the nav is reachable with the keyboard and shows a focus ring", async () => {
    const { page, context } = await openPage(env.browser, env.app.url);
    try {
      await page.goto(`${env.app.url}#/data`);
      await page.getByTestId("nav-train").waitFor();
      // Tab from the top of the page: skip link, brand, then the nav links.
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press("Tab");
        const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
        if (focused === "nav-train") break;
      }
      await expect(page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).resolves.toBe("nav-train");
      const outline = await page.getByTestId("nav-train").evaluate((el) => getComputedStyle(el).outlineStyle);
      expect(outline).not.toBe("none");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Train" }).waitFor();
      expect(new URL(page.url()).hash).toBe("#/train");
    } finally {
      await context.close();
    }
  });

  test("a production build serves and runs the Data page", async () => {
    const built = await startApp("preview");
    const { page, context, errors } = await openPage(env.browser, built.url);
    try {
      await page.goto(`${built.url}#/data`);
      await page.getByTestId("builtin-checkbox").check();
      await page.getByTestId("count-input").fill("30");
      await page.getByTestId("generate-button").click();
      await page.getByTestId("stats").waitFor({ timeout: 60_000 });
      await expect(page.getByTestId("sample").count()).resolves.toBe(20);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await built.close();
    }
  });
});
