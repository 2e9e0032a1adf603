// settings.ts — what a training kit carries over from FIM Studio's run settings to the trainers it hands the job to,
// as one table: each setting with its Axolotl config key and its TRL/PEFT argument, so the Axolotl YAML, the TRL
// script and the kit's README are all read off the same rows. Pure.

import { DEFAULT_TRAIN, type TrainConfig } from "../train/trainer.ts";

/** The versions the kit's files were written for (their documented keys are checked in tests/unit/kit). */
export const KIT_VERSIONS = {
  axolotl: "0.19 (the main branch's config schema, December 2026)",
  trl: "1.x (>= 1.1)",
  transformers: "5.x",
  peft: ">= 0.17 (0.20 read)",
  accelerate: ">= 1.0",
} as const;

/** Pip requirements of the TRL script and prepare.py (Axolotl brings its own). */
export const TRL_REQUIREMENTS = ["trl>=1.1,<2", "peft>=0.17", "transformers>=5,<6", "accelerate>=1.0", "datasets>=3.0"];

/** How the job is spread over several GPUs: DeepSpeed ZeRO-2, or PyTorch FSDP2. */
export type MultiGpu = "deepspeed" | "fsdp";
export const MULTI_GPU_CHOICES: readonly { value: MultiGpu; label: string }[] = [
  { value: "deepspeed", label: "DeepSpeed ZeRO-2" },
  { value: "fsdp", label: "FSDP2" },
];

export interface KitSettings {
  /** The Hugging Face model id (or a local path on the training machine) the trainers load. */
  baseModel: string;
  /** The FIM format of the samples (a FIM Studio format name). */
  format: string;
  lossOn: "middle" | "all";
  lr: number;
  warmupSteps: number;
  batchSize: number;
  gradAccum: number;
  epochs: number;
  /** Optimizer steps instead of epochs (0 or absent: by epochs). */
  steps?: number;
  contextLength: number;
  clip: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  seed: number;
  r: number;
  alpha: number;
  rslora: boolean;
  /** Module names that get an adapter (q_proj, ...). */
  targets: readonly string[];
  multiGpu: MultiGpu;
}

/** A kit's settings from FIM Studio's training config (its defaults where a field is not given). */
export function kitSettings(o: Pick<KitSettings, "baseModel" | "format" | "lossOn" | "r" | "alpha" | "targets"> & Partial<TrainConfig> & { rslora?: boolean; multiGpu?: MultiGpu }): KitSettings {
  const t = { ...DEFAULT_TRAIN, ...o };
  return {
    baseModel: o.baseModel, format: o.format, lossOn: o.lossOn, lr: t.lr, warmupSteps: t.warmupSteps, batchSize: t.batchSize,
    gradAccum: t.gradAccum, epochs: t.epochs, steps: t.steps && t.steps > 0 ? t.steps : undefined, contextLength: t.contextLength,
    clip: t.clip, weightDecay: t.weightDecay, beta1: t.beta1, beta2: t.beta2, eps: t.eps, seed: t.seed,
    r: o.r, alpha: o.alpha, rslora: o.rslora ?? false, targets: [...o.targets], multiGpu: o.multiGpu ?? "deepspeed",
  };
}

type Value = string | number | boolean | readonly string[] | null;

/** One setting: its FIM Studio name, its value, and its key in each trainer (absent: that trainer has no key). */
export interface SettingRow {
  ours: string;
  value: Value;
  axolotl?: string;
  /** A TRL SFTConfig / transformers TrainingArguments field. */
  trl?: string;
  /** A PEFT LoraConfig field. */
  peft?: string;
  /** The value in a trainer where it is not `value` (a flag that means the opposite). */
  axolotlValue?: Value;
  trlValue?: Value;
  note?: string;
}

/**
 * The table. Schedule: FIM Studio's is linear warm-up then linear decay to 0 (transformers'
 * get_linear_schedule_with_warmup), which is `linear` in both trainers; its optimizer is AdamW without dropout.
 */
export function settingRows(s: KitSettings): SettingRow[] {
  const byEpochs = s.steps === undefined;
  return [
    { ours: "base model", value: s.baseModel, axolotl: "base_model", trl: "model_name_or_path" },
    { ours: "LoRA rank", value: s.r, axolotl: "lora_r", peft: "r" },
    { ours: "LoRA alpha", value: s.alpha, axolotl: "lora_alpha", peft: "lora_alpha" },
    { ours: "rsLoRA scaling", value: s.rslora, axolotl: "peft_use_rslora", peft: "use_rslora" },
    { ours: "LoRA dropout", value: 0, axolotl: "lora_dropout", peft: "lora_dropout", note: "FIM Studio trains without dropout" },
    { ours: "adapted modules", value: s.targets, axolotl: "lora_target_modules", peft: "target_modules" },
    { ours: "learning rate", value: s.lr, axolotl: "learning_rate", trl: "learning_rate" },
    { ours: "schedule", value: "linear", axolotl: "lr_scheduler", trl: "lr_scheduler_type", note: "linear warm-up, then linear decay to 0" },
    { ours: "warm-up steps", value: s.warmupSteps, axolotl: "warmup_steps", trl: "warmup_steps" },
    { ours: "batch size (per GPU)", value: s.batchSize, axolotl: "micro_batch_size", trl: "per_device_train_batch_size" },
    { ours: "gradient accumulation", value: s.gradAccum, axolotl: "gradient_accumulation_steps", trl: "gradient_accumulation_steps" },
    byEpochs
      ? { ours: "epochs", value: s.epochs, axolotl: "num_epochs", trl: "num_train_epochs" }
      : { ours: "steps", value: s.steps!, axolotl: "max_steps", trl: "max_steps" },
    { ours: "context length", value: s.contextLength, axolotl: "sequence_len", trl: "max_length" },
    { ours: "gradient clip", value: s.clip, axolotl: "max_grad_norm", trl: "max_grad_norm" },
    { ours: "weight decay", value: s.weightDecay, axolotl: "weight_decay", trl: "weight_decay" },
    { ours: "optimizer", value: "adamw_torch", axolotl: "optimizer", trl: "optim" },
    { ours: "Adam beta1", value: s.beta1, axolotl: "adam_beta1", trl: "adam_beta1" },
    { ours: "Adam beta2", value: s.beta2, axolotl: "adam_beta2", trl: "adam_beta2" },
    { ours: "Adam epsilon", value: s.eps, axolotl: "adam_epsilon", trl: "adam_epsilon" },
    { ours: "seed", value: s.seed, axolotl: "seed", trl: "seed" },
    { ours: "loss on the middle only", value: s.lossOn === "middle", axolotl: "train_on_inputs", axolotlValue: s.lossOn === "all", trl: "completion_only_loss",
      note: "prepare.py writes the mask into the labels (-100 on BOS and prompt); both trainers keep it" },
  ];
}
