// Writes a folder of files under a temporary name and swaps it into place at the end, so an interrupted run
// leaves either the old folder or the new one, never a half-written one. Which folders may be replaced at all
// is the caller's check (output-paths.ts checkOutputDir).

import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { releaseTemp, tempPath } from "./temp-files.ts";

export function writeDirAtomic(dir: string, files: ReadonlyMap<string, Uint8Array>, keep: readonly string[] = []): void {
  const parent = dirname(dir);
  if (!statSync(parent, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`cannot write ${dir}: folder ${parent} does not exist`);
  const tmp = tempPath(dir);
  const old = tempPath(dir, "old");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    for (const [name, bytes] of files) {
      mkdirSync(dirname(join(tmp, name)), { recursive: true }); // names may hold folders ("data/train.jsonl")
      writeFileSync(join(tmp, name), bytes);
    }
    // files of the old folder that the caller wants carried over (e.g. a config copied earlier)
    for (const name of keep) if (!files.has(name) && statSync(join(dir, name), { throwIfNoEntry: false })) renameSync(join(dir, name), join(tmp, name));
    const exists = statSync(dir, { throwIfNoEntry: false });
    if (exists) renameSync(dir, old);
    renameSync(tmp, dir);
    if (exists) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    releaseTemp(tmp);
    releaseTemp(old);
  }
}
