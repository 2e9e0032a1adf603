// train-runs-safety.test.ts — the Train page's saved runs (OPFS) in headless Chromium on a tiny embedded model served
// as /models/ by the test: two tabs training at once each keep their own run folder, and a tab cannot write into a run
// another tab trains (Web Lock); a checkpoint write that fails under a quota lowered through the DevTools protocol
// leaves the last good checkpoint intact while training goes on, says how much space is needed and offers the adapter
// as a download; a finished run's adapter is back for the Playground and Export after a reload. Each browser context
// is off the record (its OPFS lives in memory) and the models folder is removed at the end: nothing stays behind.
import { describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { openPage } from "./browser.ts";
import { setSettings, withSamples as withTrainSamples } from "./train-steps.ts";
import { useAppWithModels } from "./fixtures/models-dir.ts";
import { formatBytes } from "../../src/routes/shared/format.ts";
import type { TrainJob } from "../../src/workers/train.worker.ts";


const env = useAppWithModels();

const QUICK = { lr: 0.01, warmupSteps: 1, batchSize: 1, gradAccum: 1, contextLength: 128, evalEvery: 0, evalSamples: 0, backend: "cpu" };

const withSamples = (page: Page) => withTrainSamples(page, env.app.url, env.models.id);

const stepOf = async (page: Page) => Number((await page.getByTestId("train-step").textContent())?.split(" /")[0]) || 0;
const status = (page: Page) => page.getByTestId("train-status").textContent();

interface SavedRun {
  id: string;
  job: { settings: { steps: number; r: number }; finished: boolean };
  /** Every file in the run's folder with its size. */
  files: Record<string, number>;
  manifest: { generation: number; files: Record<string, number> } | null;
  /** The checkpoint's trainer state and adapter config, when its manifest's files are all there at their sizes. */
  state: { step: number; totalSteps: number } | null;
  r: number | null;
}

/** The saved runs in the page's OPFS: each job with its run folder's files and checkpoint. */
function savedRuns(page: Page): Promise<SavedRun[]> {
  return page.evaluate(async () => {
    type D = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> };
    const root = await navigator.storage.getDirectory();
    const jobs = (await root.getDirectoryHandle("fim-studio-jobs", { create: true })) as D;
    const runs = await root.getDirectoryHandle("fim-studio-runs", { create: true });
    const text = async (d: FileSystemDirectoryHandle, n: string) => (await (await d.getFileHandle(n)).getFile()).text();
    const out = [];
    for await (const [name] of jobs.entries()) {
      const id = name.replace(/\.json$/, "");
      let files: Record<string, number> = {};
      let manifest = null;
      let state = null;
      let r = null;
      // a tab that trains this run may replace its checkpoint while it is read: read again until it holds still
      for (let attempt = 0; attempt < 40 && state === null; attempt++) {
        if (attempt > 0) await new Promise((ok) => setTimeout(ok, 25));
        files = {};
        manifest = null;
        try {
          const dir = (await runs.getDirectoryHandle(id)) as D;
          for await (const [f, h] of dir.entries()) files[f] = (await (h as FileSystemFileHandle).getFile()).size;
          manifest = JSON.parse(await text(dir, "checkpoint.json"));
          const g = manifest.generation;
          if (Object.entries(manifest.files as Record<string, number>).every(([f, size]) => files[`${f}.g${g}`] === size)) {
            state = JSON.parse(await text(dir, `trainer_state.json.g${g}`));
            r = JSON.parse(await text(dir, `adapter_config.json.g${g}`)).r;
          }
        } catch {
          if (!manifest) break; // no folder or no checkpoint yet
        }
      }
      const { settings, finished } = JSON.parse(await text(jobs, name));
      out.push({ id, job: { settings, finished }, files, manifest, state: state && { step: state.step, totalSteps: state.totalSteps }, r });
    }
    return out;
  });
}

