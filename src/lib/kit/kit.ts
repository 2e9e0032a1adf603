// kit.ts — a training kit as files: everything another trainer needs to run a FIM Studio job on GPU machines (see
// readme.ts for the folder). The browser zips the files; `fim kit` writes them as a folder. Pure: records and
// settings in, file bytes by path out.

import { getFormat, markersOf, type SampleRecord } from "../fim/index.ts";
import { ACCELERATE_DIR, ACCELERATE_FILE, accelerateYaml } from "./accelerate.ts";
import { AXOLOTL_DIR, axolotlYaml, DEEPSPEED_JSON, DEEPSPEED_ZERO2 } from "./axolotl.ts";
import { PREPARE_PY, TRAIN_TRL_PY } from "./python.ts";
import { kitReadme } from "./readme.ts";
import { kitRows, rowsToJsonl, type RowMeasure } from "./rows.ts";
import { KIT_VERSIONS, settingRows, TRL_REQUIREMENTS, type KitSettings } from "./settings.ts";

export const KIT_MANIFEST = "fim-kit.json";
/** The names at the top of a kit folder (`fim kit` replaces a folder only when it holds nothing else). */
export const KIT_TOP_LEVEL = [KIT_MANIFEST, "README.md", "data", "prepare.py", "train_trl.py", "requirements.txt", AXOLOTL_DIR, ACCELERATE_DIR];

export class KitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KitError";
  }
}

export interface KitInputs {
  settings: KitSettings;
  train: readonly SampleRecord[];
  eval: readonly SampleRecord[];
  measure: RowMeasure;
  /** Held-out loss every this many steps in the TRL run. */
  evalEvery?: number;
}

/** The fim-kit.json manifest: the settings, and the same as each trainer's arguments. */
function manifest(i: KitInputs, counts: { train: number; eval: number; dropped: number }): Record<string, unknown> {
  const rows = settingRows(i.settings);
  const trl: Record<string, unknown> = {};
  const peft: Record<string, unknown> = {};
  for (const r of rows) {
    if (r.trl && r.trl !== "model_name_or_path" && r.trl !== "completion_only_loss") trl[r.trl] = r.trlValue ?? r.value;
    if (r.peft) peft[r.peft] = r.value;
  }
  return {
    kit: "FIM Studio training kit", versions: KIT_VERSIONS, settings: i.settings, format: i.settings.format,
    // markers the base tokenizer should hold as single tokens (a span format's native ones; ctx markers are plain text)
    markers: getFormat(i.settings.format).family === "span" ? markersOf(getFormat(i.settings.format)) : [], rows: counts, promptsCutWith: "tokenizer" in i.measure ? "tokenizer" : i.measure,
    evalEvery: i.evalEvery ?? 50, trl, peft,
  };
}

export function buildKit(i: KitInputs): Map<string, Uint8Array> {
  const s = i.settings;
  if (!s.baseModel.trim()) throw new KitError("the base model is empty: give a Hugging Face model id (e.g. Qwen/Qwen2.5-Coder-0.5B) or a path on the training machine");
  if (i.train.length === 0) throw new KitError("no training samples: generate samples first");
  if (i.eval.length === 0) throw new KitError("no held-out samples: both trainers report the held-out loss; cut samples with some files held out (fim samples --eval-fraction)");
  const formats = new Set([...i.train, ...i.eval].map((r) => r.format));
  if (formats.size > 1 || !formats.has(s.format)) throw new KitError(`the samples are in format(s) ${[...formats].join(", ")} but the kit is for ${s.format}: a kit holds one format`);
  const train = kitRows(i.train, s.contextLength, i.measure);
  const held = kitRows(i.eval, s.contextLength, i.measure);
  if (held.rows.length === 0) throw new KitError(`none of the ${i.eval.length} held-out samples fits a ${s.contextLength}-token context: raise the context length`);
  if (train.rows.length === 0) throw new KitError(`none of the ${i.train.length} training samples fits a ${s.contextLength}-token context: raise the context length`);
  const counts = { train: train.rows.length, eval: held.rows.length, dropped: train.dropped + held.dropped };
  const text = new Map<string, string>([
    [KIT_MANIFEST, JSON.stringify(manifest(i, counts), null, 2) + "\n"],
    ["README.md", kitReadme({ s, train: counts.train, eval: counts.eval, dropped: counts.dropped, measured: "tokenizer" in i.measure ? "tokenizer" : i.measure })],
    ["data/train.jsonl", rowsToJsonl(train.rows)],
    ["data/eval.jsonl", rowsToJsonl(held.rows)],
    ["prepare.py", PREPARE_PY],
    ["train_trl.py", TRAIN_TRL_PY],
    ["requirements.txt", TRL_REQUIREMENTS.join("\n") + "\n"],
    [`${AXOLOTL_DIR}/config.yml`, axolotlYaml(s, "one")],
    [`${AXOLOTL_DIR}/config-multi-gpu.yml`, axolotlYaml(s, "several")],
    [`${ACCELERATE_DIR}/${ACCELERATE_FILE[s.multiGpu]}`, accelerateYaml(s.multiGpu)],
  ]);
  if (s.multiGpu === "deepspeed") text.set(`${AXOLOTL_DIR}/${DEEPSPEED_JSON}`, JSON.stringify(DEEPSPEED_ZERO2, null, 2) + "\n");
  const enc = new TextEncoder();
  return new Map([...text].map(([k, v]) => [k, enc.encode(v)]));
}
