// Errors of the `fim` command line. A UsageError exits with code 2 and its message; anything the library
// throws with a clear message (no usable files, unknown format) is printed the same way.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses a number flag strictly ("12abc" and "" are errors that name the flag). */
export function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${value}"`);
  return n;
}
