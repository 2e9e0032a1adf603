// FileSources that need no file system: files already in memory (pasted text, dropped File/Blob objects).
// The built-in corpus is in builtin.ts (kept out of index.ts so the page bundle does not carry it); the Node
// directory walker lives in node/export (it needs node:fs).

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

/** One JSONL line. */
export function toJsonl(record: unknown): string {
  return JSON.stringify(record) + "\n";
}
