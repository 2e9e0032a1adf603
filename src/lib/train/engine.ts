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
}

export async function loadEngine<T, I>(be: Backend<T, I>, files: CheckpointFiles, opts: LoadOptions = {}): Promise<Engine<T, I>> {
  const checkpoint = await loadCheckpoint(files);
  let done = 0;
  const model = await loadModel(be, checkpoint.config, async (name) => {
    const { data } = await checkpoint.weights.get(name);
    opts.onTensor?.(++done, checkpoint.tensors.length, name);
    return data;
  }, opts);
  let gen: Decoder<T, I> | undefined;
  const engine: Engine<T, I> = {
    checkpoint,
    model,
    generator(contextLength = Math.min(2048, checkpoint.config.max_position_embeddings)) {
      if (!gen || gen.maxContext !== contextLength) gen = model.decoder(contextLength);
      return gen;
    },
    complete(req) {
      return complete({ tokenizer: checkpoint.tokenizer, generator: engine.generator(), eosIds: checkpoint.stopIds }, req);
    },
  };
  return engine;
}
