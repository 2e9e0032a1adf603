// The Ollama Modelfile for an exported model: FROM the GGUF, a TEMPLATE whose `{{ if .Suffix }}` branch writes the
// FIM prompt of the format the model was trained with (so /api/generate with `suffix` works, as editor plugins use
// it), a stop parameter for every end token and marker, and sampling defaults for completion.

import { getFormat, parseTemplate, stopStringsOf, type FimFormat } from "../fim/index.ts";

export interface ModelfileOptions {
  gguf: string; // path as written after FROM, e.g. "./model.gguf"
  format: string;
  contextLength: number;
  /** ADAPTER line for a LoRA GGUF, when the base is not merged. */
  adapter?: string;
  eot?: string;
}

/** Go template for the FIM prompt: {prefix} → .Prompt, {suffix} → .Suffix; the ctx windows get the whole text. */
export function fimTemplate(f: FimFormat): string {
  const order = f.psm ? f.psm : f.spm!;
  let out = "";
  for (const part of parseTemplate(order)) {
    if (typeof part === "string") out += part;
    else if (part.p === "prefix" || part.p === "ctx_before") out += "{{ .Prompt }}";
    else if (part.p === "suffix" || part.p === "ctx_after") out += "{{ .Suffix }}";
  }
  return out;
}

const quote = (s: string) => JSON.stringify(s);

export function modelfile(o: ModelfileOptions): string {
  const f = getFormat(o.format);
  const lines = [
    `# FIM Studio export: format ${f.name} (${f.description})`,
    `FROM ${o.gguf}`,
    ...(o.adapter ? [`ADAPTER ${o.adapter}`] : []),
    `TEMPLATE """{{- if .Suffix }}${fimTemplate(f)}{{- else }}{{ .Prompt }}{{- end }}"""`,
    ...stopStringsOf(f, o.eot ?? f.eot).map((s) => `PARAMETER stop ${quote(s)}`),
    ...(f.lineOnly ? [`PARAMETER stop ${quote("\n")}`] : []),
    `PARAMETER num_ctx ${o.contextLength}`,
    "PARAMETER temperature 0.2",
    `PARAMETER num_predict ${f.lineOnly ? 64 : 256}`,
  ];
  return lines.join("\n") + "\n";
}
