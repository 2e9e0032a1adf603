// windows.ts — long files cut into windows of whole lines, so every FIM sample of the default model fits its short
// training context. A window keeps its file's extension (the language comes from it): "a/b.js" → "a/b.w3.js".

import type { MemoryFile } from "../../src/lib/fim/index.ts";

export function windowPath(path: string, k: number): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  return dot > slash + 1 ? `${path.slice(0, dot)}.w${k}${path.slice(dot)}` : `${path}.w${k}`;
}

/** Windows of `lines` lines (the last one may be shorter; windows under 3 lines are dropped by the sampler anyway). */
export function toWindows(files: readonly { path: string; text: string }[], lines: number): MemoryFile[] {
  const out: MemoryFile[] = [];
  for (const f of files) {
    const all = f.text.split("\n");
    for (let k = 0; k * lines < all.length; k++) {
      const text = all.slice(k * lines, (k + 1) * lines).join("\n") + ((k + 1) * lines < all.length ? "\n" : "");
      out.push({ path: windowPath(f.path, k), text });
    }
  }
  return out;
}
