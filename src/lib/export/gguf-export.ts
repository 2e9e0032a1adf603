// The export itself: a checkpoint (and optionally a LoRA adapter) → one GGUF file, streamed. Tensors are read,
// merged, transformed (llama's Q/K row order, Mamba's A = -exp(A_log)), quantised and written one at a time, so peak
// memory stays near the largest tensor whatever the model size. Runs in Node and in the browser (the sink decides
// where the bytes go). Metadata rows per family: FAMILY_KV.

import type { Checkpoint } from "../model/checkpoint.ts";
import type { LlamaConfig, MambaConfig, ModelConfig } from "../model/config.ts";
import { ADAPTER_WEIGHTS, AdapterError, matchAdapter, type AdaptableModule, type ReadAdapter } from "../train/adapter.ts";
import { loraScale, peftName } from "../train/lora.ts";
import { GGUF_DEFAULT_ALIGNMENT, KEY } from "../gguf/constants.ts";
import { encodeTensor } from "../gguf/quantize.ts";
import { GgufWriter, type ByteSink } from "../gguf/writer.ts";
import { mergeLora } from "./merge.ts";
import { permuteRowsForLlama } from "./permute.ts";
import { GGUF_ARCH, planTensors, ropeFactors, TYPE_RULES, UnsupportedExportError, type ExportType, type PlannedTensor } from "./plan.ts";
import { tokenizerKv, type KvEntry } from "./tokenizer-kv.ts";

/** Our own metadata key: the FIM format the model was trained with. */
export const FORMAT_KEY = "fim_studio.fim_format";

/** A LoRA adapter to merge, as readAdapter gives it: its config and its tensors by PEFT name. */
export type AdapterSource = Pick<ReadAdapter, "lora" | "tensors" | "tensor">;

/** The linears of a planned export that an adapter may adapt (checked with matchAdapter before anything is written). */
export function adaptableModules(plan: readonly PlannedTensor[]): AdaptableModule[] {
  return plan.filter((t) => t.loraModule).map((t) => ({ name: t.loraModule!, OC: t.shape[0]!, IC: t.shape[1]! }));
}

export interface ExportProgress {
  tensor: string;
  done: number; // tensors written
  total: number;
  bytes: number; // bytes written so far
}

export interface ExportOptions {
  type: ExportType;
  /** general.name */
  name: string;
  /** The FIM format the model was trained with (fills the fim_* token ids). */
  format?: string;
  pre?: string;
  adapter?: AdapterSource;
  onProgress?: (p: ExportProgress) => void;
}

export interface ExportSummary {
  tensors: PlannedTensor[];
  bytes: number;
  warnings: string[];
}

/**
 * The family's own metadata rows, as llama.cpp's converter writes them (convert_hf_to_gguf.py LlamaModel /
 * Qwen2Model / MambaModel set_gguf_parameters). Mamba: context_length 2^20 (the converter's "arbitrary value":
 * a recurrent model has no position limit), feed_forward_length and head_count 0 ("unused, but seemingly required
 * when loading"), the four ssm sizes, and ssm.dt_b_c_rms false (no RMS norm on dt/B/C: that is Falcon-Mamba).
 */
const FAMILY_KV: { [F in ModelConfig["family"]]: (c: Extract<ModelConfig, { family: F }>) => KvEntry[] } = {
  llama: (c: LlamaConfig) => [
    { row: KEY.CONTEXT_LENGTH, value: c.max_position_embeddings },
    { row: KEY.FEED_FORWARD_LENGTH, value: c.intermediate_size },
    { row: KEY.HEAD_COUNT, value: c.num_attention_heads },
    { row: KEY.HEAD_COUNT_KV, value: c.num_key_value_heads },
    { row: KEY.ROPE_FREQ_BASE, value: c.rope_theta },
    { row: KEY.ROPE_DIMENSION_COUNT, value: c.head_dim },
    { row: KEY.LAYERNORM_RMS_EPS, value: c.rms_norm_eps },
    ...(c.head_dim * c.num_attention_heads !== c.hidden_size
      ? [{ row: KEY.KEY_LENGTH, value: c.head_dim }, { row: KEY.VALUE_LENGTH, value: c.head_dim }]
      : []),
  ],
  mamba: (c: MambaConfig) => [
    { row: KEY.CONTEXT_LENGTH, value: 2 ** 20 },
    { row: KEY.FEED_FORWARD_LENGTH, value: 0 },
    { row: KEY.HEAD_COUNT, value: 0 },
    { row: KEY.SSM_CONV_KERNEL, value: c.conv_kernel },
    { row: KEY.SSM_INNER_SIZE, value: c.intermediate_size },
    { row: KEY.SSM_STATE_SIZE, value: c.state_size },
    { row: KEY.SSM_TIME_STEP_RANK, value: c.time_step_rank },
    { row: KEY.LAYERNORM_RMS_EPS, value: c.layer_norm_epsilon },
    { row: KEY.SSM_DT_B_C_RMS, value: false },
  ],
};

/** The architecture's metadata rows: the common ones, then the family's. */
export function archKv(cp: Checkpoint, o: ExportOptions): KvEntry[] {
  const c = cp.config;
  const arch = GGUF_ARCH[c.architecture];
  if (!arch) throw new UnsupportedExportError(`config.json: architecture ${c.architecture} has no GGUF export`);
  return [
    { row: KEY.ARCHITECTURE, value: arch },
    { row: KEY.NAME, value: o.name },
    { row: KEY.FILE_TYPE, value: TYPE_RULES[o.type].fileType },
    { row: KEY.QUANTIZATION_VERSION, value: 2 },
    { row: KEY.VOCAB_SIZE, value: c.vocab_size },
    { row: KEY.EMBEDDING_LENGTH, value: c.hidden_size },
    { row: KEY.BLOCK_COUNT, value: c.num_hidden_layers },
    ...(FAMILY_KV[c.family] as (c: ModelConfig) => KvEntry[])(c),
  ];
}

