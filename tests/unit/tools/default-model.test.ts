// The default model's pipeline pieces (tools/default-model/): windows rebuild their file, minified code is spotted,
// the held-out split is stable and near its fraction and drops near-duplicates of train files, a freshly initialised
// checkpoint loads in the engine with the parameter count the pipeline states and the initialisation's statistics,
// and the model card carries the measured numbers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { folderFiles } from "../../../node/export/src/model-folder.ts";
import { loadCheckpoint } from "../../../src/lib/model/index.ts";
import type { EvalCliReport } from "../../../node/export/src/cli/eval.ts";
import { isHeldOut, looksMinified, splitCorpus } from "../../../tools/default-model/corpus.ts";
import { exactMatches, modelCard } from "../../../tools/default-model/model-card.ts";
import { paramCount, writeInitialModel } from "../../../tools/default-model/init-model.ts";
import { toWindows, windowPath } from "../../../tools/default-model/windows.ts";
import { smallTokenizer } from "../../fixtures/small-tokenizer.ts";

describe("default model pipeline", () => {
  it("windows keep the extension and rebuild the file", () => {
    expect(windowPath("npm:a/b/c.js", 3)).toBe("npm:a/b/c.w3.js");
    expect(windowPath("Makefile", 0)).toBe("Makefile.w0");
    const text = Array.from({ length: 95 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const w = toWindows([{ path: "x.py", text }], 40);
    expect(w.map((f) => f.path)).toEqual(["x.w0.py", "x.w1.py", "x.w2.py"]);
    expect(w.map((f) => f.text).join("")).toBe(text);
  });

  it("spots minified code", () => {
    expect(looksMinified("var a=1;".repeat(300))).toBe(true);
    expect(looksMinified("function f(a) {\n  return a + 1;\n}\n")).toBe(false);
  });

  it("holds out a stable ~5% of files", () => {
    const paths = Array.from({ length: 4000 }, (_, i) => `npm:p/f${i}.js`);
    const held = paths.filter((p) => isHeldOut(p, 0.05)).length;
    expect(held).toBeGreaterThan(140);
    expect(held).toBeLessThan(260);
    expect(paths.filter((p) => isHeldOut(p, 0.05))).toEqual(paths.filter((p) => isHeldOut(p, 0.05)));
  });

  it("an initialised model loads, with the stated parameter count and init statistics", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fim-init-"));
    try {
      const tok = smallTokenizer("qwen3", 500);
      const eot = tok.addedId("<|endoftext|>");
      const d = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 96, vocab: Math.ceil(tok.vocabSize / 64) * 64, context: 512 };
      writeInitialModel(dir, d, { "tokenizer.json": JSON.stringify(tok.tokenizerJson), "tokenizer_config.json": JSON.stringify(tok.tokenizerConfig), bos: eot, eos: eot });
      const cp = await loadCheckpoint(folderFiles(dir));
      const total = cp.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
      expect(total).toBe(paramCount(d));
      expect(cp.config.tie_word_embeddings).toBe(true);
      const std = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
      const wte = await cp.weights.get("model.embed_tokens.weight");
      expect(std(wte.data)).toBeCloseTo(0.02, 2);
      const down = await cp.weights.get("model.layers.0.mlp.down_proj.weight");
      expect(std(down.data)).toBeCloseTo(0.02 / Math.sqrt(4), 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drops held-out files that near-duplicate a train file, never train files", () => {
    const body = (k: number) => Array.from({ length: 60 }, (_, i) => `export function f${k}_${i}(a, b) { return a * ${i} + b - ${k}; }`).join("\n");
    const files = Array.from({ length: 400 }, (_, i) => ({ path: `npm:p/f${i}.js`, text: body(i) }));
    const held = files.filter((f) => isHeldOut(f.path, 0.05));
    const train = files.filter((f) => !isHeldOut(f.path, 0.05));
    // one held-out file is a light edit of a train file: it goes; the others stay
    const copy = { path: held[0]!.path, text: train[0]!.text.replace("return a", "return  a") };
    const split = splitCorpus([...files.filter((f) => f.path !== copy.path), copy], 0.05);
    expect([...split.nearDuplicates.keys()]).toEqual([copy.path]);
    expect(split.nearDuplicates.get(copy.path)!.of).toBe(train[0]!.path);
    expect(split.heldOut.map((f) => f.path)).toEqual(held.slice(1).map((f) => f.path));
    expect(split.train.map((f) => f.path)).toEqual(train.map((f) => f.path));
  });

  it("the model card states the measured numbers and every package", () => {
    const scores = (em: number, n = 50) => ({ n, exactMatch: em, editSimilarity: em + 20, stoppedProperly: 90, msPerSample: 12 });
    const report = (systems: [string, number][], data = "x.jsonl") => ({
      data, mode: "span", samples: 50, left: { plain: 0, mode: 0, limit: 0 },
      systems: systems.map(([name, em]) => ({ name, source: name, overall: { ...scores(em), stoppedProperly: name.startsWith("baseline") ? null : 90 }, byLanguage: { javascript: scores(em, 30), python: scores(em / 2, 20) }, predictions: [] })),
    }) as unknown as EvalCliReport;
    const card = modelCard({
      heldOut: report([["model", 12.5], ["baseline empty", 4], ["baseline previous-line", 2]]),
      before: report([["model", 10], ["baseline empty", 3], ["baseline previous-line", 1]]),
      after: report([["model", 20]]),
      q4: report([["gguf", 19]]),
      corpus: {
        packages: [{ source: "node_modules", name: "zlib-ish", version: "1.0.0", license: "MIT", files: 3, bytes: 1000 }, { source: "node_modules", name: "acorn", version: "8.1.0", license: "BSD-3-Clause", files: 9, bytes: 2000 },
          { source: "python-stdlib", name: "libpython3.11-stdlib", version: "3.11.2-6", license: "PSF-2.0", origin: "/usr/lib/python3.11", files: 7, bytes: 3_000_000 }],
        builtinFiles: 21, trainFiles: 100, heldOutFiles: 5, nearDuplicatesDropped: { a: {} }, skipped: { minified: 1, duplicate: 2, "too-large": 0 },
        sources: { builtin: { files: 21, bytes: 75_000 }, node_modules: { files: 12, bytes: 3000 }, "python-stdlib": { files: 7, bytes: 3_000_000 } },
        languages: { python: { files: 7, bytes: 3_000_000 }, javascript: { files: 33, bytes: 78_000 } }, caps: { python: 9e6, javascript: 9e6 },
      },
      tokenizer: { vocabSize: 4096, merges: 3805, bytesPerToken: 3.3 },
      training: { steps: 180, minutes: 44.2, machine: "2 × Test CPU", tokens: 245_000 },
      headlineTraining: { minutes: 20.4 },
      config: { vocab_size: 4096 },
      headline: { codeBase: "click", count: 2000, evalFraction: 0.3 },
    });
    const md = card.markdown;
    expect(md).toContain("| this model | 50 | 12.5 | 32.5 | 90.0 | 12 |");
    expect(md).toContain("| baseline: empty line | 50 | 4.0 | 24.0 | — | 12 |");
    // per language: the margin over the better baseline, and the ≥ 5 points target where the language has one
    expect(md).toContain("| javascript | 30 | 12.5 | 32.5 | 4.0 | 2.0 | +8.5 | met |");
    expect(md).toContain("| python | 20 | 6.3 | 26.3 | 2.0 | 1.0 | +4.3 | not met |");
    expect(md).toContain("By language (javascript met, python not met):");
    // where the corpus came from, with licences
    expect(md).toContain("| node_modules | npm packages this project installs (permissive licences only) (2 packages) | MIT 1, BSD-3-Clause 1 | 12 | 0.0 |");
    expect(md).toContain("| python-stdlib | Python's standard library as Debian installs it: libpython3.11-stdlib 3.11.2-6, /usr/lib/python3.11 | PSF-2.0 | 7 | 3.0 |");
    expect(md).toContain("| builtin | FIM Studio's built-in synthetic corpus (this repository) | MIT | 21 | 0.1 |");
    expect(md).toContain("3.1 MB of permissively licensed source, at most 9 MB per language (python 3.0 MB, javascript 0.1 MB)");
    expect(md).toContain("180 steps of batch 4 × up to 384 tokens (0.2M tokens)");
    expect(md).toContain("44 minutes of training on 2 × Test CPU");
    expect(md).toContain("npm run corpus:fetch && npm run train:default -- --steps 180");
    expect(md).toMatch(/\| acorn \| 8\.1\.0 \| BSD-3-Clause \| 9 \|\n\| libpython3\.11-stdlib \| 3\.11\.2-6 \| PSF-2\.0 \| 7 \|\n\| zlib-ish \| 1\.0\.0 \| MIT \| 3 \|/);
    expect(card.summary).toContain("| after LoRA, Q4_0 GGUF (llama.cpp) | 50 | 19.0 |");
    expect(md).toContain("is 1.0 points of exact match from our engine");
    expect(md).toContain("No completion matched exactly.");
    expect(md).not.toContain("trained in parts");
  });

  it("the card says what the exact matches were", () => {
    const p = (reference: string, prediction: string) => ({ path: "a.js", language: "javascript", reference, prediction, stoppedBy: "stop-token" as const, ms: 1 });
    const model = {
      name: "model", source: "m", overall: { n: 4, exactMatch: 75, editSimilarity: 80, stoppedProperly: 100, msPerSample: 1 }, byLanguage: {},
      predictions: [p("}\n", "    }"), p("  }\n", "}"), p("\n", "\t\t"), p("return x;\n", "return y;")],
    };
    expect(exactMatches(model)).toBe("The 3 exact matches, by reference: `}` × 2, (only whitespace) × 1.");
  });
});

