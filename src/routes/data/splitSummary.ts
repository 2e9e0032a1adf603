// splitSummary.ts — what the Data page says about the train/eval split of a run: the two counts, how eval was
// held out, and a warning when a side is empty (no training samples, or nothing to measure the model on).
import type { DatasetStats } from "../../lib/fim/index.ts";
import { formatCount } from "../shared/format.ts";

export interface SplitSummary {
  /** "train 1,800 / eval 200" */
  counts: string;
  /** How eval was held out, in plain words. */
  how: string;
  /** Set when a side is empty. */
  warning: string | null;
}

export function splitSummary(stats: Pick<DatasetStats, "samples" | "split">): SplitSummary {
  const { train, eval: held } = stats.samples;
  const how =
    stats.split === "samples"
      ? "Eval holds out a share of each file's samples (fewer than 5 files)."
      : "Eval holds out whole files: no file is on both sides.";
  let warning: string | null = null;
  if (train === 0) {
    warning = "No training samples: every sample went to the eval split. Lower the eval fraction, or add more files.";
  } else if (held === 0) {
    warning =
      "No eval samples: nothing was held out, so training has no held-out loss and no before/after scores. " +
      (stats.split === "samples"
        ? "Raise the eval fraction above 0, or give longer code."
        : "Raise the eval fraction, or add more files.");
  }
  return { counts: `train ${formatCount(train)} / eval ${formatCount(held)}`, how, warning };
}
