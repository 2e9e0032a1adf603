// `fim export`: a model folder (and optionally a LoRA adapter, merged) → GGUF, plus an Ollama Modelfile and a
// LoRA-only GGUF on request. Streams tensor by tensor into a temporary file renamed at the end.

import { existsSync, statSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FORMAT_NAMES, getFormat } from "../../../../src/lib/fim/index.ts";
import { loadCheckpoint } from "../../../../src/lib/model/checkpoint.ts";
import { folderFiles } from "../../../../src/lib/model/node-folder.ts";
import { parseSafetensors, readTensor } from "../../../../src/lib/model/safetensors.ts";
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, parseAdapterConfig, TRAINER_STATE } from "../../../../src/lib/train/adapter.ts";
import { openAtomic } from "../atomic-writer.ts";
import { exportGguf, type AdapterSource } from "../export/gguf-export.ts";
import { exportLoraGguf } from "../export/lora-gguf.ts";
import { modelfile } from "../export/modelfile.ts";
import { EXPORT_TYPES, type ExportType } from "../export/plan.ts";
import { UsageError } from "./errors.ts";
import { readFolder } from "./load.ts";
import type { Io } from "./main.ts";

export const EXPORT_HELP = `Usage: fim export --model DIR [--adapter DIR] --quant ${EXPORT_TYPES.join("|")} --out model.gguf [options]

Writes a GGUF that llama.cpp and Ollama run: the LoRA adapter (if any) merged in float32 before quantization.

Options:
  --modelfile PATH   also write an Ollama Modelfile (FROM the GGUF, the FIM template, stop tokens)
  --lora-gguf PATH   also write the adapter alone as a GGUF (Ollama's ADAPTER, llama.cpp's --lora)
  --format F         the FIM format the model was trained with (${FORMAT_NAMES.join(", ")});
                     default: the adapter's trainer_state.json, else qwen
  --name NAME        general.name (default: the model folder's name)
  --pre NAME         the llama.cpp pre-tokenizer, when it cannot be recognised
  --context N        num_ctx in the Modelfile (default 2048, at most the model's)
  --quiet
`;

/** The adapter folder as an AdapterSource, and the format it was trained with if it says. */
export function adapterFromFolder(dir: string): { source: AdapterSource; format?: string } {
  const files = readFolder(dir, "--adapter");
  const { lora } = parseAdapterConfig(files.get(ADAPTER_CONFIG));
  const bytes = files.get(ADAPTER_WEIGHTS);
  if (!bytes) throw new UsageError(`--adapter: ${ADAPTER_WEIGHTS} not found in ${dir}`);
  const index = parseSafetensors(bytes, `${dir}/${ADAPTER_WEIGHTS}`);
  const source: AdapterSource = {
    lora,
    async tensor(name) {
      const e = index.byName.get(name) ?? index.byName.get(name.replace(/\.weight$/, ".default.weight"));
      return e ? { shape: e.shape, data: (await readTensor(bytes, e)).data } : undefined;
    },
  };
  const state = files.get(TRAINER_STATE);
  const format = state ? (JSON.parse(new TextDecoder().decode(state)) as { format?: string }).format : undefined;
  return { source, format };
}

export async function exportCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      model: { type: "string" }, adapter: { type: "string" }, quant: { type: "string" }, out: { type: "string" },
      modelfile: { type: "string" }, "lora-gguf": { type: "string" }, format: { type: "string" }, name: { type: "string" },
      pre: { type: "string" }, context: { type: "string" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    io.stdout.write(EXPORT_HELP);
    return 0;
  }
  for (const k of ["model", "quant", "out"] as const) if (!v[k]) throw new UsageError(`--${k} is required\n\n${EXPORT_HELP}`);
  const quant = v.quant!.toLowerCase() as ExportType;
  if (!EXPORT_TYPES.includes(quant)) throw new UsageError(`--quant must be one of ${EXPORT_TYPES.join(", ")}, got "${v.quant}"`);
  if (!existsSync(v.model!)) throw new UsageError(`--model: no such folder: ${v.model}`);
  for (const p of [v.out, v.modelfile, v["lora-gguf"]]) {
    if (p && !statSync(dirname(resolve(p)), { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`cannot write ${p}: its folder does not exist`);
  }
  if (v["lora-gguf"] && !v.adapter) throw new UsageError("--lora-gguf needs --adapter");
  const log = (s: string) => void (!v.quiet && io.stderr.write(s));
  const adapter = v.adapter ? adapterFromFolder(v.adapter) : undefined;
  const format = v.format ?? adapter?.format ?? "qwen";
  getFormat(format);
  const files = folderFiles(v.model!);
  const cp = await loadCheckpoint(files);
  const json = async (name: string) => JSON.parse(new TextDecoder().decode(await files.read(name))) as Record<string, unknown>;
  const tokenizerConfig = (await files.list()).includes("tokenizer_config.json") ? await json("tokenizer_config.json") : {};
  const name = v.name ?? basename(resolve(v.model!));
  const started = Date.now();
  const out = openAtomic(v.out!);
  let lastBar = 0;
  try {
    const summary = await exportGguf(cp, await json("tokenizer.json"), tokenizerConfig, out, {
      type: quant, name, format, pre: v.pre, adapter: adapter?.source,
      onProgress: (p) => {
        if (p.done < p.total && Date.now() - lastBar < 200) return;
        lastBar = Date.now();
        const secs = (Date.now() - started) / 1000;
        const bar = "#".repeat(Math.round((20 * p.done) / p.total)).padEnd(20, ".");
        log(`\r[${bar}] ${p.done}/${p.total} tensors  ${(p.bytes / 1e6).toFixed(1)} MB  ${(p.bytes / 1e6 / Math.max(secs, 1e-3)).toFixed(1)} MB/s   `);
      },
    });
    await out.commit();
    log("\n");
    for (const w of summary.warnings) log(`warning: ${w}\n`);
    const types = new Map<string, number>();
    for (const t of summary.tensors) types.set(t.type, (types.get(t.type) ?? 0) + 1);
    log(`wrote ${v.out} (${quant}, ${(summary.bytes / 1e6).toFixed(1)} MB, ${summary.tensors.length} tensors: ` +
      `${[...types].map(([t, n]) => `${n} ${t}`).join(", ")}) in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      `${adapter ? ", adapter merged" : ""}; FIM format ${format}\n`);
  } catch (e) {
    await out.abort();
    throw e;
  }
  if (v["lora-gguf"]) {
    const lora = openAtomic(v["lora-gguf"]);
    try {
      await exportLoraGguf(cp.config, adapter!.source, lora, `${name}-lora`);
      await lora.commit();
    } catch (e) {
      await lora.abort();
      throw e;
    }
    log(`wrote ${v["lora-gguf"]} (LoRA adapter, rank ${adapter!.source.lora.r})\n`);
  }
  if (v.modelfile) {
    const ctx = Math.min(Number(v.context ?? 2048), cp.config.max_position_embeddings);
    const rel = relative(dirname(resolve(v.modelfile)), resolve(v.out!));
    const mf = openAtomic(v.modelfile);
    await mf.write(modelfile({ gguf: rel.startsWith(".") ? rel : `./${rel}`, format, contextLength: ctx }));
    await mf.commit();
    log(`wrote ${v.modelfile}\n  ollama create ${name.toLowerCase().replace(/[^a-z0-9._-]/g, "-")} -f ${v.modelfile}\n`);
  }
  return 0;
}

