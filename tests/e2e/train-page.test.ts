// train-page.test.ts — the Train page in headless Chromium on a tiny embedded model (served as /models/ by the test):
// samples from the built-in corpus, a short run on the CPU backend with progress, a falling loss, held-out loss and
// before/after metrics; Stop; a run interrupted by a reload offered for resuming and finished from its checkpoint; and
// a Hugging Face model (huggingface.co answered by the test) whose size shows before, and its download while it loads;
// "Train elsewhere": the training kit downloaded as a .zip with the page's settings in its Axolotl config.
// Screenshots at 1280×720 and 390×844 go to $SHOTS_DIR (default /tmp/shots).
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { openPage } from "./browser.ts";
import { setSettings, withSamples as withTrainSamples } from "./train-steps.ts";
import { useAppWithModels } from "./fixtures/models-dir.ts";
import { formatBytes } from "../../src/routes/shared/format.ts";

const SHOTS_DIR = process.env.SHOTS_DIR || "/tmp/shots";

const env = useAppWithModels(() => mkdirSync(SHOTS_DIR, { recursive: true }));

const withSamples = (page: Page) => withTrainSamples(page, env.app.url, env.models.id);

const QUICK = { lr: 0.01, warmupSteps: 1, batchSize: 2, gradAccum: 1, contextLength: 256, r: 4, alpha: 8, backend: "cpu" };

