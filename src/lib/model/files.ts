// Where checkpoint files come from, abstracted: a folder on disk (the Node package's model-folder.ts), files dropped on the page, the
// origin-private file system, a Hub download, or bytes already in memory (`memoryFiles`, here). The loader only
// sees this interface, so Node, the page and workers share one code path. Not here: the loading (checkpoint.ts).

import { CheckpointError } from "./errors.ts";

export interface CheckpointFiles {
  /** Where the files are, for messages: "config.json not found in <label>" (a folder path, a repo id, ...). */
  readonly label: string;
  /** File names at the top level of the checkpoint ("config.json", "model.safetensors", ...). */
  list(): string[] | Promise<string[]>;
  /** A whole file. */
  read(name: string): Promise<Uint8Array>;
  /**
   * Bytes [begin, end) of a file (fewer only at its end). When present, safetensors files are read header first and
   * then one tensor at a time, instead of whole: a File's slice(), an HTTP Range request, a file handle.
   */
  readRange?(name: string, begin: number, end: number): Promise<Uint8Array>;
  /** A file's size in bytes when cheap to know; lets truncation be reported before any tensor is read. */
  size?(name: string): number | undefined;
}

/** Files held in memory (strings are stored as UTF-8). Reads are views, not copies. */
export function memoryFiles(files: Record<string, Uint8Array | string>, label = "memory"): CheckpointFiles {
  const bytes = new Map<string, Uint8Array>();
  for (const [name, v] of Object.entries(files)) bytes.set(name, typeof v === "string" ? new TextEncoder().encode(v) : v);
  const get = (name: string): Uint8Array => {
    const b = bytes.get(name);
    if (!b) throw new CheckpointError(name, undefined, `not found in ${label}`);
    return b;
  };
  return {
    label,
    list: () => [...bytes.keys()],
    read: async (name) => get(name),
    readRange: async (name, begin, end) => get(name).subarray(begin, end),
    size: (name) => bytes.get(name)?.byteLength,
  };
}
