// A CheckpointStore in the browser's origin-private file system (OPFS), one folder per run key. A checkpoint is
// complete only once its manifest is written (last), naming every file and its size, so a tab closed mid-save
// leaves the previous checkpoint readable rather than a half-written one. Works in pages and workers.

import type { Files } from "./adapter.ts";
import type { CheckpointStore } from "./session.ts";

const MANIFEST = "checkpoint.json";

interface Manifest {
  generation: number;
  files: Record<string, number>;
  savedAt: number;
}

export class OpfsStore implements CheckpointStore {
  constructor(
    readonly key: string,
    private readonly root: () => Promise<FileSystemDirectoryHandle> = () => navigator.storage.getDirectory(),
  ) {}

  private async dir(create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    const runs = await (await this.root()).getDirectoryHandle("fim-studio-runs", { create: true });
    try {
      return await runs.getDirectoryHandle(this.key, { create });
    } catch {
      return undefined;
    }
  }

  private async manifest(dir: FileSystemDirectoryHandle): Promise<Manifest | undefined> {
    try {
      return JSON.parse(await (await (await dir.getFileHandle(MANIFEST)).getFile()).text()) as Manifest;
    } catch {
      return undefined; // no complete checkpoint
    }
  }

  async load(): Promise<Files | undefined> {
    const dir = await this.dir(false);
    const m = dir && (await this.manifest(dir));
    if (!dir || !m) return undefined;
    const files: Files = new Map();
    for (const [name, size] of Object.entries(m.files)) {
      const f = await (await dir.getFileHandle(`${name}.g${m.generation}`)).getFile();
      if (f.size !== size) return undefined;
      files.set(name, new Uint8Array(await f.arrayBuffer()));
    }
    return files;
  }

  async save(files: Files): Promise<void> {
    const dir = (await this.dir(true))!;
    // a new generation's files first (the current manifest's files stay untouched), then the manifest, then the
    // old generation goes
    const generation = ((await this.manifest(dir))?.generation ?? 0) + 1;
    const sizes: Record<string, number> = {};
    for (const [name, bytes] of files) {
      const w = await (await dir.getFileHandle(`${name}.g${generation}`, { create: true })).createWritable();
      await w.write(bytes as unknown as ArrayBuffer);
      await w.close();
      sizes[name] = bytes.byteLength;
    }
    const m = await (await dir.getFileHandle(MANIFEST, { create: true })).createWritable();
    await m.write(JSON.stringify({ generation, files: sizes, savedAt: Date.now() } satisfies Manifest));
    await m.close();
    const keep = new Set([MANIFEST, ...Object.keys(sizes).map((n) => `${n}.g${generation}`)]);
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (!keep.has(name)) await dir.removeEntry(name).catch(() => {});
    }
  }

  async clear(): Promise<void> {
    const runs = await (await this.root()).getDirectoryHandle("fim-studio-runs", { create: true });
    await runs.removeEntry(this.key, { recursive: true }).catch(() => {});
  }
}
