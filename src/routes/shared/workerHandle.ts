// workerHandle.ts — the one way a page store holds its Web Worker: started on first use (Comlink-wrapped), ended on
// demand, started afresh by the next call. The store passes a factory with the literal `new Worker(new URL(...))` so
// Vite still bundles the worker.

import * as Comlink from "comlink";

export class WorkerHandle<Api> {
  private worker: Worker | null = null;
  private api: Comlink.Remote<Api> | null = null;

  constructor(private readonly make: () => Worker) {}

  /** The worker's API, starting the worker if none runs. */
  get remote(): Comlink.Remote<Api> {
    if (!this.api) {
      this.worker = this.make();
      this.api = Comlink.wrap<Api>(this.worker);
    }
    return this.api;
  }

  /** The running worker's API, or null (a call that must not start one: pause, cancel). */
  get current(): Comlink.Remote<Api> | null {
    return this.api;
  }

  /** An identity for the running worker, to tell whether it is still the same one later. */
  get instance(): Worker | null {
    return this.worker;
  }

  /** Ends the worker at once; the next `remote` starts a fresh one. */
  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
  }
}
