// catalog.ts — the models the app offers by name: the Hugging Face checkpoints the engine trains (sizes from their
// Hub pages, bf16 safetensors) and web-llm's prebuilt Qwen2.5-Coder builds (inference only, on WebGPU). The costs
// shown to the user are computed from these rows (memory.ts), so a new model is one row here.

import type { ModelShape } from "../../lib/train/estimate.ts";

export interface HubModel {
  repo: string;
  label: string;
  /** Shape, for the memory and time estimates (from the checkpoint's config.json). */
  shape: ModelShape;
  /** Download size of the weights as published (bf16), bytes; the exact size is asked from the Hub before loading. */
  downloadBytes: number;
  note?: string;
}

export const HUB_MODELS: readonly HubModel[] = [
  { repo: "HuggingFaceTB/SmolLM2-135M", label: "SmolLM2 135M", shape: { params: 134.5e6, C: 576, L: 30, H: 1536, V: 49152 }, downloadBytes: 269e6 },
  { repo: "HuggingFaceTB/SmolLM2-360M", label: "SmolLM2 360M", shape: { params: 361.8e6, C: 960, L: 32, H: 2560, V: 49152 }, downloadBytes: 724e6 },
  { repo: "Qwen/Qwen2.5-Coder-0.5B", label: "Qwen2.5-Coder 0.5B", shape: { params: 494e6, C: 896, L: 24, H: 4864, V: 151936 }, downloadBytes: 988e6 },
  { repo: "Qwen/Qwen2.5-Coder-1.5B", label: "Qwen2.5-Coder 1.5B", shape: { params: 1.54e9, C: 1536, L: 28, H: 8960, V: 151936 }, downloadBytes: 3.09e9 },
  {
    repo: "unsloth/Llama-3.2-1B", label: "Llama 3.2 1B", shape: { params: 1.24e9, C: 2048, L: 16, H: 8192, V: 128256 }, downloadBytes: 2.47e9,
    note: "an ungated copy of meta-llama/Llama-3.2-1B (the original needs a Hub login, which FIM Studio does not do)",
  },
];

export interface WebLlmModel {
  /** web-llm's model_id in its prebuiltAppConfig. */
  id: string;
  label: string;
  /** VRAM web-llm states for the build, bytes. */
  vramBytes: number;
  /** Approximate download (4-bit weights), bytes. */
  downloadBytes: number;
  /** Needs the GPU's shader-f16. */
  f16: boolean;
}

export const WEBLLM_MODELS: readonly WebLlmModel[] = [
  // vram_required_MB from web-llm 0.2.86's prebuiltAppConfig; q4f16 builds need shader-f16, q4f32 ones do not
  { id: "Qwen2.5-Coder-0.5B-Instruct-q4f16_1-MLC", label: "Qwen2.5-Coder 0.5B (q4f16)", vramBytes: 944.62e6, downloadBytes: 290e6, f16: true },
  { id: "Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC", label: "Qwen2.5-Coder 0.5B (q4f32)", vramBytes: 1060.2e6, downloadBytes: 290e6, f16: false },
  { id: "Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC", label: "Qwen2.5-Coder 1.5B (q4f16)", vramBytes: 1629.75e6, downloadBytes: 870e6, f16: true },
  { id: "Qwen2.5-Coder-1.5B-Instruct-q4f32_1-MLC", label: "Qwen2.5-Coder 1.5B (q4f32)", vramBytes: 1888.97e6, downloadBytes: 870e6, f16: false },
  { id: "Qwen2.5-Coder-7B-Instruct-q4f16_1-MLC", label: "Qwen2.5-Coder 7B (q4f16)", vramBytes: 5106.67e6, downloadBytes: 4.3e9, f16: true },
];

/** One embedded model, as listed in public/models/index.json. */
export interface EmbeddedModel {
  id: string;
  label: string;
  /** Folder under public/models/, served at <base>models/<path>/ (with its manifest.json). */
  path: string;
  shape: ModelShape;
  bytes: number;
  description?: string;
}
