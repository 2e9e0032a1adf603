// collectFiles.ts — turns what the user dropped or picked (files, folders) into a flat list of File objects
// with relative paths. Folders dropped are walked with webkitGetAsEntry(); nothing is read here.
import type { PickedFile } from "./dataForm.svelte.ts";

/** Folders that are never worth walking (dependencies, VCS data, build output). */
const SKIP_DIRS = new Set([".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"]);

/** Files from an <input type=file> (plain or webkitdirectory). */
export function filesFromInput(list: FileList | null): PickedFile[] {
  if (!list) return [];
  const out: PickedFile[] = [];
  for (const file of Array.from(list)) {
    const path = file.webkitRelativePath || file.name;
    if (!inSkippedDir(path)) out.push({ path, file });
  }
  return out;
}

/** Files from a drop: folders are walked recursively; plain File drops are taken as they are. */
export async function filesFromDrop(data: DataTransfer): Promise<PickedFile[]> {
  // Entries must be taken synchronously, before the first await: the DataTransfer is emptied afterwards.
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(data.items)) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  if (entries.length === 0 && loose.length === 0) return Array.from(data.files).map((file) => ({ path: file.name, file }));

  const out: PickedFile[] = loose.map((file) => ({ path: file.name, file }));
  for (const entry of entries) await walk(entry, out);
  return out;
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\/+/, "") || entry.name;
  if (isFile(entry)) {
    out.push({ path, file: await new Promise<File>((resolve, reject) => entry.file(resolve, reject)) });
  } else if (isDirectory(entry)) {
    if (SKIP_DIRS.has(entry.name)) return;
    for (const child of await readAll(entry)) await walk(child, out);
  }
}

/** readEntries() returns at most ~100 entries per call: call it until it returns none. */
async function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    all.push(...batch);
  }
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

function inSkippedDir(path: string): boolean {
  return path.split("/").slice(0, -1).some((part) => SKIP_DIRS.has(part));
}
