// accelerate.ts — the accelerate launch configs the TRL script uses on several GPUs (one machine; `--num_processes`
// on the command line sets the GPU count). Pure.

import { stringify } from "yaml";
import type { MultiGpu } from "./settings.ts";

export const ACCELERATE_DIR = "accelerate";
export const ACCELERATE_FILE: Record<MultiGpu, string> = { deepspeed: "deepspeed_zero2.yaml", fsdp: "fsdp2.yaml" };

const COMMON = {
  compute_environment: "LOCAL_MACHINE", machine_rank: 0, main_training_function: "main", mixed_precision: "bf16",
  num_machines: 1, num_processes: 2, rdzv_backend: "static", same_network: true, use_cpu: false,
};

export function accelerateConfig(kind: MultiGpu): Record<string, unknown> {
  return kind === "deepspeed"
    ? { ...COMMON, distributed_type: "DEEPSPEED", deepspeed_config: { zero_stage: 2, offload_optimizer_device: "none", offload_param_device: "none", zero3_init_flag: false } }
    : { ...COMMON, distributed_type: "FSDP", fsdp_config: {
      fsdp_version: 2, fsdp_auto_wrap_policy: "TRANSFORMER_BASED_WRAP", fsdp_cpu_ram_efficient_loading: true, fsdp_offload_params: false,
      fsdp_reshard_after_forward: true, fsdp_state_dict_type: "FULL_STATE_DICT",
    } };
}

export const accelerateYaml = (kind: MultiGpu): string =>
  `# accelerate config written by FIM Studio's training kit (${kind === "deepspeed" ? "DeepSpeed ZeRO-2" : "FSDP2"}, one machine).\n` +
  "# --num_processes on the command line overrides num_processes (the number of GPUs).\n" + stringify(accelerateConfig(kind));
