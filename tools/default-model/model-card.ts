// model-card.ts — the default model's README.md (its model card) from the measured figures: what it is, the corpus
// with every package's name, version and licence, the training settings and time, and the evaluation tables.
// Pure: figures in, markdown out (eval-default.ts reads and writes the files).

import type { EvalCliReport, SystemReport } from "../../node/export/src/cli/eval.ts";
import type { CorpusPackage, LanguageTotal } from "./corpus.ts";
import { exactMatch } from "../../src/lib/fim/metrics.ts";
import { MIX } from "./samples.ts";
import { DEFAULT_TRAIN, trainingContext } from "../../src/lib/train/trainer.ts";
import { DEFAULT_PRESET } from "../../src/lib/train/presets.ts";
import { DIMS, EXPECTED, NAME, TRAIN } from "./settings.ts";

export interface CardInputs {
  heldOut: EvalCliReport;
  before: EvalCliReport;
  /** Absent while the headline LoRA run has not finished: those rows say "not measured". */
  after?: EvalCliReport;
  q4?: EvalCliReport;
  corpus: {
    packages: CorpusPackage[]; builtinFiles: number; trainFiles: number; heldOutFiles: number; nearDuplicatesDropped: Record<string, unknown>; skipped: Record<string, number>;
    /** Files and bytes by source and by language, and the per-language byte caps (absent in older corpus.json files). */
    sources?: Record<string, LanguageTotal>; languages?: Record<string, LanguageTotal>; caps?: Record<string, number>;
  };
  tokenizer: { vocabSize: number; merges: number; bytesPerToken: number };
  /** The held-out samples decoded plainly (`fim eval --no-heal --no-empty-line`), and healed only (`--no-empty-line`). */
  heldOutPlain?: EvalCliReport;
  heldOutHealed?: EvalCliReport;
  training: {
    steps: number; minutes: number; machine: string; /** tokens seen: steps × batch × mean sample length */ tokens?: number;
    /** Runs it took (each resumed from the last save); stretched: one was extended with a larger --steps. */
    sittings?: number; stretched?: boolean; /** older cards: any resumed run */ resumed?: boolean;
  };
  headlineTraining?: { minutes: number };
  config: Record<string, unknown>;
  headline: { codeBase: string; count: number; evalFraction: number };
}

const f1 = (x: number) => x.toFixed(1);
const system = (r: EvalCliReport, name: string): SystemReport => {
  const s = r.systems.find((x) => x.name === name);
  if (!s) throw new Error(`${r.data}: no "${name}" in the eval report`);
  return s;
};

function row(label: string, o: SystemReport["overall"]): string {
  return `| ${label} | ${o.n} | ${f1(o.exactMatch)} | ${f1(o.editSimilarity)} | ${o.stoppedProperly === null ? "—" : f1(o.stoppedProperly)} | ${o.msPerSample.toFixed(0)} |`;
}
const HEAD = "| | samples | exact match % | edit similarity | stopped % | ms/sample |\n|---|---:|---:|---:|---:|---:|";

/** The headline table (also in the repository README): base, fine-tuned, its Q4_0 GGUF, the baselines. */
export function headlineTable(i: Pick<CardInputs, "before" | "after" | "q4">): string {
  const missing = (label: string) => `| ${label} | not measured | | | | |`;
  return [
    HEAD,
    row("default model, before", system(i.before, "model").overall),
    i.after ? row("after LoRA (our engine)", system(i.after, "model").overall) : missing("after LoRA (our engine)"),
    i.q4 ? row("after LoRA, Q4_0 GGUF (llama.cpp)", system(i.q4, "gguf").overall) : missing("after LoRA, Q4_0 GGUF (llama.cpp)"),
    row("baseline: empty line", system(i.before, "baseline empty").overall),
    row("baseline: repeat previous line", system(i.before, "baseline previous-line").overall),
  ].join("\n");
}

/** The held-out target: in each of these languages the model beats the better trivial baseline by TARGET_POINTS. */
export const TARGET_LANGUAGES = ["python", "javascript", "typescript"] as const;
export const TARGET_POINTS = 5;

export interface LanguageResult {
  language: string;
  n: number;
  model: number;
  editSimilarity: number;
  empty: number;
  previousLine: number;
  /** Model exact match minus the better baseline's, in points. */
  margin: number;
  /** Whether the language has a target, and whether it is met. */
  target?: boolean;
}

