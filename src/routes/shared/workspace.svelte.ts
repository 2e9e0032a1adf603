// workspace.svelte.ts — what the pages hand each other in one visit: the adapter the Train page produced (PEFT files,
// with the model it belongs to and its FIM format). The Playground toggles it on and off; Export merges it. After a
// reload it comes back from the finished run's checkpoint in OPFS (runs.ts).

export interface TrainedAdapter {
  /** PEFT files: adapter_config.json, adapter_model.safetensors (+ trainer state). */
  files: Record<string, Uint8Array>;
  /** modelPicker's keyOf() of the base model it was trained on. */
  modelKey: string;
  modelLabel: string;
  format: string;
  steps: number;
}

class Workspace {
  adapter = $state.raw<TrainedAdapter | null>(null);
}

export const workspace = new Workspace();
