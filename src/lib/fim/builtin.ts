// The built-in synthetic corpus as a FileSource, used when the user brings no code. Import this module
// directly (workers, CLI): index.ts does not re-export it, so pages that never use it do not bundle ~80 KB of code.

import { BUILTIN_CORPUS } from "./corpus/index.ts";
import { memorySource } from "./sources.ts";
import type { FileSource } from "./types.ts";

export { BUILTIN_CORPUS, type CorpusFile } from "./corpus/index.ts";

/** The synthetic corpus written for this project (Python, JavaScript, SQL). */
export function builtinSource(): FileSource {
  return memorySource(BUILTIN_CORPUS.map((f) => ({ path: f.path, text: f.text })));
}
