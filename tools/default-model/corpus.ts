// corpus.ts — the default model's training corpus, from a table of sources (SOURCES) that a fresh machine gets from
// the registries this project uses, each source yielding packages recorded with name, version, licence, files and
// bytes (for the model card):
//   node_modules   the npm packages this project installs whose package.json licence is permissive (mostly JavaScript)
//   npm-fetched    pinned npm packages that ship their TypeScript sources (FETCHED_PACKAGES), fetched into the cache
//                  folder by `npm run corpus:fetch` (fetch-corpus.ts); only their src/ folders are read
//   python-stdlib  Debian's Python standard library, /usr/lib/python3.X (PSF-2.0)
//   go-stdlib      Debian's Go standard library, /usr/share/go-1.X/src from golang-1.X-src (BSD-3-Clause)
// plus the FIM library's built-in synthetic corpus. A source that is missing (not fetched, not installed) adds a
// warning that says how to get it, and no files; it never fails the run.
// Minified and generated files, files over 200 KB and exact duplicates (packages ship the same code as cjs and esm)
// are left out; then a per-language byte cap (LANGUAGE_CAPS) keeps one language from drowning the others, taking a
// language's files in a stable hash order of their paths until its cap. Deterministic: sorted walks, stable hashes.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { BUILTIN_CORPUS } from "../../src/lib/fim/builtin.ts";
import { detectLanguage } from "../../src/lib/fim/languages.ts";
import { nearDuplicatesAcrossSplit } from "../../src/lib/fim/near-dup.ts";

/** Licences (SPDX ids as package.json writes them) whose code may be used to train and ship a model, with credit. */
export const PERMISSIVE = new Set(["MIT", "ISC", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "BlueOak-1.0.0", "Unlicense", "CC0-1.0", "PSF-2.0"]);

