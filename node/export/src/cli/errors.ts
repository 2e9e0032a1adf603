// Errors of the `fim` command line. A UsageError exits with code 2 and its message; anything the library
// throws with a clear message (no usable files, unknown format) is printed the same way.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The UTF-16 offset of a 1-based (line, column) cursor in `text`, or a UsageError naming the file. */
export function cursorOffset(text: string, line: number, col: number, file: string): number {
  const lines = text.split("\n");
  if (!(Number.isInteger(line) && line >= 1 && line <= lines.length) || !(Number.isInteger(col) && col >= 1 && col - 1 <= lines[line - 1]!.length)) {
    throw new UsageError(`line ${line}, column ${col} is outside ${file}`);
  }
  return lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
}
