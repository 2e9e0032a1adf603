#!/usr/bin/env node
// `npm run bench`: measured figures, printed as a table with ratios against a reference run made in the same
// invocation. Speed and memory targets live here, never in the tests.
//
// Sample generation: a corpus is generated on disk (25 MB and 100 MB, from the built-in corpus with renamed
// identifiers), then each job runs in a fresh Node process (one core) so its peak RSS is its own.
// Reference: reading + decoding + classifying the same files. Target: >= 50 MB/s of source; RSS flat in corpus size.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { BUILTIN_CORPUS } = await import(join(root, "node_modules/.bench-corpus.mjs")).catch(async () => {
  // The corpus is TypeScript: load it through tsx once, in a child, as JSON.
  const json = execFileSync(process.execPath, ["--import", "tsx", "-e",
    'import("./src/lib/fim/builtin.ts").then(m => process.stdout.write(JSON.stringify(m)))'], { cwd: root, maxBuffer: 1 << 26 });
  return JSON.parse(json.toString());
});

function makeCorpus(dir, megabytes) {
  const code = BUILTIN_CORPUS.filter((f) => !f.path.endsWith(".sql"));
  let written = 0;
  for (let i = 0; written < megabytes * 1e6; i++) {
    const f = code[i % code.length];
    const sub = join(dir, `pkg${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(sub, { recursive: true });
    const text = f.text.replace(/\b(def|function|class) ([A-Za-z_]\w*)/g, `$1 $2_${i}`);
    writeFileSync(join(sub, `${i}_${f.path.split("/").pop()}`), text);
    written += Buffer.byteLength(text);
  }
  return written;
}

/** Three runs: the best time (least disturbed by the machine) and the median peak RSS (GC timing varies). */
function runJob(dir, mode) {
  const runs = [0, 1, 2].map(() => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "tests/bench/samples-run.ts", dir, mode], { cwd: root });
    return JSON.parse(out.toString().trim().split("\n").pop());
  });
  const rss = runs.map((r) => r.maxRssMB).sort((a, b) => a - b)[1];
  return { ...runs.reduce((a, b) => (b.seconds < a.seconds ? b : a)), maxRssMB: rss };
}

const rows = [];
const base = mkdtempSync(join(tmpdir(), "fim-bench-"));
try {
  for (const mb of [25, 100]) {
    const dir = join(base, `corpus-${mb}`);
    mkdirSync(dir);
    process.stderr.write(`generating a ${mb} MB corpus in ${dir} ...\n`);
    makeCorpus(dir, mb);
    for (const mode of ["read", "total", "perfile"]) {
      process.stderr.write(`  ${mode} ...\n`);
      rows.push({ mb, ...runJob(dir, mode) });
    }
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

const ref = (mb) => rows.find((r) => r.mb === mb && r.mode === "read");
const smallest = (mode) => rows.find((r) => r.mb === 25 && r.mode === mode);
const fmt = (x, d = 1) => x.toFixed(d);
const header = ["corpus", "job", "MB/s", "vs read", "samples/s", "samples", "out MB", "peak RSS MB", "RSS vs 25 MB"];
const table = rows.map((r) => {
  const mbps = r.bytes / 1e6 / r.seconds;
  return [
    `${r.mb} MB`, r.mode === "total" ? "count 2000 (2 passes)" : r.mode === "perfile" ? "1 per file" : "read (reference)",
    fmt(mbps), fmt(mbps / (ref(r.mb).bytes / 1e6 / ref(r.mb).seconds), 2),
    r.samples ? fmt(r.samples / r.seconds, 0) : "-", r.samples || "-", r.outBytes ? fmt(r.outBytes / 1e6) : "-",
    fmt(r.maxRssMB, 0), fmt(r.maxRssMB / smallest(r.mode).maxRssMB, 2),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
const line = (cells) => "| " + cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
console.log("\nSample generation (format ctx, one Node process per job, one core):\n");
console.log(line(header));
console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
for (const row of table) console.log(line(row));
console.log("\nBest of 3 runs for time, median of 3 for RSS. MB/s counts source bytes read in the sampling pass (the");
console.log("count job reads every file twice). Target: >= 50 MB/s on one core, peak RSS flat from 25 MB to 100 MB.");
