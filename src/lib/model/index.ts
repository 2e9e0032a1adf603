// The model library: loading Hugging Face Llama / Qwen2 checkpoints (config, tokenizer, safetensors weights) in Node,
// the page and workers alike. Import from here, not from the files inside. The browser's sources (dropped folder,
// served folder, Hub repo) are; Node's folder reader lives in the Node package (node/export/src/model-folder.ts).

export * from "./errors.ts";
export {
  ALL_DTYPES, bf16ToF32, decodeFloats, encodeFloats, f16ToF32, f32ToBf16, f32ToF16, FLOAT_DTYPES, floatBitsToBf16Bits,
  floatBitsToHalfBits, halfBitsToFloatBits, isFloatDtype, isSafetensorsDtype, SAFETENSORS_DTYPES, type FloatDtype, type SafetensorsDtype,
} from "./dtypes.ts";
export {
  assertConvertible, MAX_HEADER_BYTES, parseHeader, parseHeaderLength, parseSafetensors, readRawTensor, readSafetensorsIndex, readTensor,
  type ByteSource, type RangeReader, type RawTensor, type SafetensorsIndex, type Tensor, type TensorEntry,
} from "./safetensors.ts";
export { writeSafetensors, type TensorToWrite } from "./safetensors-write.ts";
export { parseShardIndex, SHARD_INDEX_FILE, type ShardIndex } from "./shards.ts";
export {
  ARCHITECTURE_NAMES, architectureForModelType, ARCHITECTURES, isArchitectureName, type ArchitectureName, type ArchitectureRow,
  type BiasRule,
} from "./architectures.ts";
export { CONFIG_FILE, parseLlamaConfig, parseModelConfig, requireLlama, tokenIds, type Llama3RopeScaling, type LlamaConfig, type MambaConfig, type ModelConfig } from "./config.ts";
export { ropeInvFreq, type RopeConfig } from "./rope.ts";
export {
  dimSizes, expectedTensors, layerTensorName, TENSOR_TEMPLATES, type Dim, type ExpectedTensor, type TensorCondition,
  type TensorTemplate,
} from "./tensors.ts";
export { loadTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, type AddedTokenInfo, type ModelTokenizer } from "./tokenizer.ts";
export { memoryFiles, type CheckpointFiles } from "./files.ts";
export { droppedFiles, MANIFEST_FILE, ModelSourceError, urlFiles, type UrlFilesOptions } from "./browser-files.ts";
export {
  checkRepoId, clearHubCache, HUB_CACHE, HUB_ENDPOINT, hubDownloadSize, hubFiles, type HubOptions, type HubProgress,
} from "./hub-files.ts";
export {
  GENERATION_CONFIG_FILE, loadCheckpoint, parseGenerationConfig, WEIGHTS_FILE, type Checkpoint, type GenerationConfig,
  type WeightStore,
} from "./checkpoint.ts";
