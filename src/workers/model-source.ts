// Where a worker's model comes from (a served folder, dropped files, a Hub repo) as CheckpointFiles, with byte
// progress while it is read: the Hub's own download progress, else the bytes the loader has read so far; and the
// throttle that sends such progress to the page. Shared by train.worker.ts and infer.worker.ts. Not here: the
// loading itself (src/lib/train/engine.ts).

import { droppedFiles, urlFiles } from "../lib/model/browser-files.ts";
import type { CheckpointFiles } from "../lib/model/files.ts";
import { hubFiles } from "../lib/model/hub-files.ts";

export type ModelSource = { kind: "url"; url: string } | { kind: "files"; files: File[] } | { kind: "hub"; repo: string };

export interface BytesProgress {
  file: string;
  /** Bytes of `file` so far. */
  loaded: number;
  total: number | undefined;
}

export function filesOf(m: ModelSource, onBytes?: (p: BytesProgress) => void): CheckpointFiles {
  if (m.kind === "hub") return hubFiles(m.repo, { onProgress: onBytes && ((p) => onBytes({ file: p.file, loaded: p.loaded, total: p.total })) });
  const files = m.kind === "url" ? urlFiles(m.url) : droppedFiles(m.files);
  return onBytes ? countingReads(files, onBytes) : files;
}

/** The same files, reporting the bytes each read returns (a tensor at a time when the source has readRange). */
function countingReads(files: CheckpointFiles, onBytes: (p: BytesProgress) => void): CheckpointFiles {
  const loaded = new Map<string, number>();
  const count = (name: string, bytes: Uint8Array): Uint8Array => {
    const n = (loaded.get(name) ?? 0) + bytes.byteLength;
    loaded.set(name, n);
    onBytes({ file: name, loaded: n, total: files.size?.(name) });
    return bytes;
  };
  const { readRange } = files;
  return {
    label: files.label,
    list: () => files.list(),
    read: async (name) => count(name, await files.read(name)),
    ...(readRange && { readRange: async (name: string, begin: number, end: number) => count(name, await readRange.call(files, name, begin, end)) }),
    ...(files.size && { size: (name: string) => files.size!(name) }),
  };
}

/**
 * Progress at most every 100 ms, not waited for (a slow page must not slow loading); a report held back is sent
 * 100 ms later unless a newer one replaced it, so a stalled download still shows where it stands. flush() sends the
 * last report and resolves once the page has every report, so none arrives after the result.
 */
export function throttled<P>(fn: ((p: P) => void) | undefined): { report(p: P): void; flush(): Promise<void> } {
  let last = -Infinity;
  let pending: { p: P } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sent: Promise<unknown>[] = [];
  const sendPending = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const { p } = pending;
    pending = undefined;
    last = performance.now();
    sent.push(Promise.resolve(fn?.(p)).catch(() => {}));
  };
  return {
    report(p) {
      pending = { p };
      const wait = last + 100 - performance.now();
      if (wait <= 0) sendPending();
      else timer ??= setTimeout(sendPending, wait);
    },
    async flush() {
      sendPending();
      await Promise.all(sent);
    },
  };
}
