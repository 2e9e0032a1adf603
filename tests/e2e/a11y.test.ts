// a11y.test.ts — accessibility and layout checks of every page (Data, Train, Playground, Export, Benchmark) in
// headless Chromium, with a tiny embedded model served as /models/: every control has an accessible name (Chromium's
// own accessibility tree, through the DevTools protocol) and radios a group, Tab reaches every control (and leaves the
// code editor with Esc, Tab) and each one shows a focus ring, no text under 12 px, text contrast 4.5:1 in the light and
// the dark scheme (which both apply), nothing scrolls sideways at 1280 px nor on a 390 px wide phone (also with results
// on the page). Layout shift: on the Train page neither the settings nor the run panel's figures move while a run
// streams its progress, and on the Playground nothing moves while a suggestion comes. Errors where the user acted: a
// bad setting is explained at its field; typing without a model says why no suggestion comes and what to do.
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { openPage } from "./browser.ts";
import { useAppWithModels } from "./fixtures/models-dir.ts";


const env = useAppWithModels();

const PAGES = [
  ["data", "Data"],
  ["train", "Train"],
  ["playground", "Playground"],
  ["export", "Export"],
  ["benchmark", "Benchmark"],
] as const;

/** Roles of things a user operates. */
const CONTROL_ROLES = new Set(["button", "link", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "spinbutton", "slider", "switch", "menuitem", "tab"]);

interface AxNode {
  ignored: boolean;
  role?: { value: string };
  name?: { value: string };
  backendDOMNodeId?: number;
}

/** Controls in Chromium's accessibility tree whose computed name is empty, described by their HTML. */
async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: AxNode[] };
    const bad = nodes.filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value ?? "") && !(n.name?.value ?? "").trim());
    const out: string[] = [];
    for (const n of bad) {
      let html = "(no DOM node)";
      if (n.backendDOMNodeId !== undefined) {
        const { object } = (await cdp.send("DOM.resolveNode", { backendNodeId: n.backendDOMNodeId })) as { object: { objectId: string } };
        const r = (await cdp.send("Runtime.callFunctionOn", {
          objectId: object.objectId, functionDeclaration: "function () { return this.outerHTML.slice(0, 200); }", returnByValue: true,
        })) as { result: { value: string } };
        html = r.result.value;
      }
      out.push(`${n.role?.value}: ${html}`);
    }
    return out;
  } finally {
    await cdp.detach();
  }
}

/**
 * What Tab reaches, in order, from the top of the page (a description of each element, whether it showed a focus ring
 * and had a size), and whether focus came back to the first one: nothing kept it.
 */
async function tabThrough(page: Page, max = 120): Promise<{ seen: { id: string; ring: boolean; visible: boolean }[]; wrapped: boolean }> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.evaluate(() => window.scrollTo(0, 0));
  const seen: { id: string; ring: boolean; visible: boolean }[] = [];
  let inEditor = false;
  for (let i = 0; i < max; i++) {
    // Tab indents in the code editor; Esc then Tab leaves it (CodeMirror's tab-focus mode, as the editor says)
    if (inEditor) await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    const step = await page.evaluate(async () => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const id = el.dataset.testid || el.id || el.getAttribute("aria-label") || `${el.tagName.toLowerCase()}:${(el.textContent ?? "").trim().slice(0, 30)}`;
      // CodeMirror draws its focus ring on the editor around the focused content, once it has noticed the focus
      const editor = el.closest(".cm-editor");
      if (editor) await new Promise((ok) => setTimeout(ok, 50));
      const ringOn = editor ?? el;
      const s = getComputedStyle(ringOn);
      const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
      const r = el.getBoundingClientRect();
      return { id, ring, visible: r.width > 0 && r.height > 0, editor: editor !== null };
    });
    inEditor = step?.editor ?? false;
    if (!step) continue;
    if (seen.length > 0 && step.id === seen[0]!.id) return { seen, wrapped: true };
    if (seen.at(-1)?.id === step.id) continue; // Esc + Tab in the editor: still there (checked below: it must leave)
    seen.push({ id: step.id, ring: step.ring, visible: step.visible });
  }
  return { seen, wrapped: false };
}

/** The visible, enabled controls of the page that Tab should reach (one per radio group). */
async function tabbableControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const groups = new Set<string>();
    for (const el of document.querySelectorAll<HTMLElement>("a[href], button, input, select, textarea, summary, [contenteditable='true'], [tabindex]")) {
      if ((el as HTMLButtonElement).disabled || el.closest("fieldset:disabled") || el.tabIndex < 0) continue;
      if ((el as HTMLInputElement).type === "hidden") continue;
      // not rendered: display none, visibility hidden, or inside a closed <details>
      if (!el.checkVisibility({ visibilityProperty: true })) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (el instanceof HTMLInputElement && el.type === "radio") {
        if (groups.has(el.name)) continue;
        groups.add(el.name);
        out.push(`radio group ${el.name}`);
        continue;
      }
      out.push(el.dataset.testid || el.id || el.getAttribute("aria-label") || `${el.tagName.toLowerCase()}:${(el.textContent ?? "").trim().slice(0, 30)}`);
    }
    return out;
  });
}

