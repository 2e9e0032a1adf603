// A loaded model ready to run: checkpoint (src/lib/model) → weights on a backend → a CausalLM (transformer or Mamba), with its
// tokenizer and stop ids. The one entry point the CLI, the workers and the tests share.

import { loadCheckpoint, type Checkpoint } from "../model/checkpoint.ts";
import type { CheckpointFiles } from "../model/files.ts";
import type { Backend } from "./backend.ts";
import { complete, type CompletionRequest, type StopReason } from "./complete.ts";
import type { CausalLM, Decoder } from "./causal-lm.ts";
import { loadModel, type WeightOptions } from "./weights.ts";

export interface Engine<T, I> {
  checkpoint: Checkpoint;
  model: CausalLM<T, I>;
  /** Created on first use, sized to `contextLength`: a KV cache or a recurrent state with saved prefixes. */
  generator(contextLength?: number): Decoder<T, I>;
  complete(req: CompletionRequest): AsyncGenerator<string, StopReason>;
}

export interface LoadOptions extends WeightOptions {
  /** Called as each tensor has been read: `done` of the `total` the architecture uses. */
  onTensor?: (done: number, total: number, name: string) => void;
  /** Called for a tensor holding NaN or Inf (the first such value): the caller warns, naming it; loading goes on. */
  onNonFinite?: (name: string, index: number, value: number) => void;
}

/** The index of the first NaN or Inf in `data`, or -1 (x - x is 0 for every finite x). */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! !== 0) return i;
  return -1;
}

export async function loadEngine<T, I>(be: Backend<T, I>, files: CheckpointFiles, opts: LoadOptions = {}): Promise<Engine<T, I>> {
  const checkpoint = await loadCheckpoint(files);
  let done = 0;
  const model = await loadModel(be, checkpoint.config, async (name) => {
    const { data } = await checkpoint.weights.get(name);
    if (opts.onNonFinite) {
      const bad = firstNonFinite(data);
      if (bad >= 0) opts.onNonFinite(name, bad, data[bad]!);
    }
    opts.onTensor?.(++done, checkpoint.tensors.length, name);
    return data;
  }, opts);
  let gen: Decoder<T, I> | undefined;
  const engine: Engine<T, I> = {
    checkpoint,
    model,
    generator(contextLength = Math.min(2048, checkpoint.config.max_position_embeddings)) {
      // the cache is allocated from this number: a runaway one is refused before allocating
      const limit = checkpoint.config.max_position_embeddings;
      if (!Number.isSafeInteger(contextLength) || contextLength < 1 || contextLength > limit) {
        throw new RangeError(`context length ${contextLength} is not an integer from 1 to ${limit}, the model's limit (max_position_embeddings in config.json)`);
      }
      if (!gen || gen.maxContext !== contextLength) gen = model.decoder(contextLength);
      return gen;
    },
    complete(req) {
      return complete({ tokenizer: checkpoint.tokenizer, generator: engine.generator(), eosIds: checkpoint.stopIds }, req);
    },
  };
  return engine;
}
