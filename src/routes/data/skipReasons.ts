// skipReasons.ts — plain-words explanations of the library's skip reasons, for the stats table and errors.
import type { SkipReason } from "../../lib/fim/index.ts";

export const SKIP_HELP: Record<SkipReason, string> = {
  "too-large": "larger than the size limit",
  binary: "binary, or not UTF-8 text",
  "unknown-language": "no file extension or shebang FIM Studio knows",
  "banned-language": "a data or text format this format leaves out (JSON, YAML, CSV, Markdown, …)",
  generated: "generated code or a lock file",
  minified: "minified (very long lines)",
  "too-small": "too short (under 50 characters or 3 lines)",
  "contains-marker": "contains one of the format's marker strings",
  "no-split": "no place to cut a sample",
  "near-duplicate": "an eval file nearly the same as a train file (left out so the eval measures completion, not memory)",
  unreadable: "could not be read (no permission, removed meanwhile, or a read error)",
};

/** The reasons named in an error message, e.g. "…skipped too-small 1, binary 2" → ["too-small", "binary"]. */
export function reasonsIn(message: string): SkipReason[] {
  return (Object.keys(SKIP_HELP) as SkipReason[]).filter((r) => new RegExp(`(^|[\\s,(])${r}\\b`).test(message));
}
