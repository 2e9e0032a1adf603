// train-first-hour.test.ts — the Train page as a newcomer meets it, in headless Chromium on a tiny embedded model
// (served as /models/ by the test): Stop keeps the steps trained as an adapter the Playground and Export use at once;
// after Stop, "Resume" and "New run" are offered and a new run takes the new Steps value exactly; every setting (Run on
// and Frozen weights included) survives runs and a reload; the time a run takes and what it can be expected to do are
// shown before Start; a folder that is not a model is refused when picked, naming what it lacks. Runs are a few steps
// of a short context on the CPU.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { openPage } from "./browser.ts";
import { setSettings, withSamples as withTrainSamples } from "./train-steps.ts";
import { useAppWithModels } from "./fixtures/models-dir.ts";
import { EMBEDDED_MEASURED } from "../../src/routes/train/estimates.ts";

const env = useAppWithModels();

/** The Train page (a dev server compiling it for the first time on a busy machine takes a while), with the samples. */
async function withSamples(page: Page) {
  await page.goto(`${env.app.url}#/train`);
  await page.getByTestId("embedded-select").waitFor({ timeout: 120_000 });
  await withTrainSamples(page, env.app.url, env.models.id);
}

const QUICK = { lr: 0.01, warmupSteps: 1, batchSize: 1, gradAccum: 1, contextLength: 96, r: 4, alpha: 8, evalEvery: 0, evalSamples: 0, backend: "cpu" };
/** Errors of the page, less the dev server's own "Outdated Optimize Dep" (its dependency cache is rebuilt under it). */
const appErrors = (errors: string[]) => errors.filter((e) => !e.includes("Outdated Optimize Dep"));
const stepOf = async (page: Page) => Number((await page.getByTestId("train-step").textContent())?.split(" /")[0]) || 0;
const status = (page: Page) => page.getByTestId("train-status").textContent();

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A folder `name` holding `files`, on disk for the file input. */
function folder(name: string, files: Record<string, Uint8Array | string>): string {
  const root = mkdtempSync(join(tmpdir(), "fim-first-hour-"));
  dirs.push(root);
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [n, data] of Object.entries(files)) writeFileSync(join(dir, n), data);
  return dir;
}

