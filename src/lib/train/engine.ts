// A loaded model ready to run: checkpoint (src/lib/model) → weights on a backend → Transformer, with its
// tokenizer and stop ids. The one entry point the CLI, the workers and the tests share.

import { loadCheckpoint, type Checkpoint } from "../model/checkpoint.ts";
import type { CheckpointFiles } from "../model/files.ts";
import type { Backend } from "./backend.ts";
import { complete, type CompletionRequest, type StopReason } from "./complete.ts";
import { Generator } from "./generate.ts";
import { Transformer } from "./model.ts";
import { dimsOf, loadWeights, type WeightOptions } from "./weights.ts";

export interface Engine<T, I> {
  checkpoint: Checkpoint;
  model: Transformer<T, I>;
  /** Created on first use, sized to `contextLength`. */
  generator(contextLength?: number): Generator<T, I>;
  complete(req: CompletionRequest): AsyncGenerator<string, StopReason>;
}

export interface LoadOptions extends WeightOptions {
  /** Called as each tensor has been read: `done` of the `total` the architecture uses. */
  onTensor?: (done: number, total: number, name: string) => void;
}

export async function loadEngine<T, I>(be: Backend<T, I>, files: CheckpointFiles, opts: LoadOptions = {}): Promise<Engine<T, I>> {
  const checkpoint = await loadCheckpoint(files);
  let done = 0;
  const w = await loadWeights(be, checkpoint.config, async (name) => {
    const { data } = await checkpoint.weights.get(name);
    opts.onTensor?.(++done, checkpoint.tensors.length, name);
    return data;
  }, opts);
  const model = new Transformer(be, dimsOf(checkpoint.config), w);
  let gen: Generator<T, I> | undefined;
  const engine: Engine<T, I> = {
    checkpoint,
    model,
    generator(contextLength = Math.min(2048, checkpoint.config.max_position_embeddings)) {
      if (!gen || gen.maxContext !== contextLength) gen = new Generator(model, contextLength);
      return gen;
    },
    complete(req) {
      return complete({ tokenizer: checkpoint.tokenizer, generator: engine.generator(), eosIds: checkpoint.stopIds }, req);
    },
  };
  return engine;
}