/** Per language: the model's exact match against both baselines, and the target where the language has one. */
export function languageResults(heldOut: EvalCliReport): LanguageResult[] {
  const model = system(heldOut, "model");
  const base = (n: string, l: string) => system(heldOut, n).byLanguage[l]?.exactMatch ?? 0;
  return Object.entries(model.byLanguage).sort((a, b) => b[1].n - a[1].n).map(([language, o]) => {
    const empty = base("baseline empty", language);
    const previousLine = base("baseline previous-line", language);
    const margin = o.exactMatch - Math.max(empty, previousLine);
    const hasTarget = (TARGET_LANGUAGES as readonly string[]).includes(language);
    return { language, n: o.n, model: o.exactMatch, editSimilarity: o.editSimilarity, empty, previousLine, margin, ...(hasTarget ? { target: margin >= TARGET_POINTS } : {}) };
  });
}

export function languageTable(results: readonly LanguageResult[]): string {
  const sign = (x: number) => (x >= 0 ? "+" : "") + f1(x);
  return [
    `| language | samples | model EM % | model ES | empty-line EM % | repeat-line EM % | over the better baseline | target (≥ +${TARGET_POINTS}) |`,
    "|---|---:|---:|---:|---:|---:|---:|---|",
    ...results.map((r) => `| ${r.language} | ${r.n} | ${f1(r.model)} | ${f1(r.editSimilarity)} | ${f1(r.empty)} | ${f1(r.previousLine)} | ${sign(r.margin)} | ${r.target === undefined ? "" : r.target ? "met" : "not met"} |`),
  ].join("\n");
}

/** Where the corpus came from: one row per source, with its licences, files and bytes. */
export const SOURCE_WORDS: Record<string, string> = {
  builtin: "FIM Studio's built-in synthetic corpus (this repository)",
  node_modules: "npm packages this project installs (permissive licences only)",
  "npm-fetched": "TypeScript packages pinned in `tools/default-model/corpus.ts`, fetched by `npm run corpus:fetch`",
  "python-stdlib": "Python's standard library as Debian installs it",
  "go-stdlib": "Go's standard library sources from Debian",
};

export function sourcesTable(corpus: CardInputs["corpus"]): string {
  const rows = Object.entries(corpus.sources ?? {}).map(([id, t]) => {
    const pkgs = corpus.packages.filter((p) => (p.source ?? "node_modules") === id);
    const licences = new Map<string, number>();
    for (const p of pkgs) licences.set(p.license, (licences.get(p.license) ?? 0) + 1);
    const what = pkgs.length === 1 && pkgs[0]!.origin ? `${SOURCE_WORDS[id] ?? id}: ${pkgs[0]!.name} ${pkgs[0]!.version}, ${pkgs[0]!.origin}`
      : `${SOURCE_WORDS[id] ?? id}${pkgs.length > 1 ? ` (${pkgs.length} packages)` : ""}`;
    const lic = id === "builtin" ? "MIT" : pkgs.length === 1 ? pkgs[0]!.license : [...licences].sort((a, b) => b[1] - a[1]).map(([l, n]) => `${l} ${n}`).join(", ");
    return `| ${id} | ${what} | ${lic} | ${t.files} | ${(t.bytes / 1e6).toFixed(1)} |`;
  });
  return ["| source | what | licences | files | MB |", "|---|---|---|---:|---:|", ...rows].join("\n");
}

/** What the exact matches were: a tiny model's few hits are mostly closing braces and blank lines, and a reader should see that. */
export function exactMatches(s: SystemReport): string {
  const hits = s.predictions.filter((p) => exactMatch(p.prediction, p.reference));
  if (hits.length === 0) return "No completion matched exactly.";
  const counts = new Map<string, number>();
  for (const h of hits) {
    const shown = h.reference.trim() === "" ? "(only whitespace)" : `\`${h.reference.trim()}\``;
    counts.set(shown, (counts.get(shown) ?? 0) + 1);
  }
  return `The ${hits.length} exact matches, by reference: ${[...counts].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} × ${n}`).join(", ")}.`;
}

export function modelCard(i: CardInputs): { markdown: string; summary: string } {
  const model = system(i.heldOut, "model");
  const params = Number(i.config.vocab_size) * DIMS.hidden + DIMS.layers * (DIMS.hidden * DIMS.hidden * 2 +
    DIMS.hidden * (DIMS.hidden / DIMS.heads) * DIMS.kvHeads * 2 + 3 * DIMS.hidden * DIMS.intermediate + 2 * DIMS.hidden) + DIMS.hidden;
  const results = languageResults(i.heldOut);
  const byLang = languageTable(results);
  const mb = (i.corpus.sources ? Object.values(i.corpus.sources).reduce((a, t) => a + t.bytes, 0) : i.corpus.packages.reduce((a, p) => a + p.bytes, 0)) / 1e6;
  const d = DEFAULT_PRESET; // the headline run: fim train with no flag changed
  const q4em = i.q4 ? system(i.q4, "gguf").overall.exactMatch : NaN;
  const afterEm = i.after ? system(i.after, "model").overall.exactMatch : NaN;
  const headline = headlineTable(i);

  const markdown = `# ${NAME}