describe("Train page", () => {
  test("trains the embedded model on the built-in corpus: progress, falling loss, held-out loss, metrics", async () => {
    const { page, errors } = await openPage(env.browser, env.app.url);
    await withSamples(page);
    await expect.poll(() => page.getByTestId("estimate").textContent()).toMatch(/steps of .* tokens/);
    await setSettings(page, { ...QUICK, steps: 20, evalEvery: 5, evalSamples: 3 });
    await page.getByTestId("train-start").click();
    await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 120_000 }).toContain("Done");
    expect(await page.getByTestId("train-step").textContent()).toBe("20 / 20");
    expect(await page.getByTestId("train-backend").textContent()).toContain("CPU");
    // the chart has a line for the training loss and one for the held-out loss (steps 0, 5, 10, 15, 20)
    const train = (await page.getByTestId("train-line").getAttribute("d"))!;
    expect(train.split(/[ML]/).filter((s) => s.trim()).length).toBe(20);
    expect(await page.locator("circle.eval-dot").count()).toBe(5);
    // loss falls: the chart's y grows downwards, so the last smoothed point sits lower (larger y) than the first
    const ys = train.split(/[ML]/).filter((s) => s.trim()).map((p) => Number(p.trim().split(" ")[1]));
    expect(ys.at(-1)!).toBeGreaterThan(ys[0]!);
    for (const id of ["em-before", "em-after", "es-before", "es-after"]) {
      expect(await page.getByTestId(id).textContent()).toMatch(/^\d+\.\d$/);
    }
    await page.screenshot({ path: join(SHOTS_DIR, "train-1280.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);

  test("Stop ends the run; a run interrupted by a reload is offered and resumes from its checkpoint", async () => {
    const { page, errors } = await openPage(env.browser, env.app.url);
    await withSamples(page);
    await setSettings(page, { ...QUICK, steps: 2000, evalEvery: 0, evalSamples: 0 });
    await page.getByTestId("train-start").click();
    await expect.poll(async () => Number((await page.getByTestId("train-step").textContent())?.split(" /")[0]), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
    await page.getByTestId("train-stop").click();
    await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 60_000 }).toContain("Stopped");

    // a new run, cut by a reload once a checkpoint (every 10 steps) exists
    await setSettings(page, { steps: 16 });
    await page.getByTestId("new-run").click();
    await expect.poll(async () => Number((await page.getByTestId("train-step").textContent())?.split(" /")[0]), { timeout: 180_000 }).toBeGreaterThanOrEqual(11);
    await page.reload();
    await page.getByTestId("resume-offer").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("resume-offer").textContent()).toContain("step 10");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS_DIR, "train-390.png"), fullPage: true });
    await page.getByTestId("resume-run").click();
    await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 120_000 }).toContain("Done");
    expect(await page.getByTestId("train-step").textContent()).toBe("16 / 16");
    expect(await page.getByTestId("train-resumed").textContent()).toContain("Resumed from the checkpoint at step 10");
    // the chart holds the whole run: steps 1-10 from the checkpoint, 11-16 after resuming
    expect((await page.getByTestId("train-line").getAttribute("d"))!.split(/[ML]/).filter((s) => s.trim()).length).toBe(16);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 400_000);

  test("a Hub model: its size before, its download progress while the run starts", async () => {
    const { context, page, errors } = await openPage(env.browser, env.app.url);
    const repo = "test/tiny-hub";
    const files = Object.fromEntries(Object.entries(env.models.files).map(([n, v]) => [n, typeof v === "string" ? new TextEncoder().encode(v) : v]));
    const weights = files["model.safetensors"]!.byteLength;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // huggingface.co, as the worker's fetches see it: the file list with sizes, files by Range; the weights wait for `held`
    await context.route("https://huggingface.co/**", async (route) => {
      const req = route.request();
      const path = decodeURIComponent(new URL(req.url()).pathname);
      const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "range", "access-control-expose-headers": "content-range" };
      if (req.method() === "OPTIONS") return route.fulfill({ status: 204, headers: cors });
      if (path === `/api/models/${repo}/revision/main`) {
        const siblings = Object.entries(files).map(([rfilename, v]) => ({ rfilename, size: v.byteLength }));
        return route.fulfill({ json: { id: repo, sha: "0123abcd", siblings }, headers: cors });
      }
      const name = path.slice(`/${repo}/resolve/main/`.length);
      const body = path.startsWith(`/${repo}/resolve/main/`) ? files[name] : undefined;
      if (!body) return route.fulfill({ status: 404, body: "Entry not found", headers: cors });
      if (name === "model.safetensors") await held;
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers()["range"] ?? "");
      if (!m) return route.fulfill({ body: Buffer.from(body), headers: cors });
      const [begin, end] = [Number(m[1]), Math.min(Number(m[2]) + 1, body.byteLength)];
      const headers = { ...cors, "content-range": `bytes ${begin}-${end - 1}/${body.byteLength}` };
      return route.fulfill({ status: 206, body: Buffer.from(body.subarray(begin, end)), headers });
    });
    await withSamples(page);
    await page.getByTestId("kind-hub").check();
    await page.getByTestId("repo-input").fill(repo);
    await page.getByTestId("repo-use").click();
    const total = Object.values(files).reduce((s, v) => s + v.byteLength, 0);
    await expect.poll(() => page.getByTestId("cost").textContent(), { timeout: 30_000 }).toContain(`Download ${formatBytes(total)} once`);
    await setSettings(page, { ...QUICK, steps: 2, evalEvery: 0, evalSamples: 0 });
    await page.getByTestId("train-start").click();
    // the weights are held back: the page shows which file loads and how many of its bytes are in
    await expect.poll(() => page.getByTestId("train-download").textContent(), { timeout: 60_000 }).toContain(`0 B of ${formatBytes(weights)} (0%)`);
    expect(await page.getByTestId("train-status").textContent()).toContain("Loading the model: model.safetensors");
    await page.locator("section.run").screenshot({ path: join(SHOTS_DIR, "train-download.png") });
    release();
    await expect.poll(() => page.getByTestId("train-status").textContent(), { timeout: 120_000 }).toContain("Done");
    expect(await page.getByTestId("train-download").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  test("Train elsewhere: the kit downloads as a .zip with the page's samples and settings", async () => {
    const { page, errors } = await openPage(env.browser, env.app.url);
    await withSamples(page);
    await setSettings(page, { ...QUICK, steps: 40 });
    await page.getByTestId("kit-base-model").fill("Qwen/Qwen2.5-Coder-0.5B");
    await page.getByTestId("kit-multi-gpu").selectOption("fsdp");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("kit-download").click()]);
    expect(download.suggestedFilename()).toBe("fim-kit-Qwen2.5-Coder-0.5B.zip");
    const zip = readFileSync((await download.path())!).toString("latin1"); // stored, not compressed: the files' text is in it
    for (const name of ["fim-kit.json", "README.md", "data/train.jsonl", "data/eval.jsonl", "prepare.py", "train_trl.py", "axolotl/config.yml", "axolotl/config-multi-gpu.yml", "accelerate/fsdp2.yaml"]) {
      expect(zip).toContain(`fim-kit/${name}`);
    }
    expect(zip).toMatch(/base_model: Qwen\/Qwen2\.5-Coder-0\.5B\nlora_r: 4\nlora_alpha: 8\n/);
    expect(zip).toMatch(/learning_rate: 0\.01\n/);
    expect(zip).toMatch(/max_steps: 40\n/);
    expect(zip).toMatch(/fsdp_version: 2\n/);
    expect(await page.getByTestId("kit-written").textContent()).toMatch(/fim-kit-Qwen2\.5-Coder-0\.5B\.zip: [\d,]+ training and [\d,]+ held-out samples/);
    await page.getByTestId("train-elsewhere").screenshot({ path: join(SHOTS_DIR, "train-elsewhere.png") });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
