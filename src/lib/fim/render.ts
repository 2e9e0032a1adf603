// Turning parts into text with a format's template: the training sample (template + end token) and the
// inference prompt (the template up to {middle}). Templates are parsed once and cached.

import { parseTemplate, templateOf, type FimFormat, type TemplatePart } from "./formats.ts";
import type { FimParts } from "./split.ts";

const parsed = new Map<string, TemplatePart[]>();

function partsOf(template: string): TemplatePart[] {
  let p = parsed.get(template);
  if (!p) {
    p = parseTemplate(template);
    const mid = p.findIndex((x) => typeof x !== "string" && x.p === "middle");
    if (mid !== p.length - 1) throw new Error(`template must end with {middle}: ${template}`);
    parsed.set(template, p);
  }
  return p;
}

function fill(parts: readonly TemplatePart[], v: FimParts, upToMiddle: boolean): string {
  let out = "";
  for (const part of parts) {
    if (typeof part === "string") out += part;
    else if (part.p === "middle") {
      if (!upToMiddle) out += v.middle;
    } else out += v[part.p] ?? "";
  }
  return out;
}

/** The training text: markers and parts in the format's order, then the end token. */
export function renderSample(f: FimFormat, v: FimParts, order: "psm" | "spm", eot: string = f.eot): string {
  return fill(partsOf(templateOf(f, order)), v, false) + eot;
}

/** The inference prompt: everything before the middle. The model continues it with the middle. */
export function renderPrompt(f: FimFormat, v: Omit<FimParts, "middle">, order: "psm" | "spm"): string {
  return fill(partsOf(templateOf(f, order)), { ...v, middle: "" }, true);
}

/** A plain left-to-right sample (the share 1 - fimRate of psm-family samples): the file, then the end token. */
export function renderPlain(text: string, eot: string): string {
  return text + eot;
}
