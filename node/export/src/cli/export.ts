// `fim export`: a model folder (and optionally a LoRA adapter, merged) → GGUF, plus an Ollama Modelfile and a
// LoRA-only GGUF on request. Streams tensor by tensor into a temporary file renamed at the end.

import { existsSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { FORMAT_NAMES, getFormat } from "../../../../src/lib/fim/index.ts";
import { loadCheckpoint } from "../../../../src/lib/model/checkpoint.ts";
import { folderFiles } from "../model-folder.ts";
import { openAtomic } from "../atomic-writer.ts";
import { exportGguf } from "../../../../src/lib/export/gguf-export.ts";
import { exportLoraGguf } from "../../../../src/lib/export/lora-gguf.ts";
import { modelfile } from "../../../../src/lib/export/modelfile.ts";
import { MODEL_NAME_RULE, modelName } from "../../../../src/lib/export/model-name.ts";
import { LLAMA_CPP_PRE_NAMES } from "../../../../src/lib/export/tokenizer-kv.ts";
import { EXPORT_TYPES, type ExportType } from "../../../../src/lib/export/plan.ts";
import { checkOutputFile, checkOutputs, type NamedPath } from "../output-paths.ts";
import { readAdapterFolder } from "./adapter-folder.ts";
import { UsageError } from "./errors.ts";
import { flagHelp, parseFlags, requireFlags, type FlagSpec } from "./flags.ts";
import type { Io } from "./main.ts";

export const EXPORT_FLAGS = [
  { name: "model", type: "string", arg: "DIR", help: "the Hugging Face model folder (config.json, safetensors, tokenizer.json)" },
  { name: "adapter", type: "string", arg: "DIR", help: "a LoRA adapter folder (PEFT) to merge in float32 before quantization" },
  { name: "quant", type: "string", choices: EXPORT_TYPES, help: "the GGUF's weight type" },
  { name: "out", type: "string", arg: "FILE", help: "the GGUF to write" },
  { name: "modelfile", type: "string", arg: "PATH", help: "also write an Ollama Modelfile (FROM the GGUF, the FIM template, stop tokens)" },
  { name: "lora-gguf", type: "string", arg: "PATH", help: "also write the adapter alone as a GGUF (Ollama's ADAPTER, llama.cpp's --lora)" },
  { name: "format", type: "string", choices: FORMAT_NAMES, help: "the FIM format the model was trained with (default: the adapter's trainer_state.json, else qwen)" },
  { name: "name", type: "string", help: "general.name and the Ollama model's name: lowercase letters, digits, '.', '-', '_' (default: from the model folder's name, e.g. fim-tiny-code)" },
  { name: "pre", type: "string", choices: LLAMA_CPP_PRE_NAMES, arg: "NAME", help: "the llama.cpp pre-tokenizer, when it cannot be recognised (a name llama.cpp knows, e.g. qwen2, llama-bpe, gpt-2)" },
  { name: "context", type: "int", min: 1, max: 1 << 24, default: 2048, help: "num_ctx in the Modelfile (at most the model's)" },
  { name: "quiet", type: "boolean", help: "no progress on stderr" },
] as const satisfies readonly FlagSpec[];

export const EXPORT_HELP = `Usage: fim export --model DIR [--adapter DIR] --quant ${EXPORT_TYPES.join("|")} --out model.gguf [options]

Writes a GGUF that llama.cpp and Ollama run: the LoRA adapter (if any) merged in float32 before quantization.
Every output is written under a temporary name and moved into place when complete.

${flagHelp(EXPORT_FLAGS)}`;

export async function exportCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseFlags(EXPORT_FLAGS, argv);
  if (v.help) {
    io.stdout.write(EXPORT_HELP);
    return 0;
  }
  requireFlags(v, ["model", "quant", "out"], EXPORT_HELP);
  const quant = v.quant as ExportType;
  if (!existsSync(v.model!)) throw new UsageError(`--model: no such folder: ${v.model}`);
  if (v["lora-gguf"] && !v.adapter) throw new UsageError("--lora-gguf needs --adapter");
  if (v.name !== undefined && !MODEL_NAME_RULE.test(v.name)) {
    throw new UsageError(`--name "${v.name}": use lowercase letters, digits, '.', '-' and '_', starting with a letter or digit, at most 64 (Ollama's rule), e.g. --name ${modelName(v.name)}`);
  }
  const outputs = [{ flag: "--out", path: v.out! }, { flag: "--modelfile", path: v.modelfile }, { flag: "--lora-gguf", path: v["lora-gguf"] }]
    .filter((o): o is NamedPath => o.path !== undefined);
  outputs.forEach(checkOutputFile);
  checkOutputs(outputs, [{ flag: "--model", path: v.model! }, ...(v.adapter ? [{ flag: "--adapter", path: v.adapter }] : [])]);
  const log = (s: string) => void (!v.quiet && io.stderr.write(s));
  const adapter = v.adapter ? await readAdapterFolder(v.adapter, v.model!, (line) => log(line + "\n")) : undefined;
  const format = v.format ?? adapter?.format ?? "qwen";
  getFormat(format);
  const files = folderFiles(v.model!);
  const cp = await loadCheckpoint(files);
  const json = async (name: string) => JSON.parse(new TextDecoder().decode(await files.read(name))) as Record<string, unknown>;
  const tokenizerConfig = (await files.list()).includes("tokenizer_config.json") ? await json("tokenizer_config.json") : {};
  const name = v.name ?? modelName(resolve(v.model!));
  const started = Date.now();
  const out = openAtomic(v.out!);
  let lastBar = 0;
  try {
    const summary = await exportGguf(cp, await json("tokenizer.json"), tokenizerConfig, out, {
      type: quant, name, format, pre: v.pre, adapter,
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
      await exportLoraGguf(cp.config, adapter!, lora, `${name}-lora`);
      await lora.commit();
    } catch (e) {
      await lora.abort();
      throw e;
    }
    log(`wrote ${v["lora-gguf"]} (LoRA adapter, rank ${adapter!.lora.r})\n`);
  }
  if (v.modelfile) {
    const ctx = Math.min(v.context ?? 2048, cp.config.max_position_embeddings);
    const rel = relative(dirname(resolve(v.modelfile)), resolve(v.out!));
    const mf = openAtomic(v.modelfile);
    await mf.write(modelfile({ gguf: rel.startsWith(".") ? rel : `./${rel}`, format, contextLength: ctx }));
    await mf.commit();
    log(`wrote ${v.modelfile}\n  ollama create ${name} -f ${v.modelfile}\n`);
  }
  return 0;
}

