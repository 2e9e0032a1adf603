// Bad inputs to the loaders, end to end through the `fim` command line where it reaches them: FIFOs and devices
// given as data or model files (refused or skipped, never read: reading would hang), a file or link that cannot be
// read (skipped and counted), runaway sizes (config.json, --rank, --count), a tokenizer.json of the wrong shape,
// records whose text and parts disagree, and a ctx prompt of one very long line. Each row: input, exit code, words
// of the message. Fixtures live in a temp folder removed at the end; FIFOs are unblocked first so that a reader
// stuck on one (a regression) cannot keep the run alive.

import { execFile, execFileSync } from "node:child_process";
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readFolder, readText } from "../../../node/export/src/cli/load.ts";
import { fim } from "./run-fim.ts";
import { directorySource, PathNotFoundError } from "../../../node/export/src/fs-source.ts";
import { buildDataset, sampleAtCursor, type SampleRecord } from "../../../src/lib/fim/index.ts";
import { CheckpointError } from "../../../src/lib/model/errors.ts";
import { folderFiles } from "../../../node/export/src/model-folder.ts";
import { writeTinyCheckpoint } from "../../fixtures/tiny-checkpoint.ts";

/**
 * The real executable in a child process, killed after `ms`: a read of a FIFO or /dev/zero blocks the process that
 * makes it (synchronously, so no test timeout could end it in-process); here a regression fails as "killed".
 */
function fimChild(args: string[], ms = 30_000): Promise<{ code: number | null; stderr: string; killed: boolean }> {
  return new Promise((done) => {
    execFile("node", ["node/export/bin/fim.mjs", ...args], { timeout: ms, killSignal: "SIGKILL", maxBuffer: 1 << 20 }, (e, _stdout, stderr) => {
      const err = e as (Error & { code?: unknown; killed?: boolean }) | null;
      done({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stderr, killed: err?.killed === true });
    });
  });
}

const PY = "def add(a, b):\n    total = a + b\n    return total\n\n\nprint(add(1, 2))\n";
const HANG_MS = 5_000; // a read of a FIFO or /dev/zero never ends: a test that reaches one fails on this timeout

let dir: string;
let model: string;
let fifo: string;
const fifos: string[] = [];
const mkfifo = (path: string) => {
  execFileSync("mkfifo", [path]);
  fifos.push(path);
  return path;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fim-bad-inputs-"));
  model = (await writeTinyCheckpoint(join(dir, "model"), { architecture: "qwen2" })).dir;
  fifo = mkfifo(join(dir, "pipe.jsonl"));
  mkdirSync(join(dir, "proj"));
  writeFileSync(join(dir, "proj/a.py"), PY);
  writeFileSync(join(dir, "proj/b.py"), PY.replace(/add/g, "plus"));
  mkfifo(join(dir, "proj/fifo.py"));
  symlinkSync(join(dir, "proj/removed.py"), join(dir, "proj/dangling.py"));
  mkdirSync(join(dir, "adapter"));
  writeFileSync(join(dir, "adapter/adapter_config.json"), "{}");
  mkfifo(join(dir, "adapter/pipe.json"));
  mkdirSync(join(dir, "adapter/checkpoint-1"));
  symlinkSync("/dev/zero", join(model, "zero.bin"));
}, 60_000);

