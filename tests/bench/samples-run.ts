// One measured run of the sample generator over a directory, in a fresh process so its peak RSS is its own.
// Usage (from scripts/bench.mjs): node --import tsx tests/bench/samples-run.ts DIR MODE
//   MODE "read":   read + decode + classify only (the reference: what any generator must at least do)
//   MODE "total":  the default job: --count 2000 (two passes over the files)
//   MODE "perfile": one sample per usable file (one pass, output about the size of the input)
// Prints one JSON line: { mode, bytes, seconds, samples, outBytes, maxRssMB }.

import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAtomic } from "../../node/export/src/atomic-writer.ts";
import { directorySource } from "../../node/export/src/fs-source.ts";
import { buildDataset, classifyFile, getFormat, markersOf, toJsonl } from "../../src/lib/fim/index.ts";

const [dir, mode] = process.argv.slice(2) as [string, "read" | "total" | "perfile"];
const source = await directorySource([dir]);
const out = openAtomic(join(tmpdir(), `fim-bench-${process.pid}.jsonl`)); // as the CLI writes; deleted at the end
let outBytes = 0;
let samples = 0;
let bytes = 0;
const t0 = performance.now();
if (mode === "read") {
  const f = getFormat("ctx");
  for await (const e of source.files()) {
    const data = await e.read();
    bytes += typeof data === "string" ? data.length : data.byteLength;
    classifyFile(e.path, data, { banned: f.banned, markers: markersOf(f), maxFileBytes: 1e6 });
  }
} else {
  const stats = await buildDataset(source, mode === "total" ? { count: 2000 } : { perFile: 1 }, async (r) => {
    const line = toJsonl(r);
    outBytes += line.length;
    samples++;
    await out.write(line);
  });
  bytes = stats.bytes;
}
const seconds = (performance.now() - t0) / 1000;
await out.abort();
const maxRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ mode, bytes, seconds, samples, outBytes, maxRssMB }));
