// Bad inputs to the `fim` command line, as a table: the arguments, the exit code and words the one-line message
// must hold. Then the cases that need a file set up first: outputs that would destroy user files, runs that go
// non-finite, adapters that fit no module, stale partial files, signals, contradicting --resume flags. After
// each, the user's files are checked to be untouched and no partial file is left.

import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeFsError } from "../../../node/export/src/fs-errors.ts";
import { fim } from "./run-fim.ts";
import { DEFAULT_PRESET } from "../../../src/lib/train/presets.ts";
import { parseSafetensors, readTensor } from "../../../src/lib/model/safetensors.ts";
import { writeSafetensors } from "../../../src/lib/model/safetensors-write.ts";
import { writeTinyCheckpoint } from "../../fixtures/tiny-checkpoint.ts";

/** Every file under `dir` with its bytes, to show a refused command touched nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name)] = readFileSync(join(e.parentPath, e.name)).toString("base64");
  }
  return out;
}

const partials = (d: string) => readdirSync(d, { recursive: true }).map(String).filter((f) => /\.(partial|old)-\d+/.test(f));

let dir: string;
let model: string;
let data: string;
let adapter: string;
const TRAIN = ["--steps", "2", "--context", "200", "--batch-size", "2", "--grad-accum", "1", "--rank", "2", "--warmup", "1", "--quiet"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fim-bad-"));
  model = (await writeTinyCheckpoint(join(dir, "qwen"), { architecture: "qwen2" })).dir;
  data = join(dir, "s.jsonl");
  expect((await fim("samples", "--builtin", "--format", "qwen", "--count", "40", "--span", "chars", "--out", data, "--quiet")).code).toBe(0);
  adapter = join(dir, "adapter");
  expect((await fim("train", "--model", model, "--data", data, "--out", adapter, ...TRAIN)).code).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("flags: one table drives parsing and range checks", () => {
  const M = () => ["--model", model];
  const CASES: [string, () => string[], number, string][] = [
    ["negative warmup", () => ["train", ...M(), "--data", data, "--out", join(dir, "n1"), "--warmup", "-1"], 2, '--warmup must be an integer from 0 to 10000000, got "-1"'],
    ["top-p above 1", () => ["complete", ...M(), "--format", "qwen", "--prefix", "x", "--top-p", "2"], 2, '--top-p must be a number above 0 and at most 1, got "2"'],
    ["negative temperature", () => ["complete", ...M(), "--format", "qwen", "--prefix", "x", "--temperature", "-1"], 2, '--temperature must be a number from 0 to 100, got "-1"'],
    ["negative context in export", () => ["export", ...M(), "--quant", "f32", "--out", join(dir, "c.gguf"), "--modelfile", join(dir, "Modelfile"), "--context", "-1"], 2, '--context must be an integer from 1 to 16777216, got "-1"'],
    ["unknown pre-tokenizer", () => ["export", ...M(), "--quant", "f32", "--out", join(dir, "p.gguf"), "--pre", "klingon"], 2, '--pre must be one of default, llama3'],
    ["2^60 as a seed", () => ["samples", "--builtin", "--seed", "1152921504606846976"], 2, '--seed must be an integer from 0 to 4294967295, got "1152921504606846976"'],
    ["hex is not a number", () => ["samples", "--builtin", "--count", "0x10"], 2, '--count must be an integer from 1 to 10000000, got "0x10"'],
    ["samples --count 1e12", () => ["samples", "--builtin", "--count", "1e12"], 2, '--count must be an integer from 1 to 10000000, got "1e12"'],
    ["train --rank 100000", () => ["train", ...M(), "--data", data, "--out", join(dir, "n2"), "--rank", "100000"], 2, '--rank must be an integer from 1 to 4096, got "100000"'],
    ["lr 0", () => ["train", ...M(), "--data", data, "--out", join(dir, "n3"), "--lr", "0"], 2, '--lr must be a number above 0 and at most 10, got "0"'],
    ["eval-out without out", () => ["samples", "--builtin", "--eval-out", join(dir, "e.jsonl")], 2, "--eval-out needs --out"],
  ];
  for (const [what, argv, code, words] of CASES) {
    it(what, async () => {
      const before = snapshot(dir);
      const r = await fim(...argv());
      expect(r.code).toBe(code);
      expect(r.stderr).toContain(words);
      expect(r.stderr.trim().split("\n").length).toBeLessThan(3); // one line (no stack, no help dump)
      expect(snapshot(dir)).toEqual(before);
    });
  }
  it("the help is made from the same table", async () => {
    const r = await fim("train", "--help");
    expect(r.stdout).toMatch(new RegExp(`--warmup N\\s+linear warmup steps.*\\(default ${DEFAULT_PRESET.warmupSteps}; an integer from 0 to 10000000\\)`));
    expect(r.stdout).toMatch(/--loss-on middle\|all\s+which tokens the loss is on \(default middle\)/);
  });
});

describe("outputs never destroy inputs or each other", () => {
  it("train --out MODEL_DIR is refused and the model is intact", async () => {
    const before = snapshot(model);
    const r = await fim("train", "--model", model, "--data", data, "--out", model, ...TRAIN);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${model} is --model ${model}`);
    expect(snapshot(model)).toEqual(before);
  });
  it("train --out inside the model folder, or holding the data, is refused", async () => {
    expect((await fim("train", "--model", model, "--data", data, "--out", join(model, "lora"), ...TRAIN)).stderr).toContain("is inside --model");
    const r = await fim("train", "--model", model, "--data", data, "--out", dir, ...TRAIN);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .* holds --model/);
  });
  it("train --out a folder with unrelated files is refused, naming them; an empty or own folder is fine", async () => {
    const mine = join(dir, "mine");
    mkdirSync(mine);
    writeFileSync(join(mine, "notes.txt"), "keep me");
    const r = await fim("train", "--model", model, "--data", data, "--out", mine, ...TRAIN);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${mine} already holds files this command did not write (notes.txt)`);
    expect(readFileSync(join(mine, "notes.txt"), "utf8")).toBe("keep me");
    rmSync(join(mine, "notes.txt"));
    expect((await fim("train", "--model", model, "--data", data, "--out", mine, ...TRAIN)).code).toBe(0); // empty
    expect((await fim("train", "--model", model, "--data", data, "--out", mine, ...TRAIN)).code).toBe(0); // its own output
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    expect((await fim("train", "--model", model, "--data", data, "--out", file, ...TRAIN)).stderr).toContain(`--out ${file} is a file, not a folder`);
    expect((await fim("train", "--model", model, "--data", data, "--out", join(file, "sub"), ...TRAIN)).stderr).toContain("its parent folder");
  }, 60_000);
  it("two outputs of one command on one path are refused before any work", async () => {
    const x = join(dir, "x.out");
    const cases = [
      ["export", "--model", model, "--quant", "f32", "--out", x, "--modelfile", x],
      ["export", "--model", model, "--adapter", adapter, "--quant", "f32", "--out", x, "--lora-gguf", x],
      ["samples", "--builtin", "--out", x, "--eval-out", x],
    ];
    for (const argv of cases) {
      const r = await fim(...argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/are the same path/);
      expect(existsSync(x)).toBe(false);
    }
  });
  it("an output that is an input is refused", async () => {
    const r = await fim("export", "--model", model, "--quant", "f32", "--out", join(model, "model.safetensors"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("would replace a file of --model");
    const py = join(dir, "one.py");
    writeFileSync(py, "def f(x):\n    y = x + 1\n    return y\n\n\nprint(f(2))\n");
    expect((await fim("samples", py, "--out", py)).stderr).toContain(`--out ${py} is the input ${py}`);
    expect(readFileSync(py, "utf8")).toContain("def f");
  });
});

describe("non-finite values stop the run and are never exported", () => {
  it("a run whose values overflow float32 (a finite but huge lm_head): exit 1 at the step, naming what to try; nothing is written", async () => {
    // (a learning rate of 10 used to be enough here; the WebAssembly kernels keep that run finite, so the overflow is
    // made certain: logits of +-3e38 weights exceed float32 in any summation order)
    const huge = (await writeTinyCheckpoint(join(dir, "huge"), {
      architecture: "qwen2", mutate: (ts) => ts.map((t) => (t.name === "lm_head.weight" ? { ...t, data: t.data.map((_, i) => (i % 2 ? -3e38 : 3e38)) } : t)),
    })).dir;
    const out = join(dir, "diverged");
    const r = await fim("train", "--model", huge, "--data", data, "--out", out, ...TRAIN.map((x) => (x === "2" ? "6" : x)), "--lr", "10", "--clip", "1000000");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fim train: error: training stopped at step \d+: .* is not finite; .*lower learning rate .*nothing was written to/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
  it("a checkpoint holding NaN: training stops at step 1, complete refuses, export refuses", async () => {
    const nan = (await writeTinyCheckpoint(join(dir, "nan"), {
      architecture: "qwen2", mutate: (ts) => ts.map((t) => (t.name === "model.norm.weight" ? { ...t, data: t.data.map((x, i) => (i === 0 ? NaN : x)) } : t)),
    })).dir;
    const t = await fim("train", "--model", nan, "--data", data, "--out", join(dir, "nan-out"), ...TRAIN);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(`warning: ${nan}: tensor model.norm.weight holds a non-finite value (NaN at index 0)`);
    expect(t.stderr).toContain("training stopped at step 1: loss NaN is not finite");
    const c = await fim("complete", "--model", nan, "--format", "qwen", "--prefix", "x = ");
    expect(c.code).toBe(1);
    expect(c.stderr).toContain("the model's output is not finite");
    expect(c.stdout).not.toContain("\u0000");
    const e = await fim("export", "--model", nan, "--quant", "q8_0", "--out", join(dir, "nan.gguf"));
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("model.norm.weight: value 0 is NaN; the GGUF is not written");
    expect(existsSync(join(dir, "nan.gguf"))).toBe(false);
    expect(partials(dir)).toEqual([]);
  }, 60_000);
  it("an adapter holding Inf is refused by every reader", async () => {
    const bad = join(dir, "inf-adapter");
    cpSync(adapter, bad, { recursive: true });
    const bytes = readFileSync(join(bad, "adapter_model.safetensors"));
    const idx = parseSafetensors(bytes, "a");
    const tensors = await Promise.all(idx.tensors.map(async (e, i) => {
      const d = (await readTensor(bytes, e)).data;
      if (i === 0) d[3] = Infinity;
      return { name: e.name, dtype: "F32" as const, shape: e.shape, data: d };
    }));
    writeFileSync(join(bad, "adapter_model.safetensors"), writeSafetensors(tensors));
    for (const argv of [["export", "--model", model, "--adapter", bad, "--quant", "f32", "--out", join(dir, "inf.gguf")], ["complete", "--model", model, "--adapter", bad, "--format", "qwen", "--prefix", "x"]]) {
      const r = await fim(...argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/adapter_model\.safetensors: tensor .* holds a non-finite value \(Infinity at index 3\)/);
    }
    expect(existsSync(join(dir, "inf.gguf"))).toBe(false);
  });
});

describe("adapters: one validating reader", () => {
  it("an adapter whose targets the model lacks is refused by export (not merged as nothing)", async () => {
    const other = join(dir, "mamba-like");
    cpSync(adapter, other, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(other, "adapter_config.json"), "utf8"));
    writeFileSync(join(other, "adapter_config.json"), JSON.stringify({ ...cfg, target_modules: ["in_proj"] }));
    const r = await fim("export", "--model", model, "--adapter", other, "--quant", "f32", "--out", join(dir, "m.gguf"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('target_modules: "in_proj" is not a linear module of this model');
    expect(existsSync(join(dir, "m.gguf"))).toBe(false);
  });
  it("an adapter tensor that no module consumes is an error", async () => {
    const extra = join(dir, "extra");
    cpSync(adapter, extra, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(extra, "adapter_config.json"), "utf8"));
    writeFileSync(join(extra, "adapter_config.json"), JSON.stringify({ ...cfg, target_modules: ["q_proj"] }));
    for (const argv of [["export", "--model", model, "--adapter", extra, "--quant", "f32", "--out", join(dir, "x.gguf")], ["complete", "--model", model, "--adapter", extra, "--format", "qwen", "--prefix", "x"]]) {
      const r = await fim(...argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/tensor base_model\.model\.model\.layers\.\d+\.\S+(?<!q_proj)\.lora_[AB]\.weight matches no adapted module/);
    }
  });
  it("an adapter trained on another model folder: a warning when it fits, refused when the vocabulary differs", async () => {
    const moved = join(dir, "moved");
    cpSync(adapter, moved, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(moved, "adapter_config.json"), "utf8"));
    writeFileSync(join(moved, "adapter_config.json"), JSON.stringify({ ...cfg, base_model_name_or_path: "org/some-other-model" }));
    const w = await fim("complete", "--model", model, "--adapter", moved, "--format", "qwen", "--prefix", "x", "--max-tokens", "1");
    expect(w.code).toBe(0);
    expect(w.stderr).toContain(`warning: ${moved}: the adapter was trained on org/some-other-model, not on ${model}; its shapes fit, so it is used`);
    const base = join(dir, "other-base");
    mkdirSync(base);
    writeFileSync(join(base, "config.json"), JSON.stringify({ ...JSON.parse(readFileSync(join(model, "config.json"), "utf8")), vocab_size: 999 }));
    writeFileSync(join(moved, "adapter_config.json"), JSON.stringify({ ...cfg, base_model_name_or_path: base }));
    const r = await fim("export", "--model", model, "--adapter", moved, "--quant", "f32", "--out", join(dir, "v.gguf"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/base_model_name_or_path .* has vocab_size 999, but --model .* has \d+: the adapter belongs to another model/);
  });
});

describe("complete takes the format from the adapter", () => {
  it("--format may be left out when the adapter's trainer_state.json records it; else it is required", async () => {
    const r = await fim("complete", "--model", model, "--adapter", adapter, "--prefix", "x = ", "--max-tokens", "1");
    expect(r.code, r.stderr).toBe(0);
    const n = await fim("complete", "--model", model, "--prefix", "x = ");
    expect(n.code).toBe(2);
    expect(n.stderr).toContain("--format is required");
  });
});

describe("--resume keeps the saved run's settings", () => {
  it("contradicting flags are refused, all named; a corrupt trainer_state.json names the file and field", async () => {
    const r = await fim("train", "--model", model, "--data", data, "--out", adapter, "--resume", "--rank", "8", "--steps", "1", "--batch-size", "3", "--quiet");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--rank 8 (the run has 2)");
    expect(r.stderr).toContain("--steps 1 (the run has done 2 steps already)");
    expect(r.stderr).toContain("--batch-size 3 (the run has 2)");
    const broken = join(dir, "broken");
    cpSync(adapter, broken, { recursive: true });
    writeFileSync(join(broken, "trainer_state.json"), '{"step": "two"');
    const j = await fim("train", "--model", model, "--data", data, "--out", broken, "--resume", "--quiet");
    expect(j.code).toBe(1);
    expect(j.stderr).toContain(`${broken}/trainer_state.json: not valid JSON`);
    writeFileSync(join(broken, "trainer_state.json"), JSON.stringify({ step: "two", totalSteps: 2, seed: 1, losses: [] }));
    expect((await fim("train", "--model", model, "--data", data, "--out", broken, "--resume", "--quiet")).stderr).toContain('trainer_state.json: step: "two" is not a count');
  });
  it("more steps with no other flag continue with the saved settings", async () => {
    const more = join(dir, "more");
    cpSync(adapter, more, { recursive: true });
    const r = await fim("train", "--model", model, "--data", data, "--out", more, "--resume", "--steps", "3");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("resuming at step 2 of 3");
    expect(JSON.parse(readFileSync(join(more, "trainer_state.json"), "utf8")).run).toEqual({ batchSize: 2, gradAccum: 1, contextLength: 200, lossOn: "middle", full: false });
  }, 60_000);
});

describe("an empty eval set is no eval set", () => {
  it("samples --eval-fraction 0, then train on its output", async () => {
    const s = join(dir, "noeval.jsonl");
    expect((await fim("samples", "--builtin", "--format", "qwen", "--count", "20", "--eval-fraction", "0", "--out", s, "--quiet")).code).toBe(0);
    expect(readFileSync(join(dir, "noeval.eval.jsonl"), "utf8")).toBe("");
    const r = await fim("train", "--model", model, "--data", s, "--out", join(dir, "noeval-out"), ...TRAIN.filter((x) => x !== "--quiet"));
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("eval loss");
  }, 60_000);
});

describe("temporary files", () => {
  it("a dead process's partial files are swept by the next run; a folder caught mid-swap is put back", async () => {
    const out = join(dir, "swept.jsonl");
    const dead = 2 ** 22 + 12345; // above any pid this machine hands out
    writeFileSync(join(dir, `.swept.jsonl.partial-${dead}`), "half");
    writeFileSync(join(dir, `.swept.eval.jsonl.partial-${dead}`), "half");
    expect((await fim("samples", "--builtin", "--count", "10", "--out", out, "--quiet")).code).toBe(0);
    expect(partials(dir)).toEqual([]);
    const tk = join(dir, "tok");
    mkdirSync(join(dir, `.tok.old-${dead}`));
    writeFileSync(join(dir, `.tok.old-${dead}`, "tokenizer.json"), "{}");
    expect((await fim("tokenizer", "--builtin", "--vocab-size", "400", "--out", tk, "--quiet")).code).toBe(0);
    expect(partials(dir)).toEqual([]);
    expect(JSON.parse(readFileSync(join(tk, "tokenizer.json"), "utf8")).model.type).toBe("BPE");
  }, 120_000);
  it("SIGTERM mid-run removes the partial output and exits 143", async () => {
    const bin = fileURLToPath(new URL("../../../node/export/bin/fim.mjs", import.meta.url));
    const work = mkdtempSync(join(tmpdir(), "fim-sig-"));
    const child = spawn(process.execPath, [bin, "samples", "--builtin", "--count", "5000000", "--out", join(work, "big.jsonl"), "--quiet"], { stdio: "ignore" });
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    try {
      for (let i = 0; i < 600 && partials(work).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(partials(work).length).toBeGreaterThan(0);
      child.kill("SIGTERM");
      expect(await exited).toBe(143);
      expect(readdirSync(work)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * Runs `fim train ...argv` until its stderr shows `ready`, sends SIGINT, and checks the run ends at once with 130 and
 * leaves no `out` behind.
 */