describe("Train page: the first hour", () => {
  test("Stop keeps the adapter for the Playground and Export; New run takes the new Steps value", async () => {
    const { page, errors } = await openPage(env.browser, env.app.url);
    await withSamples(page);
    await setSettings(page, { ...QUICK, steps: 2000 });
    // before Start: the time (nothing measured yet in this browser: the guess) and what such a run may change
    await expect.poll(() => page.getByTestId("estimate-eta").textContent()).toMatch(/ETA ≈ \d+ (s|min|h) on the CPU\s+\(a rough guess: [\d,]+ tokens\/s/);
    expect(await page.getByTestId("estimate-effect").textContent()).toMatch(/ over your [\d,]+ samples/);
    // the embedded model is picked: the page says what the defaults measurably did to it
    expect(await page.getByTestId("estimate-effect").textContent()).toContain(EMBEDDED_MEASURED);
    await page.getByTestId("train-start").click();
    await expect.poll(() => stepOf(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
    await page.getByTestId("train-stop").click();
    await expect.poll(() => status(page), { timeout: 60_000 }).toContain("Stopped");
    const said = (await page.getByTestId("train-stopped").textContent())!;
    const m = /^Stopped at step (\d+) of 2000; adapter saved/.exec(said);
    expect(m, said).not.toBeNull();
    const stoppedAt = Number(m![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId("train-step").textContent()).toBe(`${stoppedAt} / 2000`);

    // two visible ways on: go on with that run, or a new one with the page's settings
    expect(await page.getByTestId("resume-run").isVisible()).toBe(true);
    expect(await page.getByTestId("new-run").isVisible()).toBe(true);
    expect(await page.getByTestId("resume-run").textContent()).toContain(`Resume from step ${stoppedAt}`);
    expect(await page.getByTestId("train-start").count()).toBe(0);

    // the stopped run's adapter, at once: the Playground turns it on, Export offers it with its step count
    await page.getByTestId("nav-playground").click();
    await page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId("adapter-tuned").isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId("adapter-tuned").isChecked()).toBe(true);
    expect(await page.getByTestId("no-adapter").count()).toBe(0);
    const playgroundFormat = /FIM format\s+([\w-]+)/.exec((await page.getByTestId("inference-ready").textContent()) ?? "")?.[1];
    await page.getByTestId("nav-export").click();
    await expect.poll(() => page.getByTestId("export-session").textContent(), { timeout: 30_000 })
      .toMatch(new RegExp(`with the adapter trained on the Train page\\s+\\(${stoppedAt} steps`));
    // the Playground prompts in the format the adapter was trained with, and says so
    const trainedFormat = /format\s+([\w-]+)\)/.exec((await page.getByTestId("export-session").textContent()) ?? "")?.[1];
    expect(trainedFormat).toBeDefined();
    expect(playgroundFormat).toBe(trainedFormat);

    // back on the Train page: the settings are as left; a new run with a new Steps value has exactly that many steps
    await page.getByTestId("nav-train").click();
    await page.getByTestId("new-run").waitFor();
    expect(await page.getByTestId("set-steps").inputValue()).toBe("2000");
    expect(await page.getByTestId("set-backend").inputValue()).toBe("cpu");
    await setSettings(page, { steps: 3 });
    await expect.poll(() => page.getByTestId("new-run").textContent()).toContain("(3 steps)");
    // the ETA now comes from the speed the stopped run measured; 3 steps are a quick try
    expect(await page.getByTestId("estimate-eta").textContent()).toMatch(/ETA ≈ \d+ s on the CPU\s+\(at [\d,]+ tokens\/s, measured on your last run of this\s+model here\)/);
    expect(await page.getByTestId("estimate-effect").textContent()).toMatch(/^A quick try: \d+% of your [\d,]+ samples/);
    await page.getByTestId("new-run").click();
    await expect.poll(() => status(page), { timeout: 120_000 }).toContain("Done");
    expect(await page.getByTestId("train-step").textContent()).toBe("3 / 3");
    expect(await page.getByTestId("train-resumed").count()).toBe(0);
    // the run kept the choices, and the page still shows them
    expect(await page.getByTestId("set-steps").inputValue()).toBe("3");
    expect(await page.getByTestId("set-backend").inputValue()).toBe("cpu");
    expect(await page.getByTestId("set-lr").inputValue()).toBe("0.01");
    expect(await page.getByTestId("train-start").isVisible()).toBe(true);
    expect(appErrors(errors)).toEqual([]);
    await page.context().close();
  }, 400_000);

  test("every setting survives a reload", async () => {
    const { page, errors } = await openPage(env.browser, env.app.url);
    await withSamples(page);
    const chosen = { lr: "0.005", warmupSteps: "3", batchSize: "2", gradAccum: "3", epochs: "2", steps: "7", contextLength: "96", r: "2", alpha: "4", evalEvery: "5", evalSamples: "1" };
    await setSettings(page, { ...chosen, backend: "cpu" });
    await page.getByTestId("set-weights").selectOption("f32");
    await page.reload();
    await page.getByTestId("embedded-select").waitFor({ timeout: 120_000 });
    for (const [k, v] of Object.entries(chosen)) expect(await page.getByTestId(`set-${k}`).inputValue(), k).toBe(v);
    expect(await page.getByTestId("set-backend").inputValue()).toBe("cpu");
    expect(await page.getByTestId("set-weights").inputValue()).toBe("f32");
    expect(appErrors(errors)).toEqual([]);
    await page.context().close();
  }, 120_000);

  test("a folder that is not a model is refused when picked, naming what it lacks", async () => {
    const { page, errors } = await openPage(env.browser, env.app.url);
    await page.goto(`${env.app.url}#/train`);
    await page.getByTestId("embedded-select").waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId("embedded-select").inputValue()).toBe(env.models.id);
    await page.getByTestId("kind-folder").check();
    const input = page.getByTestId("picker-folder-input");
    const error = page.getByTestId("picker-folder-error");

    await input.setInputFiles(folder("my-code", { "main.py": "print(1)\n", "README.md": "# code\n" }));
    await expect.poll(() => error.textContent()).toBe(
      "This folder is not a model: config.json, tokenizer.json and model.safetensors (or model.safetensors.index.json with its shards) are missing.",
    );
    // not chosen: the model in use is still the embedded one
    expect(await page.getByTestId("current-pick").textContent()).toContain("(embedded)");

    const noTokenizer = Object.fromEntries(Object.entries(env.models.files).filter(([n]) => n !== "tokenizer.json"));
    await input.setInputFiles(folder("half-model", noTokenizer));
    await expect.poll(() => error.textContent()).toBe("This folder is not a model: tokenizer.json is missing.");

    await input.setInputFiles(folder("whole-model", env.models.files));
    await expect.poll(() => error.count()).toBe(0);
    expect(await page.getByTestId("picker-folder-chosen").textContent()).toBe("whole-model");
    expect(await page.getByTestId("current-pick").count()).toBe(0); // the folder is the model in use now
    expect(appErrors(errors)).toEqual([]);
    await page.context().close();
  }, 120_000);
});