function addAll(w: GgufWriter, kv: readonly KvEntry[], arch: string): void {
  for (const e of kv) w.addKey(e.row, e.value as never, arch);
}

/** One planned tensor as float32 in the checkpoint's own layout, with the adapter merged (computed ones as computed). */
export async function mergedTensor(cp: Checkpoint, t: PlannedTensor, adapter?: AdapterSource): Promise<Float32Array> {
  if (t.hf === null) {
    if (t.computed === "rope_freqs" && cp.config.family === "llama") return ropeFactors(cp.config);
    if (t.computed === "zeros") return new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    throw new Error(`${t.gguf}: nothing says how to compute it for ${cp.config.architecture}`);
  }
  const data = (await cp.weights.get(t.hf)).data;
  const which = t.loraModule?.split(".").pop();
  if (!adapter || !t.loraModule || !(adapter.lora.targets as readonly string[]).includes(which!)) return data;
  const A = await adapter.tensor(peftName(t.loraModule, "A"));
  const B = await adapter.tensor(peftName(t.loraModule, "B"));
  if (!A || !B) throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${peftName(t.loraModule, A ? "B" : "A")} is missing`);
  const [OC, IC] = t.shape as [number, number];
  const R = adapter.lora.r;
  for (const [x, want, ab] of [[A, [R, IC], "A"], [B, [OC, R], "B"]] as const) {
    if (x.shape.join(",") !== want.join(",")) {
      throw new AdapterError(ADAPTER_WEIGHTS, `tensor ${peftName(t.loraModule, ab)} has shape [${x.shape}] but this model needs [${want}] (an adapter for another base model?)`);
    }
  }
  return mergeLora(data, A.data, B.data, OC, IC, adapter.lora.r, loraScale(adapter.lora));
}

/** A weight that is NaN or Inf would make every completion of the exported model garbage: nothing is written. */
export class NonFiniteWeightsError extends Error {
  constructor(t: PlannedTensor, index: number, value: number, merged: boolean) {
    super(
      `${t.hf ?? t.gguf}: value ${index} is ${value}${merged ? " after merging the adapter" : ""}; the GGUF is not written. ` +
        (merged ? "The adapter's run diverged (train again with a lower learning rate)" : "The checkpoint holds non-finite weights"),
    );
    this.name = "NonFiniteWeightsError";
  }
}

/** The index of the first NaN or Inf, or -1 (x - x is 0 for every finite x). */
function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! !== 0) return i;
  return -1;
}

/** What the GGUF holds for a tensor, as float32: merged, then in llama.cpp's row order, or A = -exp(A_log). */
async function tensorData(cp: Checkpoint, t: PlannedTensor, o: ExportOptions): Promise<Float32Array> {
  const data = await mergedTensor(cp, t, o.adapter);
  const bad = firstNonFinite(data);
  if (bad >= 0) throw new NonFiniteWeightsError(t, bad, data[bad]!, o.adapter !== undefined && t.loraModule !== undefined);
  if (t.negExp) return data.map((x) => -Math.exp(x));
  return t.permuteHeads ? permuteRowsForLlama(data, t.permuteHeads, t.shape.length === 2 ? t.shape[1]! : 1) : data;
}

export async function exportGguf(cp: Checkpoint, tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, sink: ByteSink, o: ExportOptions): Promise<ExportSummary> {
  const plan = planTensors(cp.config, cp.tensors, o.type);
  if (o.adapter) matchAdapter(o.adapter, adaptableModules(plan));
  const arch = GGUF_ARCH[cp.config.architecture]!;
  const w = new GgufWriter(sink, { alignment: GGUF_DEFAULT_ALIGNMENT }); // written out as general.alignment = 32
  addAll(w, archKv(cp, o), arch);
  addAll(w, tokenizerKv(tokenizerJson, tokenizerConfig, cp.config, { format: o.format, pre: o.pre }), arch);
  if (o.format) w.string(FORMAT_KEY, o.format); // read back by `fim try`; llama.cpp ignores unknown keys
  for (const t of plan) w.addTensorInfo(t.gguf, t.shape, t.type);
  await w.writeHeader();
  let bytes = 0;
  // The next tensor is read while this one is encoded: reads wait on I/O, encoding on the CPU (measured: 7% of
  // the export time was idle waiting for reads). Peak memory grows by one tensor.
  let next = plan.length > 0 ? tensorData(cp, plan[0]!, o) : undefined;
  for (let i = 0; i < plan.length; i++) {
    const t = plan[i]!;
    const data = await next!;
    next = i + 1 < plan.length ? tensorData(cp, plan[i + 1]!, o) : undefined;
    const encoded = encodeTensor(t.type, data, t.shape[t.shape.length - 1]!);
    await w.writeTensorData(t.gguf, encoded);
    bytes += encoded.byteLength;
    o.onProgress?.({ tensor: t.gguf, done: i + 1, total: plan.length, bytes });
  }
  return { tensors: plan, bytes: w.finish(), warnings: plan.flatMap((t) => (t.fallback ? [t.fallback] : [])) };
}
