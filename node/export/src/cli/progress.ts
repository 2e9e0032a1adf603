// Progress on stderr for the long commands (`fim train`'s steps, `fim eval`'s samples): one line per report,
// "<label> <done>/<total>[ unit][  details]  ETA <time>", the ETA from the mean time per item so far. One mechanism,
// so every command counts, estimates and words its progress the same way; stdout is never touched.

/** "42 s", "14 min 5 s", "2 h 3 min": seconds rounded to what a person waiting needs. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Seconds left: the mean time of the items done in this run times the items left; undefined before the first. */
export function etaSeconds(doneThisRun: number, left: number, elapsedMs: number): number | undefined {
  return doneThisRun > 0 ? (elapsedMs / 1000 / doneThisRun) * left : undefined;
}

export interface ProgressOptions {
  /** Names the work: "step", "model:" → "step 3/10", "model: 3/10 samples". */
  label: string;
  total: number;
  /** Shown after the count: "samples". */
  unit?: string;
  /** Items already done before this run (a resumed training): not counted in the ETA's rate. */
  first?: number;
  /** At most one line per this many ms, except the start, the first item and the last (0: every report). */
  everyMs?: number;
  write: (line: string) => void;
  now?: () => number;
}

/** A reporter to call after each item (and once with done = first at the start, to say the work began). */
export function progressReporter(o: ProgressOptions): (done: number, details?: string) => void {
  const now = o.now ?? Date.now;
  const started = now();
  const first = o.first ?? 0;
  let last = -Infinity;
  return (done, details) => {
    const t = now();
    // the start, the first item (the first ETA) and the last are always shown
    if (done < o.total && done > first + 1 && t - last < (o.everyMs ?? 0)) return;
    last = t;
    const eta = etaSeconds(done - first, o.total - done, t - started);
    const parts = [`${o.label} ${done}/${o.total}${o.unit ? ` ${o.unit}` : ""}`];
    if (details) parts.push(details);
    if (eta !== undefined && done < o.total) parts.push(`ETA ${formatDuration(eta)}`);
    if (done >= o.total && done > first) parts.push(`done in ${formatDuration((t - started) / 1000)}`);
    o.write(parts.join("  ") + "\n");
  };
}
