// The built-in synthetic corpus used to generate FIM samples when the user supplies no code.
// All files are original code written for this project (MIT licence): Python, JavaScript and SQL
// covering the seed's categories (algorithms, data/ML, web, async patterns, queries).

import { JAVASCRIPT_FILES } from "./javascript.ts";
import { PYTHON_FILES } from "./python.ts";
import { SQL_FILES } from "./sql.ts";

/** One source file of the built-in corpus; text uses "\n" line endings and ends with one newline. */
export interface CorpusFile {
  readonly path: string;
  readonly text: string;
}

/** Every corpus file: Python first, then JavaScript, then SQL. */
export const BUILTIN_CORPUS: readonly CorpusFile[] = [...PYTHON_FILES, ...JAVASCRIPT_FILES, ...SQL_FILES];