// A regression that opened a FIFO for reading would block (a thread-pool thread, or the process): open each for
// writing without blocking, which wakes such a reader with an empty file; with no reader it fails (ENXIO), ignored.
afterEach(() => {
  for (const f of fifos) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader: nothing to wake
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("FIFOs and devices are never read", () => {
  it("model folder: a FIFO or a link to /dev/zero is not listed, and reading one by name is refused", async () => {
    const files = folderFiles(dir);
    expect(await files.list()).not.toContain("pipe.jsonl");
    await expect(files.read("pipe.jsonl")).rejects.toThrow(
      new CheckpointError("pipe.jsonl", undefined, `in ${dir} is not a regular file (a FIFO, device or socket): give a folder of ordinary files`),
    );
    await expect(files.readRange!("pipe.jsonl", 0, 8)).rejects.toThrow(CheckpointError);
    const m = folderFiles(model);
    expect(await m.list()).not.toContain("zero.bin");
    await expect(m.read("zero.bin")).rejects.toThrow(/^zero\.bin: in .* is not a regular file \(a FIFO, device or socket\)/);
    await expect(m.read("nope.bin")).rejects.toThrow(`nope.bin: not found in ${model}`);
  }, HANG_MS);

  it("sample sources: given directly, refused naming the path; inside a folder, skipped", async () => {
    for (const p of [fifo, "/dev/zero"]) {
      const e = await directorySource([p]).catch((x: unknown) => x as Error);
      expect(e).toBeInstanceOf(PathNotFoundError);
      expect((e as Error).message).toBe(`not a regular file or a folder (a FIFO, device or socket would hang or never end): ${p}`);
    }
    const paths: string[] = [];
    for await (const f of (await directorySource([join(dir, "proj")])).files()) paths.push(f.path);
    expect(paths).toEqual(["proj/a.py", "proj/b.py", "proj/dangling.py"]); // no FIFO; the dangling link is handed on
  }, HANG_MS);

  it("a dangling link in a folder is counted as unreadable, the rest sampled", async () => {
    const out: SampleRecord[] = [];
    const stats = await buildDataset(await directorySource([join(dir, "proj")]), { count: 4, evalFraction: 0 }, (r) => void out.push(r));
    expect(stats.skipped.unreadable).toBe(1);
    expect(stats.files).toMatchObject({ seen: 3, used: 2 });
    expect(out).toHaveLength(4);
  }, HANG_MS);

  it("readText and readFolder: a folder is not a file, a file is not a folder (FIFOs and devices: below, in a child)", () => {
    expect(() => readText(join(dir, "proj"), "--file")).toThrow(`--file: ${join(dir, "proj")} is not a regular file`);
    expect(readText(join(dir, "proj/a.py"), "--file")).toBe(PY);
    expect(() => readFolder(join(dir, "proj/a.py"), "--adapter")).toThrow(`--adapter: ${join(dir, "proj/a.py")} is not a folder`);
  }, HANG_MS);
});

describe("the command line", () => {
  const jsonl = (name: string, records: unknown[]) => {
    const p = join(dir, name);
    writeFileSync(p, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    return p;
  };
  const badModel = (name: string, edit: (files: { config: Record<string, unknown>; tokenizer: Record<string, unknown> }) => void) => {
    const to = join(dir, name);
    execFileSync("cp", ["-r", model, to]);
    rmSync(join(to, "zero.bin"));
    const files = { config: JSON.parse(readFileSync(join(to, "config.json"), "utf8")), tokenizer: JSON.parse(readFileSync(join(to, "tokenizer.json"), "utf8")) };
    edit(files);
    writeFileSync(join(to, "config.json"), JSON.stringify(files.config));
    writeFileSync(join(to, "tokenizer.json"), JSON.stringify(files.tokenizer));
    return to;
  };
  const FILE = { path: "a.py", language: "python", text: PY };
  const rec = sampleAtCursor(FILE, "qwen", 1, 4);

  // argv and words are functions: the fixtures exist only once beforeAll has run
  const CASES: [string, () => string[], number, () => string[]][] = [
    ["samples --count 1e12", () => ["samples", join(dir, "proj"), "--count", "1e12"], 2, () => ["--count", "10000000"]],
    ["train --rank 100000", () => ["train", "--model", model, "--data", jsonl("ok.jsonl", [rec, rec]), "--out", join(dir, "o3"), "--rank", "100000", "--steps", "1"], 2,
      () => ["--rank", "100000"]],
    ["train --rank above the model's limit", () => ["train", "--model", model, "--data", jsonl("ok.jsonl", [rec, rec]), "--out", join(dir, "o3"), "--rank", "100", "--steps", "1"], 1,
      () => ["fim train: error: rank: 100 is above the limit of 64, the smallest dimension of the largest target linear (q_proj: 64 in, 64 out)", "use 64 or less"]],
    ["records whose text and parts disagree", () => ["train", "--model", model, "--data", jsonl("bad.jsonl", [rec, { ...rec, prefix: "x = 1\n" }]), "--out", join(dir, "o4")], 1,
      () => ["bad.jsonl:2: \"text\" and the parts disagree"]],
    ["config.json with 1e9 layers", () => ["complete", "--model", badModel("layers", (f) => void (f.config.num_hidden_layers = 1e9)), "--format", "qwen", "--prefix", "x = "], 1,
      () => ["fim complete: error: config.json: num_hidden_layers: 1000000000 is above the limit of 1024"]],
    ["config.json with more layers than the weights", () => ["complete", "--model", badModel("layers5", (f) => void (f.config.num_hidden_layers = 5)), "--format", "qwen", "--prefix", "x = "], 1,
      () => ["config.json: num_hidden_layers: 5, but the weights (model.safetensors) hold tensors of 2 layers, the limit"]],
    ["config.json with a huge vocabulary", () => ["complete", "--model", badModel("vocab", (f) => void (f.config.vocab_size = 1e12)), "--format", "qwen", "--prefix", "x = "], 1,
      () => ["config.json: vocab_size: 1000000000000 is above the limit of 4194304"]],
    ["tokenizer.json whose vocab is an array", () => ["complete", "--model", badModel("tok", (f) => {
      const m = f.tokenizer.model as Record<string, unknown>;
      m.vocab = Object.keys(m.vocab as object);
    }), "--format", "qwen", "--prefix", "x = "], 1, () => ["tokenizer.json: model.vocab: is an array, but a BPE model needs an object of token → id"]],
  ];
  it.each(CASES)("%s", async (_, argv, code, words) => {
    const r = await fim(...argv());
    for (const w of words()) expect(r.stderr).toContain(w);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split("\n")).toHaveLength(1); // one line, no stack
  }, 30_000);

  // In a child process: on a regression these would block (a FIFO) or read until memory runs out (/dev/zero).
  const CHILD: [string, () => string[], number, () => string[]][] = [
    ["samples over /dev/zero", () => ["samples", "/dev/zero"], 2, () => ["fim samples: error: not a regular file or a folder (a FIFO, device or socket would hang or never end): /dev/zero"]],
    ["samples over a FIFO", () => ["samples", fifo], 2, () => [`fim samples: error: not a regular file or a folder (a FIFO, device or socket would hang or never end): ${fifo}`]],
    ["train --data /dev/zero", () => ["train", "--model", model, "--data", "/dev/zero", "--out", join(dir, "o1")], 2, () => ["fim train: error: --data: /dev/zero is not a regular file"]],
    ["train --data FIFO", () => ["train", "--model", model, "--data", fifo, "--out", join(dir, "o2")], 2, () => [`fim train: error: --data: ${fifo} is not a regular file`]],
    ["complete --file /dev/zero", () => ["complete", "--model", model, "--format", "qwen", "--file", "/dev/zero", "--line", "1", "--col", "1"], 2,
      () => ["fim complete: error: --file: /dev/zero is not a regular file"]],
    ["complete --adapter with a FIFO inside: the FIFO is not read", () => ["complete", "--model", model, "--format", "qwen", "--prefix", "x", "--adapter", join(dir, "adapter")], 1,
      () => ["fim complete: error: ", "adapter_config.json"]],
  ];
  it.each(CHILD)("%s (the real executable)", async (_, argv, code, words) => {
    const r = await fimChild(argv());
    expect(r.killed, "the command hung on a FIFO or device").toBe(false);
    for (const w of words()) expect(r.stderr).toContain(w);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  }, 40_000);

  it("samples over a folder with a FIFO and a dangling link: both skipped, the link counted as unreadable", async () => {
    const r = await fim("samples", join(dir, "proj"), "--count", "4", "--eval-fraction", "0");
    expect(r.stderr).toContain("skipped: unreadable 1");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(4);
  }, HANG_MS);

  it("complete with the ctx format and a one-line 100k-character prefix fits the context", async () => {
    const prefix = Array.from({ length: 20_000 }, (_, i) => `v${i % 97}=${i};`).join("").slice(0, 100_000);
    const r = await fim("complete", "--model", model, "--format", "ctx", "--prefix", prefix, "--max-tokens", "2");
    expect(r.stderr).not.toContain("context full");
    expect(r.code).toBe(0);
  }, 60_000);
});
