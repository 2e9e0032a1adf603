// Temporary names of outputs being written (".NAME.partial-PID", and ".NAME.old-PID" for a folder being swapped),
// so nothing looks finished before it is. Three rules keep them from piling up:
// - the live ones are removed on SIGINT/SIGTERM (installSignalCleanup, from the `fim` executable);
// - the next run that writes NAME sweeps those of processes that are gone (a crash, kill -9);
// - a folder caught mid-swap (NAME missing, .NAME.old-PID there) is put back, never deleted.

import { readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const live = new Set<string>();

const TEMP = /^\.(.+)\.(partial|old)-(\d+)$/;

function alive(pid: number, path: string): boolean {
  if (pid === process.pid) return live.has(path);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // someone else's live process
  }
}

/** The temporary name for writing `path` in this process, registered for cleanup; stale ones are swept first. */
export function tempPath(path: string, kind: "partial" | "old" = "partial"): string {
  sweepStale(path);
  const tmp = join(dirname(path), `.${basename(path)}.${kind}-${process.pid}`);
  live.add(tmp);
  return tmp;
}

/** The temporary name is gone (renamed into place or removed). */
export function releaseTemp(tmp: string): void {
  live.delete(tmp);
}

/** Removes the temporary files of `path` left by processes that no longer run; restores a folder caught mid-swap. */
export function sweepStale(path: string): void {
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || m[1] !== basename(path)) continue;
    const tmp = join(dir, name);
    if (alive(Number(m[3]), tmp)) continue;
    if (m[2] === "old" && !statSync(path, { throwIfNoEntry: false })) renameSync(tmp, path);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes every live temporary file of this process (on a signal: the run is abandoned). */
export function removeLiveTemps(): void {
  for (const tmp of live) {
    // an ".old" folder holds the previous output: put it back rather than lose it
    const m = TEMP.exec(basename(tmp));
    const target = m ? join(dirname(tmp), m[1]!) : undefined;
    try {
      if (m?.[2] === "old" && target && !statSync(target, { throwIfNoEntry: false })) renameSync(tmp, target);
      else rmSync(tmp, { recursive: true, force: true });
    } catch {
      // best effort: the next run sweeps what is left
    }
  }
  live.clear();
}

/** On SIGINT/SIGTERM: remove this process's temporary files, then exit 130/143 as a shell would report. */
export function installSignalCleanup(): void {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      removeLiveTemps();
      process.stderr.write(`\nfim: ${signal}: stopped; partial outputs removed\n`);
      process.exit(code);
    });
  }
}
