// workspace.svelte.ts — what the pages hand each other in one visit. The samples go Data → Train through the shared
// generator store (generator.svelte.ts, with dataForm.svelte.ts); this file holds the adapter the Train page produced (PEFT files,
// with the model it belongs to and its FIM format). The Playground toggles it on and off; Export merges it. After a
// reload it comes back from the newest finished or stopped run's checkpoint in OPFS (runs.ts), whichever page is opened
// first.

import { savedAdapter } from "./runs.ts";

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
  /** Settles once the adapter kept in browser storage has been looked for (on page load). */
  readonly restored: Promise<void>;

  constructor() {
    const opfs = typeof navigator !== "undefined" && typeof navigator.storage?.getDirectory === "function";
    this.restored = opfs ? this.restore() : Promise.resolve();
  }

  private async restore(): Promise<void> {
    const saved = await savedAdapter().catch(() => null);
    if (saved && !this.adapter) this.adapter = saved; // unless a run of this visit finished first
  }
}

export const workspace = new Workspace();
