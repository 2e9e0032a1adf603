// format.ts — small number, size and time formatters every page uses.

const KB = 1024;
const MB = KB * 1024;
const GB = MB * 1024;

/** 512 B, 12.3 KB, 4.56 MB, 2.30 GB. */
export function formatBytes(bytes: number): string {
  if (bytes < KB) return `${bytes} B`;
  if (bytes < MB) return `${(bytes / KB).toFixed(1)} KB`;
  if (bytes < GB) return `${(bytes / MB).toFixed(2)} MB`;
  return `${(bytes / GB).toFixed(2)} GB`;
}

/** 1,234,567 (the user's locale). */
export function formatCount(n: number): string {
  return n.toLocaleString();
}

/** 0.4 s, 12 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** "1 file", "3 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
