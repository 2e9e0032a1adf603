// Random "source files" for property tests: code-like lines, blank lines, indentation, CRLF now and then,
// astral characters (surrogate pairs) and files with and without a final newline. Deterministic per seed.

import { Rng } from "../../../src/lib/fim/prng.ts";

const WORDS = ["def", "return", "x", "y", "value", "=", "+", "(", ")", ":", "{", "}", "if", "for", "i", "in", "const", ";"];
const ASTRAL = ["😀", "𝔘", "🚀", "𠜎"];

export function randomFile(rng: Rng): string {
  const n = rng.int(3, 40);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.15)) {
      lines.push("");
      continue;
    }
    let line = " ".repeat(rng.int(0, 3) * 4);
    const words = rng.int(1, 10);
    for (let w = 0; w < words; w++) {
      line += (w ? " " : "") + (rng.chance(0.08) ? ASTRAL[rng.int(0, ASTRAL.length - 1)]! : WORDS[rng.int(0, WORDS.length - 1)]!);
    }
    if (rng.chance(0.05)) line += "\r";
    lines.push(line);
  }
  let text = lines.join("\n");
  if (rng.chance(0.7)) text += "\n";
  return text.length >= 50 ? text : text + "\n# padding padding padding padding padding padding\n";
}

export function randomFiles(seed: number, count: number): { path: string; text: string }[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => ({ path: `dir${i % 7}/file${i}.py`, text: randomFile(rng) }));
}