The embedded default model of FIM Studio: a ${(params / 1e6).toFixed(1)}M-parameter Llama trained from scratch by FIM Studio's
own engine (full-training mode, CPU) on permissively licensed code, so the app completes code with nothing downloaded.
It is tiny: a starting point to fine-tune on your own code, and a fast model to try the app with, not a useful
assistant on its own. Its numbers below are measured, not promised.

- Architecture: \`LlamaForCausalLM\`, hidden ${DIMS.hidden}, ${DIMS.layers} layers, ${DIMS.heads} heads (${DIMS.kvHeads} key/value heads), SwiGLU MLP ${DIMS.intermediate}, RoPE θ 10000,
  tied embeddings, context ${TRAIN.context} (as trained: prompts cut to it score three times the exact match of prompts filled to 1024 positions it never saw), float32 safetensors.
- Tokenizer: byte-level BPE trained by \`src/lib/model/bpe-train.ts\` on the training files: ${i.tokenizer.vocabSize} tokens (256 bytes,
  ${i.tokenizer.merges} merges, the special tokens: \`<|endoftext|>\` and every FIM marker of the formats FIM Studio ships, each one token),
  Qwen2's pre-tokenizer (llama.cpp \`qwen2\`), ${i.tokenizer.bytesPerToken.toFixed(2)} bytes per token on the training text.
- FIM formats it was trained on: \`qwen\` (\`<|fim_prefix|>…<|fim_suffix|>…<|fim_middle|>…<|endoftext|>\`, character-level spans, 30% SPM
  order, 10% plain left-to-right) and \`ctx\` (FIM Studio's cursor-context layout, 35% incomplete mode).

## Training

- Corpus: ${i.corpus.trainFiles + i.corpus.heldOutFiles + Object.keys(i.corpus.nearDuplicatesDropped).length} files, ${mb.toFixed(1)} MB of permissively licensed source${i.corpus.caps && Object.keys(i.corpus.caps).length ? `, at most ${(Object.values(i.corpus.caps)[0]! / 1e6).toFixed(0)} MB per language` : ""}${i.corpus.languages ? ` (${Object.entries(i.corpus.languages).sort((a, b) => b[1].bytes - a[1].bytes).map(([l, t]) => `${l} ${(t.bytes / 1e6).toFixed(1)} MB`).join(", ")})` : ""}.
  Minified, generated, test and over-200-KB files and exact duplicates left out
  (${Object.entries(i.corpus.skipped).map(([k, v]) => `${k} ${v}`).join(", ")}). Where it came from (every package is listed at the end):

${sourcesTable(i.corpus)}

- Split by file: ${i.corpus.heldOutFiles} files held out (~${TRAIN.heldOutFraction * 100}% by a hash of the path), and ${Object.keys(i.corpus.nearDuplicatesDropped).length} more held-out files dropped as
  near-duplicates of training files (token 5-gram Jaccard ≥ 0.8).
- Samples: ${TRAIN.samples} from ${TRAIN.windowLines}-line windows of the training files, ${MIX.map((m) => `${m.share * 100}% ${m.options.format}`).join(", ")}; ${TRAIN.heldOutSamples} from the held-out files.
- Optimisation: ${i.training.steps} steps of batch ${TRAIN.batch} × up to ${TRAIN.context} tokens${i.training.tokens ? ` (${(i.training.tokens / 1e6).toFixed(1)}M tokens)` : ""}, loss on every token, AdamW (lr ${TRAIN.lr}, ${TRAIN.warmup} warm-up
  steps then linear decay, weight decay ${DEFAULT_TRAIN.weightDecay}, clip ${DEFAULT_TRAIN.clip}), from a normal(0, 0.02) initialisation.
- Time: ${i.training.minutes.toFixed(0)} minutes of training on ${i.training.machine} (the corpus, tokenizer and samples take under a minute; tokenizing them for training, ~3 minutes a sitting, is included).
- Reproduce: \`npm run corpus:fetch && npm run train:default${i.training.steps === TRAIN.steps ? "" : ` -- --steps ${i.training.steps}`}\` (then \`npm run eval:default\` for the numbers below and this card).${i.training.stretched || (i.training.resumed && i.training.sittings === undefined) ? `
  These weights were trained in parts (a run resumed with a larger \`--steps\`), so their learning rate followed a
  stretched schedule: a fresh run follows one schedule and lands near, not on, these weights.` : (i.training.sittings ?? 1) > 1 ? `
  Trained in ${i.training.sittings} sittings, each resuming from the last save with the same schedule.` : ""}