/**
 * Visible text whose colour has less than 4.5:1 contrast (WCAG AA) against the background it sits on (the nearest
 * opaque one up the tree). Left out, as WCAG does: disabled controls, and text hidden from assistive technology
 * (the editor's ghost text is meant to be faint).
 */
async function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgba = (c: string) => {
      const m = /rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)(?:,? ?\/? ?([\d.]+))?\)/.exec(c);
      return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const backgroundOf = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const bg = rgba(getComputedStyle(el).backgroundColor);
        if (bg && bg[3]! >= 0.99) return bg;
      }
      return rgba(getComputedStyle(document.body).backgroundColor) ?? [255, 255, 255, 1];
    };
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>("body *")) {
      if (!(el instanceof HTMLElement) || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim())) continue;
      if (el.closest("[aria-hidden=true], :disabled, .visually-hidden, option")) continue;
      if (el.closest("button:disabled, fieldset:disabled")) continue;
      const fg = rgba(getComputedStyle(el).color);
      if (!fg) continue;
      const bg = backgroundOf(el);
      const a = fg[3]!;
      const mixed = [0, 1, 2].map((i) => fg[i]! * a + bg[i]! * (1 - a));
      const [l1, l2] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
      const ratio = (l1! + 0.05) / (l2! + 0.05);
      if (ratio < 4.5) out.push(`${el.tagName.toLowerCase()}.${el.className} ${ratio.toFixed(2)}:1 (${getComputedStyle(el).color} on rgb(${bg.slice(0, 3).join(", ")})): ${el.textContent!.trim().slice(0, 40)}`);
    }
    return out;
  });
}

async function openAt(page: Page, id: string, title: string) {
  await page.goto(`${env.app.url}#/${id}`);
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
  if (id === "train" || id === "playground") await page.getByTestId("embedded-select").waitFor();
  if (id === "playground") await page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
  // the Benchmark page probes the device first; until then the WebGPU box is disabled and out of the Tab order
  if (id === "benchmark") await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>("[data-testid=run-button]")?.disabled);
  await page.waitForTimeout(200); // fonts and the first effects settle
}

/** Names, contrast in both schemes and no sideways scroll at 390 px, for the state the page is in now. */
async function checkState(page: Page, what: string) {
  expect(await unnamedControls(page), `${what}: controls without an accessible name`).toEqual([]);
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await lowContrast(page), `${what}: text under 4.5:1 contrast (${scheme})`).toEqual([]);
  }
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(100);
  const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  expect(scroll[0], `${what}: wider than 390 px`).toBeLessThanOrEqual(scroll[1]!);
  if (size) await page.setViewportSize(size);
}

