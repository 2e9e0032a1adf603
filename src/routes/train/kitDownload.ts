// kitDownload.ts — the Train page's "Train elsewhere": the samples and the page's settings as a training kit
// (src/lib/kit) in one .zip. Prompts are cut by the kit's estimate of characters a token (the page does not hold the
// GPU machine's tokenizer); prepare.py drops there what the real tokenizer finds too long. Pure.

import { buildKit, KIT_MANIFEST } from "../../lib/kit/kit.ts";
import { CHARS_PER_TOKEN } from "../../lib/kit/rows.ts";
import { kitSettings, type MultiGpu } from "../../lib/kit/settings.ts";
import { DEFAULT_LORA } from "../../lib/train/lora.ts";
import { parseJsonl } from "../../lib/train/data.ts";
import type { TrainSettings } from "../shared/trainSettings.ts";
import { zipStored } from "./zip.ts";

/** The folder every file of the zip sits in. */
export const KIT_FOLDER = "fim-kit";

export interface KitChoices {
  baseModel: string;
  multiGpu: MultiGpu;
  settings: TrainSettings;
  trainJsonl: string;
  evalJsonl: string;
}

export function kitZip(c: KitChoices): { bytes: Uint8Array<ArrayBuffer>; fileName: string; rows: { train: number; eval: number; dropped: number } } {
  const train = parseJsonl(c.trainJsonl, "training samples");
  const held = parseJsonl(c.evalJsonl, "held-out samples");
  const t = c.settings;
  const settings = kitSettings({
    baseModel: c.baseModel.trim(), format: train[0]!.format, lossOn: t.lossOn, r: t.r, alpha: t.alpha, targets: DEFAULT_LORA.targets,
    multiGpu: c.multiGpu, lr: t.lr, warmupSteps: t.warmupSteps, batchSize: t.batchSize, gradAccum: t.gradAccum, epochs: t.epochs,
    steps: t.steps > 0 ? t.steps : undefined, contextLength: t.contextLength,
  });
  const files = buildKit({ settings, train, eval: held, measure: { charsPerToken: CHARS_PER_TOKEN }, evalEvery: t.evalEvery || undefined });
  const rows = (JSON.parse(new TextDecoder().decode(files.get(KIT_MANIFEST))) as { rows: { train: number; eval: number; dropped: number } }).rows;
  const named = Object.fromEntries([...files].map(([name, bytes]) => [`${KIT_FOLDER}/${name}`, bytes]));
  const slug = settings.baseModel.split("/").pop()!.replace(/[^\w.-]+/g, "-");
  return { bytes: zipStored(named), fileName: `${KIT_FOLDER}-${slug}.zip`, rows };
}
