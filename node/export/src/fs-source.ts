// A FileSource over files and directories on disk (Node only). Walks in a fixed order (names sorted by
// code unit, not locale), one directory listing at a time, so memory stays flat however large the tree.
// The file system calls are synchronous on purpose: for a corpus of small files the promise versions spend
// most of their time in thread-pool round trips (measured here on 25k files of 4 KB: 70 MB/s async,
// 500 MB/s sync). This is a command-line job with nothing else to serve meanwhile.

import { readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { FileEntry, FileSource } from "../../../src/lib/fim/index.ts";

/** Directories never walked into: version control, dependencies, caches, virtual environments. */
export const IGNORED_DIRS: ReadonlySet<string> = new Set([
  ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache", ".cache",
]);

export class PathNotFoundError extends Error {
  constructor(path: string) {
    super(`no such file or directory: ${path}`);
    this.name = "PathNotFoundError";
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Files under the given paths. Each file's path is relative to the parent of the argument it was found
 * under ("src" → "src/lib/a.ts"; "x/b.py" → "b.py"), so the same tree gives the same paths from any cwd.
 * Throws PathNotFoundError at once for a path that does not exist.
 */
export async function directorySource(paths: readonly string[]): Promise<FileSource> {
  const roots: { abs: string; base: string; isDir: boolean }[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    const st = statOrUndefined(abs);
    if (!st) throw new PathNotFoundError(p);
    roots.push({ abs, base: dirname(abs), isDir: st.isDirectory() });
  }
  const entry = (abs: string, base: string, size: number): FileEntry => ({
    path: relative(base, abs).split(sep).join("/"),
    size,
    read: async () => readFileSync(abs),
  });
  async function* walk(dir: string, base: string): AsyncGenerator<FileEntry> {
    const items = readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodeUnit(a.name, b.name));
    for (const it of items) {
      const abs = join(dir, it.name);
      if (it.isDirectory()) {
        if (!IGNORED_DIRS.has(it.name)) yield* walk(abs, base);
      } else if (it.isFile()) {
        yield entry(abs, base, statSync(abs).size);
      } else if (it.isSymbolicLink()) {
        const st = statOrUndefined(abs); // follow links to files, never to directories (loops)
        if (st?.isFile()) yield entry(abs, base, st.size);
      }
    }
  }
  return {
    async *files() {
      for (const r of roots) {
        if (r.isDir) yield* walk(r.abs, r.base);
        else yield entry(r.abs, r.base, statSync(r.abs).size);
      }
    },
  };
}