describe("accessibility", () => {
  for (const [id, title] of PAGES) {
    test(`${title}: names, keyboard and focus rings, text size, both colour schemes, no sideways scroll at 1280 and 390 px`, async () => {
      const { page, context, errors } = await openPage(env.browser, env.app.url);
      try {
        await openAt(page, id, title);

        expect(await unnamedControls(page), "controls without an accessible name").toEqual([]);
        // radio buttons belong to a named group (arrow keys move within it, Tab passes it as one stop)
        expect(await page.locator("input[type=radio]:not([name]), input[type=radio][name='']").evaluateAll((els) => els.map((e) => e.outerHTML)),
          "radio buttons without a group name").toEqual([]);
        // readable at 1280x720: no text under 12 px (a chart's SVG labels, scaled with the drawing: under 11 px as drawn)
        const tiny = await page.evaluate(() =>
          [...document.querySelectorAll<Element>("body *")]
            .filter((el) => [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim()) && el.checkVisibility())
            .map((el) => {
              const css = parseFloat(getComputedStyle(el).fontSize);
              const drawn = el instanceof SVGGraphicsElement ? css * (el.getScreenCTM()?.a ?? 1) : css;
              return { el, drawn, min: el instanceof SVGElement ? 11 : 12 };
            })
            .filter(({ drawn, min }) => drawn < min)
            .map(({ el, drawn }) => `${el.tagName.toLowerCase()}.${el.getAttribute("class")} (${drawn.toFixed(1)} px): ${el.textContent!.trim().slice(0, 40)}`),
        );
        expect(tiny, "text too small to read").toEqual([]);

        const { seen: reached, wrapped } = await tabThrough(page);
        expect(wrapped, `Tab went round the page (stuck after ${reached.at(-1)?.id})`).toBe(true);
        expect(reached.filter((s) => !s.ring).map((s) => s.id), "focused without a visible focus ring").toEqual([]);
        expect(reached.filter((s) => !s.visible).map((s) => s.id), "focus on something invisible").toEqual([]);
        const reachedIds = new Set(reached.map((s) => s.id));
        const controls = await tabbableControls(page);
        if (process.env.A11Y_DEBUG) console.log(id, JSON.stringify(reached.map((r) => r.id)), JSON.stringify(controls));
        // a radio group is reached through one of its radios
        const radioGroups = await page.evaluate(() =>
          Object.fromEntries([...document.querySelectorAll<HTMLInputElement>("input[type=radio]")].map((r) => [r.dataset.testid || r.id || r.value, `radio group ${r.name}`])),
        );
        for (const r of reached) if (radioGroups[r.id]) reachedIds.add(radioGroups[r.id]!);
        expect(controls.filter((c) => !reachedIds.has(c)), "controls Tab does not reach").toEqual([]);

        const colours = async () =>
          page.evaluate(() => {
            const card = document.querySelector(".card");
            return { body: getComputedStyle(document.body).backgroundColor, text: getComputedStyle(document.body).color, card: card ? getComputedStyle(card).backgroundColor : "" };
          });
        await page.emulateMedia({ colorScheme: "light" });
        const light = await colours();
        await page.emulateMedia({ colorScheme: "dark" });
        const dark = await colours();
        expect(dark.body).not.toBe(light.body);
        expect(dark.text).not.toBe(light.text);
        if (light.card) expect(dark.card).not.toBe(light.card);
        for (const scheme of ["light", "dark"] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          expect(await lowContrast(page), `text under 4.5:1 contrast (${scheme})`).toEqual([]);
        }
        if (id === "playground") {
          await page.emulateMedia({ colorScheme: "dark" });
          const editorBg = () => page.evaluate(() => getComputedStyle(document.querySelector(".cm-editor")!).backgroundColor);
          const d = await editorBg();
          await page.emulateMedia({ colorScheme: "light" });
          expect(await editorBg()).not.toBe(d);
        }

        // nothing scrolls sideways, at 1280x720 and on a 390 px wide phone
        for (const viewport of [{ width: 1280, height: 720 }, { width: 390, height: 844 }]) {
          await page.setViewportSize(viewport);
          await page.waitForTimeout(100);
          const overflow = await page.evaluate(() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll<HTMLElement>("body *")]
              .filter((el) => el.getBoundingClientRect().right > width + 1 && getComputedStyle(el).visibility !== "hidden")
              .map((el) => `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 80));
            return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
          });
          expect(overflow.scroll, `wider than ${viewport.width} px: ${overflow.wide.join(", ")}`).toBeLessThanOrEqual(overflow.width);
        }

        // with results on the page: statistics, preview and downloads
        if (id === "data") {
          await page.setViewportSize({ width: 1280, height: 720 });
          await page.getByTestId("builtin-checkbox").check();
          await page.getByTestId("count-input").fill("30");
          await page.getByTestId("generate-button").click();
          await page.getByTestId("stats").waitFor({ timeout: 60_000 });
          await checkState(page, "Data with results");
        }
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);
  }

  test("Playground: nothing moves while a suggestion is asked for and shown (1280 px and 390 px)", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await openAt(page, "playground", "Playground");
      const boxes = () =>
        page.evaluate(() => {
          const sel = ["[data-testid=code-editor]", ".cm-editor", "[data-testid=ghost-latency]", "[data-testid=inference-status]", "[data-testid=no-adapter]"];
          return Object.fromEntries(sel.map((s) => {
            const r = document.querySelector(s)!.getBoundingClientRect();
            return [s, [r.x, r.y, r.width, r.height].map(Math.round)];
          }));
        });
      for (const [i, viewport] of [{ width: 1280, height: 720 }, { width: 390, height: 844 }].entries()) {
        await page.setViewportSize(viewport);
        await page.locator(".cm-content").click();
        await page.keyboard.press("Control+End");
        await page.keyboard.type(i === 0 ? "        a, b" : "   x");
        await page.waitForTimeout(50);
        const before = await boxes();
        // the readout says "thinking…" while the model works, then the latency (the widest it gets)
        await page.locator(".cm-ghost-text").waitFor({ timeout: 60_000 });
        await expect.poll(() => page.getByTestId("ghost-latency").textContent()).toMatch(/model \d+ ms/);
        const after = await boxes();
        // the latency readout may grow to the left; what matters is that nothing else moves or resizes
        const { ["[data-testid=ghost-latency]"]: latencyBefore, ...restBefore } = before;
        const { ["[data-testid=ghost-latency]"]: latencyAfter, ...restAfter } = after;
        expect(restAfter, `at ${viewport.width} px`).toEqual(restBefore);
        expect(latencyAfter![1], `the readout's line at ${viewport.width} px`).toBe(latencyBefore![1]);
        if (i === 0) await checkState(page, "Playground with a suggestion");
        await page.keyboard.press("Escape");
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  test("Playground without a model: typing says, under the editor, why no suggestion comes and what to do", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await page.route("**/models/index.json", (route) => route.fulfill({ json: { models: [] } }));
      await page.goto(`${env.app.url}#/playground`);
      await page.getByTestId("no-embedded").waitFor();
      await page.locator(".cm-content").click();
      await page.keyboard.press("Control+End");
      await page.keyboard.type("x");
      await expect.poll(() => page.getByTestId("ghost-latency").textContent(), { timeout: 10_000 }).toContain("no model is loaded: choose one under Model");
      expect(await page.locator("[data-testid=code-editor] [role=status]").textContent()).toContain("no model is loaded");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  test("Train: a bad setting is explained at its field; the settings and the run's figures stay put while a run streams", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    try {
      await openAt(page, "train", "Train");
      await expect.poll(() => page.getByTestId("embedded-select").inputValue()).toBe(env.models.id);
      await page.getByTestId("use-builtin").click();
      await page.getByTestId("train-data").waitFor({ timeout: 60_000 });

      // an error where the user acted: under the field, tied to it, saying what is allowed; Start says what to do
      await page.getByTestId("set-lr").fill("-1");
      const lr = page.getByTestId("set-lr");
      expect(await lr.getAttribute("aria-invalid")).toBe("true");
      const errId = (await lr.getAttribute("aria-describedby"))!;
      const message = (await page.locator(`#${errId}`).textContent()) ?? "";
      expect(message.length).toBeGreaterThan(10);
      expect(await page.locator(`#${errId}`).evaluate((el, input) => el.parentElement === input!.parentElement, await lr.elementHandle())).toBe(true);
      expect(await page.getByTestId("train-start").isDisabled()).toBe(true);
      expect(await page.getByTestId("train-blocked").textContent()).toContain("Fix the settings");

      for (const [k, v] of Object.entries({ lr: 0.01, warmupSteps: 1, batchSize: 1, gradAccum: 1, contextLength: 128, r: 4, alpha: 8, steps: 400, evalEvery: 0, evalSamples: 0 })) {
        await page.getByTestId(`set-${k}`).fill(String(v));
      }
      await page.getByTestId("set-backend").selectOption("cpu");
      await page.getByTestId("train-start").click();

      const boxes = () =>
        page.evaluate(() => {
          const sel = [
            "[aria-labelledby=settings-heading]", "[aria-labelledby=run-heading]", "[aria-labelledby=chart-heading]",
            "[data-testid=train-progress]", "[data-testid=train-step]", "[data-testid=train-loss]", "[data-testid=train-tps]",
            "[data-testid=train-eta]", "[data-testid=train-status]", "[data-testid=train-start], [data-testid=train-pause], [data-testid=train-resume]",
          ];
          return Object.fromEntries(sel.map((s) => {
            const r = document.querySelector(s)!.getBoundingClientRect();
            return [s, [r.x, r.y, r.width, r.height].map(Math.round)];
          }));
        });
      const step = async () => Number((await page.getByTestId("train-step").textContent())?.split(" /")[0]);
      await expect.poll(step, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
      // "Before you start" keeps the ETA it showed at Start, though the run records its speed every 10 steps
      const etaAtStart = await page.getByTestId("estimate-eta").textContent();
      // two moments a few steps apart, on the desktop and on a phone
      for (const viewport of [{ width: 1280, height: 720 }, { width: 390, height: 844 }]) {
        await page.setViewportSize(viewport);
        await expect.poll(step, { timeout: 120_000 }).toBeGreaterThanOrEqual((await step()) + 1);
        const first = await boxes();
        const firstStep = await step();
        await expect.poll(step, { timeout: 120_000 }).toBeGreaterThanOrEqual(firstStep + 3);
        const second = await boxes();
        expect(second, `at ${viewport.width} px, steps ${firstStep} and ${await step()}`).toEqual(first);
      }
      await expect.poll(step, { timeout: 120_000 }).toBeGreaterThanOrEqual(14);
      expect(await page.getByTestId("estimate-eta").textContent()).toBe(etaAtStart);
      await page.setViewportSize({ width: 1280, height: 720 });
      await checkState(page, "Train while running");
      await page.getByTestId("train-stop").click();
      await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 60_000 }).toContain("Stopped");
      await checkState(page, "Train after a run");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);
});