/** Source extensions taken from npm packages (declaration files are left out: mostly types, little code). */
const EXTENSIONS = new Set([".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".py", ".c", ".h", ".cc", ".cpp", ".rs", ".go", ".java", ".sh"]);
const MAX_BYTES = 200_000;

/** The corpus cache folder under the repository root (git-ignored, as all of .cache/); fetch-corpus.ts fills its npm/. */
export const DEFAULT_SOURCES_CACHE = ".cache/default-model-sources";

/**
 * npm packages that ship their TypeScript sources under src/ (node_modules has only ~200 .ts files), pinned; each
 * licence checked from the packed package.json by fetch-corpus.ts and again when read. Sizes: the src/ .ts bytes.
 */
export const FETCHED_PACKAGES: readonly { name: string; version: string; dirs: readonly string[] }[] = [
  { name: "rxjs", version: "7.8.2", dirs: ["src"] }, // Apache-2.0, 251 .ts files, 0.8 MB
  { name: "zod", version: "3.25.76", dirs: ["src"] }, // MIT, 241 .ts files, 1.7 MB
  { name: "effect", version: "3.17.7", dirs: ["src"] }, // MIT, 359 .ts files, 6.9 MB
  { name: "@trpc/server", version: "11.4.3", dirs: ["src"] }, // MIT, 81 .ts files, 0.3 MB
  { name: "@tanstack/query-core", version: "5.83.0", dirs: ["src"] }, // MIT, 22 .ts files, 0.2 MB
  { name: "@tanstack/table-core", version: "8.21.3", dirs: ["src"] }, // MIT, 37 .ts files, 0.3 MB
];

/** The cache folder name of a fetched package: "@scope/name" → "@scope+name@version". */
export const fetchedDirName = (p: { name: string; version: string }): string => `${p.name.replace("/", "+")}@${p.version}`;

/**
 * Bytes per language at most (languages as src/lib/fim/languages.ts detects them); languages not named are not capped,
 * nor is the built-in corpus. Measured uncapped (Debian 12, this package.json): JavaScript 14.2 MB (node_modules),
 * Go 12.4 MB, TypeScript 9.2 MB, Python 8.8 MB; 9 MB each makes them about a quarter of the corpus each.
 */
export const LANGUAGE_CAP_BYTES = 9_000_000;
export const LANGUAGE_CAPS: Readonly<Record<string, number>> = { javascript: LANGUAGE_CAP_BYTES, typescript: LANGUAGE_CAP_BYTES, python: LANGUAGE_CAP_BYTES, go: LANGUAGE_CAP_BYTES };

export type SourceId = "node_modules" | "npm-fetched" | "python-stdlib" | "go-stdlib";

export interface CorpusPackage {
  /** Which source of SOURCES it came from (absent in cards written before there were several). */
  source?: SourceId;
  name: string;
  version: string;
  license: string;
  files: number;
  bytes: number;
  /** Where it was read from, when that is worth saying (a system folder, the Debian packages that own it). */
  origin?: string;
}

export interface CorpusFile {
  /** "npm:<package>/<path>", "debian:<package>/<path>" or "builtin:<path>". */
  path: string;
  text: string;
  /** Detected language (languages.ts), "other" when none. */
  language?: string;
}

export type SkipReason = "minified" | "generated" | "duplicate" | "too-large" | "over-cap";

export interface LanguageTotal {
  files: number;
  bytes: number;
}

export interface Corpus {
  files: CorpusFile[];
  packages: CorpusPackage[];
  builtinFiles: number;
  /** Files left out, by reason. */
  skipped: Record<SkipReason, number>;
  /** Kept files and bytes by language (the built-in corpus included). */
  languages: Record<string, LanguageTotal>;
  /** Kept files and bytes by source ("builtin" for the built-in corpus). */
  sources: Record<string, LanguageTotal>;
  /** Sources that were missing or unreadable, with how to get them. */
  warnings: string[];
  /** The caps that were applied. */
  caps: Record<string, number>;
}

export interface CollectOptions {
  /** The folder that stands for "/" when looking for system sources (tests point it at a fixture tree). */
  system?: string;
  /** The corpus cache (absolute, or relative to root); default DEFAULT_SOURCES_CACHE. */
  cache?: string;
  /** Per-language byte caps; default LANGUAGE_CAPS. */
  caps?: Readonly<Record<string, number>>;
  /** Which sources to read; default all of SOURCES. */
  sources?: readonly SourceId[];
  /** Pinned fetched packages; default FETCHED_PACKAGES. */
  fetched?: typeof FETCHED_PACKAGES;
}

/** Minified or bundled: very long lines on average or one enormous line. */
export function looksMinified(text: string): boolean {
  const lines = text.split("\n");
  const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
  return longest > 1000 || text.length / Math.max(1, lines.length) > 200;
}

/**
 * Generated, by what its head says: Go's "Code generated ... DO NOT EDIT", any "DO NOT EDIT" / "auto-generated" /
 * "@generated" marker, or "generated from/by <file.ext>" (Python's encodings tables, "generated from '…TXT' with
 * gencodec.py"). Only the first 1000 characters are read, so a docstring's "can be generated by passing …" is not one.
 */
export function looksGenerated(text: string): boolean {
  const head = text.slice(0, 1000);
  return /DO NOT EDIT|do not edit|@generated\b|\b(auto-?generated|automatically generated)\b/i.test(head) ||
    /\bgenerated (from|by|with)\b[^\n]*?\b[\w./-]+\.(py|pl|go|js|ts|txt|TXT|json|ya?ml)\b/i.test(head);
}

function* walk(dir: string, skipDir: (name: string) => boolean = () => false): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".") || skipDir(name)) continue;
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) yield* walk(p, skipDir);
    else if (st.isFile()) yield p;
  }
}

