// The pipeline seed's three completion checks (its test suite's scenarios: "binary search completion", "async function
// completion", "class method completion") as one table: the code around the cursor, the middle it is expected to
// complete to (in words, for the report), and the pattern a completion must match, so `fim try` gives a verdict
// instead of leaving the reader to judge. The seed names the scenarios; the expected middles are what the code around
// each cursor leaves missing: the found-it branch of the search, the HTTP status check between the fetch and its
// .json(), the body of push. A completion passes when, leading and trailing whitespace aside, it is that code and
// nothing more (a completion running on into the suffix's lines fails).

export interface SeedCheck {
  name: string;
  prefix: string;
  suffix: string;
  /** The middle the seed's scenario expects, as a person would write it. */
  expected: string;
  /** Matched against the completion with leading and trailing whitespace removed. */
  accept: RegExp;
}

export const SEED_CHECKS: readonly SeedCheck[] = [
  {
    name: "binary search (Python)",
    prefix: "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        ",
    suffix: "\n        elif items[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1\n",
    expected: "if items[mid] == target: return mid",
    accept: /^if\s*\(?\s*(?:items\[mid\]\s*==\s*target|target\s*==\s*items\[mid\])\s*\)?\s*:\s*return\s+mid$/,
  },
  {
    name: "async function (JavaScript)",
    prefix: "async function fetchJson(url) {\n  const response = await fetch(url);\n  ",
    suffix: "\n  return response.json();\n}\n",
    expected: "if (!response.ok) throw new Error(...)",
    accept: /^if\s*\(\s*(?:!\s*response\.ok|response\.status\s*!==?\s*200)\s*\)\s*(?:\{\s*throw\b[^\n]*\s*\}|throw\b[^\n]*)$/,
  },
  {
    name: "class method (Python)",
    prefix: "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n        ",
    suffix: "\n\n    def pop(self):\n        return self.items.pop()\n",
    expected: "self.items.append(item)",
    accept: /^self\.items(?:\.append\(\s*item\s*\)|\s*\+=\s*\[\s*item\s*\])$/,
  },
];

export interface SeedVerdict {
  name: string;
  pass: boolean;
  expected: string;
  completion: string;
}

export function judgeSeedCheck(check: SeedCheck, completion: string): SeedVerdict {
  return { name: check.name, pass: check.accept.test(completion.trim()), expected: check.expected, completion };
}

/** The verdict line under a check's output. */
export function formatVerdict(v: SeedVerdict): string {
  return v.pass ? `PASS: completes to ${v.expected}` : `FAIL: expected ${v.expected}${v.completion.trim() === "" ? " (the completion is empty)" : ""}`;
}