## Evaluation on held-out files

\`fim eval\` on ${i.heldOut.samples} FIM samples of the held-out files in the app's default format (\`ctx\`: the cursor anywhere in a line,
the rest of that line to complete, 35% with nothing after the cursor), the whole file as context (greedy; exact match is
whitespace-split equality), decoded as the app completes: a cursor after text typed on its line is healed (the line
written from its start, only tokens that agree with the typed text until it is spelled out), and a line at a line's
start is dropped when an empty line is likelier. The rows below it show the same model healed without that rule, and
plain greedy at the cursor as it stands. The baselines predict nothing, or repeat the line before the cursor's line. Target: in each
of ${TARGET_LANGUAGES.join(", ")} the model beats the better baseline by ≥ ${TARGET_POINTS} exact-match points.
Expected before it was measured: ${EXPECTED.heldOut}.

${HEAD}
${row("this model", model.overall)}
${i.heldOutHealed ? row("this model, healed, no empty-line rule", system(i.heldOutHealed, "model").overall) + "\n" : ""}${i.heldOutPlain ? row("this model, plain greedy", system(i.heldOutPlain, "model").overall) + "\n" : ""}${row("baseline: empty line", system(i.heldOut, "baseline empty").overall)}
${row("baseline: repeat previous line", system(i.heldOut, "baseline previous-line").overall)}

${exactMatches(model)}

By language (${results.filter((r) => r.target !== undefined).map((r) => `${r.language} ${r.target ? "met" : "not met"}`).join(", ")}):

${byLang}
${i.heldOutPlain ? `
Plain greedy, exact match by language: ${Object.entries(system(i.heldOutPlain, "model").byLanguage).sort((a, b) => b[1].n - a[1].n).map(([l, o]) => `${l} ${f1(o.exactMatch)}`).join(", ")}.
` : ""}
## Fine-tuning on a code base it never saw

${i.headline.codeBase} (Python, outside the corpus) cut by \`fim samples\` in the app's format (\`ctx\`; ${i.headline.count} samples, ${i.headline.evalFraction * 100}% of the files
held out, near-duplicates dropped), then LoRA-trained with \`fim train\` and the app's defaults, no flag changed (rank ${d.r}, alpha ${d.alpha},
every projection, loss on ${d.lossOn === "all" ? "every token" : "the middle"}, lr ${d.lr} after ${d.warmupSteps} warm-up steps, batch ${d.batchSize} × ${d.gradAccum}, ${d.epochs} epochs,
context ${trainingContext(d.contextLength, Number(i.config.max_position_embeddings))}: the model's own)${i.headlineTraining ? `: ${i.headlineTraining.minutes.toFixed(0)} minutes here` : ""}. Exact match on the
held-out files' ${i.before.samples} samples, decoded as above. Expected before the first run (plain greedy decoding):
${EXPECTED.headline}. Expected before this one: ${EXPECTED.decoding}.

${headline}

${i.q4 && i.after ? `The Q4_0 GGUF (\`fim export --quant q4_0\`, the adapter merged) run by llama.cpp is ${Math.abs(q4em - afterEm).toFixed(1)} points of exact match from our engine.` : "The LoRA run had not finished when this card was written: the after rows are still to be measured with `npm run eval:default`."}

## Packages in the corpus

<details><summary>${i.corpus.packages.length} packages (name, version, licence, files used)</summary>

| package | version | licence | files |
|---|---|---|---:|
${[...i.corpus.packages].sort((a, b) => a.name.localeCompare(b.name)).map((p) => `| ${p.name} | ${p.version} | ${p.license} | ${p.files} |`).join("\n")}

</details>
`;
  return { markdown, summary: headline };
}
