// One measured GGUF export, in a fresh process so its peak RSS is its own (run by scripts/bench.mjs).
// Usage: node --import tsx tests/bench/export-run.ts MODEL_DIR TYPE OUT
//   TYPE: f16 | q8_0 | q4_0, or "copy" for the reference: a plain file copy of the same safetensors bytes.
// Prints one JSON line: { type, bytesIn, bytesOut, seconds, maxRssMB, largestTensorMB }.

import { copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadCheckpoint } from "../../src/lib/model/checkpoint.ts";
import { folderFiles } from "../../node/export/src/model-folder.ts";
import { openAtomic } from "../../node/export/src/atomic-writer.ts";
import { exportGguf } from "../../src/lib/export/gguf-export.ts";
import type { ExportType } from "../../src/lib/export/plan.ts";

const [dir, type, out] = process.argv.slice(2) as [string, ExportType | "copy", string];
const weights = join(dir, "model.safetensors");
const bytesIn = statSync(weights).size;
const t0 = performance.now();
let bytesOut: number;
let largest = 0;
if (type === "copy") {
  copyFileSync(weights, out);
  bytesOut = bytesIn;
} else {
  const files = folderFiles(dir);
  const cp = await loadCheckpoint(files);
  for (const t of cp.tensors) largest = Math.max(largest, t.shape.reduce((a, b) => a * b, 1) * 4);
  const json = async (n: string) => JSON.parse(new TextDecoder().decode(await files.read(n)));
  const sink = openAtomic(out);
  const s = await exportGguf(cp, await json("tokenizer.json"), await json("tokenizer_config.json"), sink, { type, name: "bench" });
  await sink.commit();
  bytesOut = s.bytes;
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ type, bytesIn, bytesOut, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, largestTensorMB: largest / 1e6 }));
