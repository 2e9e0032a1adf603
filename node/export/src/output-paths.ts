// What a command may write, checked before any work starts: no two outputs on one path, no output on an input,
// and an output folder that is new, empty, or recognisably this command's own earlier output. Paths are compared
// after resolving links, so "a/../b" and a symlink to b are b.

import { readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { UsageError } from "./cli/errors.ts";

/** A path given on the command line, and the flag (or argument) that gave it. */
export interface NamedPath {
  flag: string;
  path: string;
}

/** The absolute path with links resolved as far as the path exists. */
export function canonicalPath(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(canonicalPath(parent), basename(abs));
  }
}

/** stat, or undefined where nothing is (also when a part of the path is a file: ENOTDIR). */
function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const within = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "..");
};

/** Files of a model folder that loading reads; an output may not land on one of them. */
const READ_FROM_FOLDER = /\.(json|safetensors)$/;

/**
 * Refuses, before any work: two outputs on the same path; an output that is an input; a file output that would
 * replace a file an input folder is read from; a folder output (`dirs`) equal to, inside, or holding an input.
 */
export function checkOutputs(outputs: readonly (NamedPath & { dir?: boolean })[], inputs: readonly NamedPath[]): void {
  const outs = outputs.map((o) => ({ ...o, abs: canonicalPath(o.path) }));
  const ins = inputs.map((i) => ({ ...i, abs: canonicalPath(i.path), isDir: statOf(i.path)?.isDirectory() === true }));
  for (let a = 0; a < outs.length; a++) {
    for (let b = a + 1; b < outs.length; b++) {
      if (outs[a]!.abs === outs[b]!.abs) {
        throw new UsageError(`${outs[a]!.flag} and ${outs[b]!.flag} are the same path (${outs[a]!.path}): give each output its own path`);
      }
    }
  }
  for (const o of outs) {
    for (const i of ins) {
      const same = o.abs === i.abs;
      const insideInput = o.dir ? within(o.abs, i.abs) : i.isDir && dirname(o.abs) === i.abs && READ_FROM_FOLDER.test(o.abs);
      const holdsInput = o.dir && within(i.abs, o.abs);
      if (same || insideInput || holdsInput) {
        const how = same ? "is" : insideInput ? (o.dir ? "is inside" : "would replace a file of") : "holds";
        throw new UsageError(`${o.flag} ${o.path} ${how} ${i.flag} ${i.path}: writing there would destroy the input; choose another path`);
      }
    }
  }
}

/** A file output: its folder exists and the path is not a folder (checked before any work starts). */
export function checkOutputFile(o: NamedPath): void {
  const parent = dirname(resolve(o.path));
  if (!statOf(parent)?.isDirectory()) throw new UsageError(`cannot write ${o.path}: its folder ${parent} does not exist`);
  if (statOf(o.path)?.isDirectory()) throw new UsageError(`${o.flag} ${o.path} is a folder: give a file path`);
}

/**
 * An output folder may be new, empty, or this command's own earlier output: it holds `marker` and nothing but
 * files `own` accepts (then exactly those are replaced). Anything else is refused, naming the folder.
 */
export function checkOutputDir(flag: string, dir: string, own: (name: string) => boolean, marker: string): void {
  const st = statOf(dir);
  if (!st) {
    const parent = dirname(resolve(dir));
    if (!statOf(parent)?.isDirectory()) throw new UsageError(`${flag} ${dir}: its parent folder ${parent} does not exist`);
    return;
  }
  if (!st.isDirectory()) throw new UsageError(`${flag} ${dir} is a file, not a folder`);
  const names = readdirSync(dir);
  if (names.length === 0) return;
  const foreign = names.filter((n) => !own(n));
  if (names.includes(marker) && foreign.length === 0) return;
  const shown = (foreign.length ? foreign : names).slice(0, 3).join(", ") + (Math.max(foreign.length, names.length) > 3 ? ", ..." : "");
  throw new UsageError(
    `${flag} ${dir} already holds files this command did not write (${shown}); it would replace them: ` +
      `give a new or empty folder, or this command's own earlier output`,
  );
}