function* packageDirs(nodeModules: string): Generator<string> {
  if (!existsSync(nodeModules)) return;
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

/** One package a source found: its record (files and bytes counted later), where its files are, which to take. */
export interface FoundPackage {
  record: Omit<CorpusPackage, "files" | "bytes"> & { source: SourceId };
  dir: string;
  /** Prefix of the corpus paths of its files, e.g. "npm:rxjs/". */
  label: string;
  /** Folders (relative to dir) to read; default the whole dir. */
  dirs?: readonly string[];
  /** Take this file (path relative to dir, "/"-separated)? */
  take(rel: string): boolean;
  /** Skip this folder (its name) while walking. */
  skipDir?(name: string): boolean;
}

export interface SourceEnv {
  root: string;
  system: string;
  cache: string;
  fetched: typeof FETCHED_PACKAGES;
}

export interface Source {
  id: SourceId;
  /** The packages it has, or a warning (how to get it) when it is missing. */
  find(env: SourceEnv): { found: FoundPackage[]; warnings: string[] };
}

function readPackageJson(dir: string): { name?: string; version?: string; license?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch {
    return undefined;
  }
}

const npmTake = (rel: string): boolean => EXTENSIONS.has(extname(rel)) && !/\.d\.[mc]?ts$/.test(rel) && !/\.min\./.test(rel);

/** The Debian version of an installed package, from dpkg's status file (undefined when not installed / no file). */
export function dpkgVersion(system: string, pkg: string): string | undefined {
  let status: string;
  try {
    status = readFileSync(join(system, "var/lib/dpkg/status"), "utf8");
  } catch {
    return undefined;
  }
  for (const stanza of status.split(/\n\n+/)) {
    if (!new RegExp(`^Package: ${pkg.replace(/[.+]/g, "\\$&")}$`, "m").test(stanza)) continue;
    if (!/^Status: .* installed$/m.test(stanza)) continue;
    return /^Version: (.+)$/m.exec(stanza)?.[1]?.trim();
  }
  return undefined;
}

/** The highest-versioned entry of `dir` named like `re` (its group 1 the version "3.11"), or undefined. */
function highestVersioned(dir: string, re: RegExp): { name: string; version: string } | undefined {
  if (!existsSync(dir)) return undefined;
  const hits = readdirSync(dir).map((n) => ({ name: n, m: re.exec(n) })).filter((x) => x.m)
    .map((x) => ({ name: x.name, version: x.m![1]!, key: x.m![1]!.split(".").map(Number) }))
    .sort((a, b) => b.key[0]! - a.key[0]! || b.key[1]! - a.key[1]!);
  return hits[0];
}

/** The sources, in the order their files enter the corpus (the built-in corpus comes first of all). */
export const SOURCES: readonly Source[] = [
  {
    id: "node_modules",
    find({ root }) {
      const found: FoundPackage[] = [];
      const nodeModules = join(root, "node_modules");
      for (const dir of packageDirs(nodeModules)) {
        // this project's own workspace packages are links out of node_modules: its code, which changes with every
        // commit, is not a corpus source (and would make the corpus differ from one checkout to the next)
        if (!realpathSync(dir).startsWith(realpathSync(nodeModules) + "/")) continue;
        const pkg = readPackageJson(dir);
        const license = typeof pkg?.license === "string" ? pkg.license : "";
        if (!pkg?.name || !PERMISSIVE.has(license)) continue;
        found.push({ record: { source: "node_modules", name: pkg.name, version: pkg.version ?? "?", license }, dir, label: `npm:${pkg.name}/`, take: npmTake });
      }
      return { found, warnings: existsSync(join(root, "node_modules")) ? [] : [`node_modules: missing under ${root}; run \`npm ci\``] };
    },
  },
  {
    id: "npm-fetched",
    find({ cache, fetched }) {
      const found: FoundPackage[] = [];
      const warnings: string[] = [];
      const missing: string[] = [];
      for (const p of fetched) {
        const dir = join(cache, "npm", fetchedDirName(p), "package");
        const pkg = readPackageJson(dir);
        if (!pkg) {
          missing.push(`${p.name}@${p.version}`);
          continue;
        }
        const license = typeof pkg.license === "string" ? pkg.license : "";
        if (pkg.name !== p.name || pkg.version !== p.version || !PERMISSIVE.has(license)) {
          warnings.push(`npm-fetched: ${dir} is ${pkg.name}@${pkg.version} (${JSON.stringify(pkg.license)}), not a permissive ${p.name}@${p.version}; skipped`);
          continue;
        }
        found.push({ record: { source: "npm-fetched", name: p.name, version: p.version, license }, dir, dirs: p.dirs, label: `npm:${p.name}/`,
          take: (rel) => npmTake(rel) && !/(^|\/)(__tests__|tests?)\//.test(rel) && !/\.(test|spec)\.[mc]?[jt]sx?$/.test(rel),
        });
      }
      if (missing.length) warnings.push(`npm-fetched: ${missing.join(", ")} not in ${join(cache, "npm")}; run \`npm run corpus:fetch\` to download them`);
      return { found, warnings };
    },
  },
  {
    id: "python-stdlib",
    find({ system }) {
      const lib = join(system, "usr/lib");
      const py = highestVersioned(lib, /^python(3\.\d+)$/);
      if (!py || !existsSync(join(lib, py.name, "os.py"))) {
        return { found: [], warnings: ["python-stdlib: no /usr/lib/python3.X/os.py; run `sudo apt-get install -y libpython3-stdlib` (Debian's Python standard library)"] };
      }
      // Debian splits the standard library between libpython3.X-minimal (os.py, re, …) and -stdlib (the rest), both
      // built from the source package python3.X at one version.
      const stdlib = `libpython${py.version}-stdlib`;
      const debVersion = dpkgVersion(system, stdlib) ?? dpkgVersion(system, `libpython${py.version}-minimal`);
      return {
        found: [{
          record: { source: "python-stdlib", name: stdlib, version: debVersion ?? `python ${py.version}`, license: "PSF-2.0",
            origin: `/usr/lib/${py.name} (Debian libpython${py.version}-minimal and ${stdlib})` },
          dir: join(lib, py.name),
          label: `debian:${stdlib}/`,
          // test/: Debian ships only the test-support modules here (the suite is libpython3.X-testsuite); config-*: the
          // build's Makefile and generated config.c; lib-dynload: binaries; site-/dist-packages: not the stdlib
          skipDir: (name) => name === "__pycache__" || name === "site-packages" || name === "dist-packages" || name === "test" ||
            name === "tests" || name === "idle_test" || name === "lib-dynload" || name.startsWith("config-"),
          take: (rel) => rel.endsWith(".py"),
        }],
        warnings: [],
      };
    },
  },
  {
    id: "go-stdlib",
    find({ system }) {
      const share = join(system, "usr/share");
      const go = highestVersioned(share, /^go-(1\.\d+)$/);
      const src = go && join(share, go.name, "src");
      if (!go || !src || !existsSync(src)) {
        return { found: [], warnings: ["go-stdlib: no /usr/share/go-1.X/src; run `sudo apt-get install -y golang-1.19-src` (Debian's Go standard library sources)"] };
      }
      const pkg = `golang-${go.version}-src`;
      return {
        found: [{
          record: { source: "go-stdlib", name: pkg, version: dpkgVersion(system, pkg) ?? `go ${go.version}`, license: "BSD-3-Clause", origin: `/usr/share/${go.name}/src` },
          dir: src,
          label: `debian:${pkg}/`,
          // cmd/: the toolchain (29 MB; parts of the compiler and linker are under the Lucent/Inferno licence);
          // vendor/: copies of golang.org/x; testdata/ and *_test.go: tests (15 MB of them)
          skipDir: (name) => name === "testdata",
          take: (rel) => rel.endsWith(".go") && !rel.endsWith("_test.go") && !/^(cmd|vendor)\//.test(rel) &&
            // under the MPEG Software Simulation Group's licence (debian/copyright), not the Go licence: left out
            rel !== "image/jpeg/idct.go",
        }],
        warnings: [],
      };
    },
  },
];

const stableKey = (path: string): string => createHash("sha1").update(path).digest("hex");

export function collectCorpus(root: string, options: CollectOptions = {}): Corpus {
  const system = options.system ?? "/";
  const cache = options.cache ? (options.cache.startsWith("/") ? options.cache : join(root, options.cache)) : join(root, DEFAULT_SOURCES_CACHE);
  const caps = { ...(options.caps ?? LANGUAGE_CAPS) };
  const wanted = new Set(options.sources ?? SOURCES.map((s) => s.id));
  const env: SourceEnv = { root, system, cache, fetched: options.fetched ?? FETCHED_PACKAGES };

  const seen = new Set<string>();
  const skipped: Record<SkipReason, number> = { minified: 0, generated: 0, duplicate: 0, "too-large": 0, "over-cap": 0 };
  const warnings: string[] = [];
  interface Candidate extends CorpusFile { language: string; bytes: number; pkg: number }
  const candidates: Candidate[] = [];
  const records: (FoundPackage["record"])[] = [];
  const fresh = (text: string): boolean => {
    const h = createHash("sha1").update(text.replace(/\s+/g, " ").trim()).digest("hex");
    if (seen.has(h)) {
      skipped.duplicate++;
      return false;
    }
    seen.add(h);
    return true;
  };
  for (const f of BUILTIN_CORPUS) {
    if (fresh(f.text)) candidates.push({ path: `builtin:${f.path}`, text: f.text, language: detectLanguage(f.path, f.text) ?? "other", bytes: Buffer.byteLength(f.text), pkg: -1 });
  }
  const builtinFiles = candidates.length;

  for (const source of SOURCES) {
    if (!wanted.has(source.id)) continue;
    const { found, warnings: w } = source.find(env);
    warnings.push(...w);
    for (const p of found) {
      const pkg = records.push(p.record) - 1;
      for (const top of p.dirs ?? ["."]) {
        const start = join(p.dir, top);
        if (!existsSync(start)) continue;
        for (const path of walk(start, p.skipDir)) {
          const rel = relative(p.dir, path).split(sep).join("/");
          if (!p.take(rel)) continue;
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
          if (looksGenerated(text)) {
            skipped.generated++;
            continue;
          }
          if (fresh(text)) candidates.push({ path: p.label + rel, text, language: detectLanguage(rel, text) ?? "other", bytes: size, pkg });
        }
      }
    }
  }

  // the caps: a capped language's package files in a stable hash order of their paths, each taken while it fits
  const dropped = new Set<Candidate>();
  for (const [language, cap] of Object.entries(caps)) {
    const mine = candidates.filter((c) => c.language === language && c.pkg >= 0).sort((a, b) => (stableKey(a.path) < stableKey(b.path) ? -1 : 1));
    let total = 0;
    for (const c of mine) {
      if (total + c.bytes <= cap) total += c.bytes;
      else dropped.add(c);
    }
  }
  skipped["over-cap"] = dropped.size;

  const kept = candidates.filter((c) => !dropped.has(c));
  const counts = records.map(() => ({ files: 0, bytes: 0 }));
  const languages: Record<string, LanguageTotal> = {};
  const sources: Record<string, LanguageTotal> = {};
  const add = (m: Record<string, LanguageTotal>, k: string, bytes: number) => {
    m[k] ??= { files: 0, bytes: 0 };
    m[k].files++;
    m[k].bytes += bytes;
  };
  for (const c of kept) {
    if (c.pkg >= 0) {
      counts[c.pkg]!.files++;
      counts[c.pkg]!.bytes += c.bytes;
    }
    add(languages, c.language, c.bytes);
    add(sources, c.pkg >= 0 ? records[c.pkg]!.source : "builtin", c.bytes);
  }
  const packages = records.map((r, i) => ({ ...r, ...counts[i]! })).filter((p) => p.files > 0);
  return {
    files: kept.map(({ path, text, language }) => ({ path, text, language })),
    packages, builtinFiles, skipped, languages, sources, warnings, caps,
  };
}

const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;

/** The corpus by source and by language, its caps, what was left out and the warnings, as lines to print. */
export function corpusSummary(c: Corpus): string {
  const total = Object.values(c.languages).reduce((a, l) => a + l.bytes, 0);
  const table = (m: Record<string, LanguageTotal>, extra: (k: string) => string = () => "") =>
    Object.entries(m).sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1))
      .map(([k, v]) => `  ${k.padEnd(14)} ${String(v.files).padStart(6)} files ${mb(v.bytes).padStart(10)} ${((100 * v.bytes) / Math.max(1, total)).toFixed(1).padStart(5)}%${extra(k)}`);
  const bySource = new Map<string, CorpusPackage[]>();
  for (const p of c.packages) bySource.set(p.source ?? "?", [...(bySource.get(p.source ?? "?") ?? []), p]);
  return [
    `corpus: ${c.files.length} files, ${mb(total)}`,
    "by source:",
    ...table(c.sources, (k) => {
      const ps = bySource.get(k);
      if (!ps) return "";
      return ps.length > 3 ? ` (${ps.length} packages)` : ` (${ps.map((p) => `${p.name} ${p.version}, ${p.license}`).join("; ")})`;
    }),
    "by language:",
    ...table(c.languages, (k) => (c.caps[k] !== undefined ? ` (cap ${mb(c.caps[k])})` : "")),
    `left out: ${Object.entries(c.skipped).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    ...c.warnings.map((w) => `warning: ${w}`),
  ].join("\n");
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