async function expectCtrlCEnds(argv: string[], ready: RegExp, out: string): Promise<void> {
  const bin = fileURLToPath(new URL("../../../node/export/bin/fim.mjs", import.meta.url));
  const child = spawn(process.execPath, [bin, "train", ...argv, "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  try {
    for (let i = 0; i < 1200 && !ready.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(ready);
    const sent = Date.now();
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(existsSync(out)).toBe(false);
  } finally {
    child.kill("SIGKILL");
  }
}

describe("fim train hears Ctrl-C", () => {
  it("while tokenizing a large data file (and says how far it has come)", async () => {
    // 30,000 samples (copies of the fixture's): a minute of tokenizing, which used to hold the signal handler off
    const big = join(dir, "big.jsonl");
    const lines = readFileSync(data, "utf8");
    writeFileSync(big, lines.repeat(Math.ceil(30_000 / lines.split("\n").length)));
    await expectCtrlCEnds(["--model", model, "--data", big, "--steps", "1", "--context", "200"], /tokenizing big\.jsonl: \d+\/\d+ samples/, join(dir, "big-adapter"));
  }, 120_000);

  it("between training steps (a step's awaits may never leave the microtask queue)", async () => {
    await expectCtrlCEnds(["--full", "--model", model, "--data", data, "--steps", "100000", "--context", "200", "--batch-size", "2", "--grad-accum", "1", "--warmup", "1"],
      /step 3\/100000/, join(dir, "sigint-steps"));
  }, 120_000);
});

describe("file-system faults: one line naming the operation, the path, the reason and what to do", () => {
  it("a folder that cannot be written", async () => {
    const r = await fim("samples", "--builtin", "--count", "5", "--out", "/sys/fim-test.jsonl");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fim samples: error: cannot write \/sys\/fim-test\.jsonl: (permission denied|the file system is read-only); .*\n$/);
  });
  it("the reasons users meet, in words", () => {
    const err = (code: string, syscall: string, path: string) => Object.assign(new Error(code), { code, syscall, path });
    expect(describeFsError(err("ENOSPC", "write", "/d/.m.gguf.partial-77"))).toBe("cannot write /d/m.gguf: no space left on the device; free some space or write to another disk");
    expect(describeFsError(err("EROFS", "open", "/ro/x"))).toBe("cannot open /ro/x: the file system is read-only; write to another place");
    expect(describeFsError(err("ENOTDIR", "mkdir", "/f/sub"))).toBe("cannot create the folder /f/sub: a part of the path is a file, not a folder; check the path");
  });
});
