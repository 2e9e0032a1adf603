// FileSources that need no file system: files already in memory (pasted text, dropped File/Blob objects)
// and the built-in synthetic corpus. The Node directory walker lives in node/export (it needs node:fs).

import { BUILTIN_CORPUS } from "./corpus/index.ts";
import type { FileEntry, FileSource } from "./types.ts";

export interface MemoryFile {
  path: string;
  text?: string;
  blob?: Blob;
}

/** Files given as text or Blobs (read lazily, so 50 MB of dropped files are not all held at once). */
export function memorySource(files: readonly MemoryFile[]): FileSource {
  const entries: FileEntry[] = files.map((f) => {
    if (f.text !== undefined) {
      const text = f.text;
      return { path: f.path, read: async () => text };
    }
    const blob = f.blob;
    if (!blob) throw new Error(`file ${f.path}: neither text nor blob given`);
    return { path: f.path, size: blob.size, read: async () => new Uint8Array(await blob.arrayBuffer()) };
  });
  return {
    async *files() {
      yield* entries;
    },
  };
}

/** The synthetic corpus written for this project (Python, JavaScript, SQL), used when the user brings no code. */
export function builtinSource(): FileSource {
  return memorySource(BUILTIN_CORPUS.map((f) => ({ path: f.path, text: f.text })));
}

/** One JSONL line. */
export function toJsonl(record: unknown): string {
  return JSON.stringify(record) + "\n";
}
