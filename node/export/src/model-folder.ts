// CheckpointFiles over a folder on disk, for Node (the CLI, export, tests). It lives in the Node package so that
// src/lib never imports node: modules. Symbolic links are followed (the Hugging Face cache's snapshot folders are links
// into its blob store). Only regular files are listed and read (a FIFO or a device would hang or never end).
// Tensors are read with positioned reads, one at a time. Not here: walking subfolders.

import { statSync } from "node:fs";
import { open, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointError } from "../../../src/lib/model/errors.ts";
import type { CheckpointFiles } from "../../../src/lib/model/files.ts";

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT";

/** A FIFO, a device (/dev/zero) or a socket would block or never end: only regular files (or links to them) are read. */
async function checkRegular(dir: string, name: string): Promise<void> {
  let s;
  try {
    s = await stat(join(dir, name));
  } catch (e) {
    if (isMissing(e)) throw new CheckpointError(name, undefined, `not found in ${dir}`);
    throw e;
  }
  if (!s.isFile()) {
    throw new CheckpointError(name, undefined, `in ${dir} is not a regular file (${s.isDirectory() ? "a folder" : "a FIFO, device or socket"}): give a folder of ordinary files`);
  }
}

export function folderFiles(dir: string): CheckpointFiles {
  const notFound = (name: string) => new CheckpointError(name, undefined, `not found in ${dir}`);
  return {
    label: dir,
    async list() {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch (e) {
        if (isMissing(e)) throw new CheckpointError(dir, undefined, "folder not found: give the checkpoint's folder (the one holding config.json)");
        throw e;
      }
      const out: string[] = [];
      for (const name of entries.sort()) {
        const s = await stat(join(dir, name)).catch(() => undefined); // a dangling link is no file
        if (s?.isFile()) out.push(name);
      }
      return out;
    },
    async read(name) {
      await checkRegular(dir, name);
      try {
        const b = await readFile(join(dir, name));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        throw isMissing(e) ? notFound(name) : e;
      }
    },
    async readRange(name, begin, end) {
      await checkRegular(dir, name);
      const fh = await open(join(dir, name), "r").catch((e: unknown) => {
        throw isMissing(e) ? notFound(name) : e;
      });
      try {
        const out = new Uint8Array(Math.max(0, end - begin));
        let got = 0;
        while (got < out.length) {
          const { bytesRead } = await fh.read(out, got, out.length - got, begin + got);
          if (bytesRead === 0) break; // end of file: the caller reports the truncation
          got += bytesRead;
        }
        return out.subarray(0, got);
      } finally {
        await fh.close();
      }
    },
    size(name) {
      try {
        return statSync(join(dir, name)).size;
      } catch {
        return undefined;
      }
    },
  };
}
