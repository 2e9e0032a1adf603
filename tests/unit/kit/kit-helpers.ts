// Shared by the kit tests: real FIM samples cut from the built-in corpus, a small real tokenizer, and the documented
// key sets (tests/fixtures/kit/*.json, read from Axolotl's, TRL's and PEFT's sources).

import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { builtinSource } from "../../../src/lib/fim/builtin.ts";
import { buildDataset, type SampleRecord } from "../../../src/lib/fim/index.ts";
import { loadTokenizer } from "../../../src/lib/model/tokenizer.ts";
import { kitSettings, type KitSettings } from "../../../src/lib/kit/settings.ts";
import { DEFAULT_LORA } from "../../../src/lib/train/lora.ts";
import { smallTokenizer, type TokenizerSource } from "../../fixtures/small-tokenizer.ts";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/kit/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
export const AXOLOTL = fixture("axolotl-schema.json") as { topLevelKeys: string[]; datasetKeys: string[]; fsdp: { fsdpConfigKeys: string[] } };
export const TRL = fixture("trl-schema.json") as { sftConfigKeys: string[]; trainingArgumentsKeys: string[]; sftTrainerInit: string[] };
export const PEFT = fixture("peft-schema.json") as { loraConfigKeys: string[]; adapterConfigExample: Record<string, unknown> };

/** FIM samples of the built-in corpus in `format`, split by file (train, held out). */
export async function samples(format: string, count = 40): Promise<{ train: SampleRecord[]; eval: SampleRecord[] }> {
  const all: SampleRecord[] = [];
  await buildDataset(builtinSource(), { format, count, seed: 5, evalFraction: 0.25 }, (r) => void all.push(r));
  return { train: all.filter((r) => r.split === "train"), eval: all.filter((r) => r.split === "eval") };
}

export function tokenizer(source: TokenizerSource) {
  const t = smallTokenizer(source);
  return loadTokenizer(t.tokenizerJson, t.tokenizerConfig);
}

export function settings(o: Partial<KitSettings> = {}): KitSettings {
  return { ...kitSettings({ baseModel: "Qwen/Qwen2.5-Coder-0.5B", format: "qwen", lossOn: "middle", r: DEFAULT_LORA.r, alpha: DEFAULT_LORA.alpha, targets: DEFAULT_LORA.targets, contextLength: 256 }), ...o };
}

export const hasPython = spawnSync("python3", ["-c", "import json"], { stdio: "ignore" }).status === 0;

/** Runs python3 with `code`, the working folder `cwd`; throws with its stderr when it fails. */
export function python(code: string, cwd: string): string {
  const r = spawnSync("python3", ["-c", code], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