describe("Train page: saved runs", () => {
  test("two tabs training at once each have their own run; one cannot write into or resume the other's", async () => {
    const { context, page: first, errors } = await openPage(env.browser, env.app.url);
    await withSamples(first);
    await setSettings(first, { ...QUICK, steps: 100000, r: 4, alpha: 8 });
    await first.getByTestId("train-start").click();
    await expect.poll(() => stepOf(first), { timeout: 120_000 }).toBeGreaterThanOrEqual(11); // a checkpoint at step 10

    // a second tab: it says that another tab trains a run, and offers nothing to resume
    const second = await context.newPage();
    await withSamples(second);
    await second.getByTestId("run-elsewhere").waitFor({ timeout: 30_000 });
    expect(await second.getByTestId("run-elsewhere").textContent()).toMatch(/Another tab of this browser is training a run of .*will not write into that run or resume it/s);
    expect(await second.getByTestId("resume-offer").count()).toBe(0);

    // ... and trains a run of its own meanwhile
    await setSettings(second, { ...QUICK, steps: 12, r: 2, alpha: 4 });
    await second.getByTestId("train-start").click();
    await expect.poll(() => status(second), { timeout: 180_000 }).toContain("Done");
    expect(await status(first)).toContain("Training");
    // the first tab pauses (a checkpoint written, the run still held by it) so that its files hold still while read
    await first.getByTestId("train-pause").click();
    await expect.poll(() => status(first), { timeout: 60_000 }).toContain("Paused");

    // two runs, each checkpoint in its own folder, belonging to its own job (settings, rank)
    const runs = await savedRuns(first);
    expect(runs).toHaveLength(2);
    const long = runs.find((r) => r.job.settings.steps === 100000)!;
    const short = runs.find((r) => r.job.settings.steps === 12)!;
    expect(long.id).not.toBe(short.id);
    expect(short.state).toEqual({ step: 12, totalSteps: 12 });
    expect(short.r).toBe(2);
    expect(short.job.finished).toBe(true);
    expect(long.state?.totalSteps).toBe(100000);
    expect(long.state!.step).toBeGreaterThanOrEqual(10);
    expect(long.r).toBe(4);
    expect(long.job.finished).toBe(false);

    // a third page of the same browser drives the training worker at the first tab's run: refused, nothing written
    const third = await context.newPage();
    await third.goto(`${env.app.url}tests/e2e/harness/train-worker.html`);
    await third.waitForFunction(() => "trainHarness" in window);
    const job: TrainJob = {
      model: { kind: "url", url: `/models/${env.models.id}/` }, jsonl: "", backend: "cpu", runKey: long.id,
      train: { steps: 2, batchSize: 1, contextLength: 128 }, lora: { r: 8, alpha: 16 }, checkpointEvery: 1,
    };
    type H = { trainHarness: { start(j: TrainJob): Promise<unknown>; clearCheckpoint(k: string): Promise<void> } };
    const tryStart = await third.evaluate((j) => (window as unknown as H).trainHarness.start(j).then(() => "trained", (e: Error) => e.message), job);
    expect(tryStart).toMatch(/being trained in another tab of this browser: this tab will not write into it/);
    const tryClear = await third.evaluate((k) => (window as unknown as H).trainHarness.clearCheckpoint(k).then(() => "cleared", (e: Error) => e.message), long.id);
    expect(tryClear).toMatch(/another tab/);
    const after = (await savedRuns(first)).find((r) => r.id === long.id)!;
    expect(after.r).toBe(4);
    expect(after.state?.totalSteps).toBe(100000);
    await third.close();

    // once the first tab lets go of its run (stopped), the second tab offers it for resuming
    await first.getByTestId("train-stop").click();
    await expect.poll(() => status(first), { timeout: 60_000 }).toContain("Stopped");
    await second.getByTestId("resume-offer").waitFor({ timeout: 30_000 });
    expect(await second.getByTestId("run-elsewhere").count()).toBe(0);
    expect(await second.getByTestId("resume-offer").textContent()).toMatch(/saved at step [1-9]\d/);
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);

  test("a checkpoint that does not fit the storage quota: the run goes on, the last good checkpoint stays, space and a download are offered", async () => {
    const STEPS = 100;
    const { context, page, errors } = await openPage(env.browser, env.app.url);
    const cdp = await context.newCDPSession(page);
    const origin = new URL(env.app.url).origin;
    try {
      await withSamples(page);
      await setSettings(page, { ...QUICK, steps: STEPS, r: 4, alpha: 8 });
      await page.getByTestId("train-start").click();
      await expect.poll(() => stepOf(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(11);
      // paused: a checkpoint is written; then the quota leaves less room than one more checkpoint needs
      await page.getByTestId("train-pause").click();
      await expect.poll(() => status(page), { timeout: 60_000 }).toContain("Paused");
      // the pause's checkpoint is written once the step in flight is done (the last step shown)
      await expect.poll(async () => (await savedRuns(page))[0]?.state?.step === (await stepOf(page)), { timeout: 60_000 }).toBe(true);
      const [good] = await savedRuns(page);
      expect(good!.state).not.toBeNull();
      const savedStep = good!.state!.step;
      const failsAt = (Math.floor(savedStep / 10) + 1) * 10; // the next checkpoint (every 10 steps)
      expect(failsAt).toBeLessThan(STEPS);
      const checkpointBytes = Object.values(good!.manifest!.files).reduce((s, n) => s + n, 0);
      // far below what the site uses already (an off-the-record context's navigator.storage.estimate() does not show
      // the lowered quota, but writes obey it)
      await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: 1024 });
      await page.getByTestId("train-resume").click();

      // the next checkpoint fails: the page says so and how much it needs, and training goes on to the end
      const trouble = page.getByTestId("checkpoint-trouble");
      await trouble.or(page.getByTestId("train-error")).first().waitFor({ timeout: 120_000 });
      const stopped = page.getByTestId("train-error");
      expect(await stopped.count(), (await stopped.count()) ? `${await stopped.textContent()}` : "").toBe(0);
      const said = (await trouble.textContent())!.replace(/\s+/g, " ");
      const failed = Number(/Browser storage is full: the checkpoint at step (\d+) could not be saved\. It needs \d/.exec(said)?.[1]);
      // the next checkpoint fails, and so does every one after it; the message names the latest (a fast run may be
      // past the next one by the time it is read), and the last good checkpoint stays the one before the quota
      expect(failed >= failsAt && (failed - failsAt) % 10 === 0, said).toBe(true);
      expect(said).toContain("Training goes on;");
      expect(said).toContain(`the last good checkpoint (step ${savedStep}) is kept`);
      // read from the same snapshot as the message: a later checkpoint's failure rewrites it (a few bytes more or less)
      expect(await page.getByTestId("checkpoint-needs").textContent()).toMatch(/^\d+(\.\d)? (B|KB)$/);
      const needs = /It needs (\d+(?:\.\d)? (?:B|KB)) of free space/.exec(said)?.[1] ?? "";
      expect(needs, said).toMatch(/^\d+(\.\d)? (B|KB)$/);
      const needed = Number(needs.split(" ")[0]) * (needs.endsWith("KB") ? 1024 : 1);
      expect(Math.abs(needed - checkpointBytes)).toBeLessThan(0.05 * checkpointBytes + 1024); // the checkpoint and its manifest
      await expect.poll(() => status(page), { timeout: 180_000 }).toContain("Done");
      expect(await page.getByTestId("train-step").textContent()).toBe(`${STEPS} / ${STEPS}`);
      expect(await page.getByTestId("train-error").count()).toBe(0);

      // the last good checkpoint is whole, and nothing else (no empty or partial files) is in the run's folder
      const [run] = await savedRuns(page);
      expect(run!.state).toEqual({ step: savedStep, totalSteps: STEPS });
      const g = run!.manifest!.generation;
      expect(Object.keys(run!.files).sort()).toEqual(["checkpoint.json", ...Object.keys(run!.manifest!.files).map((f) => `${f}.g${g}`)].sort());
      expect(run!.job.finished).toBe(false); // its last checkpoint is not in storage: it stays resumable

      // the adapter in memory, as a download: a zip of the run's files
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-adapter").click()]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`-lora-step-${STEPS}\\.zip$`));
      const chunks: Buffer[] = [];
      for await (const c of (await download.createReadStream())!) chunks.push(c as Buffer);
      const zip = Buffer.concat(chunks);
      expect(zip.subarray(0, 4).toString("latin1")).toBe("PK\x03\x04");
      expect(zip.includes(Buffer.from("adapter_model.safetensors"))).toBe(true);
      expect(zip.includes(Buffer.from("adapter_config.json"))).toBe(true);
      await download.delete();
      expect(errors).toEqual([]);
    } finally {
      await cdp.send("Storage.overrideQuotaForOrigin", { origin }).catch(() => {});
      await context.close();
    }
  }, 400_000);

  test("a finished run's adapter is there after a reload: the Playground and Export have it", async () => {
    const { page, errors } = await openPage(env.browser, env.app.url);
    await withSamples(page);
    await setSettings(page, { ...QUICK, steps: 4, r: 4, alpha: 8 });
    await page.getByTestId("train-start").click();
    await expect.poll(() => status(page), { timeout: 120_000 }).toContain("Done");
    await page.reload();
    await page.goto(`${env.app.url}#/playground`);
    await page.getByTestId("inference-ready").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId("adapter-tuned").isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId("adapter-tuned").isChecked()).toBe(true);
    expect(await page.getByTestId("no-adapter").count()).toBe(0);
    await page.goto(`${env.app.url}#/export`);
    await expect.poll(() => page.getByTestId("export-session").textContent(), { timeout: 30_000 }).toMatch(/with the adapter trained on the Train page\s+\(4 steps/);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);
});
