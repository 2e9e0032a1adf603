// stopwatch.svelte.ts — the elapsed time of a job in a page store, reactive, ticking four times a second while it runs.

export class Stopwatch {
  elapsedMs = $state(0);
  private startedAt = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;

  start(): void {
    this.startedAt = performance.now();
    this.elapsedMs = 0;
    clearInterval(this.ticker);
    this.ticker = setInterval(() => (this.elapsedMs = performance.now() - this.startedAt), 250);
  }

  stop(): void {
    clearInterval(this.ticker);
    this.elapsedMs = performance.now() - this.startedAt;
  }
}
