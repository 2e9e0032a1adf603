// axolotl.ts — the kit's Axolotl config: LoRA with the run's settings (settings.ts settingRows), on the samples
// prepare.py tokenized exactly as FIM Studio trains on them (Axolotl's pre-tokenized dataset: input_ids,
// attention_mask, labels, with no `type`). One config per GPU count: the one-GPU file, and the several-GPU file with
// DeepSpeed ZeRO-2 or FSDP2 added. Pure: objects in, YAML text out.

import { stringify } from "yaml";
import { settingRows, type KitSettings } from "./settings.ts";

export const AXOLOTL_DIR = "axolotl";
export const DEEPSPEED_JSON = "deepspeed_zero2.json";

/** The DeepSpeed ZeRO-2 config the several-GPU file points at ("auto": taken from the trainer's arguments). */
export const DEEPSPEED_ZERO2 = {
  zero_optimization: { stage: 2, overlap_comm: true, contiguous_gradients: true, reduce_bucket_size: "auto" },
  bf16: { enabled: "auto" },
  fp16: { enabled: "auto" },
  gradient_accumulation_steps: "auto",
  gradient_clipping: "auto",
  train_batch_size: "auto",
  train_micro_batch_size_per_gpu: "auto",
  wall_clock_breakdown: false,
};

/** The Axolotl config as an object (the kit writes it as YAML; tests check its keys against Axolotl's schema). */
export function axolotlConfig(s: KitSettings, gpus: "one" | "several"): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  for (const row of settingRows(s)) if (row.axolotl) c[row.axolotl] = row.axolotlValue ?? row.value;
  Object.assign(c, {
    adapter: "lora",
    // paths are relative to the kit folder: run axolotl from there
    datasets: [{ path: "data/tokenized/train.jsonl", ds_type: "json", split: "train" }],
    test_datasets: [{ path: "data/tokenized/eval.jsonl", ds_type: "json", split: "train" }],
    dataset_prepared_path: "out/axolotl-prepared",
    output_dir: "out/axolotl",
    // prepare.py already dropped what does not fit; nothing may be cut here
    excess_length_strategy: "drop",
    sample_packing: false,
    bf16: "auto",
    gradient_checkpointing: true,
    logging_steps: 10,
    save_safetensors: true,
    saves_per_epoch: 1,
    evals_per_epoch: 4,
  });
  if (gpus === "several") {
    if (s.multiGpu === "deepspeed") c.deepspeed = `${AXOLOTL_DIR}/${DEEPSPEED_JSON}`;
    else {
      c.fsdp_version = 2;
      c.fsdp_config = { offload_params: false, cpu_ram_efficient_loading: true, auto_wrap_policy: "TRANSFORMER_BASED_WRAP", state_dict_type: "FULL_STATE_DICT", reshard_after_forward: true };
    }
  }
  return c;
}

/** The YAML file: a header saying what it is, then the config. */
export function axolotlYaml(s: KitSettings, gpus: "one" | "several"): string {
  const head = [
    `# Axolotl config written by FIM Studio's training kit: LoRA on ${s.baseModel}, ${gpus === "one" ? "one GPU" : `several GPUs (${s.multiGpu === "deepspeed" ? "DeepSpeed ZeRO-2" : "FSDP2"})`}.`,
    "# Run from the kit folder after `python prepare.py` (see README.md). The data is pre-tokenized: the loss mask",
    `# (${s.lossOn === "middle" ? "the middle only: -100 on the prompt" : "every token"}) is in its labels, so train_on_inputs does not change it.`,
  ];
  return head.join("\n") + "\n" + yamlFloats(stringify(axolotlConfig(s, gpus), { lineWidth: 0 }));
}

/**
 * Exponent floats with a dot ("1e-8" becomes "1.0e-8"): YAML 1.1 readers such as PyYAML, which Axolotl loads its
 * config with, read a float without a dot as a string.
 */
export const yamlFloats = (text: string): string => text.replace(/^(\s*[\w-]+: )(-?\d+)(e[-+]?\d+)$/gm, "$1$2.0$3");
