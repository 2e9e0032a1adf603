// fetch-corpus.ts — `npm run corpus:fetch`: downloads the pinned npm packages that ship their TypeScript sources
// (FETCHED_PACKAGES in corpus.ts) into the corpus cache (.cache/default-model-sources/npm/, git-ignored; outside
// train-default's --work folder so its --fresh keeps them), with `npm pack <name>@<version>` (the registry checks the
// tarball's integrity) and `tar`, and refuses a package whose package.json is not the pinned name and version or
// whose licence is not in PERMISSIVE. Already fetched packages are kept. Then prints the corpus summary by source and
// language. The tests never run this (no network in tests); collectCorpus only reads the cache.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { collectCorpus, corpusSummary, DEFAULT_SOURCES_CACHE, FETCHED_PACKAGES, fetchedDirName, PERMISSIVE } from "./corpus.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    cache: { type: "string", default: join(ROOT, DEFAULT_SOURCES_CACHE) },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`Usage: npm run corpus:fetch [-- --cache DIR]
Downloads ${FETCHED_PACKAGES.map((p) => `${p.name}@${p.version}`).join(", ")}
with \`npm pack\` into DIR/npm (default ${DEFAULT_SOURCES_CACHE}), checks each licence, then prints the corpus summary.`);
  process.exit(0);
}
const npmDir = join(args.cache!, "npm");
mkdirSync(npmDir, { recursive: true });

const run = (cmd: string, argv: string[], cwd?: string): string => {
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", shell: process.platform === "win32" });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
};

const manifest: { name: string; version: string; license: string; integrity: string }[] = [];
for (const p of FETCHED_PACKAGES) {
  const dest = join(npmDir, fetchedDirName(p));
  const pkgFile = join(dest, "package", "package.json");
  let integrity = "";
  if (!existsSync(pkgFile)) {
    const tmp = mkdtempSync(join(npmDir, ".fetch-"));
    try {
      const packed = JSON.parse(run("npm", ["pack", `${p.name}@${p.version}`, "--pack-destination", tmp, "--json"])) as { filename: string; integrity: string }[];
      const tarball = join(tmp, packed[0]!.filename);
      integrity = packed[0]!.integrity;
      const out = join(tmp, "x");
      mkdirSync(out);
      run("tar", ["-xzf", tarball, "-C", out]);
      const pkg = JSON.parse(readFileSync(join(out, "package", "package.json"), "utf8")) as { name?: string; version?: string; license?: unknown };
      if (pkg.name !== p.name || pkg.version !== p.version) throw new Error(`${p.name}@${p.version}: the tarball says ${pkg.name}@${pkg.version}`);
      if (typeof pkg.license !== "string" || !PERMISSIVE.has(pkg.license)) throw new Error(`${p.name}@${p.version}: licence ${JSON.stringify(pkg.license)} is not in PERMISSIVE; not fetched`);
      rmSync(dest, { recursive: true, force: true });
      renameSync(out, dest);
      console.log(`fetched ${p.name}@${p.version} (${pkg.license})`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } else {
    console.log(`have ${p.name}@${p.version}`);
  }
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { license: string };
  const old = existsSync(join(npmDir, "fetched.json"))
    ? (JSON.parse(readFileSync(join(npmDir, "fetched.json"), "utf8")) as typeof manifest).find((m) => m.name === p.name && m.version === p.version)
    : undefined;
  manifest.push({ name: p.name, version: p.version, license: pkg.license, integrity: integrity || old?.integrity || "" });
}
writeFileSync(join(npmDir, "fetched.json"), JSON.stringify(manifest, null, 2) + "\n");

const corpus = collectCorpus(ROOT, { cache: args.cache! });
console.log(corpusSummary(corpus));
