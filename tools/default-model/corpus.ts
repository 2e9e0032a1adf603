// corpus.ts — the default model's training corpus, all of it available offline: the source files of the npm packages
// this project installs whose licence is permissive (each recorded with name, version and licence for the model card),
// plus the FIM library's built-in synthetic corpus. Minified and generated files, files over 200 KB and exact
// duplicates (packages ship the same code as cjs and esm) are left out. Deterministic: sorted walk.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { BUILTIN_CORPUS } from "../../src/lib/fim/builtin.ts";
import { nearDuplicatesAcrossSplit } from "../../src/lib/fim/near-dup.ts";

/** Licences (SPDX ids as package.json writes them) whose code may be used to train and ship a model, with credit. */
export const PERMISSIVE = new Set(["MIT", "ISC", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "BlueOak-1.0.0", "Unlicense", "CC0-1.0"]);

/** Source extensions taken from packages (declaration files are left out: mostly types, little code). */
const EXTENSIONS = new Set([".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".py", ".c", ".h", ".cc", ".cpp", ".rs", ".go", ".java", ".sh"]);
const MAX_BYTES = 200_000;

export interface CorpusPackage {
  name: string;
  version: string;
  license: string;
  files: number;
  bytes: number;
}

export interface CorpusFile {
  /** "npm:<package>/<path>" or "builtin:<path>". */
  path: string;
  text: string;
}

export interface Corpus {
  files: CorpusFile[];
  packages: CorpusPackage[];
  builtinFiles: number;
  /** Files left out, by reason. */
  skipped: Record<"minified" | "duplicate" | "too-large", number>;
}

/** Minified or bundled: very long lines on average or one enormous line. */
export function looksMinified(text: string): boolean {
  const lines = text.split("\n");
  const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
  return longest > 1000 || text.length / Math.max(1, lines.length) > 200;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) yield* walk(p);
    else if (st.isFile()) yield p;
  }
}

function* packageDirs(nodeModules: string): Generator<string> {
  for (const name of readdirSync(nodeModules).sort()) {
    if (name.startsWith(".")) continue;
    const p = join(nodeModules, name);
    if (name.startsWith("@")) {
      for (const sub of readdirSync(p).sort()) yield join(p, sub);
    } else {
      yield p;
    }
  }
}

export function collectCorpus(root: string): Corpus {
  const files: CorpusFile[] = [];
  const packages: CorpusPackage[] = [];
  const seen = new Set<string>();
  const skipped = { minified: 0, duplicate: 0, "too-large": 0 };
  const keep = (path: string, text: string): boolean => {
    const h = createHash("sha1").update(text.replace(/\s+/g, " ").trim()).digest("hex");
    if (seen.has(h)) {
      skipped.duplicate++;
      return false;
    }
    seen.add(h);
    files.push({ path, text });
    return true;
  };
  for (const f of BUILTIN_CORPUS) keep(`builtin:${f.path}`, f.text);
  const builtinFiles = files.length;

  for (const dir of packageDirs(join(root, "node_modules"))) {
    let pkg: { name?: string; version?: string; license?: unknown };
    try {
      pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    const license = typeof pkg.license === "string" ? pkg.license : "";
    if (!pkg.name || !PERMISSIVE.has(license)) continue;
    const rec: CorpusPackage = { name: pkg.name, version: pkg.version ?? "?", license, files: 0, bytes: 0 };
    for (const path of walk(dir)) {
      if (!EXTENSIONS.has(extname(path)) || path.endsWith(".d.ts") || /\.min\./.test(path)) continue;
      const size = statSync(path).size;
      if (size > MAX_BYTES) {
        skipped["too-large"]++;
        continue;
      }
      const text = readFileSync(path, "utf8");
      if (looksMinified(text)) {
        skipped.minified++;
        continue;
      }
      if (keep(`npm:${pkg.name}/${relative(dir, path)}`, text)) {
        rec.files++;
        rec.bytes += size;
      }
    }
    if (rec.files > 0) packages.push(rec);
  }
  return { files, packages, builtinFiles, skipped };
}

/** Held-out by file: a stable hash of the path puts about `fraction` of the files aside. */
export function isHeldOut(path: string, fraction: number): boolean {
  const h = createHash("sha1").update(path).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}

export interface CorpusSplit {
  train: CorpusFile[];
  heldOut: CorpusFile[];
  /** Held-out files dropped as near-duplicates of a train file (a vendored copy, a fork): path → that train file. */
  nearDuplicates: Map<string, { of: string; similarity: number }>;
}

/** The split by file: ~`fraction` held out by path hash, then held-out files that near-duplicate a train file dropped. */
export function splitCorpus(files: readonly CorpusFile[], fraction = 0.05): CorpusSplit {
  const train = files.filter((f) => !isHeldOut(f.path, fraction));
  const held = files.filter((f) => isHeldOut(f.path, fraction));
  const nearDuplicates = nearDuplicatesAcrossSplit([
    ...train.map((f) => ({ ...f, split: "train" as const })),
    ...held.map((f) => ({ ...f, split: "eval" as const })),
  ]);
  return { train, heldOut: held.filter((f) => !nearDuplicates.has(f.path)), nearDuplicates };
}
