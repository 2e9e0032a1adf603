// Writes a file under a temporary name and renames it into place only when complete, so an interrupted or
// failed run never leaves a file that looks finished. Writes respect stream backpressure.

import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface AtomicFile {
  readonly path: string;
  write(chunk: string | Uint8Array): Promise<void>;
  /** Flushes, closes and renames into place. */
  commit(): Promise<void>;
  /** Closes and deletes the temporary file. Safe to call after a failure, and more than once. */
  abort(): Promise<void>;
}

function drained(s: WriteStream): Promise<void> {
  return new Promise((ok, fail) => {
    const onDrain = () => (s.off("error", onError), ok());
    const onError = (e: Error) => (s.off("drain", onDrain), fail(e));
    s.once("drain", onDrain);
    s.once("error", onError);
  });
}

function closed(s: WriteStream): Promise<void> {
  return new Promise((ok, fail) => {
    if (s.closed) return ok();
    s.once("close", ok);
    s.once("error", fail);
    s.end();
  });
}

export function openAtomic(path: string): AtomicFile {
  const tmp = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
  const stream = createWriteStream(tmp);
  let failure: Error | undefined;
  stream.on("error", (e) => (failure ??= e));
  let done = false;
  return {
    path,
    async write(chunk) {
      if (failure) throw failure;
      if (!stream.write(chunk)) await drained(stream);
    },
    async commit() {
      await closed(stream);
      if (failure) throw failure;
      await rename(tmp, path);
      done = true;
    },
    async abort() {
      if (done) return;
      done = true;
      await closed(stream).catch(() => {});
      await rm(tmp, { force: true });
    },
  };
}
