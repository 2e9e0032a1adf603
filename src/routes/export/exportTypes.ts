// exportTypes.ts — one line per GGUF export type for the page: what it is and when to take it. The types themselves
// (and their tensor rules) are node/export's EXPORT_TYPES and TYPE_RULES; this only explains them.
import type { ExportType } from "../../lib/export/plan.ts";

export const TYPE_HELP: Record<ExportType, string> = {
  f32: "32-bit floats: exact, the largest file (4 bytes a weight). For checking, rarely for use.",
  f16: "16-bit floats: practically lossless at half the size (2 bytes a weight).",
  q8_0: "8-bit blocks: nearly lossless, about a quarter of f32 (1.06 bytes a weight).",
  q4_0: "4-bit blocks: the smallest and fastest, slightly less accurate (0.56 bytes a weight; the output matrix stays 8-bit).",
};
